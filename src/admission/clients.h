// Who asked, and how an answer gets back. A request comes from a socket
// connection (ids counting up from 1, given by ingest::Server) or from the
// ingest source beside the socket (Redis Streams: its tag with kSourceBit
// set). Answers go back to the socket, or to the source together with the
// kind of answer it needs to decide whether to acknowledge upstream.
//
// Also the ops' Replier: an op answers now, or later from another thread
// through the function answer_later() returns; that answer is brought back
// through the Inbox and counts as pending (`answers`) until it is written.
//
// Threading: the main loop thread, except the functions answer_later()
// returns (any thread, once each).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "ingest/op_registry.h"
#include "ingest/source.h"
#include "loop/inbox.h"
#include "loop/pending_ops.h"

namespace pushgw::admission {

class Clients final : public ingest::Replier {
 public:
  // The socket's respond(): queues line + '\n' on the connection (dropped
  // when it is gone).
  using Respond = std::function<void(uint64_t conn_id, std::string line)>;

  Clients(Respond socket, loop::Inbox& inbox, loop::PendingOps& answers);

  // The one ingest source, if any; before the loop runs.
  void attach_source(ingest::Source* source) { source_ = source; }
  ingest::Source* source() const { return source_; }

  // A source request's connection id, and back.
  static uint64_t source_conn(uint64_t tag) { return tag | kSourceBit; }
  static bool is_source(uint64_t conn_id) { return (conn_id & kSourceBit) != 0; }

  // The answer to a send request: to its connection, or to the source as `kind`.
  void answer(uint64_t conn_id, std::string line, ingest::Answer kind);
  // ingest::Replier (ops come from the socket only).
  void answer(uint64_t conn_id, std::string line) override;
  std::function<void(std::string)> answer_later(uint64_t conn_id) override;

  // The source wants per-recipient results (without one, nothing does).
  bool source_wants_results() const { return source_ != nullptr && source_->wants_results(); }
  // A waited source request's journal record is durable (or the spool failed).
  void journaled(uint64_t conn_id, bool durable);
  // The backlog drained: the source may submit again.
  void room();

 private:
  static constexpr uint64_t kSourceBit = uint64_t{1} << 63;

  Respond socket_;
  loop::Inbox& inbox_;
  loop::PendingOps& answers_;
  ingest::Source* source_ = nullptr;
};

}  // namespace pushgw::admission
