// SendTally (store/send_tally.h): the in-memory per-token send counters the
// Writer flushes as key-ordered deltas, and merge_pending(), which the `token`
// op uses to answer with what is not flushed yet.
#include "store/send_tally.h"
#include "store/pending_sends.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushgw::store::detail {
namespace {

RecordView send(Kind k, std::string_view token, int64_t at, std::string_view campaign = "",
                Platform p = Platform::Apns, std::string_view app = "shop") {
  RecordView r;
  r.platform = p;
  r.kind = k;
  r.at_ms = at;
  r.app = app;
  r.token = token;
  r.campaign = campaign;
  return r;
}

std::vector<std::string> keys(SendTally& t) {
  std::vector<std::string> out;
  for (const SendDelta& d : t.ordered())
    out.push_back(std::to_string(static_cast<int>(d.platform)) + "/" + std::string(d.app) + "/" + std::string(d.token));
  return out;
}

TEST(SendTally, SumsSendsPerTokenAndKeepsTheLatestSendsCampaign) {
  SendTally t(100);
  t.add(send(Kind::Delivered, "a", 100, "spring"));
  t.add(send(Kind::Failed, "a", 300, "summer"));
  t.add(send(Kind::Sent, "a", 200, "late-arrival"));  // an older send recorded later (another sender)
  t.add(send(Kind::Delivered, "b", 150));
  EXPECT_EQ(t.tokens(), 2u);
  auto a = t.find(Platform::Apns, "shop", "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sent, 3u);
  EXPECT_EQ(a->delivered, 1u);
  EXPECT_EQ(a->failed, 1u);
  EXPECT_EQ(a->first_at_ms, 100);
  EXPECT_EQ(a->last_at_ms, 300);
  EXPECT_EQ(a->campaign, "summer");
  EXPECT_FALSE(t.find(Platform::Fcm, "shop", "a").has_value());  // the platform is part of the key
  EXPECT_FALSE(t.find(Platform::Apns, "other", "a").has_value());
}

// A record may carry the sender's key (Store::key(), the same secret): it
// lands on the same token as a record the tally hashes itself.
TEST(SendTally, ACarriedKeyCountsOnTheSameTokenAsAComputedOne) {
  const HashKey secret{0x1111, 0x2222};
  SendTally t(100, secret);
  RecordView keyed = send(Kind::Delivered, "a", 100);
  keyed.key = key_hash(secret, Platform::Apns, "shop", "a");
  t.add(keyed);
  t.add(send(Kind::Failed, "a", 200));  // a retry's record: no key, hashed here
  t.add(keyed);
  EXPECT_EQ(t.tokens(), 1u);
  auto a = t.find(Platform::Apns, "shop", "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sent, 3u);
  EXPECT_EQ(a->delivered, 2u);
  EXPECT_EQ(a->failed, 1u);
}

TEST(SendTally, OrderedIsByPlatformAppToken) {
  SendTally t(100);
  t.add(send(Kind::Sent, "zz", 1, "", Platform::Apns, "b"));
  t.add(send(Kind::Sent, "c", 1, "", Platform::Fcm, "a"));
  t.add(send(Kind::Sent, "b", 1, "", Platform::Apns, "b"));
  t.add(send(Kind::Sent, "a", 1, "", Platform::Apns, "a"));
  t.add(send(Kind::Sent, "b", 2, "", Platform::Apns, "b"));
  EXPECT_EQ(keys(t), (std::vector<std::string>{"0/a/a", "0/b/b", "0/b/zz", "1/a/c"}));
  EXPECT_EQ(t.ordered()[1].sent, 2u);
}

TEST(SendTally, EraseDropsPendingSendsAndALaterSendStartsAfresh) {
  SendTally t(100);
  t.add(send(Kind::Delivered, "a", 100, "old"));
  t.add(send(Kind::Delivered, "b", 100));
  EXPECT_TRUE(t.erase(Platform::Apns, "shop", "a"));
  EXPECT_FALSE(t.erase(Platform::Apns, "shop", "a"));
  EXPECT_FALSE(t.find(Platform::Apns, "shop", "a").has_value());
  EXPECT_EQ(keys(t), (std::vector<std::string>{"0/shop/b"}));
  t.add(send(Kind::Failed, "a", 500));
  auto a = t.find(Platform::Apns, "shop", "a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->sent, 1u);
  EXPECT_EQ(a->delivered, 0u);
  EXPECT_EQ(a->failed, 1u);
  EXPECT_EQ(a->first_at_ms, 500);
  EXPECT_EQ(a->campaign, "");
  EXPECT_EQ(t.tokens(), 2u);
}

TEST(SendTally, ManyTokensGrowTheIndexAndClearEmptiesIt) {
  SendTally t(1u << 20);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5000; ++i) t.add(send(Kind::Sent, "tok-" + std::to_string(i), i));
    for (int i = 0; i < 5000; i += 7) t.add(send(Kind::Delivered, "tok-" + std::to_string(i), 9000));
    EXPECT_EQ(t.tokens(), 5000u);
    auto d = t.find(Platform::Apns, "shop", "tok-4998");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->sent, 2u);  // 4998 = 7 * 714
    EXPECT_EQ(t.ordered().size(), 5000u);
    const size_t mem = t.memory_bytes();
    t.clear();
    EXPECT_TRUE(t.empty());
    EXPECT_FALSE(t.find(Platform::Apns, "shop", "tok-1").has_value());
    EXPECT_TRUE(t.ordered().empty());
    EXPECT_EQ(t.memory_bytes(), mem);  // the second round reuses the memory
  }
}

// Tokens and campaigns are kept in 64 KiB blocks (store/block_store.h), the
// entries in blocks of 4096: a table of long strings spans many blocks, none
// is cut at a block's end, and a refill after clear() reads back its own.
TEST(SendTally, LongTokensAndCampaignsSpanManyBlocks) {
  SendTally t(1u << 20);
  auto token = [](int i, int round) {
    // 100 to 8,192 bytes (the ring's cap), so some end exactly at a block's end.
    const size_t len = i % 97 == 0 ? OutcomeRing::kMaxToken : 100 + static_cast<size_t>(i % 300);
    std::string s(len, static_cast<char>('a' + (i + round) % 26));
    const std::string id = std::to_string(round) + "-" + std::to_string(i) + "-";
    s.replace(0, id.size(), id);
    return s;
  };
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> toks, camps;
    for (int i = 0; i < 6000; ++i) {
      toks.push_back(token(i, round));
      camps.push_back(std::string(static_cast<size_t>(i % 1000), 'c') + std::to_string(i));
      t.add(send(Kind::Sent, toks.back(), 10, "first"));
      t.add(send(Kind::Delivered, toks.back(), 20 + i, camps.back()));
    }
    EXPECT_EQ(t.tokens(), 6000u);
    for (int i = 0; i < 6000; ++i) {
      auto d = t.find(Platform::Apns, "shop", toks[static_cast<size_t>(i)]);
      ASSERT_TRUE(d.has_value()) << i;
      EXPECT_EQ(d->token, toks[static_cast<size_t>(i)]);
      EXPECT_EQ(d->campaign, camps[static_cast<size_t>(i)]);
      EXPECT_EQ(d->sent, 2u);
      EXPECT_EQ(d->delivered, 1u);
    }
    const std::vector<SendDelta>& rows = t.ordered();
    ASSERT_EQ(rows.size(), 6000u);
    for (size_t k = 1; k < rows.size(); ++k) EXPECT_LT(rows[k - 1].token, rows[k].token);
    t.clear();
  }
}

