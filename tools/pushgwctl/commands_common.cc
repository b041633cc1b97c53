// Session plumbing shared by every command, and the dispatch by command.
#include <unistd.h>

#include "commands.h"
#include "format.h"

namespace pushgw::ctl {

std::string Session::next_id() {
  return "pushgwctl-" + std::to_string(static_cast<long>(getpid())) + "-" + std::to_string(++ids_);
}

void Session::fail(std::string_view what, std::string_view message) const {
  std::fprintf(io_.err, "pushgwctl: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(message.size()), message.data());
}

int Session::request(std::string_view line, std::string_view id_key, double timeout_s, std::string& response) {
  const Deadline deadline = deadline_after(timeout_s);
  if (!client_) {
    auto c = Client::connect(opts_.socket);
    if (!c.ok()) {
      fail("error", c.error().message);
      return kExitIo;
    }
    client_.emplace(std::move(*c));
  }
  if (auto sent = client_->send_line(line, deadline); !sent.ok()) {
    fail("error", sent.error().message);
    return kExitIo;
  }
  auto r = client_->read_response(id_key, deadline);
  if (!r.ok()) {
    fail("error", r.error().message);
    return kExitIo;
  }
  response = std::move(*r);
  return kExitOk;
}

int Session::print_status(const std::string& response) {
  auto st = response_status(response);
  if (!st.ok()) {
    fail("bad response", st.error().message);
    return kExitIo;
  }
  if (st->ok) return kExitOk;
  fail(st->error.empty() ? "error" : st->error, st->message);
  return kExitNotOk;
}

int run_command(const Options& opts, Io io) {
  Session s(opts, io);
  switch (opts.command) {
    case Command::Send:
      return run_send(s);
    case Command::Stats:
      return run_stats(s);
    case Command::Feedback:
      return run_feedback(s);
    case Command::Token:
    case Command::Forget:
      return run_token(s);
    case Command::Ping:
      return run_ping(s);
    case Command::Raw:
      return run_raw(s);
    case Command::Event:
      return run_event(s);
    case Command::Campaign:
      return run_campaign(s);
    case Command::Cancel:
      return run_cancel(s);
    case Command::Scheduled:
      return run_scheduled(s);
    case Command::Top:
      return run_top(s);
    case Command::None:
      break;
  }
  std::fputs(help_text(Command::None).c_str(), io.err);
  return kExitUsage;
}

}  // namespace pushgw::ctl
