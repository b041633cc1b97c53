#include "pool/address_book.h"

#include "net/address.h"

namespace pushgw::pool {
namespace {
constexpr int64_t kResolveTtlMs = 60'000;  // re-resolve for new connections after this
}

AddressBook::AddressBook(uv_loop_t* loop, const PoolOptions& opts) : loop_(loop), resolver_(loop, opts.host, opts.port) {
  if (!opts.connect_ip.empty()) {
    fixed_ = net::parse_ip(opts.connect_ip, opts.port);
    fixed_bad_ = !fixed_;
  } else if (net::is_ip_literal(opts.host)) {
    fixed_ = net::parse_ip(opts.host, opts.port);
  }
}

const sockaddr* AddressBook::pick() const {
  if (fixed_) return reinterpret_cast<const sockaddr*>(&*fixed_);
  const auto& addrs = resolver_.addresses();
  if (addrs.empty() || static_cast<int64_t>(uv_now(loop_)) - resolver_.resolved_at_ms() > kResolveTtlMs) return nullptr;
  return reinterpret_cast<const sockaddr*>(&addrs[next_ % addrs.size()]);
}

}  // namespace pushgw::pool
