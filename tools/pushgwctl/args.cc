#include "args.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace pushgw::ctl {
namespace {

Error usage(std::string msg) { return make_error("usage", std::move(msg)); }

struct CommandName {
  Command cmd;
  std::string_view name;
};
constexpr CommandName kCommands[] = {
    {Command::Send, "send"},     {Command::Stats, "stats"}, {Command::Feedback, "feedback"}, {Command::Token, "token"},
    {Command::Forget, "forget"}, {Command::Ping, "ping"},   {Command::Raw, "raw"},
    {Command::Event, "event"},   {Command::Campaign, "campaign"},
    {Command::Cancel, "cancel"}, {Command::Scheduled, "scheduled"},
    {Command::Top, "top"},
};

Command lookup(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name) return c.cmd;
  }
  return Command::None;
}

Result<uint64_t> parse_u64(std::string_view opt, std::string_view v) {
  uint64_t out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
    return usage(std::string(opt) + " needs a non-negative integer, got '" + std::string(v) + "'");
  }
  return out;
}

Result<double> parse_seconds(std::string_view opt, std::string_view v) {
  const std::string s(v);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d) || d <= 0 || d > 31'536'000) {
    return usage(std::string(opt) + " needs a number of seconds > 0, got '" + s + "'");
  }
  return d;
}

// One command line being parsed: the cursor plus what was seen so far.
class ArgParser {
 public:
  ArgParser(const std::vector<std::string_view>& args, const char* env_socket) : args_(args), env_(env_socket) {}
  Result<Options> run();

 private:
  Result<void> option(std::string_view name, std::optional<std::string_view> inline_value);
  Result<bool> command_option(std::string_view name, std::optional<std::string_view> inline_value);
  Result<std::string_view> value(std::string_view name, std::optional<std::string_view> inline_value);
  Result<void> positional(std::string_view a);
  Result<void> check_complete() const;

  const std::vector<std::string_view>& args_;
  const char* env_;
  size_t i_ = 0;
  Options o_;
  std::optional<std::string> socket_;
  std::vector<std::string_view> positionals_;
};

Result<std::string_view> ArgParser::value(std::string_view name, std::optional<std::string_view> inline_value) {
  if (inline_value) return *inline_value;
  if (i_ + 1 >= args_.size()) return usage(std::string(name) + " needs a value");
  return args_[++i_];
}

Result<void> ArgParser::option(std::string_view name, std::optional<std::string_view> inline_value) {
  auto flag = [&](bool& f) -> Result<void> {
    if (inline_value) return usage(std::string(name) + " takes no value");
    f = true;
    return ok();
  };
  if (name == "--help" || name == "-h") return flag(o_.help);
  if (name == "--version") return flag(o_.version);
  if (name == "--json") return flag(o_.json);
  if (name == "--socket") {
    auto v = value(name, inline_value);
    if (!v.ok()) return v.error();
    if (v->empty()) return usage("--socket needs a path");
    socket_ = std::string(*v);
    return ok();
  }
  if (name == "--timeout") {
    auto v = value(name, inline_value);
    if (!v.ok()) return v.error();
    auto t = parse_seconds(name, *v);
    if (!t.ok()) return t.error();
    o_.timeout_s = *t;
    return ok();
  }
  auto handled = command_option(name, inline_value);
  if (!handled.ok()) return handled.error();
  if (*handled) return ok();
  std::string msg = "unknown option " + std::string(name);
  if (o_.command != Command::None) msg += " for " + std::string(command_name(o_.command));
  return usage(msg);
}

Result<bool> ArgParser::command_option(std::string_view name, std::optional<std::string_view> inline_value) {
  const Command c = o_.command;
  auto flag = [&](bool& f) -> Result<bool> {
    if (inline_value) return usage(std::string(name) + " takes no value");
    f = true;
    return true;
  };
  auto text = [&](std::string& out) -> Result<bool> {
    auto v = value(name, inline_value);
    if (!v.ok()) return v.error();
    out = std::string(*v);
    return true;
  };
  if (c == Command::Send && name == "--wait") return flag(o_.wait);
  if (c == Command::Feedback || c == Command::Scheduled) {
    if (c == Command::Feedback && name == "--follow") return flag(o_.follow);
    if ((c == Command::Feedback && name == "--since") || name == "--limit") {
      auto v = value(name, inline_value);
      if (!v.ok()) return v.error();
      auto n = parse_u64(name, *v);
      if (!n.ok()) return n.error();
      if (name == "--limit" && *n == 0) return usage("--limit must be at least 1");
      if (name == "--since") {
        o_.since = *n;
      } else {
        o_.limit = *n;
      }
      return true;
    }
  }
  if (c == Command::Top && (name == "--interval" || name == "--iterations")) {
    auto v = value(name, inline_value);
    if (!v.ok()) return v.error();
    if (name == "--interval") {
      auto t = parse_seconds(name, *v);
      if (!t.ok()) return t.error();
      if (*t < 0.1) return usage("--interval must be at least 0.1 seconds");
      o_.interval_s = *t;
      return true;
    }
    auto n = parse_u64(name, *v);
    if (!n.ok()) return n.error();
    o_.iterations = *n;
    return true;
  }
  if (c == Command::Event) {
    if (name == "--campaign") return text(o_.campaign);
    if (name == "--kind") return text(o_.kind);
    if (name == "--at") return text(o_.at);
  }
  if (c == Command::Token || c == Command::Forget || c == Command::Event) {
    if (name == "--platform") return text(o_.platform);
    if (name == "--app") return text(o_.app);
    if (name == "--token") return text(o_.token);
    if (name == "--endpoint") return text(o_.endpoint);
  }
  return false;
}

