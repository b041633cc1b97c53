// Drives H2Conn with a real nghttp2 client session in memory (no sockets,
// no TLS) to check request handling and the connection-level faults.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <map>
#include <string>

#include "h2_server.h"

namespace pushgw::sim {
namespace {

struct ClientStream {
  int status = 0;
  std::string body;
  bool closed = false;
  uint32_t error_code = 0;
  size_t header_bytes = 0;  // names + values of regular fields
};

class TestClient {
 public:
  TestClient() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
    nghttp2_session_client_new(&s_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~TestClient() { nghttp2_session_del(s_); }

  int32_t post(const std::string& path, const std::string& body = "{}") {
    bodies_.push_back(body);
    const std::string& b = bodies_.back();
    nghttp2_nv nv[] = {nv_of(":method", "POST"), nv_of(":scheme", "https"), nv_of(":authority", "127.0.0.1"),
                       nv_of(":path", path)};
    nghttp2_data_provider prd;
    prd.source.ptr = const_cast<std::string*>(&b);
    prd.read_callback = read_body;
    offsets_[&b] = 0;
    return nghttp2_submit_request(s_, nullptr, nv, 4, &prd, nullptr);
  }
  void ping() {
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    nghttp2_submit_ping(s_, NGHTTP2_FLAG_NONE, data);
  }

  // Moves bytes both ways until neither side has anything to say.
  // Returns false if the server asked to stop (feed failed).
  bool pump(H2Conn& server) {
    for (int round = 0; round < 50; ++round) {
      std::string c2s;
      const uint8_t* data;
      ssize_t n;
      while ((n = nghttp2_session_mem_send(s_, &data)) > 0) c2s.append(reinterpret_cast<const char*>(data), n);
      bool ok = c2s.empty() || server.feed(reinterpret_cast<const uint8_t*>(c2s.data()), c2s.size());
      std::string s2c;
      server.produce(s2c);
      if (!s2c.empty()) nghttp2_session_mem_recv(s_, reinterpret_cast<const uint8_t*>(s2c.data()), s2c.size());
      if (!ok) return false;
      if (c2s.empty() && s2c.empty()) return true;
    }
    ADD_FAILURE() << "pump did not settle";
    return false;
  }

  std::map<int32_t, ClientStream> streams;
  bool goaway = false;
  int32_t goaway_last_id = -1;
  int ping_acks = 0;
  int pings = 0;           // PINGs the server sent (nghttp2 acknowledges them)
  int settings_seen = 0;
  int later_settings = 0;  // SETTINGS after the first
  uint32_t server_max_streams = 0;

 private:
  // Views only: the strings must outlive nghttp2_submit_request (which copies).
  static nghttp2_nv nv_of(const char* n, std::string_view v) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(n)),
            reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), strlen(n), v.size(), NGHTTP2_NV_FLAG_NONE};
  }
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                           nghttp2_data_source* src, void* user) {
    auto* self = static_cast<TestClient*>(user);
    auto* b = static_cast<std::string*>(src->ptr);
    size_t& off = self->offsets_[b];
    size_t n = std::min(len, b->size() - off);
    memcpy(buf, b->data() + off, n);
    off += n;
    if (off == b->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nl, const uint8_t* value,
                       size_t vl, uint8_t, void* user) {
    if (std::string_view(reinterpret_cast<const char*>(name), nl) == ":status")
      static_cast<TestClient*>(user)->streams[f->hd.stream_id].status =
          std::stoi(std::string(reinterpret_cast<const char*>(value), vl));
    else
      static_cast<TestClient*>(user)->streams[f->hd.stream_id].header_bytes += nl + vl;
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    static_cast<TestClient*>(user)->streams[id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t id, uint32_t err, void* user) {
    auto& s = static_cast<TestClient*>(user)->streams[id];
    s.closed = true;
    s.error_code = err;
    return 0;
  }
  static int on_frame(nghttp2_session* s, const nghttp2_frame* f, void* user) {
    auto* self = static_cast<TestClient*>(user);
    if (f->hd.type == NGHTTP2_GOAWAY) {
      self->goaway = true;
      self->goaway_last_id = f->goaway.last_stream_id;
    } else if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK)) {
      ++self->ping_acks;
    } else if (f->hd.type == NGHTTP2_PING) {
      ++self->pings;
    } else if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
      if (self->settings_seen++ > 0) ++self->later_settings;
      self->server_max_streams =
          nghttp2_session_get_remote_settings(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    }
    return 0;
  }

  nghttp2_session* s_ = nullptr;
  std::list<std::string> bodies_;
  std::map<const std::string*, size_t> offsets_;
};

