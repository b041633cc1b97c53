// [server]: the ingest socket and its limits.
#include <sys/un.h>

#include "settings/sections.h"

namespace pushgw::settings::detail {
namespace {

// "0660" / "660" → 0660. Only permission bits: setuid/sticky make no sense on a socket.
bool parse_octal_mode(std::string_view s, uint32_t& out) {
  if (s.size() < 3 || s.size() > 4) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<uint32_t>(c - '0');
  }
  if (v > 0777) return false;
  out = v;
  return true;
}

void read_socket_path(config::Section& r, ServerConfig& s) {
  if (!r.get_path("socket", s.socket)) return;
  if (s.socket.empty()) {
    r.error("socket", "must not be empty");
  } else if (s.socket.size() >= sizeof(sockaddr_un::sun_path)) {
    r.error("socket", "path is " + std::to_string(s.socket.size()) +
                          " bytes; a Unix socket path must be shorter than " +
                          std::to_string(sizeof(sockaddr_un::sun_path)));
  }
}

void read_socket_mode(config::Section& r, ServerConfig& s) {
  std::string mode;
  if (!r.get("socket_mode", mode)) return;
  if (!parse_octal_mode(mode, s.socket_mode)) {
    r.error("socket_mode", "must be an octal permission string between \"0000\" and \"0777\", like \"0660\"");
  }
}

}  // namespace

void parse_server(config::Section& r, ServerConfig& s) {
  read_socket_path(r, s);
  read_socket_mode(r, s);
  r.get_int("workers", s.workers, 0, 1024);
  r.get_int("max_line_bytes", s.max_line_bytes, 1024, int64_t{1} << 30);
  r.get_int("max_queued", s.max_queued, 1, int64_t{1} << 40);
  r.get_int("drain_seconds", s.drain_seconds, 0, 86400);
  r.get_id_list("allowed_uids", s.allowed_uids);
  r.get_id_list("allowed_gids", s.allowed_gids);
  r.get_int("max_connections", s.max_connections, 1, 1 << 20);
  r.get_int("idle_timeout_seconds", s.idle_timeout_seconds, 0, 86400 * 7);
  r.get_int("max_pipelined_requests", s.max_pipelined_requests, 1, 1 << 20);
  r.get_int("latency_slice_us", s.latency_slice_us, 0, 100000);
}

}  // namespace pushgw::settings::detail
