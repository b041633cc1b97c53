// ClientSession driven in memory against pushgw-sim's HTTP/2 server (no
// sockets): response shape, stream accounting against SETTINGS, GOAWAY vs
// REFUSED_STREAM classification, cancel.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "h2/client_session.h"
#include "sim_peer.h"

namespace pushgw::h2 {
namespace {

// What the simulated server answers, and its HTTP/2 settings and faults.
struct H2Script {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
  bool never_respond = false;
  uint32_t max_concurrent = 100;
  sim::FaultSet faults;
};

struct Ended {
  Stream* s;
  StreamEnd how;
};

class Harness final : public CodecListener {
 public:
  explicit Harness(const H2Script& script, CodecOptions o = {})
      : server(sink, stats, board, clock, options(script)), client(*this, o, obs::Logger()) {
    sink.status = script.status;
    sink.body = script.body;
    sink.headers = script.headers;
    sink.never_respond = script.never_respond;
    board.set(script.faults);
    EXPECT_TRUE(server.init());
    EXPECT_TRUE(client.init().ok());
  }
  static sim::H2Options options(const H2Script& script) {
    sim::H2Options o;
    o.max_streams = script.max_concurrent;
    return o;
  }

  // Moves bytes both ways until neither side has anything to say.
  void exchange() {
    for (int i = 0; i < 100; ++i) {
      std::string c2s, s2c;
      EXPECT_TRUE(client.send(c2s));
      if (!c2s.empty()) {
        EXPECT_TRUE(server.feed(reinterpret_cast<const uint8_t*>(c2s.data()), c2s.size()));
      }
      EXPECT_TRUE(server.produce(s2c));
      if (!s2c.empty()) {
        EXPECT_TRUE(client.recv(reinterpret_cast<const uint8_t*>(s2c.data()), s2c.size()));
      }
      if (c2s.empty() && s2c.empty()) return;
    }
    ADD_FAILURE() << "no quiescence";
  }

  Stream& make(std::string path, std::string body = "{}") {
    auto& e = entries.emplace_back();
    e.req.path = std::move(path);
    e.req.authority = "push.test";
    e.req.body = std::move(body);
    e.req.add_header("content-type", "application/json");
    e.req.add_header("authorization", "bearer secret");
    e.stream.req = &e.req;
    e.stream.resp = &e.resp;
    e.stream.authority = e.req.authority;
    return e.stream;
  }

  void on_stream_end(Stream& s, StreamEnd how) override { ended.push_back({&s, how}); }
  void on_goaway(int32_t last, uint32_t) override { goaway_last = last; }
  void on_settings() override { ++settings; }
  void on_ping_ack() override { ++ping_acks; }