// Answers 200 "ok:<path>", or delays / never answers paths starting so.
class Sink : public RequestSink {
 public:
  Disposition on_request(const SimRequest& req, SimResponse& resp) override {
    ++calls;
    last_body = req.body;
    resp.status = 200;
    resp.body = "ok:" + req.path;
    resp.headers.add("x-test", "1");
    if (req.path.starts_with("/slow")) return Disposition::kDelay;
    if (req.path.starts_with("/never")) return Disposition::kNever;
    return Disposition::kNow;
  }
  int calls = 0;
  std::string last_body;
};

class H2ServerTest : public ::testing::Test {
 protected:
  void start(const std::string& faults = "", uint32_t max_streams = 100) {
    if (!faults.empty()) board_.set(parse_faults(faults).value());
    conn_ = std::make_unique<H2Conn>(sink_, stats_, board_, clock_, H2Options{max_streams, 300});
    ASSERT_TRUE(conn_->init());
  }
  ManualClock clock_;
  Stats stats_;
  FaultBoard board_{clock_};
  Sink sink_;
  std::unique_ptr<H2Conn> conn_;
  TestClient client_;
};

TEST_F(H2ServerTest, AnswersRequests) {
  start("", 42);
  int32_t a = client_.post("/a", R"({"x":1})");
  int32_t b = client_.post("/b");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.server_max_streams, 42u);
  EXPECT_EQ(client_.streams[a].status, 200);
  EXPECT_EQ(client_.streams[a].body, "ok:/a");
  EXPECT_EQ(client_.streams[b].body, "ok:/b");
  EXPECT_EQ(sink_.last_body, "{}");
  EXPECT_EQ(load(stats_.requests), 2u);
  EXPECT_EQ(load(stats_.by_status[200]), 2u);
  EXPECT_EQ(conn_->active_streams(), 0u);
  client_.ping();
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.ping_acks, 1);
}

TEST_F(H2ServerTest, LargeBodiesArrive) {
  start();
  std::string big(300 * 1024, 'z');  // beyond the default 64 KiB windows
  int32_t id = client_.post("/big", big);
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 200);
  EXPECT_EQ(sink_.last_body.size(), big.size());
}

TEST_F(H2ServerTest, SlowResponsesWaitForTheirDeadline) {
  start();
  int32_t id = client_.post("/slow");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 0);
  ASSERT_GE(conn_->next_deadline_ns(), 0);
  EXPECT_EQ(conn_->next_deadline_ns(), clock_.mono_ns() + 300'000'000);
  conn_->fire_due(clock_.mono_ns() + 299'000'000);
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 0);
  conn_->fire_due(clock_.mono_ns() + 300'000'000);
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 200);
  EXPECT_EQ(conn_->next_deadline_ns(), -1);
}

TEST_F(H2ServerTest, CountsConcurrentStreams) {
  start();
  for (int i = 0; i < 10; ++i) client_.post("/never");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(conn_->active_streams(), 10u);
  EXPECT_EQ(load(stats_.max_concurrent_streams_seen), 10u);
}

TEST_F(H2ServerTest, GoawayAfterN) {
  start("goaway_after=2");
  std::vector<int32_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(client_.post("/r"));
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_TRUE(client_.goaway);
  EXPECT_EQ(client_.goaway_last_id, ids[1]);
  EXPECT_EQ(client_.streams[ids[0]].status, 200);
  EXPECT_EQ(client_.streams[ids[1]].status, 200);
  for (int i = 2; i < 5; ++i) {
    EXPECT_EQ(client_.streams[ids[i]].status, 0) << i;
    EXPECT_TRUE(client_.streams[ids[i]].closed) << i;
  }
  EXPECT_EQ(sink_.calls, 2);
  EXPECT_TRUE(conn_->finished());
}

