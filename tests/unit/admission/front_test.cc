// Front: parse once, "send" to Admission, other ops to the registry; a
// source may only send; the line limit holds for sources too.
#include "admission/front.h"

#include <gtest/gtest.h>

#include "harness.h"

namespace pushgw::admission {
namespace {

using testing::Rig;

class FrontTest : public ::testing::Test {
 protected:
  FrontTest() : rig_({}), front_(*rig_.admission, ops_, *rig_.clients, 4096, nullptr) {
    ops_.add("ping", [](const ingest::OpCall& c) { c.ok(); });
  }
  Rig rig_;
  ingest::OpRegistry ops_;
  Front front_;
};

TEST_F(FrontTest, LinesGoToAdmissionOrToTheirOp) {
  front_.on_line(1, testing::send_line(1, false));
  front_.on_line(2, R"({"op":"ping","id":"p"})");
  front_.on_line(3, R"({"op":"nope","id":3})");
  front_.on_line(4, "not json");
  ASSERT_EQ(rig_.socket.size(), 4u);
  EXPECT_EQ(rig_.socket[0].second, R"({"id":7,"ok":true,"accepted":1,"rejected":[]})");
  EXPECT_EQ(rig_.socket[1].second, R"({"id":"p","ok":true})");
  EXPECT_NE(rig_.socket[2].second.find(R"("error":"unknown_op")"), std::string::npos);
  EXPECT_NE(rig_.socket[3].second.find(R"("id":null,"ok":false,"error":"parse_error")"), std::string::npos);
  EXPECT_EQ(rig_.lanes.load(), 1u);
}

TEST_F(FrontTest, ASourceMayOnlySend) {
  front_.submit(8, R"({"op":"ping","id":1})");
  front_.submit(9, std::string(5000, ' '));
  front_.submit(10, testing::send_line(1, false));
  rig_.finish_all(Status::Delivered);
  ASSERT_EQ(rig_.source.answers.size(), 3u);
  EXPECT_EQ(rig_.source.answers[0], std::make_pair(uint64_t{8}, ingest::Answer::Rejected));
  EXPECT_NE(rig_.source.lines[0].find("a stream entry must be a \\\"send\\\" request"), std::string::npos);
  EXPECT_EQ(rig_.source.answers[1], std::make_pair(uint64_t{9}, ingest::Answer::Rejected));
  EXPECT_NE(rig_.source.lines[1].find("line_too_long"), std::string::npos);
  EXPECT_EQ(rig_.source.answers[2].second, ingest::Answer::Final) << "no spool: a source's send is waited for";
  EXPECT_TRUE(rig_.socket.empty());
}

}  // namespace
}  // namespace pushgw::admission
