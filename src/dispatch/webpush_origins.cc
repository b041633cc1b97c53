#include "dispatch/webpush_origins.h"

#include <arpa/inet.h>

#include "base/authority.h"
#include "net/address.h"
#include "net/ip_class.h"

namespace pushgw::dispatch {

namespace {
void split_origin(std::string_view origin, std::string& host, uint16_t& port) {
  base::Authority a;  // canonical "host:port" (base/authority.h); unparsable: empty host, never resolves
  base::parse_authority(origin, base::AuthorityRules{}, a);
  host.assign(a.host);
  port = a.port;
}

std::string ip_string(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  return buf;
}

constexpr size_t kEvictScan = 32;  // entries looked at per eviction, from the least recently used
}  // namespace

WebPushOrigins::WebPushOrigins(net::NameResolver& resolver, const Clock& clock, OriginCacheOptions o,
                               obs::Logger log, Settled settled)
    : resolver_(resolver), clock_(clock), o_(o), log_(std::move(log)), settled_(std::move(settled)) {}

WebPushOrigins::~WebPushOrigins() { *alive_ = false; }

WebPushOrigins::Entry& WebPushOrigins::lookup(uint16_t app_id, std::string_view origin, bool allow_private) {
  key_.assign(std::to_string(app_id)).push_back('|');
  key_.append(origin);
  auto it = index_.find(key_);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    Entry& e = *it->second;
    if (e.state == State::Resolving || e.refreshing || e.expires_ms == 0 || now_ms() < e.expires_ms) return e;
    // Expired. A good answer keeps serving while the name is resolved again;
    // a refusal or a temporary failure waits for the new answer.
    if (e.state == State::Ready) {
      e.refreshing = true;
    } else {
      e.state = State::Resolving;
      e.waiting_since_ms = now_ms();
      ++resolving_;
    }
    start(e);
    return e;
  }
  lru_.emplace_front();
  Entry& e = lru_.front();
  e.key = key_;
  e.allow_private = allow_private;
  split_origin(origin, e.host, e.port);
  index_.emplace(e.key, lru_.begin());
  evict();

  net::IpClass c = net::classify_host(e.host);
  if (c != net::IpClass::NotIp) {
    if (c == net::IpClass::Public || allow_private) {
      e.state = State::Ready;
      e.ip = c == net::IpClass::Loopback && !net::is_ip_literal(e.host) ? "127.0.0.1" : e.host;
    } else {
      e.state = State::Refused;
      e.reason = std::string(net::to_string(c)) + " address";
    }
    return e;
  }
  e.waiting_since_ms = now_ms();
  ++resolving_;
  start(e);
  return e;
}

void WebPushOrigins::start(Entry& e) {
  resolver_.resolve(e.host, [this, key = e.key, alive = alive_](net::Lookup l) {
    if (*alive) on_lookup(key, std::move(l));
  });
}

void WebPushOrigins::on_lookup(const std::string& key, net::Lookup l) {
  auto it = index_.find(key);
  if (it == index_.end()) return;  // never: entries waiting for an answer are not evicted
  Entry& e = *it->second;
  const bool refresh = e.refreshing;
  e.refreshing = false;
  if (e.state == State::Resolving) --resolving_;
  settle(e, l, now_ms());
  if (e.state == State::Refused || e.state == State::Retry)
    PGW_LOG(log_, Warn, "web push origin %s %s: %s", e.host.c_str(),
            e.state == State::Refused ? "refused" : "not resolved (will retry)", e.reason.c_str());
  if (refresh) return;
  // The callee takes every parked job (and may park some again, counted anew).
  parked_ -= e.parked.size();
  settled_(e);
}

// The new state from an answer. Every address must pass, not just the
// first: a name that mixes public and private answers is refused.
void WebPushOrigins::settle(Entry& e, net::Lookup& l, int64_t now) {
  const bool was_ready = e.state == State::Ready;
  e.expires_ms = now + o_.negative_ttl_ms;
  switch (l.status) {
    case net::Lookup::Status::Ok: {
      bool all_public = true;
      for (const sockaddr_storage& a : l.addrs)
        if (!net::is_public_address(reinterpret_cast<const sockaddr*>(&a))) all_public = false;
      if (!all_public && !e.allow_private) {
        e.state = State::Refused;
        e.reason = "resolves to a non-public address";
        return;
      }
      e.state = State::Ready;
      e.temp_failures = 0;
      e.ip = ip_string(l.addrs.front());
      e.expires_ms = now + o_.positive_ttl_ms;
      return;
    }
    case net::Lookup::Status::Temporary:
      // A refresh that fails for now keeps the checked address it has.
      if (!was_ready) {
        e.state = State::Retry;
        e.reason = "resolve failed for now: " + l.error;
        if (e.temp_failures < UINT8_MAX) ++e.temp_failures;
      }
      return;
    case net::Lookup::Status::Failed:
      e.temp_failures = 0;
      e.state = State::Refused;
      e.reason = "resolve failed: " + l.error;
      return;
  }
}

// Past max_entries: the least recently used entries go, unless jobs or an
// answer wait for them (those stay; the bound is then exceeded for a while).
void WebPushOrigins::evict() {
  auto it = lru_.end();
  for (size_t scanned = 0; lru_.size() > o_.max_entries && it != lru_.begin() && scanned < kEvictScan; ++scanned) {
    --it;
    if (it->state == State::Resolving || it->refreshing || !it->parked.empty()) continue;
    index_.erase(it->key);
    it = lru_.erase(it);
  }
}

std::vector<SendJob> WebPushOrigins::take_parked() {
  std::vector<SendJob> out;
  for (Entry& e : lru_) {
    out.insert(out.end(), e.parked.begin(), e.parked.end());
    e.parked.clear();
  }
  parked_ = 0;
  return out;
}

}  // namespace pushgw::dispatch
