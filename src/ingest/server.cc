#include "ingest/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushgw::ingest {

namespace {
constexpr size_t kReadBuf = 64 * 1024;
constexpr int kBacklog = 128;

Error uv_fail(const char* what, int rc) {
  return make_error("listen_failed", std::string(what) + ": " + uv_strerror(rc));
}

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
}  // namespace

struct Server::Conn {
  Conn(Server* s, uint64_t i, size_t max_line) : srv(s), id(i), framer(max_line) {}
  uv_pipe_t pipe{};
  Server* srv;
  uint64_t id;
  LineFramer framer;
  std::string stash;          // read but not yet framed: reading was blocked mid-chunk
  size_t out_bytes = 0;       // queued responses not yet written
  uint64_t outstanding = 0;   // delivered lines still owed a response
  bool announced = false;     // admitted: the handler knows this id
  bool reading = false;
  bool out_blocked = false;   // slow reader: too much unwritten output
  bool eof = false;           // the peer shut down its write side
  bool eof_flushed = false;   // the final unterminated line was delivered
  bool closing = false;
};

struct Server::WriteReq {
  uv_write_t req{};
  Conn* conn = nullptr;
  std::string data;
};

Server::Server(uv_loop_t* loop, Handler& handler, size_t max_line_bytes, obs::Logger log)
    : loop_(loop), handler_(handler), max_line_(max_line_bytes), log_(std::move(log)),
      readbuf_(new char[kReadBuf]) {
  pump_timer_ = new uv_timer_t;
  uv_timer_init(loop_, pump_timer_);
  pump_timer_->data = this;
  ++open_handles_;
}

Server::~Server() {
  // Handles are freed by their close callbacks; close(done) must have run.
  // If it did not, leaking them is safer than freeing memory libuv still uses.
}

void Server::set_allowed(std::vector<uint32_t> uids, std::vector<uint32_t> gids) {
  uids_ = std::move(uids);
  gids_ = std::move(gids);
}

Result<void> Server::listen(const std::string& path, uint32_t mode) {
  if (listener_ != nullptr) return make_error("listen_failed", "already listening");
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path))
    return make_error("listen_failed", "socket path is empty or longer than 107 bytes: " + path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error("listen_failed", path + " exists and is not a socket");
    if (socket_in_use(path)) return make_error("listen_failed", "another process is listening on " + path);
    ::unlink(path.c_str());  // stale socket from an earlier run
  }
  listener_ = new uv_pipe_t;
  uv_pipe_init(loop_, listener_, 0);
  listener_->data = this;
  ++open_handles_;
  if (int rc = uv_pipe_bind(listener_, path.c_str()); rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), on_handle_closed);
    listener_ = nullptr;
    return uv_fail(("bind " + path).c_str(), rc);
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    Error e = make_error("listen_failed", "chmod " + path + ": " + std::strerror(errno));
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), on_handle_closed);
    listener_ = nullptr;
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
  listener_ = new uv_pipe_t;
  uv_pipe_init(loop_, listener_, 0);
  listener_->data = this;
  ++open_handles_;
  if (int rc = uv_pipe_open(listener_, fd); rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), on_handle_closed);
    listener_ = nullptr;
    return uv_fail("adopt socket", rc);
  }
  return start_listening("listen on inherited socket");
}

Result<void> Server::start_listening(const char* what) {
  int rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), kBacklog, on_connection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), on_handle_closed);
    listener_ = nullptr;
    return uv_fail(what, rc);
  }
  return ok();
}

void Server::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<Server*>(server->data);
  if (status < 0) {
    PGW_LOG(self->log_, Warn, "accept failed: %s", uv_strerror(status));
    return;
  }
  self->accept_one();
}

void Server::accept_one() {
  auto* c = new Conn(this, next_id_++, max_line_);
  uv_pipe_init(loop_, &c->pipe, 0);
  c->pipe.data = c;
  ++open_handles_;
  auto* stream = reinterpret_cast<uv_stream_t*>(&c->pipe);
  if (int rc = uv_accept(reinterpret_cast<uv_stream_t*>(listener_), stream); rc != 0) {
    PGW_LOG(log_, Warn, "accept failed: %s", uv_strerror(rc));
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), on_conn_closed);
    return;
  }
  uv_os_fd_t fd = -1;
  if (closing_ || uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd) != 0 || !peer_allowed(fd)) {
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), on_conn_closed);
    return;
  }
  c->announced = true;
  conns_.emplace(c->id, c);
  update_reading(*c);
}

