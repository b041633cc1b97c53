// OpRegistry: dispatch by name, bad_request for a missing op, unknown_op for
// an op nobody registered, answers now or later through the Replier.
#include "ingest/op_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ingest/request_parser.h"

namespace pushgw::ingest {
namespace {

struct FakeReplier : Replier {
  std::vector<std::pair<uint64_t, std::string>> now, later;
  void answer(uint64_t conn_id, std::string line) override { now.emplace_back(conn_id, std::move(line)); }
  std::function<void(std::string)> answer_later(uint64_t conn_id) override {
    return [this, conn_id](std::string line) { later.emplace_back(conn_id, std::move(line)); };
  }
};

class OpRegistryTest : public ::testing::Test {
 protected:
  void run(std::string_view line, uint64_t conn = 7) {
    ASSERT_TRUE(parser_.parse(line).ok());
    OpCall call{conn, parser_.id_json(), parser_.root(), &replier_};
    ops_.dispatch(parser_.op(), call);
  }
  RequestParser parser_;
  FakeReplier replier_;
  OpRegistry ops_;
};

TEST_F(OpRegistryTest, DispatchesToTheHandlerRegisteredUnderTheOpsName) {
  std::vector<std::string> seen;
  ops_.add("ping", [&](const OpCall& c) {
    seen.push_back("ping");
    c.ok();
  });
  ops_.add("echo", [&](const OpCall& c) {
    std::string_view v;
    ASSERT_EQ(c.root["value"].get_string().get(v), simdjson::SUCCESS);  // the handler parses its own fields
    seen.push_back("echo");
    c.answer(c.ok_head() + ",\"value\":\"" + std::string(v) + "\"}");
  });
  run(R"({"op":"echo","id":1,"value":"x"})", 3);
  run(R"({"op":"ping","id":"p"})", 4);
  EXPECT_EQ(seen, (std::vector<std::string>{"echo", "ping"}));
  ASSERT_EQ(replier_.now.size(), 2u);
  EXPECT_EQ(replier_.now[0], std::make_pair(uint64_t{3}, std::string(R"({"id":1,"ok":true,"value":"x"})")));
  EXPECT_EQ(replier_.now[1], std::make_pair(uint64_t{4}, std::string(R"({"id":"p","ok":true})")));
}

TEST_F(OpRegistryTest, UnknownOpIsAnsweredUnknownOp) {
  bool called = false;
  ops_.add("ping", [&](const OpCall&) { called = true; });
  run(R"({"op":"pong","id":9})");
  EXPECT_FALSE(called);
  ASSERT_EQ(replier_.now.size(), 1u);
  EXPECT_EQ(replier_.now[0].second, R"({"id":9,"ok":false,"error":"unknown_op","message":"unknown op 'pong'"})");
}

TEST_F(OpRegistryTest, MissingOpIsABadRequest) {
  run(R"({"id":2})");
  ASSERT_EQ(replier_.now.size(), 1u);
  EXPECT_EQ(replier_.now[0].second,
            R"({"id":2,"ok":false,"error":"bad_request","message":"missing string field 'op'"})");
}

TEST_F(OpRegistryTest, AHandlerMayAnswerLater) {
  std::function<void(std::string)> pending;
  ops_.add("slow", [&](const OpCall& c) { pending = c.later(); });
  run(R"({"op":"slow","id":5})", 11);
  EXPECT_TRUE(replier_.now.empty());
  ASSERT_TRUE(pending);
  pending("{\"id\":5,\"ok\":true}");
  ASSERT_EQ(replier_.later.size(), 1u);
  EXPECT_EQ(replier_.later[0].first, 11u);
}

TEST_F(OpRegistryTest, ALaterAddReplacesTheHandler) {
  int first = 0, second = 0;
  ops_.add("x", [&](const OpCall& c) { ++first; c.ok(); });
  ops_.add("x", [&](const OpCall& c) { ++second; c.ok(); });
  EXPECT_TRUE(ops_.has("x"));
  EXPECT_FALSE(ops_.has("y"));
  run(R"({"op":"x"})");
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

}  // namespace
}  // namespace pushgw::ingest
