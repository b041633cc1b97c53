// The send log (store/send_log.h): flushed send counts reach the token rows
// later, exactly once, and the `token` op is exact all along.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "store/logged_sends.h"
#include "store/send_tally.h"
#include "store/send_log_codec.h"
#include "store_file_test.h"

namespace pushgw::store {
namespace {

using detail::LoggedSends;
using detail::SendDelta;
using testing::StoreFileTest;
using namespace testing;  // NOLINT: the store test helpers

SendDelta delta(std::string_view token, uint64_t sent, uint64_t delivered, int64_t at, std::string_view campaign = "") {
  SendDelta d;
  d.platform = Platform::Fcm;
  d.app = "shop-android";
  d.token = token;
  d.campaign = campaign;
  d.first_at_ms = at;
  d.last_at_ms = at + 5;
  d.sent = sent;
  d.delivered = delivered;
  d.failed = sent - delivered;
  return d;
}

void expect_same_rows(const std::vector<SendDelta>& out, const std::vector<SendDelta>& in) {
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].platform, in[i].platform) << i;
    EXPECT_EQ(out[i].app, in[i].app) << i;
    EXPECT_EQ(out[i].token, in[i].token) << i;
    EXPECT_EQ(out[i].campaign, in[i].campaign) << i;
    EXPECT_EQ(out[i].sent, in[i].sent) << i;
    EXPECT_EQ(out[i].delivered, in[i].delivered) << i;
    EXPECT_EQ(out[i].failed, in[i].failed) << i;
    EXPECT_EQ(out[i].first_at_ms, in[i].first_at_ms) << i;
    EXPECT_EQ(out[i].last_at_ms, in[i].last_at_ms) << i;
  }
}

TEST(SendLogCodec, RowsComeBackAsTheyWent) {
  const std::string long_token(300, 'x');  // outlives the views
  const std::string apns(64, 'a'), odd = "abc", upper = "ABCD", other_app = "shop-ios";
  std::vector<SendDelta> in = {delta("a", 1, 1, 10), delta(long_token, 70000, 3, -5, "spring"), delta("", 0, 0, 0),
                               delta(apns, 1, 1, INT64_MAX - 5), delta(odd, 1, 0, INT64_MIN, "spring"),
                               delta(upper, 2, 2, 7, "spring"), delta("0f", 1, 1, 7)};
  in[3].platform = Platform::Apns;
  in[3].first_at_ms = INT64_MAX;
  in[3].last_at_ms = INT64_MIN;  // the differences wrap: still exact
  in[5].app = other_app;
  in[6].platform = Platform::WebPush;
  std::string bytes;
  detail::encode_send_log(in, bytes);
  std::vector<SendDelta> out;
  std::string text;
  ASSERT_TRUE(detail::decode_send_log(bytes, out, text));
  expect_same_rows(out, in);
}

