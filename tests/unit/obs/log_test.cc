// The logger's two line formats: text keeps its syslog prefix; JSON gives one
// parseable object per line whatever bytes a message carries.
#include "obs/log.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace pushgw::obs {
namespace {

// Everything a sink wrote, split into lines.
class Capture {
 public:
  Capture() { EXPECT_EQ(pipe(fds_), 0); }
  ~Capture() {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  int fd() const { return fds_[1]; }
  std::vector<std::string> lines() {
    close(fds_[1]);
    fds_[1] = -1;
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds_[0], buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1)
      out.push_back(all.substr(start, nl - start));
    EXPECT_EQ(start, all.size()) << "last line has no newline";
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
};

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "<missing>";
  return std::string(v);
}

TEST(LogFormat, ParsesTextAndJson) {
  Format f = Format::Text;
  EXPECT_TRUE(parse_format("json", f));
  EXPECT_EQ(f, Format::Json);
  EXPECT_TRUE(parse_format("text", f));
  EXPECT_EQ(f, Format::Text);
  EXPECT_FALSE(parse_format("logfmt", f));
}

TEST(LogFormat, TextLinesKeepTheSyslogPrefix) {
  Capture cap;
  auto sink = std::make_shared<LogSink>(Level::Info, cap.fd());
  Logger log(sink, "sender1");
  PGW_LOG(log, Warn, "retrying %s in %d ms", "conn 3", 250);
  PGW_LOG(log, Debug, "not shown");
  auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "<4>sender1: retrying conn 3 in 250 ms");
}

// Log injection (issue 15, item 10): a string a client sent (an app name, an
// op) cannot start a forged line or put control bytes on a terminal.
TEST(LogFormat, TextLinesEscapeControlBytes) {
  Capture cap;
  auto sink = std::make_shared<LogSink>(Level::Info, cap.fd());
  Logger log(sink, "ingest");
  PGW_LOG(log, Warn, "unknown app '%s'", "shop\n<0>daemon: all keys rotated\r\x1b[2J\x7f\tok");
  auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "<4>ingest: unknown app 'shop\\n<0>daemon: all keys rotated\\r\\x1b[2J\\x7f\\tok'");
}

TEST(LogFormat, JsonLinesAreObjectsWithTheDocumentedMembers) {
  Capture cap;
  auto sink = std::make_shared<LogSink>(Level::Debug, cap.fd(), Format::Json);
  Logger log(sink, "pool/shop-ios");
  PGW_LOG(log, Error, "conn %u: %s", 7u, "quote \" backslash \\ tab \t newline \n end");
  PGW_LOG(log, Debug, "bad bytes \xff\xc3( and an overlong \xc0\xaf and a good \xc3\xa9");
  auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 2u);  // the message's newline is escaped, not a new line
  simdjson::dom::parser parser;
  simdjson::dom::element first;
  ASSERT_FALSE(parser.parse(lines[0]).get(first)) << lines[0];
  EXPECT_EQ(str(first, "level"), "error");
  EXPECT_EQ(str(first, "component"), "pool/shop-ios");
  EXPECT_EQ(str(first, "message"), "conn 7: quote \" backslash \\ tab \t newline \n end");
  const std::string time = str(first, "time");
  ASSERT_EQ(time.size(), 24u) << time;  // 2026-12-06T06:20:22.123Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time.back(), 'Z');
  std::string_view site;
  ASSERT_FALSE(first["fields"]["site"].get_string().get(site));
  // The build machine's path is cut off (up to "src/", else the directory).
  EXPECT_EQ(site.substr(0, 12), "log_test.cc:") << site;

  simdjson::dom::element second;
  ASSERT_FALSE(parser.parse(lines[1]).get(second)) << lines[1];
  EXPECT_EQ(str(second, "level"), "debug");
  EXPECT_EQ(str(second, "message"),
            "bad bytes \xef\xbf\xbd\xef\xbf\xbd( and an overlong \xef\xbf\xbd\xef\xbf\xbd and a good \xc3\xa9");
}

TEST(LogFormat, SuppressedRepeatsAreAFieldInJson) {
  Capture cap;
  auto sink = std::make_shared<LogSink>(Level::Info, cap.fd(), Format::Json);
  Logger log(sink, "ingest");
  auto emit = [&](int i) { PGW_LOG(log, Info, "line %d", i); };  // one call site
  // 20 lines pass per second and call site; the rest are counted and
  // reported with the next line that gets through.
  const time_t start = time(nullptr);
  for (int i = 0; i < 25; ++i) emit(i);
  if (time(nullptr) != start) GTEST_SKIP() << "the second rolled over while logging";
  sleep(1);
  emit(99);
  auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 21u);
  simdjson::dom::parser parser;
  for (size_t i = 0; i < lines.size(); ++i) {
    simdjson::dom::element e;
    ASSERT_FALSE(parser.parse(lines[i]).get(e)) << lines[i];
    uint64_t suppressed = 0;
    const bool has = !e["fields"]["suppressed"].get_uint64().get(suppressed);
    if (i + 1 < lines.size()) {
      EXPECT_FALSE(has) << lines[i];
    } else {
      EXPECT_TRUE(has) << lines[i];
      EXPECT_EQ(suppressed, 5u);
      EXPECT_EQ(str(e, "message"), "line 99");
    }
  }
  EXPECT_EQ(sink->suppressed(), 5u);
}

TEST(LogFormat, JsonLineIsPureAndStable) {
  EXPECT_EQ(json_line(1765002022123, Level::Warn, "store", "commit took 1.5 s", "/x/y/src/store/store.cc:42", 3),
            "{\"time\":\"2025-12-06T06:20:22.123Z\",\"level\":\"warn\",\"component\":\"store\","
            "\"message\":\"commit took 1.5 s\",\"fields\":{\"site\":\"store/store.cc:42\",\"suppressed\":3}}\n");
  EXPECT_EQ(json_line(0, Level::Info, "d", "m", "", 0),
            "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"info\",\"component\":\"d\",\"message\":\"m\","
            "\"fields\":{}}\n");
}

TEST(LogFormat, FormatCanChangeWhileRunning) {
  Capture cap;
  auto sink = std::make_shared<LogSink>(Level::Info, cap.fd());
  Logger log(sink, "daemon");
  PGW_LOG(log, Info, "before");
  sink->set_format(Format::Json);
  PGW_LOG(log, Info, "after");
  auto lines = cap.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "<6>daemon: before");
  EXPECT_EQ(lines[1].substr(0, 9), "{\"time\":\"");
}

}  // namespace
}  // namespace pushgw::obs
