// The store-backed ops through the registry, against a real SQLite store:
// answers come from the store thread through OpCall::later(); each handler
// parses its own fields; without a store every op is "unavailable".
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "../store/store_test_util.h"
#include "ingest/request_parser.h"
#include "ops/campaign_ops.h"
#include "ops/store_ops.h"

namespace pushgw::ops {
namespace {

using store::testing::TempDir;

// Collects the one answer of each request, from whichever thread.
struct Answers : ingest::Replier {
  std::shared_ptr<std::promise<std::string>> next = std::make_shared<std::promise<std::string>>();
  void answer(uint64_t, std::string line) override { next->set_value(std::move(line)); }
  std::function<void(std::string)> answer_later(uint64_t) override {
    return [p = next](std::string line) { p->set_value(std::move(line)); };
  }
};

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::testing::open_store(dir_.file("pushgw.db"), clock_);
    ASSERT_TRUE(store_ != nullptr);
    store_->start();
    register_store_ops(ops_, store_.get());
    register_campaign_ops(ops_, store_.get(), clock_);
  }
  std::string run(std::string_view line, ingest::OpRegistry* ops = nullptr) {
    Answers answers;
    auto f = answers.next->get_future();
    EXPECT_TRUE(parser_.parse(line).ok());
    (ops ? *ops : ops_).dispatch(parser_.op(), ingest::OpCall{1, parser_.id_json(), parser_.root(), &answers});
    if (f.wait_for(store::testing::kWait) != std::future_status::ready) return "no answer";
    return f.get();
  }

  TempDir dir_;
  store::testing::TestClock clock_;
  std::unique_ptr<store::Store> store_;
  ingest::OpRegistry ops_;
  ingest::RequestParser parser_;
};

TEST_F(OpsTest, TokenOfAnUnknownTokenAndForget) {
  EXPECT_EQ(run(R"({"op":"token","id":1,"platform":"apns","app":"shop","token":"ab"})"),
            R"({"id":1,"ok":true,"state":"unknown","reason":"","since":"","sent":0,"delivered":0,"failed":0})");
  EXPECT_EQ(run(R"({"op":"forget","id":2,"platform":"apns","app":"shop","token":"ab"})"),
            R"({"id":2,"ok":true,"forgotten":false})");
}

TEST_F(OpsTest, EventsAreRecordedAndCountInTheCampaign) {
  EXPECT_EQ(run(R"({"op":"event","id":3,"events":[)"
                R"({"campaign":"spring","platform":"apns","app":"shop","token":"t1","kind":"open"},)"
                R"({"campaign":"spring","platform":"webpush","app":"site","endpoint":"https://e/1","kind":"click","at":1700000000}]})"),
            R"({"id":3,"ok":true,"recorded":2})");
  const std::string c = run(R"({"op":"campaign","id":4,"campaign":"spring"})");
  EXPECT_NE(c.find(R"("campaign":"spring")"), std::string::npos) << c;
  EXPECT_NE(c.find(R"("opened":1,"clicked":1,"converted":0)"), std::string::npos) << c;
  EXPECT_NE(c.find(R"("delivery_rate":0,)"), std::string::npos) << c;
}

TEST_F(OpsTest, FeedbackOfAnEmptyStore) {
  const std::string f = run(R"({"op":"feedback","id":5,"since":0,"limit":10})");
  EXPECT_EQ(f.rfind(R"({"id":5,"ok":true,"next":)", 0), 0u) << f;
  EXPECT_NE(f.find(R"("events":[]})"), std::string::npos) << f;
}

TEST_F(OpsTest, EachHandlerParsesItsOwnFields) {
  EXPECT_EQ(run(R"({"op":"token","id":6,"app":"shop","token":"ab"})"),
            R"({"id":6,"ok":false,"error":"bad_request","message":"missing string field 'platform'"})");
  EXPECT_EQ(run(R"({"op":"forget","id":7,"platform":"webpush","app":"site","token":"ab"})"),
            R"({"id":7,"ok":false,"error":"bad_request","message":"missing string field 'endpoint'"})");
  EXPECT_EQ(run(R"({"op":"feedback","id":8,"since":-1})"),
            R"({"id":8,"ok":false,"error":"bad_request","message":"'since' must be a non-negative integer"})");
  EXPECT_EQ(run(R"({"op":"event","id":9,"campaign":"c","platform":"apns","app":"a","token":"t","kind":"x"})"),
            R"({"id":9,"ok":false,"error":"bad_request","message":"event kind must be open, click or conversion"})");
  EXPECT_EQ(run(R"({"op":"event","id":10,"events":[1]})"),
            R"({"id":10,"ok":false,"error":"bad_request","message":"events[0]: must be an object"})");
  EXPECT_EQ(run(R"({"op":"campaign","id":11})"),
            R"({"id":11,"ok":false,"error":"bad_request","message":"campaign needs a non-empty \"campaign\" string"})");
}

TEST_F(OpsTest, WithoutAStoreEveryOpIsUnavailable) {
  ingest::OpRegistry none;
  register_store_ops(none, nullptr);
  register_campaign_ops(none, nullptr, clock_);
  for (const char* op : {"feedback", "token", "forget", "event", "campaign"})
    EXPECT_EQ(run(std::string(R"({"op":")") + op + R"(","id":0})", &none),
              R"({"id":0,"ok":false,"error":"unavailable","message":"no store configured"})")
        << op;
  std::promise<Result<ingest::FeedbackPage>> page;
  read_feedback(nullptr, 0, 10, [&](Result<ingest::FeedbackPage> r) { page.set_value(std::move(r)); });
  auto r = page.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unavailable");
}

}  // namespace
}  // namespace pushgw::ops
