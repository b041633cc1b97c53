// The commands: each builds its request(s), talks to the daemon through a
// Session and prints the outcome. Return values are process exit codes (args.h).
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "args.h"
#include "client.h"
#include "pushgw/result.h"

namespace pushgw::ctl {

struct Io {
  FILE* out;
  FILE* err;
};

// One connection (opened on first use) and the ids for its requests.
class Session {
 public:
  Session(const Options& opts, Io io) : opts_(opts), io_(io) {}
  const Options& opts() const { return opts_; }
  Io io() const { return io_; }
  std::string next_id();

  // Sends line and waits for the response matching id_key. On failure prints
  // the reason to stderr and returns kExitIo; kExitOk otherwise.
  int request(std::string_view line, std::string_view id_key, double timeout_s, std::string& response);

  // Prints response: raw with --json, else render(response) when ok:true.
  // ok:false prints "error: <code>: <message>" to stderr and gives kExitNotOk.
  template <class Render>
  int finish(const std::string& response, Render&& render);

  // kExitOk for ok:true; kExitNotOk (after printing the daemon's error code
  // and message to stderr) for ok:false; kExitIo for a malformed response.
  int print_status(const std::string& response);
  // "pushgwctl: <what>: <message>" on stderr.
  void fail(std::string_view what, std::string_view message) const;

 private:
  const Options& opts_;
  Io io_;
  std::optional<Client> client_;
  uint64_t ids_ = 0;
};

template <class Render>
int Session::finish(const std::string& response, Render&& render) {
  if (opts_.json) std::fprintf(io_.out, "%s\n", response.c_str());
  if (const int rc = print_status(response); rc != kExitOk) return rc;
  if (opts_.json) return kExitOk;
  Result<std::string> text = render(response);
  if (!text.ok()) {
    fail("bad response", text.error().message);
    return kExitIo;
  }
  std::fputs(text->c_str(), io_.out);
  return kExitOk;
}

int run_send(Session& s);
int run_stats(Session& s);
int run_feedback(Session& s);
int run_token(Session& s);  // token and forget
int run_ping(Session& s);
int run_raw(Session& s);
int run_event(Session& s);     // campaign policy: one engagement event
int run_campaign(Session& s);  // campaign policy: a campaign's report
int run_cancel(Session& s);     // scheduled sends: cancel a schedule key
int run_scheduled(Session& s);  // scheduled sends: list a schedule key
int run_top(Session& s);        // live view, stats every --interval until 'q'

int run_command(const Options& opts, Io io);

}  // namespace pushgw::ctl