Result<void> ArgParser::positional(std::string_view a) {
  if (o_.command == Command::None) {
    o_.command = lookup(a);
    if (o_.command == Command::None) return usage("unknown command '" + std::string(a) + "'");
    return ok();
  }
  positionals_.push_back(a);
  return ok();
}

Result<void> ArgParser::check_complete() const {
  const std::string cmd(command_name(o_.command));
  if (o_.command == Command::None) return usage("missing command");
  const bool one_arg = o_.command == Command::Send || o_.command == Command::Raw || o_.command == Command::Campaign ||
                       o_.command == Command::Cancel || o_.command == Command::Scheduled;
  if (one_arg && positionals_.empty()) {
    return usage(o_.command == Command::Send       ? "send needs a FILE (or - for stdin)"
                 : o_.command == Command::Raw      ? "raw needs a JSON request"
                 : o_.command == Command::Campaign ? "campaign needs a NAME"
                                                   : cmd + " needs a schedule KEY");
  }
  const size_t allowed = one_arg ? 1 : 0;
  if (positionals_.size() > allowed) {
    return usage("unexpected argument '" + std::string(positionals_[allowed]) + "' for " + cmd);
  }
  if (o_.command == Command::Event) {
    if (o_.campaign.empty()) return usage("event needs --campaign");
    if (o_.kind.empty()) return usage("event needs --kind (open, click or conversion)");
  }
  if (o_.command == Command::Token || o_.command == Command::Forget || o_.command == Command::Event) {
    if (o_.platform.empty()) return usage(cmd + " needs --platform");
    if (o_.app.empty()) return usage(cmd + " needs --app");
    if (o_.token.empty() == o_.endpoint.empty()) return usage(cmd + " needs exactly one of --token or --endpoint");
  }
  return ok();
}

Result<Options> ArgParser::run() {
  bool options_done = false;
  for (i_ = 0; i_ < args_.size(); ++i_) {
    const std::string_view a = args_[i_];
    if (!options_done && a == "--") {
      options_done = true;
      continue;
    }
    if (options_done || a.size() < 2 || a[0] != '-') {
      if (auto r = positional(a); !r.ok()) return r.error();
      continue;
    }
    std::string_view name = a;
    std::optional<std::string_view> inline_value;
    if (const auto eq = a.find('='); a.substr(0, 2) == "--" && eq != std::string_view::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (auto r = option(name, inline_value); !r.ok()) return r.error();
  }
  if (!o_.help && !o_.version) {
    if (auto r = check_complete(); !r.ok()) return r.error();
  }
  if (socket_) {
    o_.socket = *socket_;
  } else if (env_ && *env_) {
    o_.socket = env_;
  } else {
    o_.socket = std::string(kDefaultSocket);
  }
  if (!positionals_.empty() && o_.command == Command::Send) o_.file = std::string(positionals_[0]);
  if (!positionals_.empty() && o_.command == Command::Raw) o_.raw = std::string(positionals_[0]);
  if (!positionals_.empty() && o_.command == Command::Campaign) o_.campaign = std::string(positionals_[0]);
  if (!positionals_.empty() && (o_.command == Command::Cancel || o_.command == Command::Scheduled))
    o_.schedule_key = std::string(positionals_[0]);
  return std::move(o_);
}

}  // namespace

Result<Options> parse_args(const std::vector<std::string_view>& args, const char* env_socket) {
  return ArgParser(args, env_socket).run();
}

std::string_view command_name(Command c) {
  for (const auto& k : kCommands) {
    if (k.cmd == c) return k.name;
  }
  return "";
}

double effective_timeout(const Options& o, bool waits_for_results) {
  if (o.timeout_s) return *o.timeout_s;
  return waits_for_results ? 600.0 : 30.0;
}

}  // namespace pushgw::ctl
