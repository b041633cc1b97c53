// Where a pool's next connection goes: connect_ip or an IP-literal host when
// given, else the host's resolved addresses in turn (re-resolved once they
// are older than a minute). A failed connection moves on to the next one.
#pragma once
#include <sys/socket.h>
#include <uv.h>

#include <optional>

#include "net/resolver.h"
#include "pool/pool.h"

namespace pushgw::pool {

class AddressBook {
 public:
  AddressBook(uv_loop_t* loop, const PoolOptions& opts);

  // The address for the next connection; nullptr when the host must be
  // (re-)resolved first.
  const sockaddr* pick() const;
  // connect_ip was given but is not an IP literal: no address ever works.
  bool bad_connect_ip() const { return fixed_bad_; }
  // Starts a lookup (see net::Resolver::start).
  int resolve(net::Resolver::Done done) { return resolver_.start(std::move(done)); }
  bool resolving() const { return resolver_.busy(); }
  void cancel() { resolver_.cancel(); }
  void next() { ++next_; }

 private:
  uv_loop_t* loop_;
  std::optional<sockaddr_storage> fixed_;
  bool fixed_bad_ = false;
  net::Resolver resolver_;
  size_t next_ = 0;
};

}  // namespace pushgw::pool
