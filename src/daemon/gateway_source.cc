// The gateway's side of ingest sources (ingest/source.h): a source's request
// line enters handle_send() exactly like a socket line, under a connection id
// with kSourceConn set, and its answer is routed back to the source.
#include "daemon/gateway.h"
#include "ingest/json_out.h"

namespace pushgw::daemon {

void Gateway::reply(uint64_t conn_id, std::string line, ingest::Answer kind) {
  if (from_source(conn_id))
    source_->on_answer(conn_id & ~kSourceConn, kind, std::move(line));
  else
    server_->respond(conn_id, std::move(line));
}

// A source reads while nothing waits in the backlog and the senders are at
// most half full (rings plus the jobs they hold, see Sender::push): it keeps them fed without pushing the socket into
// back-pressure by itself, so socket clients still get in. (A large entry
// can still overflow into the backlog; then both wait for it to drain.)
bool Gateway::may_submit() const {
  if (!backlog_.empty() || shutting_down_) return false;
  return fleet_->load() * 2 <= fleet_->share();
}

void Gateway::submit(uint64_t tag, std::string_view line) {
  const uint64_t conn_id = tag | kSourceConn;
  if (line.size() > d_.config->server.max_line_bytes) {  // the socket's limit holds for every source
    reply(conn_id, ingest::error_response("null", "line_too_long", "request exceeds server.max_line_bytes"),
          ingest::Answer::Rejected);
    return;
  }
  Result<void> parsed = parser_.parse(line);
  if (!parsed.ok()) {
    reply(conn_id, ingest::error_response(parser_.id_json(), parsed.error().code, parsed.error().message),
          ingest::Answer::Rejected);
    return;
  }
  const std::string id_json = parser_.id_json();
  const std::string_view op = parser_.op();
  if (op != "send") {
    // A stream carries work, not queries: other ops stay on the socket.
    reply(conn_id,
          op.empty() ? ingest::error_response(id_json, "bad_request", "missing string field 'op'")
                     : ingest::error_response(id_json, "unknown_op", "a stream entry must be a \"send\" request"),
          ingest::Answer::Rejected);
    return;
  }
  handle_send(conn_id, id_json, line);
}

// Without a spool, a recipient failed by the drain is not done; nor are
// scheduled recipients the store could not keep. The source leaves such a
// request unacknowledged, to be delivered again (at least once).
void Gateway::answer_source(const Waiting& w, std::string line) {
  bool interrupted = !w.deferred_error.empty();
  if (d_.spool == nullptr)
    for (const Batch* b : w.batches)
      for (const ResultSlot& r : b->results) interrupted |= r.status == Status::Failed && r.reason == "shutdown";
  reply(w.conn_id, std::move(line), interrupted ? ingest::Answer::Interrupted : ingest::Answer::Final);
}

}  // namespace pushgw::daemon