TEST_F(H2ServerTest, GoawayAfterZeroProcessesNothing) {
  start("goaway_after=0");
  int32_t id = client_.post("/r");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_TRUE(client_.goaway);
  EXPECT_EQ(client_.goaway_last_id, 0);
  EXPECT_EQ(client_.streams[id].status, 0);
  EXPECT_EQ(sink_.calls, 0);
}

TEST_F(H2ServerTest, LowersMaxStreamsAfterN) {
  start("max_streams_after=2:1");
  std::vector<int32_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(client_.post("/r"));
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.server_max_streams, 1u);
  EXPECT_EQ(client_.streams[ids[0]].status, 200);
  EXPECT_EQ(client_.streams[ids[1]].status, 200);
  for (int i = 2; i < 5; ++i) EXPECT_EQ(client_.streams[ids[i]].error_code, NGHTTP2_REFUSED_STREAM) << i;
  EXPECT_EQ(sink_.calls, 2);
  // Within the new limit the connection keeps working.
  int32_t later = client_.post("/later");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[later].status, 200);
}

TEST_F(H2ServerTest, RefuseEveryNthStreamUnprocessed) {
  start("refuse_every=3");
  std::vector<int32_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(client_.post("/r"));
  ASSERT_TRUE(client_.pump(*conn_));
  for (int i = 0; i < 6; ++i) {
    if (i % 3 == 2) EXPECT_EQ(client_.streams[ids[i]].error_code, NGHTTP2_REFUSED_STREAM) << i;
    else EXPECT_EQ(client_.streams[ids[i]].status, 200) << i;
  }
  EXPECT_EQ(sink_.calls, 4);  // refused streams never reach the handler
  EXPECT_EQ(load(stats_.refused_streams), 2u);
}

TEST_F(H2ServerTest, LoweringByHandKeepsAWellBehavedClientWithinTheLimit) {
  start();
  for (int i = 0; i < 3; ++i) client_.post("/never");
  ASSERT_TRUE(client_.pump(*conn_));
  conn_->lower_max_streams(1);
  ASSERT_TRUE(client_.pump(*conn_));  // the client acknowledges SETTINGS
  EXPECT_EQ(client_.server_max_streams, 1u);
  int32_t late = client_.post("/r");  // nghttp2 holds it back: 3 open > 1 allowed
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[late].status, 0);
  EXPECT_EQ(client_.streams[late].error_code, 0u);
  EXPECT_EQ(load(stats_.settings_violations), 0u);
  EXPECT_EQ(load(stats_.refused_streams), 0u);
  conn_->goaway(0);
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_TRUE(client_.goaway);
  EXPECT_EQ(load(stats_.goaways_sent), 1u);
}

TEST_F(H2ServerTest, StallAnswersNothingNotEvenPing) {
  start("stall");
  int32_t id = client_.post("/r");
  client_.ping();
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 0);
  EXPECT_EQ(client_.ping_acks, 0);
  EXPECT_EQ(load(stats_.requests), 1u);
  board_.set(FaultSet{});  // cleared live: PINGs are answered again
  client_.ping();
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.ping_acks, 1);
}

TEST_F(H2ServerTest, ResetAfterNDropsAtTheNextRequest) {
  start("reset_after=2");
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(client_.post("/r"));
  EXPECT_FALSE(client_.pump(*conn_));
  EXPECT_TRUE(conn_->drop_requested());
  // The first two were answered before the drop.
  EXPECT_EQ(client_.streams[ids[0]].status, 200);
  EXPECT_EQ(client_.streams[ids[1]].status, 200);
  EXPECT_EQ(client_.streams[ids[2]].status, 0);
  EXPECT_FALSE(client_.goaway);
  EXPECT_EQ(sink_.calls, 2);
}

// What follows the stall (no reading, no writing: no PING ACK either) is the
// socket owner's part (Connection::go_silent), checked end to end.
TEST_F(H2ServerTest, StallAfterNAnswersNThenProcessesNothing) {
  start("stall_after=2");
  std::vector<int32_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(client_.post("/r"));
  EXPECT_FALSE(client_.pump(*conn_));  // the connection asks its owner to go silent
  EXPECT_TRUE(conn_->stall_requested());
  EXPECT_FALSE(conn_->drop_requested());
  EXPECT_EQ(client_.streams[ids[0]].status, 200);
  EXPECT_EQ(client_.streams[ids[1]].status, 200);
  EXPECT_EQ(client_.streams[ids[2]].status, 0);
  EXPECT_EQ(client_.streams[ids[3]].status, 0);
  EXPECT_EQ(sink_.calls, 2);  // the third and fourth were never processed
  EXPECT_EQ(load(stats_.connections_stalled), 1u);
}

