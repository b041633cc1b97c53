#include "ingest/client_conn.h"

namespace pushgw::ingest {

ClientConn::ClientConn(Env& env, uv_loop_t* loop, uint64_t id, size_t max_line)
    : env_(env), loop_(loop), stream_(loop), id_(id), framer_(max_line), last_active_ms_(uv_now(loop)) {}

// Reading stops, and so does handing out lines already read, while the
// client owes us reads: its unwritten answers are over the bound, or it has
// max_outstanding requests whose answers are still being made (an answer
// made later, like a feedback page from the store, would land on top of
// what the client is not reading). It also stops while a line waits for
// queue room: the requests after it keep their order behind it.
bool ClientConn::may_read() const {
  return held_.empty() && !closing_ && !out_blocked_ && outstanding_ < env_.max_outstanding;
}

void ClientConn::touch() { last_active_ms_ = uv_now(loop_); }

bool ClientConn::idle_for(uint64_t now_ms, uint64_t timeout_ms) const {
  if (closing_ || now_ms - last_active_ms_ < timeout_ms) return false;
  return out_bytes_ > 0 || (outstanding_ == 0 && stash_.empty() && held_.empty());
}

void ClientConn::update_reading() {
  const bool want = may_read() && stash_.empty() && !eof_;
  if (want && !stream_.reading()) {
    const int rc = stream_.read_start(
        env_.readbuf, env_.readbuf_len, [this](const char* p, size_t n) { on_data(p, n); },
        [this](int status) { on_end(status); });
    if (rc != 0) {
      PGW_LOG(env_.log, Warn, "conn %llu: read_start: %s", static_cast<unsigned long long>(id_), uv_strerror(rc));
      close();
    }
  } else if (!want && stream_.reading()) {
    stream_.read_stop();
  }
}

// While the server is paused a line that needs queue room is kept (its
// bytes are no longer in the framer's buffer or the read chunk) and
// delivery stops; anything else is answered as usual.
bool ClientConn::hand_out(std::string_view line) {
  if (env_.paused && env_.lines.holds_while_paused(id_, line)) {
    held_.assign(line);
    return false;
  }
  ++outstanding_;
  env_.lines.on_line(id_, line);
  return may_read();
}

size_t ClientConn::deliver(const char* data, size_t len) {
  return framer_.feed(
      data, len, [&](std::string_view line) { return hand_out(line); },
      [&] {
        ++outstanding_;
        env_.lines.on_too_long(id_);
      });
}

void ClientConn::deliver_held() {
  if (held_.empty() || env_.paused || closing_) return;
  std::string line;
  line.swap(held_);
  hand_out(line);
}

void ClientConn::on_data(const char* data, size_t len) {
  if (closing_) return;
  touch();
  const size_t used = deliver(data, len);
  if (used < len && !closing_) stash_.append(data + used, len - used);
  if (!closing_) update_reading();
}

void ClientConn::on_end(int status) {
  if (closing_) return;
  if (status != UV_EOF) {
    PGW_LOG(env_.log, Debug, "conn %llu: read: %s", static_cast<unsigned long long>(id_), uv_strerror(status));
    close();
    return;
  }
  eof_ = true;
  update_reading();
  pump();
}

void ClientConn::pump() {
  if (failed_) close();
  deliver_held();
  while (!closing_ && !stash_.empty() && may_read()) {
    const size_t used = deliver(stash_.data(), stash_.size());
    stash_.erase(0, used);
  }
  if (closing_) return;
  if (eof_ && !eof_flushed_ && stash_.empty() && may_read()) finish_eof();
  if (closing_) return;
  update_reading();
  close_if_done();
}

void ClientConn::finish_eof() {
  eof_flushed_ = true;
  framer_.flush([&](std::string_view line) { hand_out(line); });
}

void ClientConn::close_if_done() {
  if (!closing_ && eof_flushed_ && outstanding_ == 0 && out_bytes_ == 0 && held_.empty()) close();
}

void ClientConn::respond(std::string line) {
  if (closing_ || failed_) return;
  touch();
  if (outstanding_ > 0 && outstanding_-- == env_.max_outstanding) env_.schedule_pump();
  line.push_back('\n');
  const size_t bytes = line.size();
  // The stream never calls back after close, and closing comes before this
  // object is deleted: capturing this is safe.
  const int rc = stream_.write(line, [this, bytes](int status) { on_written(bytes, status); });
  if (rc != 0) {
    PGW_LOG(env_.log, Debug, "conn %llu: write: %s", static_cast<unsigned long long>(id_), uv_strerror(rc));
    failed_ = true;
    env_.schedule_pump();
    return;
  }
  out_bytes_ += bytes;
  if (out_bytes_ > env_.max_pending_output && !out_blocked_) {
    out_blocked_ = true;
    update_reading();
  }
}

void ClientConn::on_written(size_t bytes, int status) {
  out_bytes_ -= bytes;
  touch();
  if (status < 0) {
    PGW_LOG(env_.log, Debug, "conn %llu: write: %s", static_cast<unsigned long long>(id_), uv_strerror(status));
    close();
    return;
  }
  if (out_blocked_ && out_bytes_ <= env_.max_pending_output / 2) {
    out_blocked_ = false;
    env_.schedule_pump();  // not from here: on_line must not run inside a write callback chain
  }
  close_if_done();
}

void ClientConn::close() {
  if (closing_) return;
  closing_ = true;
  stream_.close();
  env_.retire(*this);
}

}  // namespace pushgw::ingest