  struct Entry {
    HttpRequest req;
    HttpResponse resp;
    Stream stream;
  };
  testing::ScriptedSink sink;  // answers, and what the server saw last
  sim::Stats stats;
  SystemClock clock;
  sim::FaultBoard board{clock};
  sim::H2Conn server;
  ClientSession client;
  std::deque<Entry> entries;
  std::vector<Ended> ended;
  int32_t goaway_last = -1;
  int settings = 0, ping_acks = 0;
};

TEST(ClientSession, NoCapacityUntilPeerSettings) {
  H2Script script;
  Harness h(script);
  EXPECT_FALSE(h.client.ready());
  EXPECT_EQ(h.client.capacity(), 0u);
  EXPECT_FALSE(h.client.submit(h.make("/a")));
  h.exchange();
  EXPECT_TRUE(h.client.ready());
  EXPECT_EQ(h.settings, 1);
  EXPECT_EQ(h.client.capacity(), 100u);
}

TEST(ClientSession, RoundTripFillsResponse) {
  H2Script script;
  script.status = 410;
  script.body = R"({"reason":"Unregistered"})";
  script.headers = {{"apns-id", "ABC"}, {"x-extra", "1"}};
  Harness h(script);
  h.exchange();
  Stream& s = h.make("/3/device/abc", R"({"aps":{}})");
  ASSERT_TRUE(h.client.submit(s));
  EXPECT_EQ(h.client.active(), 1u);
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::Complete);
  EXPECT_TRUE(s.headers_sent);
  EXPECT_EQ(s.resp->status, 410);
  EXPECT_EQ(s.resp->body, script.body);
  EXPECT_EQ(s.resp->header("apns-id"), "ABC");
  EXPECT_EQ(s.resp->header("x-extra"), "1");
  EXPECT_EQ(h.client.active(), 0u);
  // What the server saw.
  EXPECT_EQ(h.sink.last_method, "POST");
  EXPECT_EQ(h.sink.last_path, "/3/device/abc");
  EXPECT_EQ(h.sink.last_authority, "push.test");
  EXPECT_EQ(h.sink.last_body, R"({"aps":{}})");
  EXPECT_EQ(h.sink.last_headers["authorization"], "bearer secret");
}

// A request's shared header fields (HttpRequest::shared, a provider's
// block) go on the wire before its own, without being copied into it.
TEST(ClientSession, SendsTheSharedHeadersBeforeTheRequestsOwn) {
  H2Script script;
  Harness h(script);
  h.exchange();
  auto shared = std::make_shared<HeaderList>();
  shared->add_header("authorization", "bearer shared-token");
  shared->add_header("apns-topic", "com.example");
  Stream& s = h.make("/3/device/abc");
  h.entries.back().req.nheaders = 0;
  h.entries.back().req.add_header("apns-priority", "5");
  h.entries.back().req.shared = shared;
  ASSERT_TRUE(h.client.submit(s));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::Complete);
  EXPECT_EQ(h.sink.last_headers["authorization"], "bearer shared-token");
  EXPECT_EQ(h.sink.last_headers["apns-topic"], "com.example");
  EXPECT_EQ(h.sink.last_headers["apns-priority"], "5");
}

// A body past max_response_body resets the stream (it ends TooLarge, the
// buffer never holds more than the cap) and the connection stays usable.
TEST(ClientSession, BodyPastTheCapResetsTheStream) {
  H2Script script;
  script.body = std::string(100000, 'b');
  CodecOptions o;
  o.max_response_body = 1000;
  Harness h(script, o);
  h.exchange();
  Stream& s = h.make("/big");
  ASSERT_TRUE(h.client.submit(s));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::TooLarge);
  EXPECT_LE(s.resp->body.size(), 1000u);
  h.sink.body = std::string(1000, 'c');  // at the cap exactly: a normal answer
  Stream& next = h.make("/fits");
  ASSERT_TRUE(h.client.submit(next));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 2u);
  EXPECT_EQ(h.ended[1].how, StreamEnd::Complete);
  EXPECT_EQ(next.resp->body.size(), 1000u);
}

// Header bytes (names + values) past the cap reset the stream; the HPACK
// state stays in step, so the next answer on the connection decodes.
TEST(ClientSession, HeadersPastTheByteCapResetTheStream) {
  H2Script script;
  script.headers = {{"x-pad", std::string(20000, 'h')}};
  Harness h(script);
  h.exchange();
  Stream& s = h.make("/fat");
  ASSERT_TRUE(h.client.submit(s));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::TooLarge);
  EXPECT_TRUE(s.resp->header("x-pad").empty());  // never stored
  h.sink.headers = {{"apns-id", "X"}};
  Stream& next = h.make("/thin");
  ASSERT_TRUE(h.client.submit(next));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 2u);
  EXPECT_EQ(h.ended[1].how, StreamEnd::Complete);
  EXPECT_EQ(next.resp->header("apns-id"), "X");
}

TEST(ClientSession, TooManyHeaderFieldsResetTheStream) {
  H2Script script;
  script.headers = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  CodecOptions o;
  o.max_response_headers = 2;
  Harness h(script, o);
  h.exchange();
  Stream& s = h.make("/many");
  ASSERT_TRUE(h.client.submit(s));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::TooLarge);
  EXPECT_LE(s.resp->nheaders, 2u);
}

TEST(ClientSession, CapacityFollowsPeerSettingsIncludingLowering) {
  H2Script script;
  script.max_concurrent = 3;
  script.never_respond = true;
  Harness h(script);
  h.exchange();
  EXPECT_EQ(h.client.capacity(), 3u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.client.submit(h.make("/s")));
  EXPECT_EQ(h.client.capacity(), 0u);
  EXPECT_FALSE(h.client.submit(h.make("/s")));
  h.exchange();
  h.server.lower_max_streams(1);
  h.exchange();
  EXPECT_EQ(h.client.remote_max_concurrent(), 1u);
  EXPECT_EQ(h.client.capacity(), 0u);  // 3 open > 1 allowed: nothing new
  CodecOptions capped;
  capped.max_streams = 2;
  H2Script roomy;
  Harness h2(roomy, capped);
  h2.exchange();
  EXPECT_EQ(h2.client.capacity(), 2u);  // our own cap wins over the peer's 100
}

