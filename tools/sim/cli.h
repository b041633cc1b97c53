// Command-line parsing for `pushgw-sim serve` (pure, unit-tested). The
// generator subcommands parse their few flags in gen.cc with ArgReader.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::sim {

struct ApnsKeySpec {
  std::string team_id, key_id, path;
};

struct ServeOptions {
  std::string listen_host;
  uint16_t listen_port = 0;
  std::string cert_file, key_file;
  bool has_admin = false;
  std::string admin_host;
  uint16_t admin_port = 0;
  std::vector<ApnsKeySpec> apns_keys;
  // --apns-topic: the bundle ids the sim's devices belong to. Empty: any
  // topic is accepted; else another topic gets 400 DeviceTokenNotForTopic.
  std::vector<std::string> apns_topics;
  std::vector<std::string> fcm_service_accounts;
  std::string webpush_subscriptions;
  bool sink = false;
  int64_t slow_ms = 300;
  uint32_t max_streams = 1000;
  int64_t token_ttl_s = 3600;
  int threads = 1;
  std::vector<std::string> faults;  // raw --fault values, parsed by faults.h
  std::string port_file;
  std::string log_level = "info";
};

// Walks "--name value" / "--name=value" arguments.
class ArgReader {
 public:
  explicit ArgReader(std::vector<std::string_view> args) : args_(std::move(args)) {}
  bool done() const { return i_ >= args_.size(); }
  // Next flag name (without the value part); "" if the argument is no flag.
  std::string_view next_flag();
  // The flag's value (inline "=v" or the next argument). Errors: "bad_args".
  Result<std::string> value();
  std::string_view current() const { return cur_; }

 private:
  std::vector<std::string_view> args_;
  size_t i_ = 0;
  std::string_view cur_;
  std::string_view inline_value_;
  bool has_inline_ = false;
};

// Errors: "bad_args" naming the flag.
Result<ServeOptions> parse_serve_args(std::vector<std::string_view> args);

// "127.0.0.1:8443", "[::1]:8443", "localhost:0" (localhost means 127.0.0.1).
bool parse_host_port(std::string_view s, std::string& host, uint16_t& port);

// TEAMID:KEYID:path (the path may itself contain ':').
Result<ApnsKeySpec> parse_apns_key_spec(std::string_view s);

}  // namespace pushgw::sim
