// Scheduled sends: cancel KEY and scheduled KEY.
#include "commands.h"
#include "format.h"
#include "json_util.h"

namespace pushgw::ctl {

int run_cancel(Session& s) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  const std::string line =
      "{\"op\":\"cancel\",\"id\":" + json_quote(id) + ",\"schedule_key\":" + json_quote(o.schedule_key) + "}";
  std::string response;
  if (const int rc = s.request(line, id_key_of_string(id), effective_timeout(o, false), response)) return rc;
  return s.finish(response, format_fields);
}

int run_scheduled(Session& s) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  std::string line =
      "{\"op\":\"scheduled\",\"id\":" + json_quote(id) + ",\"schedule_key\":" + json_quote(o.schedule_key);
  if (o.limit) line += ",\"limit\":" + std::to_string(*o.limit);
  line += "}";
  std::string response;
  if (const int rc = s.request(line, id_key_of_string(id), effective_timeout(o, false), response)) return rc;
  return s.finish(response, format_scheduled);
}

}  // namespace pushgw::ctl
