// Campaign policy: event (one engagement event) and campaign (a report).
#include <cstdlib>

#include "commands.h"
#include "format.h"
#include "json_util.h"

namespace pushgw::ctl {

namespace {
// "--at": digits (unix seconds) go as a number, anything else as a string.
void append_at(std::string& out, const std::string& at) {
  char* end = nullptr;
  (void)std::strtod(at.c_str(), &end);
  const bool number = !at.empty() && end == at.c_str() + at.size();
  out += ",\"at\":";
  out += number ? at : json_quote(at);
}
}  // namespace

int run_event(Session& s) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  std::string line = "{\"op\":\"event\",\"id\":" + json_quote(id) + ",\"campaign\":" + json_quote(o.campaign) +
                     ",\"platform\":" + json_quote(o.platform) + ",\"app\":" + json_quote(o.app);
  line += o.endpoint.empty() ? ",\"token\":" + json_quote(o.token) : ",\"endpoint\":" + json_quote(o.endpoint);
  line += ",\"kind\":" + json_quote(o.kind);
  if (!o.at.empty()) append_at(line, o.at);
  line += "}";
  std::string response;
  if (const int rc = s.request(line, id_key_of_string(id), effective_timeout(o, false), response)) return rc;
  return s.finish(response, format_fields);
}

int run_campaign(Session& s) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  const std::string line =
      "{\"op\":\"campaign\",\"id\":" + json_quote(id) + ",\"campaign\":" + json_quote(o.campaign) + "}";
  std::string response;
  if (const int rc = s.request(line, id_key_of_string(id), effective_timeout(o, false), response)) return rc;
  return s.finish(response, format_campaign);
}

}  // namespace pushgw::ctl
