#include <gtest/gtest.h>

#include "admin.h"
#include "cli.h"
#include "core.h"
#include "json_out.h"
#include "sim_test_util.h"

namespace pushgw::sim {
namespace {

using test::Json;

TEST(AdminParse, RequestsWithAndWithoutBody) {
  AdminRequest r;
  EXPECT_EQ(parse_admin_request("GET /stats HTTP/1.1\r\nHost: x\r\n", r), AdminParse::kIncomplete);
  ASSERT_EQ(parse_admin_request("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n", r), AdminParse::kDone);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/stats");
  EXPECT_EQ(r.body, "");
  std::string post = "POST /faults HTTP/1.1\r\nContent-Length: 13\r\n\r\nstall\nbad_t";
  EXPECT_EQ(parse_admin_request(post, r), AdminParse::kIncomplete);
  ASSERT_EQ(parse_admin_request(post + "ls", r), AdminParse::kDone);
  EXPECT_EQ(r.body, "stall\nbad_tls");
  EXPECT_EQ(parse_admin_request("garbage\r\n\r\n", r), AdminParse::kBad);
  EXPECT_EQ(parse_admin_request("POST / HTTP/1.1\r\ncontent-length: x\r\n\r\n", r), AdminParse::kBad);
  EXPECT_EQ(parse_admin_request("POST / HTTP/1.1\r\ncontent-length: 99999999\r\n\r\n", r), AdminParse::kTooLarge);
}

TEST(AdminParse, SerializesWithLengthAndClose) {
  AdminResponse a;
  a.body = "{}";
  EXPECT_EQ(serialize_admin_response(a),
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
}

class AdminTest : public ::testing::Test {
 protected:
  AdminResponse call(std::string method, std::string target, std::string body = "") {
    return handle_admin(core_, AdminRequest{std::move(method), std::move(target), std::move(body)});
  }
  ManualClock clock_;
  SimCore core_{clock_, false};
};

TEST_F(AdminTest, StatsDocumentHasTheContractFields) {
  core_.records.record(Platform::kApns, "t1");
  core_.records.record(Platform::kApns, "t1");
  core_.records.record(Platform::kApns, "t2");
  core_.records.record(Platform::kWebPush, "https://h/wp/1");
  core_.stats.count_status(200);
  core_.stats.count_status(200);
  core_.stats.count_status(410);
  bump(core_.stats.apns.jwt_verifications);
  core_.stats.note_concurrency(7);
  core_.stats.note_concurrency(3);
  AdminResponse r = call("GET", "/stats");
  ASSERT_EQ(r.status, 200);
  Json j(r.body);
  for (const char* f : {"/connections_accepted", "/tls_handshakes", "/requests", "/fcm/token_requests",
                        "/fcm/tokens_issued", "/fcm/requests", "/webpush/requests", "/apns/requests"})
    EXPECT_EQ(j.num(f), 0) << f;
  EXPECT_EQ(j.num("/by_status/200"), 2);
  EXPECT_EQ(j.num("/by_status/410"), 1);
  EXPECT_EQ(j.num("/apns/delivered"), 3);
  EXPECT_EQ(j.num("/apns/distinct_delivered"), 2);
  EXPECT_EQ(j.num("/apns/duplicate_delivered"), 1);
  EXPECT_EQ(j.num("/apns/jwt_verifications"), 1);
  EXPECT_EQ(j.num("/fcm/delivered"), 0);
  EXPECT_EQ(j.num("/webpush/distinct_delivered"), 1);
  EXPECT_EQ(j.num("/max_concurrent_streams_seen"), 7);
}

// --sink is a benchmark target: it answers and counts every delivery but
// keeps no per-token records (h2load repeats one path while a gateway sends
// distinct tokens, so that work would be charged to the gateway's run only).
TEST(AdminSink, CountsDeliveriesWithoutPerTokenRecords) {
  ManualClock clock;
  SimCore core(clock, true);
  HandlerCtx ctx(clock);
  SimResponse resp;
  for (char c : std::string("abca")) {
    resp.clear();
    route(core, ctx, test::make_request("POST", "/3/device/" + std::string(64, c), {}, "{}"), resp);
    EXPECT_EQ(resp.status, 200);
  }
  AdminResponse stats = handle_admin(core, AdminRequest{"GET", "/stats", ""});
  Json j(stats.body);
  EXPECT_EQ(j.num("/apns/requests"), 4);
  EXPECT_EQ(j.num("/apns/delivered"), 4);
  EXPECT_FALSE(j.has("/apns/distinct_delivered"));
  EXPECT_FALSE(j.has("/apns/duplicate_delivered"));
  EXPECT_EQ(core.records.summary(Platform::kApns).distinct, 0u);
  EXPECT_EQ(handle_admin(core, AdminRequest{"GET", "/tokens?platform=apns", ""}).status, 409);
  handle_admin(core, AdminRequest{"POST", "/reset", ""});
  EXPECT_EQ(Json(handle_admin(core, AdminRequest{"GET", "/stats", ""}).body).num("/apns/delivered"), 0);
}

TEST_F(AdminTest, TokensResetFaultsAndErrors) {
  core_.records.record(Platform::kApns, "t1");
  core_.records.record(Platform::kApns, "t1");
  Json t(call("GET", "/tokens?platform=apns").body);
  EXPECT_EQ(t.num("/t1"), 2);
  EXPECT_EQ(call("GET", "/tokens?platform=fcm").body, "{}");
  EXPECT_EQ(call("GET", "/tokens").status, 400);
  EXPECT_EQ(call("GET", "/tokens?platform=mqtt").status, 400);

  EXPECT_EQ(call("POST", "/faults", "goaway_after=3\nstall\n").status, 200);
  EXPECT_EQ(core_.faults.get().goaway_after, 3u);
  EXPECT_TRUE(core_.faults.get().stall);
  EXPECT_EQ(call("GET", "/faults").body, "goaway_after=3\nstall\n");
  EXPECT_EQ(call("POST", "/faults", "explode").status, 400);
  EXPECT_TRUE(core_.faults.get().stall);  // a bad body changes nothing
  EXPECT_EQ(call("POST", "/faults", "goaway_error_after=4\n").status, 200);
  EXPECT_TRUE(core_.faults.get().goaway_error);
  EXPECT_EQ(call("GET", "/faults").body, "goaway_error_after=4\n");
  EXPECT_EQ(call("POST", "/faults", "").status, 200);
  EXPECT_TRUE(core_.faults.get().empty());

  core_.stats.count_status(200);
  EXPECT_EQ(call("POST", "/reset").status, 200);
  Json s(call("GET", "/stats").body);
  EXPECT_EQ(s.num("/apns/delivered"), 0);
  EXPECT_FALSE(s.has("/by_status/200"));

  EXPECT_EQ(call("GET", "/webpush/messages").body, "[]");
  EXPECT_EQ(call("POST", "/expire-fcm-tokens").status, 200);
  EXPECT_EQ(call("GET", "/reset").status, 405);
  EXPECT_EQ(call("GET", "/nope").status, 404);
}

// The "unavailable" fault: a provider outage. Every send of each platform is
// answered 503 without Retry-After and without being processed; the token
// endpoint still works; clearing the set ends the outage.
TEST_F(AdminTest, UnavailableAnswersEverySend503UntilCleared) {
  HandlerCtx ctx(clock_);
  SimResponse resp;
  auto send = [&](std::string_view path) {
    resp.clear();
    EXPECT_EQ(route(core_, ctx, test::make_request("POST", path, {}, "{}"), resp), Disposition::kNow);
    return resp.status;
  };
  const std::string apns = "/3/device/" + std::string(64, 'a');
  ASSERT_EQ(call("POST", "/faults", "unavailable\n").status, 200);
  EXPECT_EQ(call("GET", "/faults").body, "unavailable\n");
  EXPECT_EQ(send(apns), 503);
  EXPECT_EQ(Json(resp.body).str("/reason"), "ServiceUnavailable");
  EXPECT_TRUE(is_uuid(resp.headers.get("apns-id")));
  EXPECT_FALSE(resp.headers.has("retry-after"));
  EXPECT_EQ(send("/v1/projects/p/messages:send"), 503);
  EXPECT_EQ(Json(resp.body).str("/error/status"), "UNAVAILABLE");
  EXPECT_FALSE(resp.headers.has("retry-after"));
  EXPECT_EQ(send("/wp/abc"), 503);
  EXPECT_NE(send("/token"), 503);  // OAuth keeps working: an outage of the send API only
  EXPECT_EQ(Json(call("GET", "/stats").body).num("/unavailable_answers"), 3);
  EXPECT_EQ(core_.records.summary(Platform::kApns).delivered, 0u);

  ASSERT_EQ(call("POST", "/faults", "").status, 200);
  EXPECT_EQ(send(apns), 403);  // processed again: no provider token
  EXPECT_EQ(Json(call("GET", "/stats").body).num("/unavailable_answers"), 3);
}

// The "token_unavailable" fault: the OAuth token endpoint is down (503 with
// an OAuth error body); sends are processed as usual; clearing it ends it.
TEST_F(AdminTest, TokenUnavailableAnswersTheTokenEndpoint503UntilCleared) {
  HandlerCtx ctx(clock_);
  SimResponse resp;
  auto post = [&](std::string_view path) {
    resp.clear();
    EXPECT_EQ(route(core_, ctx, test::make_request("POST", path, {}, "{}"), resp), Disposition::kNow);
    return resp.status;
  };
  ASSERT_EQ(call("POST", "/faults", "token_unavailable\n").status, 200);
  EXPECT_EQ(call("GET", "/faults").body, "token_unavailable\n");
  EXPECT_EQ(post("/token"), 503);
  EXPECT_EQ(Json(resp.body).str("/error"), "temporarily_unavailable");
  EXPECT_NE(post("/v1/projects/p/messages:send"), 503);  // the send API is up
  EXPECT_EQ(Json(call("GET", "/stats").body).num("/unavailable_answers"), 1);
  ASSERT_EQ(call("POST", "/faults", "").status, 200);
  EXPECT_NE(post("/token"), 503);
}

TEST(JsonOut, EscapesAndKeepsBinaryValid) {
  std::string out;
  json_append_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
  out.clear();
  json_append_string(out, "caf\xc3\xa9");  // valid UTF-8 passes through
  EXPECT_EQ(out, "\"caf\xc3\xa9\"");
  out.clear();
  json_append_string(out, "\xff\xfe");  // not UTF-8: escaped byte by byte
  EXPECT_EQ(out, R"("\u00ff\u00fe")");
}

TEST(Cli, ParsesServe) {
  auto o = parse_serve_args({"--listen", "127.0.0.1:0", "--cert", "s.pem", "--key=s.key", "--admin", "127.0.0.1:9",
                             "--apns-key", "TEAM:KID:/tmp/a:b.p8", "--apns-key", "T2:K2:k.p8",
                             "--fcm-service-account", "sa.json", "--webpush-subscriptions", "subs.json", "--sink",
                             "--slow-ms", "50", "--max-streams", "10", "--token-ttl", "60", "--threads", "2",
                             "--fault", "stall", "--fault", "goaway_after=1", "--port-file", "pf"});
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->listen_host, "127.0.0.1");
  EXPECT_EQ(o->listen_port, 0);
  EXPECT_EQ(o->key_file, "s.key");
  EXPECT_TRUE(o->has_admin);
  EXPECT_EQ(o->admin_port, 9);
  ASSERT_EQ(o->apns_keys.size(), 2u);
  EXPECT_EQ(o->apns_keys[0].team_id, "TEAM");
  EXPECT_EQ(o->apns_keys[0].key_id, "KID");
  EXPECT_EQ(o->apns_keys[0].path, "/tmp/a:b.p8");
  EXPECT_TRUE(o->sink);
  EXPECT_EQ(o->slow_ms, 50);
  EXPECT_EQ(o->max_streams, 10u);
  EXPECT_EQ(o->token_ttl_s, 60);
  EXPECT_EQ(o->threads, 2);
  EXPECT_EQ(o->faults.size(), 2u);
  EXPECT_EQ(o->port_file, "pf");
}

TEST(Cli, RejectsBadServeArgs) {
  EXPECT_FALSE(parse_serve_args({"--cert", "a", "--key", "b"}).ok());                    // no --listen
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:1"}).ok());                     // no cert
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1", "--cert", "a", "--key", "b"}).ok());
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:70000", "--cert", "a", "--key", "b"}).ok());
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:1", "--cert", "a", "--key", "b", "--bogus", "1"}).ok());
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:1", "--cert", "a", "--key", "b", "--threads", "0"}).ok());
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:1", "--cert", "a", "--key", "b", "--apns-key", "A:B"}).ok());
  EXPECT_FALSE(parse_serve_args({"--listen", "127.0.0.1:1", "--cert", "a", "--key", "b", "--slow-ms"}).ok());
}

TEST(Cli, HostPort) {
  std::string h;
  uint16_t p = 0;
  ASSERT_TRUE(parse_host_port("[::1]:443", h, p));
  EXPECT_EQ(h, "::1");
  EXPECT_EQ(p, 443);
  ASSERT_TRUE(parse_host_port("localhost:0", h, p));
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_FALSE(parse_host_port(":80", h, p));
  EXPECT_FALSE(parse_host_port("h:", h, p));
}

}  // namespace
}  // namespace pushgw::sim
