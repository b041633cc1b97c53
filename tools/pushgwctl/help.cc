// --help texts, global and per command.
#include "args.h"

namespace pushgw::ctl {
namespace {

constexpr std::string_view kGlobal = R"(usage: pushgwctl [--socket PATH] [--json] [--timeout SECONDS] <command> [args]

Client of the pushgwd socket protocol (newline-delimited JSON over a Unix socket).

commands:
  send FILE|-        send the JSON send request in FILE (or stdin)
  stats              per-platform counters and queue depth
  feedback           invalid/unsubscribed token events
  token              what the store knows about one token or endpoint
  forget             clear the store's state for one token or endpoint
  ping               check that the daemon answers
  raw JSON           send one request line as is and print the response line
  event              record an engagement event (open, click, conversion)
  campaign NAME      a campaign's counters and rates
  scheduled KEY      the pending scheduled sends of a schedule key
  cancel KEY         cancel every pending scheduled send of a schedule key
  top                live view of throughput, outcomes, latency, queue and breakers

options:
  --socket PATH      daemon socket (default: $PUSHGW_SOCKET, else /run/pushgw/pushgw.sock)
  --json             print raw response lines instead of tables
  --timeout SECONDS  how long to wait for a response (default: 600 for send with
                     wait, 30 otherwise)
  -h, --help         this help; `pushgwctl COMMAND --help` for a command's help
  --version          print the version

exit codes:
  0  ok
  1  the daemon answered "ok":false (its error code and message go to stderr)
  2  usage error
  3  cannot connect, connection lost, or timed out
  4  bad input: the file or JSON argument cannot be read or is not JSON
)";

constexpr std::string_view kSend = R"(usage: pushgwctl send [--wait] FILE|-

Reads one JSON send request from FILE ("-" = stdin; it may be pretty-printed
over many lines), sends it as one line and prints the response: accepted and
rejected recipients and, when the request waits, one row per result.
"op":"send" and an "id" are added when missing.

  --wait             set "wait":true: answer only after every recipient reached
                     a final outcome (default timeout then 600 s)
)";

constexpr std::string_view kStats = R"(usage: pushgwctl stats

Prints per-platform counters (accepted, delivered, failed, invalid,
unsubscribed, suppressed, retried, ...), the daemon's gauges (queue_depth,
max_queued, connections, streams_in_flight, latency, store, spool), then one
table per list the daemon reports: per-app counters and latency (apps), the
circuit breakers that opened (breakers) and, when reported, suspect apps.
)";

constexpr std::string_view kFeedback = R"(usage: pushgwctl feedback [--since N] [--limit N] [--follow]

Prints feedback events (tokens found invalid or unsubscribed), oldest first.
With --json, one event per line (NDJSON).

  --since N          first event seq to return (inclusive; default 0)
  --limit N          at most N events per request (default: the daemon's)
  --follow           keep polling for new events every second until interrupted
)";

constexpr std::string_view kToken = R"(usage: pushgwctl token --platform P --app A (--token T | --endpoint URL)

Prints what the store knows about a device token (APNs, FCM) or a Web Push
subscription endpoint: state (active|invalid|unsubscribed|unknown), reason,
since, sent, delivered.
)";

constexpr std::string_view kForget = R"(usage: pushgwctl forget --platform P --app A (--token T | --endpoint URL)

Clears what the store knows of a token's state (e.g. after the device
registered again), so sends to it are no longer suppressed. Past feedback
events are kept.
)";

constexpr std::string_view kPing = R"(usage: pushgwctl ping

Sends {"op":"ping"} and prints "ok" when the daemon answers.
)";

constexpr std::string_view kRaw = R"(usage: pushgwctl raw JSON

Sends JSON (one request object) as one line and prints the response line
carrying the same "id" (or "id":null when the request has none).
)";

constexpr std::string_view kEvent = R"(usage: pushgwctl event --campaign C --platform P --app A (--token T | --endpoint URL)
                      --kind open|click|conversion [--at TIME]

Records one engagement event for a campaign (op "event"); TIME is RFC 3339
or unix seconds (default: now). Prints "recorded: 1".
)";

constexpr std::string_view kCampaign = R"(usage: pushgwctl campaign NAME

Prints a campaign's counters (sent, delivered, failed, invalid, unsubscribed,
suppressed, capped, expired, opened, clicked, converted) and rates
(delivery_rate, open_rate, ctr, conversion_rate, unsubscribe_rate) as
percentages with one decimal ("61.5%"); --json prints the daemon's answer
with full-precision ratios (0.6153846153846154).
)";

constexpr std::string_view kScheduled = R"(usage: pushgwctl scheduled [--limit N] KEY

Lists the scheduled sends of KEY that are still pending (op "scheduled"), one
row per recipient, earliest first: schedule id, when it is sent (SEND_AT, UTC),
why it waits (send_at or quiet_hours), platform, app, token or endpoint,
campaign. --limit caps the rows (default 1000, at most 10000).
)";

constexpr std::string_view kCancel = R"(usage: pushgwctl cancel KEY

Cancels every scheduled send of KEY that has not started (op "cancel") and
prints "cancelled: N", N being the recipients that will not be sent.
)";

constexpr std::string_view kTop = R"(usage: pushgwctl top [--interval SECONDS] [--iterations N]

A live view in the manner of top(1), redrawn every interval from the daemon's
stats: per platform and per app the recipients accepted and finished per
second (IN/s, OUT/s), finished in total, the outcome mix over the last ten
seconds (delivered, failed, invalid, unsubscribed, suppressed, other =
capped or expired), retries per second and provider latency p50/p99 (ms);
above them queue depth against max_queued, connections, streams in flight,
end-to-end, gateway-added and provider latency p50/p99, the store backlog,
the spool, open circuit breakers and suspect apps. Press q (or Ctrl-C) to quit.
When stdout is not a terminal, frames are printed one after the other.

  --interval SECONDS  time between frames (default 1, at least 0.1)
  --iterations N      exit after N frames (default: run until q)
)";

constexpr std::string_view kFooter = R"(
global options --socket PATH, --json and --timeout SECONDS apply (see pushgwctl --help).
exit codes: 0 ok, 1 "ok":false, 2 usage, 3 connect/I-O/timeout, 4 bad input.
)";

std::string_view command_help(Command c) {
  switch (c) {
    case Command::Send:
      return kSend;
    case Command::Stats:
      return kStats;
    case Command::Feedback:
      return kFeedback;
    case Command::Token:
      return kToken;
    case Command::Forget:
      return kForget;
    case Command::Ping:
      return kPing;
    case Command::Raw:
      return kRaw;
    case Command::Event:
      return kEvent;
    case Command::Campaign:
      return kCampaign;
    case Command::Scheduled:
      return kScheduled;
    case Command::Cancel:
      return kCancel;
    case Command::Top:
      return kTop;
    case Command::None:
      break;
  }
  return {};
}

}  // namespace

std::string help_text(Command c) {
  if (c == Command::None) return std::string(kGlobal);
  return std::string(command_help(c)) + std::string(kFooter);
}

}  // namespace pushgw::ctl
