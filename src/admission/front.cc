#include "admission/front.h"

#include "ingest/json_out.h"

namespace pushgw::admission {

Front::Front(Admission& admission, const ingest::OpRegistry& ops, Clients& clients, size_t max_line_bytes,
             FeedbackReader feedback)
    : admission_(admission),
      ops_(ops),
      clients_(clients),
      max_line_bytes_(max_line_bytes),
      feedback_(std::move(feedback)) {}

void Front::on_line(uint64_t conn_id, std::string_view line) {
  Result<void> parsed = parser_.parse(line);
  if (!parsed.ok()) {
    clients_.answer(conn_id, ingest::error_response(parser_.id_json(), parsed.error().code, parsed.error().message));
    return;
  }
  if (parser_.op() == "send") {
    admission_.handle_send(conn_id, parser_.id_json(), line, parser_.root());
    return;
  }
  ops_.dispatch(parser_.op(), ingest::OpCall{conn_id, parser_.id_json(), parser_.root(), &clients_});
}

bool Front::holds_while_paused(uint64_t, std::string_view line) {
  return parser_.parse(line).ok() && parser_.op() == "send";
}

void Front::on_too_long(uint64_t conn_id) {
  clients_.answer(conn_id, ingest::error_response("null", "line_too_long", "request line exceeds server.max_line_bytes"));
}

void Front::submit(uint64_t tag, std::string_view line) {
  const uint64_t conn_id = Clients::source_conn(tag);
  if (line.size() > max_line_bytes_) {  // the socket's limit holds for every source
    clients_.answer(conn_id, ingest::error_response("null", "line_too_long", "request exceeds server.max_line_bytes"),
                    ingest::Answer::Rejected);
    return;
  }
  Result<void> parsed = parser_.parse(line);
  if (!parsed.ok()) {
    clients_.answer(conn_id, ingest::error_response(parser_.id_json(), parsed.error().code, parsed.error().message),
                    ingest::Answer::Rejected);
    return;
  }
  const std::string_view op = parser_.op();
  if (op != "send") {
    // A stream carries work, not queries: other ops stay on the socket.
    clients_.answer(conn_id,
                    op.empty() ? ingest::error_response(parser_.id_json(), "bad_request", "missing string field 'op'")
                               : ingest::error_response(parser_.id_json(), "unknown_op",
                                                        "a stream entry must be a \"send\" request"),
                    ingest::Answer::Rejected);
    return;
  }
  admission_.handle_send(conn_id, parser_.id_json(), line, parser_.root());
}

}  // namespace pushgw::admission