// The bytes on disk, spelled out (send_log_codec.h, version 2): what older
// entries look like is pinned by the version-1 test below. LEB128 at its
// boundaries (127/128, 16383/16384, 2^64-1), zigzag times, a packed token,
// a 200-byte token (two-byte length), the previous row's app and campaign.
TEST(SendLogCodec, EncodesTheDocumentedLayoutByteForByte) {
  const std::string token(200, 't');
  SendDelta a = delta("ab", 127, 128, -2, "c");
  a.failed = 16384;
  a.last_at_ms = 62;  // 64 after the first
  SendDelta b = delta(token, 16383, 0, 0);
  b.platform = Platform::Apns;
  b.app = "";
  b.failed = UINT64_MAX;
  b.last_at_ms = 0;
  SendDelta c = delta("0a1b", 1, 1, 3);
  c.app = "";
  c.campaign = "";
  std::string bytes = "stale bytes from an earlier, longer entry that must not survive";
  bytes += bytes;
  detail::encode_send_log({a, b, c}, bytes);
  std::string want(1, '\x02');
  want += '\x11';                                          // Fcm, token packed ("ab" is hex)
  want += std::string("\x0c") + "shop-android";           // app
  want += std::string("\x01\xab", 2);                     // token: one byte
  want += std::string("\x01") + "c";                      // campaign
  want += "\x7f";                                          // sent 127
  want += std::string("\x80\x01", 2);                     // delivered 128
  want += std::string("\x80\x80\x01", 3);                 // failed 16384
  want += '\x03';                                          // first_at -2: zigzag 3
  want += std::string("\x80\x01", 2);                     // last_at - first_at = 64: zigzag 128
  want += '\x00';                                          // Apns, token as it is
  want += std::string(1, '\0');                            // app ""
  want += std::string("\xc8\x01", 2) + token;             // token, 200 bytes
  want += std::string(1, '\0');                            // campaign ""
  want += std::string("\xff\x7f", 2);                     // sent 16383
  want += std::string(1, '\0');                            // delivered 0
  want += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);  // failed 2^64-1
  want += '\x04';                                          // first_at 0: +2, zigzag 4
  want += '\x00';                                          // last_at = first_at
  want += '\x1d';                                          // Fcm, same app, same campaign, packed
  want += std::string("\x02\x0a\x1b", 3);                 // token: two bytes
  want += std::string("\x01\x01", 2);                     // sent 1, delivered 1
  want += '\x00';                                          // failed 0
  want += '\x06';                                          // first_at 3: +3, zigzag 6
  want += '\x0a';                                          // last_at - first_at = 5: zigzag 10
  EXPECT_EQ(bytes, want);
  std::vector<SendDelta> out;
  std::string text;
  ASSERT_TRUE(detail::decode_send_log(bytes, out, text));
  expect_same_rows(out, {a, b, c});
}

// Entries an older pushgwd logged (version 1) are still read after an
// upgrade: replayed at start and compacted into the rows.
TEST(SendLogCodec, ReadsVersionOneEntries) {
  const std::string token(200, 't');
  std::string v1(1, '\x01');
  v1 += '\x01';                                          // Fcm
  v1 += std::string("\x0c") + "shop-android";           // app
  v1 += std::string("\x02") + "ab";                     // token
  v1 += std::string("\x01") + "c";                      // campaign
  v1 += "\x7f";                                          // sent 127
  v1 += std::string("\x80\x01", 2);                     // delivered 128
  v1 += std::string("\x80\x80\x01", 3);                 // failed 16384
  v1 += std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8);  // first_at -2
  v1 += std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8);  // last_at
  v1 += '\x00';                                          // Apns
  v1 += std::string(1, '\0');                            // app ""
  v1 += std::string("\xc8\x01", 2) + token;             // token, 200 bytes
  v1 += std::string(1, '\0');                            // campaign ""
  v1 += std::string("\xff\x7f", 2);                     // sent 16383
  v1 += std::string(1, '\0');                            // delivered 0
  v1 += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);  // failed 2^64-1
  v1 += std::string(8, '\0');                            // first_at 0
  v1 += std::string("\x05\0\0\0\0\0\0\0", 8);           // last_at 5
  SendDelta a = delta("ab", 127, 128, -2, "c");
  a.failed = 16384;
  a.last_at_ms = 0x0102030405060708;
  SendDelta b = delta(token, 16383, 0, 0);
  b.platform = Platform::Apns;
  b.app = "";
  b.failed = UINT64_MAX;
  std::vector<SendDelta> out;
  std::string text;
  ASSERT_TRUE(detail::decode_send_log(v1, out, text));
  expect_same_rows(out, {a, b});
}