TEST(SendTally, FullAtTheTokenLimit) {
  SendTally t(3);
  t.add(send(Kind::Sent, "a", 1));
  t.add(send(Kind::Sent, "a", 2));
  t.add(send(Kind::Sent, "b", 1));
  EXPECT_FALSE(t.full());
  t.add(send(Kind::Sent, "c", 1));
  EXPECT_TRUE(t.full());
}

TEST(MergePending, ATokenWithoutARowReadsAsActiveFromItsFirstPendingSend) {
  SendTally t(10);
  t.add(send(Kind::Delivered, "a", 100, "spring"));
  t.add(send(Kind::Delivered, "a", 200, "spring"));
  TokenState s;
  s.state = "unknown";
  merge_pending(s, *t.find(Platform::Apns, "shop", "a"));
  EXPECT_EQ(s.state, "active");
  EXPECT_EQ(s.since_ms, 100);
  EXPECT_EQ(s.sent, 2u);
  EXPECT_EQ(s.delivered, 2u);
  EXPECT_EQ(s.last_sent_at_ms, 200);
  EXPECT_EQ(s.last_campaign, "spring");
}

TEST(MergePending, AStoredRowKeepsItsStateAndTheLaterSendWins) {
  SendTally t(10);
  t.add(send(Kind::Failed, "a", 100, "older"));
  TokenState s;
  s.state = "unsubscribed";
  s.reason = "Unregistered";
  s.since_ms = 150;
  s.sent = 5;
  s.delivered = 4;
  s.last_sent_at_ms = 150;  // the verdict's send, later than the pending one
  s.last_campaign = "verdict";
  merge_pending(s, *t.find(Platform::Apns, "shop", "a"));
  EXPECT_EQ(s.state, "unsubscribed");
  EXPECT_EQ(s.reason, "Unregistered");
  EXPECT_EQ(s.sent, 6u);
  EXPECT_EQ(s.delivered, 4u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.last_sent_at_ms, 150);
  EXPECT_EQ(s.last_campaign, "verdict");
  t.add(send(Kind::Sent, "a", 400, "newer"));
  merge_pending(s, *t.find(Platform::Apns, "shop", "a"));
  EXPECT_EQ(s.last_sent_at_ms, 400);
  EXPECT_EQ(s.last_campaign, "newer");
}

