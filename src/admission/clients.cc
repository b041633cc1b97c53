#include "admission/clients.h"

namespace pushgw::admission {

Clients::Clients(Respond socket, loop::Inbox& inbox, loop::PendingOps& answers)
    : socket_(std::move(socket)), inbox_(inbox), answers_(answers) {}

void Clients::answer(uint64_t conn_id, std::string line, ingest::Answer kind) {
  if (is_source(conn_id))
    source_->on_answer(conn_id & ~kSourceBit, kind, std::move(line));
  else
    socket_(conn_id, std::move(line));
}

void Clients::answer(uint64_t conn_id, std::string line) { socket_(conn_id, std::move(line)); }

std::function<void(std::string)> Clients::answer_later(uint64_t conn_id) {
  return inbox_.bind<std::string>(answers_.hold(), [this, conn_id](std::string line) { answer(conn_id, std::move(line)); });
}

void Clients::journaled(uint64_t conn_id, bool durable) {
  if (is_source(conn_id)) source_->on_journaled(conn_id & ~kSourceBit, durable);
}

void Clients::room() {
  if (source_ != nullptr) source_->on_room();
}

}  // namespace pushgw::admission