// A typical APNs row (64-hex token, the previous row's app and campaign)
// takes well under half its version-1 size: the send burst writes fewer pages.
TEST(SendLogCodec, ApnsRowsTakeUnderHalfTheirFormerSize) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    std::string t(64, '0');
    for (int k = 0; k < 64; ++k) t[k] = "0123456789abcdef"[(i * 7 + k * 13) % 16];
    tokens.push_back(t);
  }
  std::vector<SendDelta> rows;
  for (int i = 0; i < 100; ++i) {
    SendDelta d = delta(tokens[i], 1, 1, 1'765'000'000'000 + i, "spring-sale");
    d.platform = Platform::Apns;
    d.app = "shop-ios";
    rows.push_back(d);
  }
  std::string bytes;
  detail::encode_send_log(rows, bytes);
  EXPECT_LT(bytes.size(), 100u * 93 / 2);
  std::vector<SendDelta> out;
  std::string text;
  ASSERT_TRUE(detail::decode_send_log(bytes, out, text));
  expect_same_rows(out, rows);
}

TEST(SendLogCodec, EveryTruncationAndAForeignVersionAreErrors) {
  std::string bytes;
  detail::encode_send_log({delta("tok", 2, 1, 100, "c"), delta("beef", 1, 1, 90, "c")}, bytes);
  std::vector<SendDelta> out;
  std::string text;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = detail::decode_send_log(std::string_view(bytes).substr(0, n), out, text);
    if (n == 1) {  // the version byte alone: an entry of no rows
      EXPECT_TRUE(r);
      continue;
    }
    if (r) {  // a cut right after the first row is a whole entry of one row
      EXPECT_EQ(out.size(), 1u) << n;
      continue;
    }
    EXPECT_EQ(r.error().code, "store_log_corrupt");
    EXPECT_TRUE(out.empty());
  }
  bytes[0] = 9;
  EXPECT_FALSE(detail::decode_send_log(bytes, out, text));
  // A length that points past the end.
  std::string huge = std::string(1, '\2') + std::string(1, '\1') + "\xff\xff\xff\xff\x0f";
  EXPECT_FALSE(detail::decode_send_log(huge, out, text));
  // The first row cannot name a previous row's app; unknown flag bits; a
  // packed empty token (encode never writes one).
  EXPECT_FALSE(detail::decode_send_log(std::string("\x02\x05\x01t\x00\x00\x00\x00\x00\x00", 10), out, text));
  EXPECT_FALSE(detail::decode_send_log(std::string("\x02\x21\x00\x01t\x00\x00\x00\x00\x00\x00", 11), out, text));
  EXPECT_FALSE(detail::decode_send_log(std::string("\x02\x11\x00\x00\x00\x00\x00\x00\x00\x00", 10), out, text));
  EXPECT_TRUE(detail::decode_send_log(std::string("\x02\x01\x00\x01t\x00\x00\x00\x00\x00\x00", 11), out, text));
}

// Against a std::map: adds, subtractions and erases in a random order keep
// every key's counts (the table grows and closes its holes on erase).
TEST(LoggedSends, MatchesAReferenceMapThroughGrowthAndErases) {
  LoggedSends t(detail::random_hash_key());
  std::map<uint64_t, uint64_t> ref;
  std::mt19937_64 rng(7);
  std::vector<std::string> tokens;
  for (int i = 0; i < 5000; ++i) tokens.push_back("t" + std::to_string(i));
  for (int step = 0; step < 40000; ++step) {
    const std::string& tok = tokens[rng() % tokens.size()];
    const uint64_t k = t.key(Platform::Fcm, "shop-android", tok);
    switch (rng() % 4) {
      case 0:
      case 1:
        t.add(k, delta(tok, 2, 1, 100, (step & 1) ? "a" : "b"));
        ref[k] += 2;
        break;
      case 2:
        if (ref.count(k)) {
          t.subtract(k, delta(tok, 2, 1, 100));
          if ((ref[k] -= 2) == 0) ref.erase(k);
        }
        break;
      default:
        EXPECT_EQ(t.erase(k), ref.erase(k) == 1);
    }
  }
  for (const std::string& tok : tokens) {
    const uint64_t k = t.key(Platform::Fcm, "shop-android", tok);
    auto got = t.find(k);
    auto it = ref.find(k);
    ASSERT_EQ(got.has_value(), it != ref.end()) << tok;
    if (got) {
      EXPECT_EQ(got->sent, it->second);
      EXPECT_EQ(got->delivered * 2, it->second);
      EXPECT_TRUE(got->campaign == "a" || got->campaign == "b");
    }
  }
  EXPECT_EQ(t.tokens(), ref.size());  // folded by the reads
}

