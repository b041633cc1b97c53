#include "obs/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace pushgw::obs {

std::string_view to_string(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "?";
}

bool parse_level(std::string_view s, Level& out) {
  if (s == "debug") out = Level::Debug;
  else if (s == "info") out = Level::Info;
  else if (s == "warn" || s == "warning") out = Level::Warn;
  else if (s == "error") out = Level::Error;
  else return false;
  return true;
}

namespace {
int syslog_priority(Level l) {
  switch (l) {
    case Level::Debug: return 7;
    case Level::Info: return 6;
    case Level::Warn: return 4;
    case Level::Error: return 3;
  }
  return 6;
}
}  // namespace

void LogSink::write(Level l, std::string_view component, const char* key, const char* fmt, va_list ap) {
  uint64_t dropped_before = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    Window& w = windows_[key];
    int64_t sec = static_cast<int64_t>(time(nullptr));
    if (w.second != sec) {
      w.second = sec;
      w.count = 0;
    }
    if (++w.count > kBurst) {
      ++w.dropped;
      suppressed_total_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    dropped_before = w.dropped;
    w.dropped = 0;
  }
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "<%d>%.*s: ", syslog_priority(l), static_cast<int>(component.size()),
                   component.data());
  if (n < 0) return;
  size_t len = static_cast<size_t>(n);
  int m = vsnprintf(buf + len, sizeof buf - len, fmt, ap);
  if (m > 0) len += std::min(static_cast<size_t>(m), sizeof buf - len - 1);
  if (dropped_before > 0 && len + 48 < sizeof buf) {
    int k = snprintf(buf + len, sizeof buf - len, " (%llu similar lines suppressed)",
                     static_cast<unsigned long long>(dropped_before));
    if (k > 0) len += static_cast<size_t>(k);
  }
  if (len >= sizeof buf) len = sizeof buf - 1;
  buf[len++] = '\n';
  // One write per line keeps lines whole when threads interleave.
  ssize_t r;
  do {
    r = ::write(fd_, buf, len);
  } while (r < 0 && errno == EINTR);
}

void Logger::logf(Level l, const char* key, const char* fmt, ...) const {
  if (!sink_) return;
  va_list ap;
  va_start(ap, fmt);
  sink_->write(l, component_, key, fmt, ap);
  va_end(ap);
}

std::string redact_token(std::string_view token) {
  if (token.size() <= 8) return std::string(token.size(), '*');
  std::string out(token.substr(0, 8));
  out += "...(";
  out += std::to_string(token.size());
  out += ")";
  return out;
}

}  // namespace pushgw::obs