TEST(ClientSession, GoawayClassifiesStreamsAboveLastId) {
  H2Script script;
  script.faults.goaway_after = 2;
  Harness h(script);
  h.exchange();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.client.submit(h.make("/g")));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 5u);
  EXPECT_EQ(h.goaway_last, 3);  // streams 1 and 3 are the first two
  int complete = 0, unprocessed = 0;
  for (auto& e : h.ended) {
    if (e.how == StreamEnd::Complete) {
      ++complete;
      EXPECT_LE(e.s->id, 3);
    } else {
      EXPECT_EQ(e.how, StreamEnd::Unprocessed);
      EXPECT_GT(e.s->id, 3);
      ++unprocessed;
    }
  }
  EXPECT_EQ(complete, 2);
  EXPECT_EQ(unprocessed, 3);
  EXPECT_FALSE(h.client.accepting());
  EXPECT_EQ(h.client.capacity(), 0u);
  EXPECT_TRUE(h.client.finished());
}

TEST(ClientSession, RefusedStreamIsNotGoaway) {
  H2Script script;
  script.faults.refuse_every = 2;
  Harness h(script);
  h.exchange();
  ASSERT_TRUE(h.client.submit(h.make("/1")));
  h.exchange();
  ASSERT_TRUE(h.client.submit(h.make("/2")));
  h.exchange();
  ASSERT_EQ(h.ended.size(), 2u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::Complete);
  EXPECT_EQ(h.ended[1].how, StreamEnd::Refused);
  EXPECT_EQ(h.ended[1].s->error_code, static_cast<uint32_t>(NGHTTP2_REFUSED_STREAM));
  EXPECT_TRUE(h.client.accepting());
}

TEST(ClientSession, CancelResetsTheStream) {
  H2Script script;
  script.never_respond = true;
  Harness h(script);
  h.exchange();
  Stream& s = h.make("/slow");
  ASSERT_TRUE(h.client.submit(s));
  h.exchange();
  EXPECT_TRUE(h.ended.empty());
  h.client.cancel(s);
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::Reset);
  EXPECT_EQ(s.error_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
}

TEST(ClientSession, CancelBeforeSendingIsNotSent) {
  H2Script script;
  Harness h(script);
  h.exchange();
  Stream& s = h.make("/x");
  ASSERT_TRUE(h.client.submit(s));
  h.client.cancel(s);  // HEADERS still queued inside nghttp2
  h.exchange();
  ASSERT_EQ(h.ended.size(), 1u);
  EXPECT_EQ(h.ended[0].how, StreamEnd::NotSent);
  EXPECT_FALSE(s.headers_sent);
}

TEST(ClientSession, PingIsAcknowledged) {
  H2Script script;
  Harness h(script);
  h.exchange();
  ASSERT_TRUE(h.client.ping());
  h.exchange();
  EXPECT_EQ(h.ping_acks, 1);
}

TEST(ClientSession, OurGoawayDrains) {
  H2Script script;
  script.never_respond = true;
  Harness h(script);
  h.exchange();
  ASSERT_TRUE(h.client.submit(h.make("/x")));
  h.client.goaway();
  EXPECT_FALSE(h.client.accepting());
  h.exchange();
  EXPECT_FALSE(h.client.finished());  // one stream still open
}

TEST(ClientSession, GarbageFromPeerIsFatal) {
  H2Script script;
  Harness h(script);
  const uint8_t junk[] = "this is not HTTP/2 at all, not even a frame header.............";
  std::string out;
  h.client.send(out);
  bool ok = h.client.recv(junk, sizeof junk);
  std::string after;
  h.client.send(after);  // GOAWAY(PROTOCOL_ERROR)
  EXPECT_TRUE(!ok || h.client.finished());
}

}  // namespace
}  // namespace pushgw::h2
