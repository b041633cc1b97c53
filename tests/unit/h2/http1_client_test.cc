// Http1Client response parsing, fed whole and byte by byte.
#include <gtest/gtest.h>

#include <vector>

#include "h2/http1_client.h"

namespace pushgw::h2 {
namespace {

class H1 final : public CodecListener {
 public:
  H1() : codec(*this, opts(), obs::Logger()) {
    req.method = "POST";
    req.path = "/wp/abc";
    req.body = "payload";
    req.add_header("ttl", "60");
    req.add_header("authorization", "vapid t=x");
    req.add_header("connection", "keep-alive");  // hop-by-hop: dropped
    s.req = &req;
    s.resp = &resp;
    s.authority = "push.test:8443";
  }
  static CodecOptions opts() {
    CodecOptions o;
    o.max_response_body = 32;
    return o;
  }
  std::string start() {
    EXPECT_TRUE(codec.submit(s));
    std::string out;
    EXPECT_TRUE(codec.send(out));
    return out;
  }
  bool feed(const std::string& bytes, bool bytewise) {
    if (!bytewise) return codec.recv(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    for (char c : bytes)
      if (!codec.recv(reinterpret_cast<const uint8_t*>(&c), 1)) return false;
    return true;
  }
  void on_stream_end(Stream&, StreamEnd how) override { ends.push_back(how); }
  void on_goaway(int32_t, uint32_t) override {}
  void on_settings() override {}
  void on_ping_ack() override {}

  HttpRequest req;
  HttpResponse resp;
  Stream s;
  std::vector<StreamEnd> ends;
  Http1Client codec;
};

TEST(Http1Client, SerializesRequest) {
  H1 h;
  std::string out = h.start();
  EXPECT_EQ(out,
            "POST /wp/abc HTTP/1.1\r\nhost: push.test:8443\r\nttl: 60\r\nauthorization: vapid t=x\r\n"
            "content-length: 7\r\n\r\npayload");
  EXPECT_TRUE(h.s.headers_sent);
  EXPECT_EQ(h.codec.capacity(), 0u);
  EXPECT_EQ(h.codec.active(), 1u);
}

// Shared header fields (HttpRequest::shared) are written before the
// request's own, hop-by-hop ones dropped as anywhere.
TEST(Http1Client, SerializesSharedHeadersFirst) {
  H1 h;
  auto shared = std::make_shared<HeaderList>();
  shared->add_header("urgency", "high");
  shared->add_header("connection", "close");
  h.req.shared = shared;
  std::string out = h.start();
  EXPECT_EQ(out,
            "POST /wp/abc HTTP/1.1\r\nhost: push.test:8443\r\nurgency: high\r\nttl: 60\r\n"
            "authorization: vapid t=x\r\ncontent-length: 7\r\n\r\npayload");
}

class Http1Parse : public ::testing::TestWithParam<bool> {};

TEST_P(Http1Parse, ContentLength) {
  H1 h;
  h.start();
  ASSERT_TRUE(h.feed("HTTP/1.1 201 Created\r\nLocation: /m/1\r\nContent-Length: 5\r\n\r\nhello", GetParam()));
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.ends[0], StreamEnd::Complete);
  EXPECT_EQ(h.resp.status, 201);
  EXPECT_EQ(h.resp.header("location"), "/m/1");  // names lowercased
  EXPECT_EQ(h.resp.body, "hello");
  EXPECT_TRUE(h.codec.accepting());
  EXPECT_EQ(h.codec.capacity(), 1u);  // keep-alive: ready for the next
  // A second exchange on the same connection.
  h.resp.clear();
  h.start();
  ASSERT_TRUE(h.feed("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", GetParam()));
  ASSERT_EQ(h.ends.size(), 2u);
  EXPECT_EQ(h.resp.status, 404);
}

TEST_P(Http1Parse, ChunkedWithTrailersAndInterim) {
  H1 h;
  h.start();
  ASSERT_TRUE(h.feed(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\n",
      GetParam()));
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.resp.status, 200);
  EXPECT_EQ(h.resp.body, "Wikipedia");
}

TEST_P(Http1Parse, CloseDelimitedBodyEndsAtEof) {
  H1 h;
  h.start();
  ASSERT_TRUE(h.feed("HTTP/1.1 200 OK\r\n\r\nuntil the end", GetParam()));
  EXPECT_TRUE(h.ends.empty());
  h.codec.on_eof();
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.resp.body, "until the end");
  EXPECT_TRUE(h.codec.finished());
}

