// The socket protocol's ops other than "send", by name. Each module registers
// its own handlers (ops.add("feedback", ...)) and each handler parses its own
// fields from the request; nothing central lists the ops or their fields.
//
// A handler answers every call exactly once: at once with call.answer(), or
// later from any thread through the function call.later() returns (the
// Replier brings that answer back to the loop thread and counts it as
// pending work until then).
//
// Threading: add() before the loop runs; dispatch() and handlers on the loop
// thread. OpCall::root is valid only during the handler call: copy what an
// asynchronous answer needs.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace pushgw::ingest {

// Where answers go: implemented by whoever owns the connections.
class Replier {
 public:
  virtual ~Replier() = default;
  // Loop thread: the answer to conn_id's request, now.
  virtual void answer(uint64_t conn_id, std::string line) = 0;
  // Loop thread: a function another thread calls once with the answer.
  virtual std::function<void(std::string line)> answer_later(uint64_t conn_id) = 0;
};

struct OpCall {
  uint64_t conn_id = 0;
  std::string id_json;           // raw JSON of the request's "id" ("null" when absent)
  simdjson::dom::element root;   // the request object; valid during the handler call only
  Replier* replier = nullptr;

  void answer(std::string line) const { replier->answer(conn_id, std::move(line)); }
  std::function<void(std::string)> later() const { return replier->answer_later(conn_id); }
  // {"id":..,"ok":true}
  void ok() const;
  // {"id":..,"ok":false,"error":code,"message":message}
  void fail(std::string_view code, std::string_view message) const;
  // The start of a successful answer: {"id":..,"ok":true (no closing brace).
  std::string ok_head() const;
};

using OpHandler = std::function<void(const OpCall& call)>;

class OpRegistry {
 public:
  // A second add() of the same name replaces the handler.
  void add(std::string name, OpHandler handler);
  bool has(std::string_view name) const { return handlers_.find(name) != handlers_.end(); }
  // Only connections for which allowed(conn_id) holds may call op; to the
  // others it is unknown_op, as if it were not registered (test ops).
  void guard(std::string name, std::function<bool(uint64_t conn_id)> allowed);
  // Runs op's handler. An empty op is answered bad_request ("missing string
  // field 'op'"), an op nobody registered unknown_op.
  void dispatch(std::string_view op, const OpCall& call) const;

 private:
  std::map<std::string, OpHandler, std::less<>> handlers_;
  std::map<std::string, std::function<bool(uint64_t)>, std::less<>> guards_;
};

}  // namespace pushgw::ingest
