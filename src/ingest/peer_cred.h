// Who may use the request socket, and whether a socket path may be taken:
// the checks ingest::Server makes around bind() and accept().
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::ingest {

// SO_PEERCRED check: the peer on fd is admitted when its uid is listed, its
// primary or a supplementary gid is listed, or it runs as our own uid. Both
// lists empty: everyone who can open the socket. Refusals are logged.
bool peer_allowed(int fd, const std::vector<uint32_t>& uids, const std::vector<uint32_t>& gids, obs::Logger& log);

// The peer's uid (SO_PEERCRED); nullopt when the kernel does not say.
std::optional<uint32_t> peer_uid(int fd);

// Before bind(): removes a stale socket file left at path by an earlier run.
// Errors ("listen_failed"): the path is too long, exists and is not a
// socket, or another process still accepts on it.
Result<void> claim_socket_path(const std::string& path);

}  // namespace pushgw::ingest