TEST_P(Http1Parse, ConnectionCloseEndsReuse) {
  H1 h;
  h.start();
  ASSERT_TRUE(h.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", GetParam()));
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_FALSE(h.codec.accepting());
  EXPECT_TRUE(h.codec.finished());
}

// A body past max_response_body ends the stream TooLarge and the
// connection with it (HTTP/1.1 cannot abandon a response): the buffer never
// holds more than the cap.
TEST_P(Http1Parse, BodyPastTheCapEndsTheConnection) {
  H1 h;
  h.start();
  std::string body(100, 'z');
  EXPECT_FALSE(h.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body, GetParam()));
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.ends[0], StreamEnd::TooLarge);
  EXPECT_LE(h.resp.body.size(), 32u);
  EXPECT_TRUE(h.codec.finished());
  // At the cap exactly is fine.
  H1 ok;
  ok.start();
  ASSERT_TRUE(ok.feed("HTTP/1.1 200 OK\r\nContent-Length: 32\r\n\r\n" + std::string(32, 'z'), GetParam()));
  ASSERT_EQ(ok.ends.size(), 1u);
  EXPECT_EQ(ok.ends[0], StreamEnd::Complete);
}

// The header-section cap (16 KiB by default) counts bytes, not recv()
// calls: a section of 12 KiB is fine however it arrives, one of 20 KiB ends
// the stream TooLarge.
TEST_P(Http1Parse, HeaderLimitDoesNotDependOnHowBytesArrive) {
  const std::string filler = "x-filler: " + std::string(1000, 'a') + "\r\n";
  std::string head = "HTTP/1.1 204 No Content\r\n";
  for (int i = 0; i < 12; ++i) head += filler;
  H1 ok;
  ok.start();
  ASSERT_TRUE(ok.feed(head + "\r\n", GetParam()));
  ASSERT_EQ(ok.ends.size(), 1u);
  EXPECT_EQ(ok.resp.status, 204);
  for (int i = 0; i < 8; ++i) head += filler;
  H1 big;
  big.start();
  EXPECT_FALSE(big.feed(head + "\r\n", GetParam()));
  ASSERT_EQ(big.ends.size(), 1u);
  EXPECT_EQ(big.ends[0], StreamEnd::TooLarge);
  EXPECT_TRUE(big.codec.finished());
}

TEST_P(Http1Parse, TooManyHeaderFieldsEndTheStream) {
  std::string head = "HTTP/1.1 204 No Content\r\n";
  for (int i = 0; i < 65; ++i) head += "x-" + std::to_string(i) + ": v\r\n";
  H1 h;
  h.start();
  EXPECT_FALSE(h.feed(head + "\r\n", GetParam()));
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.ends[0], StreamEnd::TooLarge);
  EXPECT_LE(h.resp.nheaders, 64u);
}

INSTANTIATE_TEST_SUITE_P(WholeAndBytewise, Http1Parse, ::testing::Bool());

TEST(Http1Client, RejectsGarbageAndUnsolicitedBytes) {
  H1 a;
  a.start();
  EXPECT_FALSE(a.feed("SPDY/3 200 OK\r\n\r\n", false));
  EXPECT_TRUE(a.codec.finished());
  H1 b;
  EXPECT_FALSE(b.feed("HTTP/1.1 200 OK\r\n\r\n", false));  // nothing was asked
  H1 c;
  c.start();
  EXPECT_FALSE(c.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA", false));  // no pipelining
  H1 d;
  d.start();
  EXPECT_FALSE(d.feed("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", false));
}

TEST(Http1Client, CancelBreaksTheConnection) {
  H1 h;
  h.start();
  h.codec.cancel(h.s);
  ASSERT_EQ(h.ends.size(), 1u);
  EXPECT_EQ(h.ends[0], StreamEnd::Reset);
  EXPECT_TRUE(h.codec.finished());
  EXPECT_FALSE(h.codec.accepting());
}

}  // namespace
}  // namespace pushgw::h2
