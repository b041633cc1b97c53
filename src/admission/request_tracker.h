// A send request from acceptance to its answer. The tracker takes the
// durability steps a request needs before it may be answered, and writes the
// answer once they are done:
//   - the spool record of the accepted line (group commit, on the spool's
//     writer thread);
//   - the stored rows of deferred recipients ("send_at", quiet hours:
//     Scheduler::keep, on the store thread);
//   - for a waited (wait:true) request, every batch final on the senders and
//     then the store's commit of their verdicts (after_commit), so what the
//     answer reports survives a kill -9.
// A wait:false answer goes out once its spool record and stored rows are
// durable (at once when there are none); a waited one with every result.
// Answers go to the socket or the ingest source (Clients).
//
// Threading: the main loop thread. Other threads' callbacks come back
// through the Inbox. Pending work, for the drain: each waited request holds
// an `answers` token until it is answered; every spool or store callback a
// wait:false answer (or a source's journal notice) waits for holds a `work`
// token until it has run on the loop.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "admission/clients.h"
#include "ingest/send.h"
#include "loop/inbox.h"
#include "loop/pending_ops.h"
#include "pushgw/job.h"
#include "schedule/intake.h"
#include "schedule/scheduler.h"
#include "spool/record.h"

namespace pushgw::admission {

// Sets on a request's batches what ingest leaves to the caller (request id,
// acceptance times, pending count) and takes them over: Admission.
class Admitter {
 public:
  virtual ~Admitter() = default;
  virtual std::vector<Batch*> admit(ingest::SendRequest& req, uint64_t request_id, int64_t now_ms) = 0;
};

class RequestTracker {
 public:
  // The spool's append_accepted(): journals the line, returns its sequence
  // number; on_commit(durable) runs on the writer thread. Empty: no spool.
  using JournalFn = std::function<uint64_t(std::string_view line, int64_t accepted_ms,
                                           std::vector<spool::BatchCount> batches, std::function<void(bool)> on_commit)>;
  // The store's after_commit(): done runs on the store thread once everything
  // recorded so far is committed. Empty: no store (answers at once).
  using AfterCommitFn = std::function<void(std::function<void()> done)>;

  struct Deps {
    Clients* clients = nullptr;
    schedule::Scheduler* scheduler = nullptr;  // keeps deferred recipients
    JournalFn journal;
    AfterCommitFn after_commit;
    loop::Inbox* inbox = nullptr;
    loop::PendingOps* answers = nullptr;
    loop::PendingOps* work = nullptr;
  };

  explicit RequestTracker(Deps deps);
  ~RequestTracker();  // frees the batches of requests never answered (after a forced stop)
  RequestTracker(const RequestTracker&) = delete;
  RequestTracker& operator=(const RequestTracker&) = delete;

  bool journaling() const { return static_cast<bool>(d_.journal); }

  // A parsed request from a client (socket or source): journals it, keeps
  // its deferred recipients, has `admitter` take its batches, and answers a
  // wait:false request (now or once durable) or registers a waited one.
  // Returns the batches to queue. `line` is the request as received.
  std::vector<Batch*> track(uint64_t conn_id, const std::string& id_json, std::string_view line,
                            ingest::SendRequest& req, int64_t now_ms, Admitter& admitter);
  // A due scheduled row's request (no client waits for it): the row may be
  // deleted once what it sent can no longer be lost, so that step is done by
  // whichever comes first: its spool record is durable, or every recipient
  // is final and the store has committed the verdicts (tracked like a waited
  // request, answered to nobody). A recipient failed "shutdown" by the drain
  // without a durable spool record fails the step: the row stays and runs
  // again when its lease ends. Recipients held again (quiet hours) are a
  // step of their own (their rows stored).
  std::vector<Batch*> track_due(std::string_view line, ingest::SendRequest& req, int64_t row_id, int64_t now_ms,
                                const schedule::RowSteps& steps, Admitter& admitter);
  // A waited batch is final (from the senders, or failed by the drain).
  void batch_done(Batch* b);
  size_t waiting() const { return waiting_.size(); }

 private:
  // A waited request until its answer.
  struct Waiting {
    uint64_t conn_id = 0;
    std::string id_json;
    uint32_t accepted = 0;
    std::vector<ingest::Rejection> rejected;  // the first ones listed
    uint64_t rejected_total = 0;
    std::vector<Batch*> batches;  // owned; deleted once answered
    size_t remaining = 0;  // batches not final, plus 1 while deferred recipients are being stored
    std::vector<ingest::Deferred> deferred;  // answered "scheduled"
    std::vector<int64_t> deferred_ids;       // their rows
    std::string deferred_error;              // the store could not keep them
    loop::PendingOps::Token pending;         // `answers`: the drain waits for this answer
    // A due row's request: called instead of answering, with whether every
    // recipient reached an outcome (none was failed "shutdown").
    std::function<void(bool finished)> on_final;
  };
  // A wait:false answer held until what it acknowledges is durable: the
  // spool record and/or the stored scheduled sends.
  struct Ack {
    uint64_t conn_id = 0;
    std::string id_json;
    std::string head;         // the answer without its closing brace
    int waits = 0;            // durability steps outstanding
    bool spool_failed = false;
    std::string store_error;  // non-empty: the scheduled sends were not stored
  };

  std::shared_ptr<Ack> open_ack(uint64_t conn_id, const std::string& id_json, const ingest::SendRequest& req,
                                bool journaled);
  uint64_t journal(uint64_t conn_id, std::string_view line, const ingest::SendRequest& req, int64_t now_ms,
                   std::vector<spool::BatchCount> counts, const std::shared_ptr<Ack>& ack);
  Waiting open_waiting(uint64_t conn_id, const std::string& id_json, ingest::SendRequest& req);
  void keep_deferred(ingest::SendRequest& req, uint64_t request_id, const std::shared_ptr<Ack>& ack, Waiting* w);
  void answer_accepted(uint64_t conn_id, const std::string& id_json, const ingest::SendRequest& req,
                       const std::shared_ptr<Ack>& ack);
  void step(uint64_t request_id);
  void finish(uint64_t request_id);
  void ack_step(const std::shared_ptr<Ack>& a);
  void respond(Waiting& w);
  static bool interrupted(const Waiting& w);
  ingest::Answer source_answer(const Waiting& w) const;

  Deps d_;
  std::unordered_map<uint64_t, Waiting> waiting_;
  uint64_t next_request_id_ = 1;
};

}  // namespace pushgw::admission