// A flush writes a snapshot in chunks; between chunks reads and forgets see
// exactly what is not written yet, and new sends start a fresh tally.
TEST(PendingSends, AFlushInChunksNeverCountsARowTwiceOrLosesOne) {
  PendingSends p(100, 1024, false);
  for (const char* t : {"d", "a", "c", "b", "e"}) p.add(send(Kind::Delivered, t, 100));
  p.begin_flush();
  ASSERT_TRUE(p.flushing());
  auto tokens = [](const std::vector<SendDelta>& rows) {
    std::string s;
    for (const SendDelta& d : rows) s += std::string(d.token);
    return s;
  };
  EXPECT_EQ(tokens(p.next_chunk(2)), "ab");
  p.chunk_written();  // "a" and "b" are in the database now
  p.add(send(Kind::Failed, "a", 200));  // a new send to a written token
  p.add(send(Kind::Sent, "c", 200));    // and to one still being written
  EXPECT_TRUE(p.erase(Platform::Apns, "shop", "d"));  // forget before its row is written
  TokenState a;
  a.state = "active";
  a.sent = 1;  // as read from the database after the first chunk
  p.merge_into(a, Platform::Apns, "shop", "a");
  EXPECT_EQ(a.sent, 2u);
  EXPECT_EQ(a.failed, 1u);
  TokenState c;
  c.state = "unknown";
  p.merge_into(c, Platform::Apns, "shop", "c");
  EXPECT_EQ(c.sent, 2u);  // one being written, one new
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(tokens(p.next_chunk(2)), "ce");  // "d" was forgotten
  p.chunk_written();
  EXPECT_FALSE(p.flushing());
  EXPECT_EQ(p.tokens(), 2u);  // the new sends to "a" and "c"
  p.begin_flush();
  const auto& last = p.next_chunk(10);
  ASSERT_EQ(tokens(last), "ac");
  EXPECT_EQ(last[0].failed, 1u);
  p.chunk_written();
  EXPECT_TRUE(p.empty());
}

}  // namespace
}  // namespace pushgw::store::detail
