// Command-line parsing for pushgwctl: pure, so it is unit-tested without a daemon.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::ctl {

// Process exit codes (documented in --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitNotOk = 1,     // the daemon answered "ok":false
  kExitUsage = 2,     // bad command line
  kExitIo = 3,        // cannot connect, connection lost, timeout
  kExitBadInput = 4,  // input file / JSON argument unreadable or not JSON
};

enum class Command { None, Send, Stats, Feedback, Token, Forget, Ping, Raw, Event, Campaign, Cancel, Scheduled, Top };

inline constexpr std::string_view kDefaultSocket = "/run/pushgw/pushgw.sock";

struct Options {
  std::string socket;  // --socket, else $PUSHGW_SOCKET, else kDefaultSocket
  bool json = false;
  std::optional<double> timeout_s;  // --timeout; absent: see effective_timeout()
  bool help = false;                // print help_text(command) and exit 0
  bool version = false;
  Command command = Command::None;
  // send
  std::string file;  // "-" = stdin
  bool wait = false;
  // feedback (and scheduled: --limit)
  uint64_t since = 0;
  std::optional<uint64_t> limit;
  bool follow = false;
  // token, forget, event
  std::string platform, app, token, endpoint;
  // event (campaign policy): --campaign, --kind open|click|conversion, --at TIME; campaign NAME
  std::string campaign, kind, at;
  // raw
  std::string raw;
  // cancel KEY, scheduled KEY [--limit N] (scheduled sends)
  std::string schedule_key;
  // top: seconds between frames; frames to draw before exiting (0 = until 'q')
  double interval_s = 1;
  uint64_t iterations = 0;
};

// args excludes argv[0]. env_socket is $PUSHGW_SOCKET (nullptr if unset).
// Global options may come before or after the command. A bad command line is
// Error{"usage", "<what is wrong>"}.
Result<Options> parse_args(const std::vector<std::string_view>& args, const char* env_socket);

std::string_view command_name(Command c);
// Command::None gives the global help.
std::string help_text(Command c);

// --timeout if given, else 600 s for a send that waits for results, else 30 s.
double effective_timeout(const Options& o, bool waits_for_results);

}  // namespace pushgw::ctl
