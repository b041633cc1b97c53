#include "pool/connection_set.h"

#include <algorithm>

namespace pushgw::pool {

Connection& ConnectionSet::add(std::unique_ptr<Connection> c) { return *conns_.emplace_back(std::move(c)); }

void ConnectionSet::remove(Connection& c) {
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].get() == &c) {
      closed_.add(std::move(conns_[i]));
      conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

void ConnectionSet::assign(WaitQueue& q, std::string_view default_authority, int64_t now_ns) {
  const int64_t now_ms = now_ns / 1'000'000;
  for (size_t i = 0; i < conns_.size() && !q.empty(); ++i) {
    Connection& c = *conns_[i];
    while (!q.empty() && c.capacity() > 0) {
      Slot* s = q.pop_front();
      s->authority = s->req->authority.empty() ? default_authority : std::string_view(s->req->authority);
      s->resp->clear();
      s->resp->started_mono_ns = now_ns;
      if (!c.start(*s, now_ms)) {
        q.push_front(s);
        break;
      }
    }
  }
}

void ConnectionSet::flush() {
  for (size_t i = 0; i < conns_.size(); ++i) conns_[i]->flush();
}

bool ConnectionSet::any_live() const {
  return std::any_of(conns_.begin(), conns_.end(), [](const auto& c) { return live(*c); });
}

bool ConnectionSet::wants_another(int max_connections) const {
  int n = 0;
  for (const auto& c : conns_) {
    if (!live(*c)) continue;
    ++n;
    if (c->state() != Connection::State::Ready) return false;  // a handshake is under way
    if (c->capacity() > 0) return false;
  }
  return n < max_connections;
}

void ConnectionSet::drain(uint32_t id, const char* why) {
  for (auto& c : conns_) {
    if (c->id() == id) {
      c->drain(why);
      return;
    }
  }
}

void ConnectionSet::stop_all(bool force, const char* why) {
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (force) conns_[i]->abort(why);
    else conns_[i]->drain(why);
  }
}

void ConnectionSet::add_stats(PoolStats& s) const {
  for (const auto& c : conns_) {
    if (c->state() <= Connection::State::Draining) ++s.connections;
    s.streams_in_flight += c->in_flight();
  }
}

}  // namespace pushgw::pool
