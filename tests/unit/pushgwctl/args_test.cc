#include "args.h"

#include <gtest/gtest.h>

namespace pushgw::ctl {
namespace {

Result<Options> parse(std::initializer_list<std::string_view> args, const char* env = nullptr) {
  return parse_args(std::vector<std::string_view>(args), env);
}

std::string usage_error(std::initializer_list<std::string_view> args) {
  auto r = parse(args);
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.error().code, "usage");
  return r.error().message;
}

TEST(Args, SocketDefaultEnvAndFlag) {
  EXPECT_EQ(parse({"ping"})->socket, "/run/pushgw/pushgw.sock");
  EXPECT_EQ(parse({"ping"}, "/tmp/env.sock")->socket, "/tmp/env.sock");
  EXPECT_EQ(parse({"ping"}, "")->socket, "/run/pushgw/pushgw.sock");
  EXPECT_EQ(parse({"--socket", "/a.sock", "ping"}, "/tmp/env.sock")->socket, "/a.sock");
  EXPECT_EQ(parse({"--socket=/b.sock", "ping"})->socket, "/b.sock");
  EXPECT_EQ(parse({"ping", "--socket", "/c.sock"})->socket, "/c.sock");  // global options also after the command
}

TEST(Args, SendTakesFileOrStdinAndWait) {
  auto r = parse({"--json", "send", "--wait", "batch.json"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::Send);
  EXPECT_EQ(r->file, "batch.json");
  EXPECT_TRUE(r->wait);
  EXPECT_TRUE(r->json);
  auto s = parse({"send", "-"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->file, "-");
  EXPECT_FALSE(s->wait);
  EXPECT_EQ(parse({"send", "--", "--odd-name.json"})->file, "--odd-name.json");
}

TEST(Args, FeedbackOptions) {
  auto r = parse({"feedback", "--since", "42", "--limit=10", "--follow"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->since, 42u);
  ASSERT_TRUE(r->limit.has_value());
  EXPECT_EQ(*r->limit, 10u);
  EXPECT_TRUE(r->follow);
  auto d = parse({"feedback"});
  EXPECT_EQ(d->since, 0u);
  EXPECT_FALSE(d->limit.has_value());
  EXPECT_FALSE(d->follow);
}

TEST(Args, TokenAndForget) {
  auto t = parse({"token", "--platform", "apns", "--app", "shop-ios", "--token", "abcd"});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->command, Command::Token);
  EXPECT_EQ(t->platform, "apns");
  EXPECT_EQ(t->app, "shop-ios");
  EXPECT_EQ(t->token, "abcd");
  auto f = parse({"forget", "--platform=webpush", "--app=w", "--endpoint=https://p.example/x"});
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->command, Command::Forget);
  EXPECT_EQ(f->endpoint, "https://p.example/x");
}

TEST(Args, RawAndTimeout) {
  auto r = parse({"--timeout", "2.5", "raw", "{\"op\":\"ping\"}"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->raw, "{\"op\":\"ping\"}");
  EXPECT_DOUBLE_EQ(effective_timeout(*r, true), 2.5);
}

TEST(Args, DefaultTimeoutDependsOnWaiting) {
  auto r = parse({"send", "f"});
  EXPECT_DOUBLE_EQ(effective_timeout(*r, true), 600.0);
  EXPECT_DOUBLE_EQ(effective_timeout(*r, false), 30.0);
}

TEST(Args, HelpAndVersionSkipValidation) {
  auto g = parse({"--help"});
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->help);
  EXPECT_EQ(g->command, Command::None);
  auto s = parse({"send", "--help"});  // no FILE needed for help
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->help);
  EXPECT_EQ(s->command, Command::Send);
  EXPECT_TRUE(parse({"--version"})->version);
}

TEST(Args, UsageErrors) {
  EXPECT_EQ(usage_error({}), "missing command");
  EXPECT_EQ(usage_error({"blast"}), "unknown command 'blast'");
  EXPECT_EQ(usage_error({"send"}), "send needs a FILE (or - for stdin)");
  EXPECT_EQ(usage_error({"send", "a", "b"}), "unexpected argument 'b' for send");
  EXPECT_EQ(usage_error({"stats", "--wait"}), "unknown option --wait for stats");
  EXPECT_EQ(usage_error({"--bogus", "stats"}), "unknown option --bogus");
  EXPECT_EQ(usage_error({"ping", "extra"}), "unexpected argument 'extra' for ping");
  EXPECT_EQ(usage_error({"feedback", "--since"}), "--since needs a value");
  EXPECT_EQ(usage_error({"feedback", "--since", "-3"}), "--since needs a non-negative integer, got '-3'");
  EXPECT_EQ(usage_error({"feedback", "--limit", "0"}), "--limit must be at least 1");
  EXPECT_EQ(usage_error({"--timeout", "0", "ping"}), "--timeout needs a number of seconds > 0, got '0'");
  EXPECT_EQ(usage_error({"--timeout", "abc", "ping"}), "--timeout needs a number of seconds > 0, got 'abc'");
  EXPECT_EQ(usage_error({"--json=yes", "ping"}), "--json takes no value");
  EXPECT_EQ(usage_error({"token", "--app", "a", "--token", "t"}), "token needs --platform");
  EXPECT_EQ(usage_error({"token", "--platform", "apns", "--token", "t"}), "token needs --app");
  EXPECT_EQ(usage_error({"forget", "--platform", "apns", "--app", "a"}),
            "forget needs exactly one of --token or --endpoint");
  EXPECT_EQ(usage_error({"forget", "--platform", "apns", "--app", "a", "--token", "t", "--endpoint", "e"}),
            "forget needs exactly one of --token or --endpoint");
  EXPECT_EQ(usage_error({"raw"}), "raw needs a JSON request");
}

TEST(Args, ScheduledSendCommands) {
  auto c = parse({"cancel", "cart-123"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->command, Command::Cancel);
  EXPECT_EQ(c->schedule_key, "cart-123");
  auto s = parse({"scheduled", "--limit", "5", "cart-123"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->command, Command::Scheduled);
  EXPECT_EQ(s->schedule_key, "cart-123");
  EXPECT_EQ(s->limit, 5u);
  EXPECT_EQ(usage_error({"cancel"}), "cancel needs a schedule KEY");
  EXPECT_EQ(usage_error({"scheduled"}), "scheduled needs a schedule KEY");
  EXPECT_EQ(usage_error({"cancel", "a", "b"}), "unexpected argument 'b' for cancel");
  EXPECT_NE(usage_error({"cancel", "--limit", "5", "k"}).find("unknown option --limit"), std::string::npos);
  EXPECT_NE(usage_error({"scheduled", "--since", "5", "k"}).find("unknown option --since"), std::string::npos);
}

TEST(Help, EveryCommandHasHelpAndGlobalHelpListsExitCodes) {
  const std::string g = help_text(Command::None);
  for (const char* needle : {"send FILE|-", "stats", "feedback", "token", "forget", "ping", "raw JSON", "--socket",
                             "PUSHGW_SOCKET", "--json", "--timeout", "exit codes", "  4  bad input"}) {
    EXPECT_NE(g.find(needle), std::string::npos) << needle;
  }
  for (Command c : {Command::Send, Command::Stats, Command::Feedback, Command::Token, Command::Forget, Command::Ping,
                    Command::Raw, Command::Event, Command::Campaign, Command::Cancel, Command::Scheduled}) {
    const std::string h = help_text(c);
    EXPECT_EQ(h.rfind("usage: pushgwctl " + std::string(command_name(c)), 0), 0u) << h;
    EXPECT_NE(h.find("exit codes"), std::string::npos);
  }
}

TEST(Args, TopIntervalAndIterations) {
  auto r = parse({"top"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::Top);
  EXPECT_DOUBLE_EQ(r->interval_s, 1.0);
  EXPECT_EQ(r->iterations, 0u);
  auto t = parse({"top", "--interval", "0.5", "--iterations=3"});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_DOUBLE_EQ(t->interval_s, 0.5);
  EXPECT_EQ(t->iterations, 3u);
  EXPECT_EQ(usage_error({"top", "--interval", "0.01"}), "--interval must be at least 0.1 seconds");
  EXPECT_EQ(usage_error({"top", "--interval", "x"}), "--interval needs a number of seconds > 0, got 'x'");
  EXPECT_EQ(usage_error({"top", "extra"}), "unexpected argument 'extra' for top");
  EXPECT_EQ(usage_error({"stats", "--interval", "2"}), "unknown option --interval for stats");
}

}  // namespace
}  // namespace pushgw::ctl
