// Level-checked, component-tagged logging to stderr, one write() per line.
//
// A LogSink is created by the daemon and injected (no global logger). Text
// lines carry a syslog priority prefix ("<6>") so journald files them at the
// right level. JSON lines ([log] format = "json") are one object each:
//   {"time":"2026-12-06T06:20:22.123Z","level":"info","component":"sender1",
//    "message":"...","fields":{"site":"dispatch/sender.cc:412","suppressed":3}}
// (fields.site: the call site; fields.suppressed: similar lines dropped just
// before this one). Every string is valid UTF-8 JSON (bytes that are not
// UTF-8 become U+FFFD), so a shipper can parse any line. Identical format strings from one component are rate-limited: after
// kBurst lines within one second further ones are dropped and counted, and the
// count is reported with the next line that gets through.
//
// Never pass secrets here; device tokens go through redact_token().
#pragma once
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pushgw::obs {

enum class Level : int { Debug = 0, Info = 1, Warn = 2, Error = 3 };

std::string_view to_string(Level l);
bool parse_level(std::string_view s, Level& out);

enum class Format : int { Text = 0, Json = 1 };
// "text" | "json".
bool parse_format(std::string_view s, Format& out);

class LogSink {
 public:
  explicit LogSink(Level level = Level::Info, int fd = 2, Format format = Format::Text)
      : level_(static_cast<int>(level)), format_(static_cast<int>(format)), fd_(fd) {}
  bool enabled(Level l) const { return static_cast<int>(l) >= level_.load(std::memory_order_relaxed); }
  void set_level(Level l) { level_.store(static_cast<int>(l), std::memory_order_relaxed); }
  void set_format(Format f) { format_.store(static_cast<int>(f), std::memory_order_relaxed); }
  // Writes one formatted line; key identifies the call site for rate limiting.
  void write(Level l, std::string_view component, const char* key, const char* fmt, va_list ap);
  uint64_t suppressed() const { return suppressed_total_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kBurst = 20;
  struct Window {
    int64_t second = 0;
    int count = 0;
    uint64_t dropped = 0;
  };
  void emit(const char* line, size_t len) const;

  std::atomic<int> level_;
  std::atomic<int> format_;
  int fd_;
  std::mutex mu_;  // guards windows_ only (logging is off the hot path)
  std::unordered_map<const void*, Window> windows_;
  std::atomic<uint64_t> suppressed_total_{0};
};

class Logger {
 public:
  Logger() = default;
  Logger(std::shared_ptr<LogSink> sink, std::string component)
      : sink_(std::move(sink)), component_(std::move(component)) {}
  bool enabled(Level l) const { return sink_ && sink_->enabled(l); }
  void logf(Level l, const char* key, const char* fmt, ...) const __attribute__((format(printf, 4, 5)));
  const std::string& component() const { return component_; }
  const std::shared_ptr<LogSink>& sink() const { return sink_; }

 private:
  std::shared_ptr<LogSink> sink_;
  std::string component_;
};

// "a1b2c3d4…(64)": enough to correlate, never the whole token.
std::string redact_token(std::string_view token);

// One JSON log line (with its '\n'). time_ms: unix milliseconds; site: the
// call site key ("src/x.cc:12"; the part before "src/" is dropped);
// suppressed: lines dropped before this one (0: no such field). Pure, so
// tests check the format without a file descriptor.
std::string json_line(int64_t time_ms, Level l, std::string_view component, std::string_view message,
                      std::string_view site, uint64_t suppressed);

}  // namespace pushgw::obs

// Level is checked before any argument is formatted.
#define PGW_LOG(logger, lvl, ...)                                              \
  do {                                                                        \
    if ((logger).enabled(::pushgw::obs::Level::lvl))                          \
      (logger).logf(::pushgw::obs::Level::lvl, __FILE__ ":" PGW_STR(__LINE__), __VA_ARGS__); \
  } while (0)
#define PGW_STR2(x) #x
#define PGW_STR(x) PGW_STR2(x)