bool Server::peer_allowed(int fd) {
  if (uids_.empty() && gids_.empty()) return true;
  ucred cr{};
  socklen_t len = sizeof cr;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
    PGW_LOG(log_, Warn, "refused connection: SO_PEERCRED failed: %s", std::strerror(errno));
    return false;
  }
  auto listed = [](const std::vector<uint32_t>& v, uint32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  if (cr.uid == ::geteuid() || listed(uids_, cr.uid) || listed(gids_, cr.gid)) return true;
#ifdef SO_PEERGROUPS
  if (!gids_.empty()) {
    gid_t groups[256];
    socklen_t glen = sizeof groups;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
      for (size_t i = 0; i < glen / sizeof(gid_t); ++i)
        if (listed(gids_, groups[i])) return true;
    }
  }
#endif
  PGW_LOG(log_, Warn, "refused connection from uid=%u gid=%u pid=%d: not in allowed_uids/allowed_gids",
          static_cast<unsigned>(cr.uid), static_cast<unsigned>(cr.gid), static_cast<int>(cr.pid));
  return false;
}

bool Server::may_read(const Conn& c) const { return !paused_ && !c.closing && !c.out_blocked; }

void Server::update_reading(Conn& c) {
  bool want = may_read(c) && c.stash.empty() && !c.eof;
  auto* s = reinterpret_cast<uv_stream_t*>(&c.pipe);
  if (want && !c.reading) {
    if (int rc = uv_read_start(s, on_alloc, on_read); rc != 0) {
      PGW_LOG(log_, Warn, "conn %llu: read_start: %s", static_cast<unsigned long long>(c.id), uv_strerror(rc));
      close_conn(c);
      return;
    }
    c.reading = true;
  } else if (!want && c.reading) {
    uv_read_stop(s);
    c.reading = false;
  }
}

size_t Server::deliver(Conn& c, const char* data, size_t len) {
  return c.framer.feed(
      data, len,
      [&](std::string_view line) {
        ++c.outstanding;
        handler_.on_line(c.id, line);
        return may_read(c);
      },
      [&] {
        ++c.outstanding;
        handler_.on_too_long(c.id);
      });
}

void Server::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(h->data);
  *buf = uv_buf_init(c->srv->readbuf_.get(), kReadBuf);
}

void Server::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  Server* self = c->srv;
  if (nread == 0 || c->closing) return;
  if (nread == UV_EOF) {
    c->eof = true;
    self->update_reading(*c);
    self->pump(*c);
    return;
  }
  if (nread < 0) {
    PGW_LOG(self->log_, Debug, "conn %llu: read: %s", static_cast<unsigned long long>(c->id),
            uv_strerror(static_cast<int>(nread)));
    self->close_conn(*c);
    return;
  }
  size_t len = static_cast<size_t>(nread);
  size_t used = self->deliver(*c, buf->base, len);
  if (used < len && !c->closing) c->stash.append(buf->base + used, len - used);
  if (!c->closing) self->update_reading(*c);
}

// Hands out what a blocked connection still holds, once it may read again.
void Server::pump(Conn& c) {
  while (!c.closing && !c.stash.empty() && may_read(c)) {
    size_t used = deliver(c, c.stash.data(), c.stash.size());
    c.stash.erase(0, used);
  }
  if (c.closing) return;
  if (c.eof && !c.eof_flushed && c.stash.empty() && may_read(c)) finish_eof(c);
  if (c.closing) return;
  update_reading(c);
  close_if_done(c);
}

void Server::finish_eof(Conn& c) {
  c.eof_flushed = true;
  c.framer.flush([&](std::string_view line) {
    ++c.outstanding;
    handler_.on_line(c.id, line);
  });
}

void Server::close_if_done(Conn& c) {
  if (!c.closing && c.eof_flushed && c.outstanding == 0 && c.out_bytes == 0) close_conn(c);
}

