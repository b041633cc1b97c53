// Building request lines (one JSON object, no newline) for each command.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "args.h"
#include "pushgw/result.h"

namespace pushgw::ctl {

struct SendRequest {
  std::string line;
  std::string id_key;                  // see json_util.h
  bool wait = false;                   // the daemon answers after final outcomes
  std::vector<std::string> platforms;  // notifications[n].platform, for result rows
};

// text: the send file (any whitespace layout). Adds "op":"send" and "id":fresh_id
// when missing; force_wait sets "wait":true. Error{"bad_input", why} when it
// is not a JSON object, "op" is not "send", or "id" is not a string.
Result<SendRequest> build_send_request(std::string_view text, bool force_wait, std::string_view fresh_id);

struct RawRequest {
  std::string line;
  std::string id_key;
};
// Any JSON object, minified; Error{"bad_input", why} otherwise.
Result<RawRequest> build_raw_request(std::string_view text);

std::string build_op_request(std::string_view op, std::string_view id);  // stats, ping
std::string build_feedback_request(std::string_view id, uint64_t since, std::optional<uint64_t> limit);
// op is "token" or "forget"; uses o.platform, o.app and o.token or o.endpoint.
std::string build_token_request(std::string_view op, std::string_view id, const Options& o);

}  // namespace pushgw::ctl