// Deltas staged by add() count once folded, and the campaign of the latest
// send wins whatever order they were staged in.
TEST(LoggedSends, StagedDeltasFoldExactly) {
  LoggedSends t(detail::random_hash_key());
  const uint64_t k = t.key(Platform::Apns, "shop-ios", "tok");
  t.add(k, delta("tok", 1, 1, 200, "new"));
  t.add(k, delta("tok", 2, 0, 100, "old"));
  EXPECT_EQ(t.tokens(), 2u);  // an upper bound while staged
  auto got = t.find(k);
  ASSERT_TRUE(got);
  EXPECT_EQ(t.tokens(), 1u);
  EXPECT_EQ(got->sent, 3u);
  EXPECT_EQ(got->delivered, 1u);
  EXPECT_EQ(got->campaign, "new");
  EXPECT_EQ(got->first_at_ms, 100);
  EXPECT_EQ(got->last_at_ms, 205);
  t.subtract(k, delta("tok", 3, 1, 0));
  EXPECT_FALSE(t.find(k));
  EXPECT_EQ(t.tokens(), 0u);
}

class StoreSendLog : public StoreFileTest {
 protected:
  // A store whose send tally flushes to the log at once and whose log is
  // compacted only when idle for idle_ms (or over max_tokens).
  std::unique_ptr<Store> open(int idle_ms, int max_tokens = 524288) {
    StoreConfig cfg;
    cfg.path = path;
    cfg.send_flush_ms = 10;
    cfg.send_log_tokens = max_tokens;
    cfg.send_log_idle_ms = idle_ms;
    auto r = open_store(cfg, 1, clock, quiet_logger(), StoreOptions{});
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return nullptr;
    }
    return std::move(r.value());
  }
  bool wait_for(const std::function<bool()>& cond) {
    for (int i = 0; i < 2000; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  }
  void deliver(Store& s, int from, int to, std::string_view campaign = "") {
    for (int i = from; i < to; ++i)
      record_spin(s, 0, outcome(Kind::Delivered, hex_token(static_cast<uint64_t>(i)), campaign));
  }
  // Runs sql on the closed database file, as another process would.
  int exec_sql(const char* sql) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open(path.c_str(), &db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
  }
  int64_t logged_rows() { return query_int(path, "SELECT coalesce(sum(rows), 0) FROM send_log"); }
  int64_t token_rows() { return query_int(path, "SELECT count(*) FROM tokens"); }
};

// Flushes append to the log, not to the rows; the token op reads through
// it; a forget takes a token's logged counts out for good, across a
// restart; a flush writes the rest into the rows exactly once.
TEST_F(StoreSendLog, CountsGoThroughTheLogAndAForgetHoldsAcrossARestart) {
  const int kNever = 3'600'000;
  {
    auto s = open(kNever);
    ASSERT_TRUE(s);
    s->start();
    deliver(*s, 0, 50, "spring");
    ASSERT_TRUE(wait_for([&] { return s->stats().send_log_tokens == 50; }));
    EXPECT_EQ(logged_rows(), 50);
    EXPECT_EQ(token_rows(), 0);
    TokenState t = get_token(*s, Platform::Apns, "shop-ios", hex_token(8));
    EXPECT_EQ(t.state, "active");
    EXPECT_EQ(t.sent, 1u);
    EXPECT_EQ(t.delivered, 1u);
    EXPECT_EQ(t.last_campaign, "spring");
    auto forgot = await<Result<bool>>([&](auto cb) { s->tokens().forget(Platform::Apns, "shop-ios", hex_token(7), cb); });
    ASSERT_TRUE(forgot && forgot->ok());
    EXPECT_TRUE(forgot->value());
    EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(7)).state, "unknown");
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM send_log_forgets"), 1);
    deliver(*s, 7, 8);  // a send after the forget counts again
    ASSERT_TRUE(wait_for([&] { return s->stats().pending_send_tokens == 0 && logged_rows() == 51; }));
  }
  auto s = open(kNever);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stats().send_log_tokens, 50u);  // 49 of the first flush, token 7 of the second
  s->start();
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(7)).sent, 1u);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(9)).sent, 1u);
  ASSERT_TRUE(flush_sends(*s));
  EXPECT_EQ(token_rows(), 50);
  EXPECT_EQ(logged_rows(), 0);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM send_log_forgets"), 0);
  EXPECT_EQ(query_int(path, "SELECT sum(sent) FROM tokens"), 50);
  const std::string sent7 = "SELECT sent FROM tokens WHERE token = '" + hex_token(7) + "'";
  EXPECT_EQ(query_int(path, sent7.c_str()), 1);
  EXPECT_EQ(s->stats().tokens, 50u);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(9)).sent, 1u);
}

