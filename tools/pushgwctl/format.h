// Turning response lines into human output. Pure functions of the response
// text; a response that is not a JSON object gives Error{"bad_response", why}.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::ctl {

struct ResponseStatus {
  bool ok = false;
  std::string error;    // when !ok
  std::string message;  // when !ok
};
Result<ResponseStatus> response_status(std::string_view response);

// Accepted/rejected summary, rejected rows and (with wait) one row per result.
// platforms[n] fills the platform column when a result row lacks one.
Result<std::string> format_send(std::string_view response, const std::vector<std::string>& platforms);

// One row per platform (columns: every counter seen), then the other fields.
Result<std::string> format_stats(std::string_view response);

struct FeedbackPage {
  std::string text;  // table rows (with header when asked), or NDJSON lines
  uint64_t next = 0;
  bool has_next = false;
  size_t count = 0;
};
// json: one minified event per line instead of a table.
Result<FeedbackPage> format_feedback(std::string_view response, bool json, bool with_header);

// One row per scheduled recipient (op "scheduled"), then "truncated: true"
// when the daemon listed only part.
Result<std::string> format_scheduled(std::string_view response);

// "key: value" per member other than id and ok (token, forget); "ok" if none.
Result<std::string> format_fields(std::string_view response);

// Like format_fields, but rates (members named "*_rate" and "ctr") are shown
// as percentages with one decimal: 0.6153846 -> "61.5%". --json keeps the
// daemon's full precision.
Result<std::string> format_campaign(std::string_view response);

// 0.6153846 -> "61.5%".
std::string percent_text(double ratio);

}  // namespace pushgw::ctl
