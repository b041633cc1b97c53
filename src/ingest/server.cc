#include "ingest/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ingest/peer_cred.h"

namespace pushgw::ingest {

namespace {
constexpr size_t kReadBuf = 64 * 1024;
constexpr int kBacklog = 128;

Error uv_fail(const char* what, int rc) {
  return make_error("listen_failed", std::string(what) + ": " + uv_strerror(rc));
}
}  // namespace

Server::Server(uv_loop_t* loop, Handler& handler, Limits limits, obs::Logger log)
    : loop_(loop),
      handler_(handler),
      limits_(limits),
      log_(std::move(log)),
      readbuf_(new char[kReadBuf]),
      env_{handler,
           log_,
           readbuf_.get(),
           kReadBuf,
           kMaxPendingOutput,
           std::max<uint64_t>(limits.max_pipelined, 1),
           paused_,
           [this](ClientConn& c) { retire(c); },
           [this] { schedule_pump(); }},
      pump_timer_(loop, [this] { pump_all(); }),
      idle_timer_(loop, [this] { close_idle(); }) {
  if (limits_.idle_timeout_ms > 0) {
    // A sweep a few times per timeout: a connection is closed within 1.25x of it.
    const uint64_t every = std::clamp<uint64_t>(limits_.idle_timeout_ms / 4, 50, 5000);
    idle_timer_.start(every, every);
  }
}

// Members close their own handles. Connections close without on_close (they
// are no longer in the table when they retire) and are deleted on the next
// turn, since this may run inside one of their callbacks.
Server::~Server() {
  auto conns = std::move(conns_);
  for (auto& [id, c] : conns) {
    c->close();
    loop::delete_later(loop_, std::move(c));
  }
}

void Server::set_allowed(std::vector<uint32_t> uids, std::vector<uint32_t> gids) {
  uids_ = std::move(uids);
  gids_ = std::move(gids);
}

Result<void> Server::listen(const std::string& path, uint32_t mode) {
  if (listener_ != nullptr) return make_error("listen_failed", "already listening");
  if (auto claimed = claim_socket_path(path); !claimed.ok()) return claimed;
  listener_ = std::make_unique<loop::PipeStream>(loop_);
  if (int rc = uv_pipe_bind(listener_->handle(), path.c_str()); rc != 0) {
    listener_.reset();
    return uv_fail(("bind " + path).c_str(), rc);
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    Error e = make_error("listen_failed", "chmod " + path + ": " + std::strerror(errno));
    listener_.reset();
    ::unlink(path.c_str());
    return e;
  }
  auto r = start_listening("listen");
  if (r.ok())
    path_ = path;
  else
    ::unlink(path.c_str());
  return r;
}

Result<void> Server::adopt(int fd) {
  if (listener_ != nullptr) return make_error("listen_failed", "already listening");
  listener_ = std::make_unique<loop::PipeStream>(loop_);
  if (int rc = uv_pipe_open(listener_->handle(), fd); rc != 0) {
    listener_.reset();
    return uv_fail("adopt socket", rc);
  }
  return start_listening("listen on inherited socket");
}

Result<void> Server::start_listening(const char* what) {
  int rc = listener_->listen(kBacklog, [this](int status) {
    if (status < 0) {
      PGW_LOG(log_, Warn, "accept failed: %s", uv_strerror(status));
      return;
    }
    accept_one();
  });
  if (rc != 0) {
    listener_.reset();
    return uv_fail(what, rc);
  }
  return ok();
}

void Server::accept_one() {
  auto c = std::make_unique<ClientConn>(env_, loop_, next_id_++, limits_.max_line_bytes);
  if (int rc = listener_->accept(c->stream()); rc != 0) {
    PGW_LOG(log_, Warn, "accept failed: %s", uv_strerror(rc));
    return;  // c closes unannounced
  }
  uv_os_fd_t fd = -1;
  if (closing_ || uv_fileno(reinterpret_cast<uv_handle_t*>(c->stream().handle()), &fd) != 0 ||
      !peer_allowed(fd, uids_, gids_, log_))
    return;
  if (conns_.size() >= limits_.max_connections) {
    refuse(*c);
    return;  // c closes
  }
  ClientConn& ref = *c;
  ref.set_peer_uid(ingest::peer_uid(fd));
  conns_.emplace(ref.id(), std::move(c));
  ref.update_reading();
}

// Over the connection limit: one error line, then close. A fresh socket's
// send buffer is empty, so the short line goes out at once; the write is
// non-blocking either way and a client that cannot take it just sees EOF.
void Server::refuse(ClientConn& c) {
  static constexpr std::string_view kLine =
      "{\"id\":null,\"ok\":false,\"error\":\"too_many_connections\","
      "\"message\":\"the daemon serves server.max_connections clients at once; retry later\"}\n";
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(c.stream().handle()), &fd) == 0)
    (void)::send(fd, kLine.data(), kLine.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  PGW_LOG(log_, Warn, "refused a client: %zu connections open (server.max_connections)", conns_.size());
}

void Server::close_idle() {
  const uint64_t now = uv_now(loop_);
  scratch_ids_.clear();
  for (auto& [id, c] : conns_)
    if (c->idle_for(now, limits_.idle_timeout_ms)) scratch_ids_.push_back(id);
  for (uint64_t id : scratch_ids_) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    PGW_LOG(log_, Info, "conn %llu: closed after %llu ms without progress (server.idle_timeout_seconds)",
            static_cast<unsigned long long>(id), static_cast<unsigned long long>(limits_.idle_timeout_ms));
    it->second->close();
  }
}

// A connection closed: forget it now, delete it once its own code has
// returned (next turn; loop::delete_later needs no owner, so that holds even
// when the Server is gone by then), and tell the handler.
void Server::retire(ClientConn& c) {
  auto it = conns_.find(c.id());
  if (it == conns_.end()) return;
  const uint64_t id = c.id();
  loop::delete_later(loop_, std::move(it->second));
  conns_.erase(it);
  handler_.on_close(id);
}

std::optional<uint32_t> Server::peer_uid(uint64_t conn_id) const {
  auto it = conns_.find(conn_id);
  return it == conns_.end() ? std::nullopt : it->second->peer_uid();
}

void Server::respond(uint64_t conn_id, std::string line) {
  auto it = conns_.find(conn_id);
  if (it != conns_.end()) it->second->respond(std::move(line));
}

void Server::pause_reading() {
  if (paused_) return;
  paused_ = true;  // each connection holds its next send (ClientConn::hand_out)
}

void Server::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  schedule_pump();
}

void Server::schedule_pump() {
  if (!closing_ && !pump_timer_.active()) pump_timer_.start(0);
}

void Server::pump_all() {
  // Delivering lines can close connections (and the handler can pause us
  // again), so walk a snapshot of ids and look each one up.
  scratch_ids_.clear();
  for (auto& [id, c] : conns_) scratch_ids_.push_back(id);
  for (uint64_t id : scratch_ids_) {
    auto it = conns_.find(id);
    if (it != conns_.end()) it->second->pump();
  }
}

void Server::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  listener_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  scratch_ids_.clear();
  for (auto& [id, c] : conns_) scratch_ids_.push_back(id);
  for (uint64_t id : scratch_ids_) {
    auto it = conns_.find(id);
    if (it != conns_.end()) it->second->close();
  }
  idle_timer_.close();
  pump_timer_.close(std::move(done));
}

}  // namespace pushgw::ingest
