#include "format.h"

#include <gtest/gtest.h>

namespace pushgw::ctl {
namespace {

TEST(ResponseStatus, OkAndError) {
  auto ok = response_status(R"({"id":"a","ok":true})");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok);
  auto bad = response_status(R"({"id":null,"ok":false,"error":"parse_error","message":"bad\nline"})");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->ok);
  EXPECT_EQ(bad->error, "parse_error");
  EXPECT_EQ(bad->message, "bad?line");
  EXPECT_EQ(response_status("nope").error().code, "bad_response");
  EXPECT_EQ(response_status(R"({"id":"a"})").error().code, "bad_response");
}

TEST(FormatSend, AcceptedAndRejected) {
  auto out = format_send(
      R"({"id":"b","ok":true,"accepted":3,"rejected":[{"n":0,"token":"zz","error":"bad_token","message":"APNs token must be 64 hex chars"}]})",
      {"apns"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "accepted: 3  rejected: 1\n"
            "\n"
            "N  TOKEN  ERROR      MESSAGE\n"
            "0  zz     bad_token  APNs token must be 64 hex chars\n");
  auto none = format_send(R"({"id":"b","ok":true,"accepted":2,"rejected":[]})", {});
  EXPECT_EQ(*none, "accepted: 2  rejected: 0\n");
}

TEST(FormatSend, TruncatedRejectionsShowTheirTotal) {
  auto out = format_send(
      R"({"id":"b","ok":true,"accepted":0,"rejected":[{"n":0,"token":"","error":"bad_request","message":"m"}],)"
      R"("rejected_total":8388000,"rejected_truncated":true})",
      {"apns"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "accepted: 0  rejected: 8388000 (first 1 listed)\n"
            "\n"
            "N  TOKEN  ERROR        MESSAGE\n"
            "0         bad_request  m\n");
}

TEST(FormatSend, ResultRowsWithPlatformFromRequestAndTruncatedTokens) {
  const std::string token(64, 'a');
  auto out = format_send(
      R"({"id":"b","ok":true,"accepted":3,"rejected":[],"results":[)"
      R"({"n":0,"token":")" +
          token +
          R"(","status":"delivered","http_status":200,"apns_id":"x"},)"
          R"({"n":1,"endpoint":"https://push.example.net/wp/abc","status":"unsubscribed","http_status":410,"reason":"Gone"},)"
          R"({"n":2,"platform":"fcm","token":"short","status":"failed","reason":"timeout"}]})",
      {"apns", "webpush"});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "accepted: 3  rejected: 0\n"
            "\n"
            "results: 3 (1 delivered, 1 unsubscribed, 1 failed)\n"
            "N  PLATFORM  TOKEN              STATUS        HTTP_STATUS  REASON\n"
            "0  apns      aaaaaaaaaaaaaaaa\u2026  delivered             200\n"
            "1  webpush   https://push.exa\u2026  unsubscribed          410  Gone\n"
            "2  fcm       short              failed                     timeout\n");
}

TEST(FormatStats, PlatformRowsThenGauges) {
  auto out =
      format_stats(R"({"id":null,"ok":true,"platforms":{"apns":{"accepted":10,"delivered":9,"failed":1},)"
                   R"("fcm":{"accepted":0,"delivered":0,"failed":0,"throttled":4}},"queue_depth":5,"connections":2})");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "PLATFORM  ACCEPTED  DELIVERED  FAILED  THROTTLED\n"
            "apns            10          9       1\n"
            "fcm              0          0       0          4\n"
            "\n"
            "queue_depth  5\n"
            "connections  2\n");
}

TEST(FormatStats, ArraysOfObjectsAreTablesOfTheirOwn) {
  auto out = format_stats(
      R"({"ok":true,"platforms":{"apns":{"accepted":3,"delivered":2}},"queue_depth":0,"apps":[)"
      R"({"platform":"apns","app":"shop-ios","accepted":3,"delivered":2,"latency_ms":{"provider":{"count":2,"p50":1.5,"p99":3}}},)"
      R"({"platform":"apns","app":"dead-ios","accepted":0,"delivered":0,"latency_ms":{"provider":{"count":0,"p50":0,"p99":0}}}],)"
      R"("breakers":[],"max_queued":100})");
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(*out,
            "PLATFORM  ACCEPTED  DELIVERED\n"
            "apns             3          2\n"
            "\n"
            "queue_depth    0\n"
            "max_queued   100\n"
            "\n"
            "apps:\n"
            "PLATFORM  APP       ACCEPTED  DELIVERED  PROVIDER_P50  PROVIDER_P99\n"
            "apns      shop-ios         3          2           1.5             3\n"
            "apns      dead-ios         0          0             0             0\n"
            "\n"
            "breakers: none\n");
}

