#include "ingest/peer_cred.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushgw::ingest {
namespace {

// True when something accepts connections at path (a live daemon).
bool socket_in_use(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return live;
}

bool listed(const std::vector<uint32_t>& v, uint32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

std::optional<uint32_t> peer_uid(int fd) {
  ucred cr{};
  socklen_t len = sizeof cr;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) return std::nullopt;
  return static_cast<uint32_t>(cr.uid);
}

bool peer_allowed(int fd, const std::vector<uint32_t>& uids, const std::vector<uint32_t>& gids, obs::Logger& log) {
  if (uids.empty() && gids.empty()) return true;
  ucred cr{};
  socklen_t len = sizeof cr;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
    PGW_LOG(log, Warn, "refused connection: SO_PEERCRED failed: %s", std::strerror(errno));
    return false;
  }
  if (cr.uid == ::geteuid() || listed(uids, cr.uid) || listed(gids, cr.gid)) return true;
#ifdef SO_PEERGROUPS
  if (!gids.empty()) {
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
      for (size_t i = 0; i < glen / sizeof(gid_t); ++i)
        if (listed(gids, groups[i])) return true;
    }
  }
#endif
  PGW_LOG(log, Warn, "refused connection from uid=%u gid=%u pid=%d: not in allowed_uids/allowed_gids",
          static_cast<unsigned>(cr.uid), static_cast<unsigned>(cr.gid), static_cast<int>(cr.pid));
  return false;
}

Result<void> claim_socket_path(const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error("listen_failed", "socket path is empty or longer than 107 bytes: " + path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error("listen_failed", path + " exists and is not a socket");
    if (socket_in_use(path)) return make_error("listen_failed", "another process is listening on " + path);
    ::unlink(path.c_str());  // stale socket from an earlier run
  }
  return ok();
}

}  // namespace pushgw::ingest