// With no flush asked for, the log reaches the rows once the store is idle.
TEST_F(StoreSendLog, AnIdleStoreWritesTheLogIntoTheRows) {
  auto s = open(20);
  ASSERT_TRUE(s);
  s->start();
  deliver(*s, 0, 300);
  deliver(*s, 0, 100);
  ASSERT_TRUE(wait_for([&] { return s->stats().tokens == 300 && s->stats().send_log_tokens == 0; }));
  EXPECT_EQ(token_rows(), 300);
  EXPECT_EQ(logged_rows(), 0);
  EXPECT_EQ(query_int(path, "SELECT sum(sent) FROM tokens"), 400);
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(5)).delivered, 2u);
}

// Never idle, but over its token bound: the log is written into the rows
// anyway, down to the bound.
TEST_F(StoreSendLog, ALogOverItsBoundIsCompactedWithoutIdleTime) {
  auto s = open(3'600'000, 1024);
  ASSERT_TRUE(s);
  s->start();
  for (int from = 0; from < 4000; from += 500) {
    deliver(*s, from, from + 500);
    ASSERT_TRUE(wait_for([&] { return s->stats().pending_send_tokens == 0; }));
  }
  // Each token once: in a row or in the log.
  ASSERT_TRUE(wait_for([&] {
    const StoreStats st = s->stats();
    return st.send_log_tokens <= 1024 && st.tokens + st.send_log_tokens == 4000;
  }));
  EXPECT_GT(s->stats().tokens, 0u);
  EXPECT_EQ(token_rows() + logged_rows(), 4000);
}

// A damaged entry is dropped with its counts and reported; the rest of the
// log still reaches the rows. A v4 file gains the log's tables.
TEST_F(StoreSendLog, ADamagedEntryIsDroppedAndAVersion4FileMigrates) {
  {
    auto s = open(3'600'000);
    ASSERT_TRUE(s);
    s->start();
    deliver(*s, 0, 10);
    ASSERT_TRUE(wait_for([&] { return s->stats().send_log_tokens == 10; }));
  }
  ASSERT_EQ(exec_sql("INSERT INTO send_log(seq, rows, body) VALUES(1000, 3, x'0102ffff')"), SQLITE_OK);
  {
    auto s = open(3'600'000);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->stats().send_log_tokens, 10u);
    s->start();
    ASSERT_TRUE(flush_sends(*s));
    EXPECT_EQ(token_rows(), 10);
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM send_log"), 0);
  }
  ASSERT_EQ(exec_sql("DROP TABLE send_log; DROP TABLE send_log_forgets; PRAGMA user_version = 4"), SQLITE_OK);
  auto s = open(3'600'000);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_found(), 4);
  EXPECT_EQ(query_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('send_log','send_log_forgets')"), 2);
  s->start();
  EXPECT_EQ(get_token(*s, Platform::Apns, "shop-ios", hex_token(3)).delivered, 1u);
}

}  // namespace
}  // namespace pushgw::store