constexpr std::string_view kFeedback =
    R"({"id":"f","ok":true,"next":43,"events":[)"
    R"({"seq":42,"at":"2026-11-22T10:00:00Z","platform":"apns","app":"shop-ios","token":"0123456789abcdef0123","kind":"unsubscribed","reason":"Unregistered","campaign":"spring-sale"},)"
    R"({"seq":7,"at":"2026-11-22T10:00:01Z","platform":"webpush","app":"w","endpoint":"https://p/x","kind":"invalid"}]})";

TEST(FormatFeedback, TableWithNext) {
  auto page = format_feedback(kFeedback, false, true);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_TRUE(page->has_next);
  EXPECT_EQ(page->next, 43u);
  EXPECT_EQ(page->count, 2u);
  EXPECT_EQ(page->text,
            "   SEQ  AT                    PLATFORM  APP           TOKEN              KIND          REASON             "
            "   CAMPAIGN\n"
            "    42  2026-11-22T10:00:00Z  apns      shop-ios      0123456789abcdef\u2026  unsubscribed  Unregistered  "
            "        spring-sale\n"
            "     7  2026-11-22T10:00:01Z  webpush   w             https://p/x        invalid\n");
  auto no_header = format_feedback(kFeedback, false, false);
  EXPECT_EQ(no_header->text.find("SEQ"), std::string::npos);
}

TEST(FormatFeedback, JsonIsOneEventPerLine) {
  auto page = format_feedback(kFeedback, true, true);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(
      page->text,
      R"({"seq":42,"at":"2026-11-22T10:00:00Z","platform":"apns","app":"shop-ios","token":"0123456789abcdef0123","kind":"unsubscribed","reason":"Unregistered","campaign":"spring-sale"})"
      "\n"
      R"({"seq":7,"at":"2026-11-22T10:00:01Z","platform":"webpush","app":"w","endpoint":"https://p/x","kind":"invalid"})"
      "\n");
  auto empty = format_feedback(R"({"id":"f","ok":true,"next":9,"events":[]})", true, true);
  EXPECT_EQ(empty->text, "");
  EXPECT_EQ(empty->count, 0u);
  EXPECT_EQ(empty->next, 9u);
}

TEST(FormatScheduled, OneRowPerRecipient) {
  auto out = format_scheduled(
      R"({"id":"s","ok":true,"schedule_key":"cart-1","scheduled":[)"
      R"({"id":"00000000000000ab","send_at":"2026-11-22T10:00:00Z","reason":"send_at","platform":"apns","app":"shop-ios","token":"0123456789abcdef0123","campaign":"spring"},)"
      R"({"id":"00000000000000cd","send_at":"2026-11-23T07:00:00Z","reason":"quiet_hours","platform":"webpush","app":"shop-web","endpoint":"https://push.example.net/wp/1"}],"truncated":true})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "ID                SEND_AT               REASON       PLATFORM  APP       TOKEN              CAMPAIGN\n"
            "00000000000000ab  2026-11-22T10:00:00Z  send_at      apns      shop-ios  0123456789abcdef…  spring\n"
            "00000000000000cd  2026-11-23T07:00:00Z  quiet_hours  webpush   shop-web  https://push.exa…\n"
            "truncated: true\n");
  EXPECT_EQ(format_scheduled(R"({"id":"s","ok":true,"scheduled":[],"truncated":false})").value(),
            "ID  SEND_AT  REASON  PLATFORM  APP  TOKEN  CAMPAIGN\n");
}

TEST(FormatFields, KeyValueLines) {
  auto out = format_fields(
      R"({"id":"t","ok":true,"state":"invalid","reason":"BadDeviceToken","since":"2026-11-22T10:00:00Z","sent":12,"delivered":11})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "state:      invalid\n"
            "reason:     BadDeviceToken\n"
            "since:      2026-11-22T10:00:00Z\n"
            "sent:       12\n"
            "delivered:  11\n");
  EXPECT_EQ(format_fields(R"({"id":"t","ok":true})").value(), "ok\n");
}

TEST(FormatCampaign, RatesArePercentagesWithOneDecimal) {
  auto out = format_campaign(
      R"({"id":"c","ok":true,"campaign":"spring-sale","found":true,"sent":13,"delivered":8,)"
      R"("delivery_rate":0.6153846153846154,"open_rate":0.0005,"ctr":1,"conversion_rate":0,"unsubscribe_rate":0.99951})");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "campaign:          spring-sale\n"
            "found:             true\n"
            "sent:              13\n"
            "delivered:         8\n"
            "delivery_rate:     61.5%\n"
            "open_rate:         0.1%\n"
            "ctr:               100.0%\n"
            "conversion_rate:   0.0%\n"
            "unsubscribe_rate:  100.0%\n");
  EXPECT_EQ(percent_text(0.6153846153846154), "61.5%");
  EXPECT_FALSE(format_campaign("not json").ok());
}

}  // namespace
}  // namespace pushgw::ctl
