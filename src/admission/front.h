// The front door: every request line, from the socket (ingest::Server) or
// the ingest source (ingest::RequestSink), is parsed once here and goes to
// Admission when it is a "send", to the op registry otherwise. Sources may
// only send (a stream carries work, not queries).
//
// Threading: the main loop thread.
#pragma once
#include <cstdint>
#include <functional>
#include <string_view>

#include "admission/admission.h"
#include "admission/clients.h"
#include "ingest/op_registry.h"
#include "ingest/request_parser.h"
#include "ingest/server.h"
#include "ingest/source.h"

namespace pushgw::admission {

class Front final : public ingest::Server::Handler, public ingest::RequestSink {
 public:
  // RequestSink::read_feedback's work (the store's change-feed); cb must run
  // on the loop thread.
  using FeedbackReader =
      std::function<void(uint64_t since, uint32_t limit, std::function<void(Result<ingest::FeedbackPage>)> cb)>;

  Front(Admission& admission, const ingest::OpRegistry& ops, Clients& clients, size_t max_line_bytes,
        FeedbackReader feedback);

  // ingest::Server::Handler
  void on_line(uint64_t conn_id, std::string_view line) override;
  void on_too_long(uint64_t conn_id) override;
  // Under back-pressure only a "send" waits; queries and malformed lines are
  // answered at once.
  bool holds_while_paused(uint64_t conn_id, std::string_view line) override;

  // ingest::RequestSink
  bool may_submit() const override { return admission_.may_submit(); }
  void submit(uint64_t tag, std::string_view line) override;
  void read_feedback(uint64_t since, uint32_t limit, std::function<void(Result<ingest::FeedbackPage>)> cb) override {
    feedback_(since, limit, std::move(cb));
  }

 private:
  Admission& admission_;
  const ingest::OpRegistry& ops_;
  Clients& clients_;
  size_t max_line_bytes_;
  FeedbackReader feedback_;
  ingest::RequestParser parser_;
};

}  // namespace pushgw::admission
