// H1Conn (the simulator's HTTP/1.1 server) on bytes in / bytes out.
#include <gtest/gtest.h>

#include <string>

#include "h1_server.h"

namespace pushgw::sim {
namespace {

class Echo : public RequestSink {
 public:
  Disposition on_request(const SimRequest& req, SimResponse& resp) override {
    ++calls;
    last = req;
    resp.status = 201;
    resp.body = "got " + req.body;
    resp.headers.add("Location", "/m/" + std::to_string(calls));
    if (close_next) resp.headers.add("Connection", "close");
    return never ? Disposition::kNever : Disposition::kNow;
  }
  int calls = 0;
  SimRequest last;
  bool close_next = false, never = false;
};

std::string feed(H1Conn& c, const std::string& bytes, bool* ok = nullptr) {
  const bool fed = c.feed(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (ok != nullptr) *ok = fed;
  std::string out;
  c.produce(out);
  return out;
}

const std::string kReq = "POST /wp/abc HTTP/1.1\r\nHost: push.test:8443\r\nTTL: 60\r\nContent-Length: 5\r\n\r\nhello";

TEST(H1Server, PipelinedRequestsAnsweredInOrderWithLength) {
  Stats stats;
  Echo sink;
  H1Conn c(sink, stats, H1Options{});
  // The second request arrives split; the first one whole with it.
  std::string out = feed(c, kReq + kReq.substr(0, 20));
  EXPECT_EQ(out, "HTTP/1.1 201 Sim\r\nLocation: /m/1\r\nContent-Length: 9\r\n\r\ngot hello");
  EXPECT_EQ(sink.last.method, "POST");
  EXPECT_EQ(sink.last.path, "/wp/abc");
  EXPECT_EQ(sink.last.authority, "push.test:8443");
  EXPECT_EQ(sink.last.headers.get("ttl"), "60");  // names lowercased
  EXPECT_EQ(feed(c, kReq.substr(20)), "HTTP/1.1 201 Sim\r\nLocation: /m/2\r\nContent-Length: 9\r\n\r\ngot hello");
  EXPECT_EQ(load(stats.requests), 2u);
  EXPECT_FALSE(c.finished());
}

TEST(H1Server, ChunkedWithExtensionAndTrailer) {
  Stats stats;
  Echo sink;
  H1Conn c(sink, stats, H1Options{H1Options::Framing::Chunked});
  EXPECT_EQ(feed(c, kReq),
            "HTTP/1.1 201 Sim\r\nLocation: /m/1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "4;ext=1\r\ngot \r\n4;ext=1\r\nhell\r\n1;ext=1\r\no\r\n0\r\nTrailer-X: y\r\n\r\n");
}

TEST(H1Server, CloseDelimitedAndConnectionCloseEndTheConnection) {
  Stats stats;
  Echo sink;
  H1Conn delimited(sink, stats, H1Options{H1Options::Framing::CloseDelimited});
  EXPECT_EQ(feed(delimited, kReq + kReq), "HTTP/1.1 201 Sim\r\nLocation: /m/1\r\n\r\ngot hello");
  EXPECT_TRUE(delimited.finished());
  EXPECT_EQ(sink.calls, 1);  // nothing is read past the end
  sink.close_next = true;
  H1Conn closing(sink, stats, H1Options{});
  EXPECT_NE(feed(closing, kReq).find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(closing.finished());
}

TEST(H1Server, NeverAnswersAndMalformedHeads) {
  Stats stats;
  Echo sink;
  sink.never = true;
  H1Conn c(sink, stats, H1Options{});
  EXPECT_EQ(feed(c, kReq), "");
  EXPECT_EQ(sink.calls, 1);
  bool ok = true;
  H1Conn bad(sink, stats, H1Options{});
  feed(bad, "garbage\r\n\r\n", &ok);
  EXPECT_FALSE(ok);
  H1Conn bad_len(sink, stats, H1Options{});
  feed(bad_len, "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace pushgw::sim