TEST_F(H2ServerTest, StallAfterNOnlyForTheFirstCConnections) {
  board_.set(parse_faults("stall_after=1:1").value());
  H2Conn other(sink_, stats_, board_, clock_, H2Options{100, 300});
  ASSERT_TRUE(other.init());
  start();
  client_.post("/r");
  client_.post("/r");
  EXPECT_FALSE(client_.pump(*conn_));
  TestClient second;
  std::vector<int32_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(second.post("/r"));
  ASSERT_TRUE(second.pump(other));  // the one stall was used up: this connection answers all
  for (int32_t id : ids) EXPECT_EQ(second.streams[id].status, 200);
  EXPECT_EQ(load(stats_.connections_stalled), 1u);
}

TEST_F(H2ServerTest, FaultsSetLaterApplyToOpenConnections) {
  start();
  client_.post("/r");
  ASSERT_TRUE(client_.pump(*conn_));
  board_.set(parse_faults("goaway_after=1").value());
  int32_t next = client_.post("/r");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_TRUE(client_.goaway);
  EXPECT_EQ(client_.goaway_last_id, 1);
  EXPECT_EQ(client_.streams[next].status, 0);
}

}  // namespace
}  // namespace pushgw::sim

namespace pushgw::sim {
namespace {

// Hostile peers: oversized answers, and frames dripped for the client to
// acknowledge.
TEST_F(H2ServerTest, BigHeadersAndBigBodyInflateEveryAnswer) {
  start("big_headers=48000\nbig_body=300000");
  int32_t id = client_.post("/a");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.streams[id].status, 200);
  EXPECT_GE(client_.streams[id].header_bytes, 48000u);
  EXPECT_LT(client_.streams[id].header_bytes, 48000u + 100);  // the usual fields besides
  EXPECT_EQ(client_.streams[id].body.size(), 300000u);
  EXPECT_EQ(client_.streams[id].body.substr(0, 5), "ok:/a");
}

TEST_F(H2ServerTest, DripSendsPingsAndSettingsOnItsTimer) {
  start("drip_ping=10:3\ndrip_settings=20:2");
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(conn_->next_deadline_ns(), clock_.mono_ns() + 10'000'000);
  clock_.advance_ms(10);
  conn_->fire_due(clock_.mono_ns());
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.pings, 3);
  EXPECT_EQ(client_.later_settings, 0);
  clock_.advance_ms(10);
  conn_->fire_due(clock_.mono_ns());
  ASSERT_TRUE(client_.pump(*conn_));
  EXPECT_EQ(client_.pings, 6);
  EXPECT_EQ(client_.later_settings, 2);
  EXPECT_FALSE(conn_->stop_reading_requested());
}

TEST(Faults, ParsesHostileSpecs) {
  auto f = parse_faults("stop_reading\ndrip_ping=5:200\ndrip_settings=7\nbig_headers=48000\nbig_body=300000");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->stop_reading);
  EXPECT_EQ(f->drip_ping_ms, 5u);
  EXPECT_EQ(f->drip_ping_count, 200u);
  EXPECT_EQ(f->drip_settings_ms, 7u);
  EXPECT_EQ(f->drip_settings_count, 1u);
  EXPECT_EQ(f->big_headers, 48000u);
  EXPECT_EQ(f->big_body, 300000u);
  EXPECT_FALSE(f->empty());
  auto again = parse_faults(f->to_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_text(), f->to_text());
  for (const char* bad : {"stop_reading=1", "drip_ping", "drip_ping=0", "drip_ping=5:0", "drip_settings=x",
                          "big_headers=", "big_body=-1"}) {
    auto b = parse_faults(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().code, "bad_fault") << bad;
  }
}

}  // namespace
}  // namespace pushgw::sim
