// A TCP port on 127.0.0.1 that nobody listens on: bound by a probe socket,
// read back, closed again (connections to it are refused).
#pragma once
#include <arpa/inet.h>
#include <uv.h>

#include <cstdint>

#include "loop/stream.h"

namespace pushgw::testing {

inline uint16_t unused_local_port(uv_loop_t* loop) {
  loop::TcpStream probe(loop);
  sockaddr_in a{};
  uv_ip4_addr("127.0.0.1", 0, &a);
  uv_tcp_bind(probe.handle(), reinterpret_cast<const sockaddr*>(&a), 0);
  sockaddr_storage ss{};
  int len = sizeof ss;
  uv_tcp_getsockname(probe.handle(), reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace pushgw::testing
