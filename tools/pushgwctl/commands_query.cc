// stats, token/forget, ping, raw: one request, one response.
#include "commands.h"
#include "format.h"
#include "json_util.h"
#include "request.h"

namespace pushgw::ctl {

int run_stats(Session& s) {
  const std::string id = s.next_id();
  std::string response;
  const double timeout = effective_timeout(s.opts(), false);
  if (const int rc = s.request(build_op_request("stats", id), id_key_of_string(id), timeout, response)) return rc;
  return s.finish(response, format_stats);
}

int run_token(Session& s) {
  const Options& o = s.opts();
  const std::string id = s.next_id();
  const std::string_view op = o.command == Command::Forget ? "forget" : "token";
  std::string response;
  const double timeout = effective_timeout(o, false);
  if (const int rc = s.request(build_token_request(op, id, o), id_key_of_string(id), timeout, response)) return rc;
  return s.finish(response, format_fields);
}

int run_ping(Session& s) {
  const std::string id = s.next_id();
  std::string response;
  const double timeout = effective_timeout(s.opts(), false);
  if (const int rc = s.request(build_op_request("ping", id), id_key_of_string(id), timeout, response)) return rc;
  return s.finish(response, [](const std::string&) -> Result<std::string> { return std::string("ok\n"); });
}

// The response line is printed as is, with or without --json.
int run_raw(Session& s) {
  auto req = build_raw_request(s.opts().raw);
  if (!req.ok()) {
    s.fail("bad input", req.error().message);
    return kExitBadInput;
  }
  std::string response;
  const double timeout = effective_timeout(s.opts(), false);
  if (const int rc = s.request(req->line, req->id_key, timeout, response)) return rc;
  std::fprintf(s.io().out, "%s\n", response.c_str());
  return s.print_status(response);
}

}  // namespace pushgw::ctl
