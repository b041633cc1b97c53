#include "ingest/op_registry.h"

#include "ingest/json_out.h"

namespace pushgw::ingest {

void OpCall::ok() const { answer(ok_head() + "}"); }

void OpCall::fail(std::string_view code, std::string_view message) const {
  answer(error_response(id_json, code, message));
}

std::string OpCall::ok_head() const { return "{\"id\":" + id_json + ",\"ok\":true"; }

void OpRegistry::add(std::string name, OpHandler handler) { handlers_[std::move(name)] = std::move(handler); }

void OpRegistry::guard(std::string name, std::function<bool(uint64_t conn_id)> allowed) {
  guards_[std::move(name)] = std::move(allowed);
}

void OpRegistry::dispatch(std::string_view op, const OpCall& call) const {
  if (op.empty()) {
    call.fail("bad_request", "missing string field 'op'");
    return;
  }
  auto it = handlers_.find(op);
  auto g = guards_.find(op);
  if (it == handlers_.end() || (g != guards_.end() && !g->second(call.conn_id))) {
    call.fail("unknown_op", "unknown op '" + std::string(op) + "'");
    return;
  }
  it->second(call);
}

}  // namespace pushgw::ingest