void Server::respond(uint64_t conn_id, std::string line) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.outstanding > 0) --c.outstanding;
  line.push_back('\n');
  auto* w = new WriteReq;
  w->conn = &c;
  w->data = std::move(line);
  // uv_buf_t lengths are 32-bit: a line past 1 GiB goes as several buffers
  // (one write, so on_write still accounts for the whole line).
  constexpr size_t kMaxBuf = size_t{1} << 30;
  const size_t size = w->data.size();
  uv_buf_t one = uv_buf_init(w->data.data(), static_cast<unsigned>(std::min(kMaxBuf, size)));
  std::vector<uv_buf_t> bufs;  // only for lines past kMaxBuf
  for (size_t off = 0; size > kMaxBuf && off < size; off += kMaxBuf)
    bufs.push_back(uv_buf_init(w->data.data() + off, static_cast<unsigned>(std::min(kMaxBuf, size - off))));
  w->req.data = w;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c.pipe), bufs.empty() ? &one : bufs.data(),
                    bufs.empty() ? 1u : static_cast<unsigned>(bufs.size()), on_write);
  if (rc != 0) {
    delete w;
    PGW_LOG(log_, Debug, "conn %llu: write: %s", static_cast<unsigned long long>(c.id), uv_strerror(rc));
    close_conn(c);
    return;
  }
  c.out_bytes += w->data.size();
  if (c.out_bytes > kMaxPendingOutput && !c.out_blocked) {
    c.out_blocked = true;
    update_reading(c);
  }
}

void Server::on_write(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  Conn* c = w->conn;
  c->out_bytes -= w->data.size();
  delete w;
  Server* self = c->srv;
  if (c->closing) return;
  if (status < 0) {
    PGW_LOG(self->log_, Debug, "conn %llu: write: %s", static_cast<unsigned long long>(c->id), uv_strerror(status));
    self->close_conn(*c);
    return;
  }
  if (c->out_blocked && c->out_bytes <= kMaxPendingOutput / 2) {
    c->out_blocked = false;
    self->schedule_pump();  // not from here: on_line must not run inside a write callback chain
  }
  self->close_if_done(*c);
}

void Server::close_conn(Conn& c) {
  if (c.closing) return;
  c.closing = true;
  conns_.erase(c.id);
  uv_close(reinterpret_cast<uv_handle_t*>(&c.pipe), on_conn_closed);
}

void Server::on_conn_closed(uv_handle_t* h) {
  auto* c = static_cast<Conn*>(h->data);
  Server* self = c->srv;
  uint64_t id = c->id;
  bool announced = c->announced;
  delete c;
  if (announced) self->handler_.on_close(id);
  self->handle_closed();
}

void Server::on_handle_closed(uv_handle_t* h) {
  auto* self = static_cast<Server*>(h->data);
  if (h->type == UV_TIMER)
    delete reinterpret_cast<uv_timer_t*>(h);
  else
    delete reinterpret_cast<uv_pipe_t*>(h);
  self->handle_closed();
}

void Server::handle_closed() {
  --open_handles_;
  if (closing_ && open_handles_ == 0 && done_) {
    auto done = std::move(done_);
    done_ = nullptr;
    done();
  }
}

void Server::pause_reading() {
  if (paused_) return;
  paused_ = true;
  for (auto& [id, c] : conns_) update_reading(*c);
}

void Server::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  schedule_pump();
}

void Server::schedule_pump() {
  if (closing_ || uv_is_active(reinterpret_cast<uv_handle_t*>(pump_timer_))) return;
  uv_timer_start(pump_timer_, on_pump, 0, 0);
}

void Server::on_pump(uv_timer_t* t) {
  auto* self = static_cast<Server*>(t->data);
  // Delivering lines can close connections (and the handler can pause us
  // again), so walk a snapshot of ids and look each one up.
  self->scratch_ids_.clear();
  for (auto& [id, c] : self->conns_) self->scratch_ids_.push_back(id);
  for (uint64_t id : self->scratch_ids_) {
    auto it = self->conns_.find(id);
    if (it != self->conns_.end()) self->pump(*it->second);
  }
}

void Server::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  done_ = std::move(done);
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_), on_handle_closed);
    listener_ = nullptr;
  }
  if (!path_.empty()) ::unlink(path_.c_str());
  uv_timer_stop(pump_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(pump_timer_), on_handle_closed);
  scratch_ids_.clear();
  for (auto& [id, c] : conns_) scratch_ids_.push_back(id);
  for (uint64_t id : scratch_ids_) close_conn(*conns_.at(id));
}

}  // namespace pushgw::ingest
