#include "obs/log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "base/json_escape.h"
#include "base/utf8.h"

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

bool parse_format(std::string_view s, Format& out) {
  if (s == "text") out = Format::Text;
  else if (s == "json") out = Format::Json;
  else return false;
  return true;
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
// s as a JSON string literal. Valid UTF-8 runs go through the shared escaper;
// a byte that starts no valid sequence becomes U+FFFD, so the line stays
// valid JSON whatever a message carried (provider reasons, file names).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t len = base::utf8_sequence(s, i);
    if (len > 0) {
      i += len;
      continue;
    }
    base::json_escape_append(s.substr(run, i - run), out);
    out += "\\ufffd";
    run = ++i;
  }
  base::json_escape_append(s.substr(run), out);
  out += '"';
}

// 2026-12-06T06:20:22.123Z
void append_time(std::string& out, int64_t time_ms) {
  const time_t secs = static_cast<time_t>(time_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  const int n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                         t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(time_ms % 1000));
  if (n > 0) out.append(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
}

// "/build/path/src/dispatch/sender.cc:12" -> "dispatch/sender.cc:12": the
// build machine's paths say nothing to an operator.
std::string_view short_site(std::string_view site) {
  if (const size_t p = site.rfind("/src/"); p != std::string_view::npos) return site.substr(p + 5);
  if (site.substr(0, 4) == "src/") return site.substr(4);
  if (const size_t p = site.rfind('/'); p != std::string_view::npos) return site.substr(p + 1);
  return site;
}

}  // namespace

std::string json_line(int64_t time_ms, Level l, std::string_view component, std::string_view message,
                      std::string_view site, uint64_t suppressed) {
  std::string out;
  out.reserve(112 + component.size() + message.size() + site.size());
  out += "{\"time\":\"";
  append_time(out, time_ms);
  out += "\",\"level\":\"";
  out += to_string(l);
  out += "\",\"component\":";
  append_json_string(out, component);
  out += ",\"message\":";
  append_json_string(out, message);
  out += ",\"fields\":{";
  bool first = true;
  if (!site.empty()) {
    out += "\"site\":";
    append_json_string(out, short_site(site));
    first = false;
  }
  if (suppressed > 0) {
    if (!first) out += ',';
    out += "\"suppressed\":";
    out += std::to_string(suppressed);
  }
  out += "}}\n";
  return out;
}

namespace {

// Control bytes (and DEL) as \n, \r, \t or \xNN; everything else as is.
// Returns the bytes written to out (at most cap).
size_t escape_controls(std::string_view in, char* out, size_t cap) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t o = 0;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    const char* named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : nullptr;
    if (c >= 0x20 && c != 0x7f) {
      if (o + 1 > cap) break;
      out[o++] = ch;
    } else if (named != nullptr) {
      if (o + 2 > cap) break;
      out[o++] = named[0];
      out[o++] = named[1];
    } else {
      if (o + 4 > cap) break;
      out[o++] = '\\';
      out[o++] = 'x';
      out[o++] = kHex[c >> 4];
      out[o++] = kHex[c & 15];
    }
  }
  return o;
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
  char msg[2048];
  const int m = vsnprintf(msg, sizeof msg, fmt, ap);
  const size_t mlen = m < 0 ? 0 : std::min(static_cast<size_t>(m), sizeof msg - 1);
  if (format_.load(std::memory_order_relaxed) == static_cast<int>(Format::Json)) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const int64_t now_ms = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
    const std::string line = json_line(now_ms, l, component, std::string_view(msg, mlen), key, dropped_before);
    emit(line.data(), line.size());
    return;
  }
  // Messages echo strings from clients (app names, ops, ids): a newline in one
  // must not start a forged line ("<0>..."), nor a control byte reach a terminal.
  char safe[sizeof msg * 4];
  const size_t slen = escape_controls(std::string_view(msg, mlen), safe, sizeof safe);
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "<%d>%.*s: %.*s", syslog_priority(l), static_cast<int>(component.size()),
                   component.data(), static_cast<int>(slen), safe);
  if (n < 0) return;
  size_t len = std::min(static_cast<size_t>(n), sizeof buf - 1);
  if (dropped_before > 0 && len + 48 < sizeof buf) {
    int k = snprintf(buf + len, sizeof buf - len, " (%llu similar lines suppressed)",
                     static_cast<unsigned long long>(dropped_before));
    if (k > 0) len += static_cast<size_t>(k);
  }
  if (len >= sizeof buf) len = sizeof buf - 1;
  buf[len++] = '\n';
  emit(buf, len);
}

// One write per line keeps lines whole when threads interleave.
void LogSink::emit(const char* line, size_t len) const {
  ssize_t r;
  do {
    r = ::write(fd_, line, len);
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
