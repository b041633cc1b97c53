#include "loop/stream.h"

#include <algorithm>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace pushgw::loop {
namespace detail {

template <class H>
struct StreamBox {
  using Done = typename Stream<H>::Done;

  // One uv_write; kept in a small freelist with its buffer's capacity.
  struct WriteReq {
    uv_write_t req{};
    std::string buf;
    Done done;
    StreamBox* box = nullptr;
  };
  static constexpr size_t kMaxSpare = 8;

  H handle{};
  bool open = true;  // false from close(): no callback runs any more
  std::function<void()> on_closed;
  std::function<void(int)> on_connection;
  typename Stream<H>::OnData on_data;
  typename Stream<H>::OnEnd on_end;
  char* rbuf = nullptr;
  size_t rlen = 0;
  bool reading = false;
  uv_connect_t connect_req{};
  Done on_connect;
  uv_shutdown_t shutdown_req{};
  Done on_shutdown;
  std::vector<std::unique_ptr<WriteReq>> spare;

  StreamBox() { handle.data = this; }
  uv_handle_t* as_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
  uv_stream_t* as_stream() { return reinterpret_cast<uv_stream_t*>(&handle); }

  WriteReq* take_req() {
    if (spare.empty()) {
      auto* w = new WriteReq;
      w->box = this;
      w->req.data = w;
      return w;
    }
    WriteReq* w = spare.back().release();
    spare.pop_back();
    return w;
  }
  void give_back(WriteReq* w) {
    w->buf.clear();
    w->done = nullptr;
    if (spare.size() < kMaxSpare) spare.emplace_back(w);
    else delete w;
  }

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* b = static_cast<StreamBox*>(h->data);
    *buf = uv_buf_init(b->rbuf, static_cast<unsigned>(b->rlen));
  }
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* b = static_cast<StreamBox*>(s->data);
    if (!b->open || nread == 0) return;
    if (nread > 0) {
      if (b->on_data) b->on_data(buf->base, static_cast<size_t>(nread));
      return;
    }
    uv_read_stop(s);
    b->reading = false;
    auto end = std::move(b->on_end);  // once; the callback may close or restart reading
    b->on_end = nullptr;
    b->on_data = nullptr;
    if (end) end(static_cast<int>(nread));
  }
  static void on_write(uv_write_t* req, int status) {
    auto* w = static_cast<WriteReq*>(req->data);
    StreamBox* b = w->box;
    Done done = std::move(w->done);
    b->give_back(w);
    if (b->open && done) done(status);
  }
};

template <class H>
void run_once(StreamBox<H>* b, typename Stream<H>::Done StreamBox<H>::*slot, int status) {
  auto done = std::move(b->*slot);
  b->*slot = nullptr;
  if (b->open && done) done(status);
}

}  // namespace detail

template <class H>
Stream<H>::Stream(uv_loop_t* loop) : box_(new detail::StreamBox<H>()) {
  if constexpr (std::is_same_v<H, uv_pipe_t>) {
    uv_pipe_init(loop, &box_->handle, 0);
  } else {
    uv_tcp_init(loop, &box_->handle);
  }
}

template <class H>
H* Stream<H>::handle() {
  return box_ != nullptr ? &box_->handle : nullptr;
}

template <class H>
const H* Stream<H>::handle() const {
  return box_ != nullptr ? &box_->handle : nullptr;
}

template <class H>
uv_stream_t* Stream<H>::as_stream() const {
  return box_ != nullptr ? box_->as_stream() : nullptr;
}

template <class H>
int Stream<H>::listen(int backlog, std::function<void(int status)> on_connection) {
  if (box_ == nullptr) return UV_EBADF;
  box_->on_connection = std::move(on_connection);
  return uv_listen(box_->as_stream(), backlog, [](uv_stream_t* s, int status) {
    auto* b = static_cast<detail::StreamBox<H>*>(s->data);
    if (b->open && b->on_connection) b->on_connection(status);
  });
}

template <class H>
template <class C>
int Stream<H>::accept(Stream<C>& client) {
  if (box_ == nullptr || client.box_ == nullptr) return UV_EBADF;
  return uv_accept(box_->as_stream(), client.as_stream());
}

template <class H>
int Stream<H>::connect(const sockaddr* addr, Done done) {
  if constexpr (std::is_same_v<H, uv_tcp_t>) {
    if (box_ == nullptr) return UV_EBADF;
    if (box_->on_connect) return UV_EALREADY;
    box_->connect_req.data = box_;
    const int rc = uv_tcp_connect(&box_->connect_req, &box_->handle, addr, [](uv_connect_t* req, int status) {
      auto* b = static_cast<detail::StreamBox<H>*>(req->data);
      detail::run_once(b, &detail::StreamBox<H>::on_connect, status);
    });
    if (rc == 0) box_->on_connect = done ? std::move(done) : Done([](int) {});
    return rc;
  } else {
    (void)addr;
    (void)done;
    return UV_EINVAL;
  }
}

template <class H>
int Stream<H>::read_start(char* buf, size_t len, OnData on_data, OnEnd on_end) {
  if (box_ == nullptr) return UV_EBADF;
  if (box_->reading) return 0;  // the running callbacks stay (one may be executing)
  box_->rbuf = buf;
  box_->rlen = len;
  box_->on_data = std::move(on_data);
  box_->on_end = std::move(on_end);
  const int rc = uv_read_start(box_->as_stream(), detail::StreamBox<H>::on_alloc, detail::StreamBox<H>::on_read);
  box_->reading = rc == 0;
  return rc;
}

template <class H>
void Stream<H>::read_stop() {
  if (box_ == nullptr || !box_->reading) return;
  uv_read_stop(box_->as_stream());
  box_->reading = false;
}

template <class H>
bool Stream<H>::reading() const {
  return box_ != nullptr && box_->reading;
}

template <class H>
int Stream<H>::write(std::string& data, Done done) {
  if (box_ == nullptr) return UV_EBADF;
  auto* w = box_->take_req();
  w->buf.swap(data);
  // uv_buf_t lengths are 32-bit: bytes past 1 GiB go as several buffers of
  // one write (uv_write copies the array), so `done` still covers them all.
  constexpr size_t kMaxBuf = size_t{1} << 30;
  const size_t size = w->buf.size();
  uv_buf_t one = uv_buf_init(w->buf.data(), static_cast<unsigned>(std::min(kMaxBuf, size)));
  std::vector<uv_buf_t> many;  // only for writes past kMaxBuf
  for (size_t off = 0; size > kMaxBuf && off < size; off += kMaxBuf)
    many.push_back(uv_buf_init(w->buf.data() + off, static_cast<unsigned>(std::min(kMaxBuf, size - off))));
  const int rc = uv_write(&w->req, box_->as_stream(), many.empty() ? &one : many.data(),
                          many.empty() ? 1u : static_cast<unsigned>(many.size()), detail::StreamBox<H>::on_write);
  if (rc != 0) {
    w->buf.swap(data);  // the caller keeps its bytes
    box_->give_back(w);
    return rc;
  }
  w->done = std::move(done);
  return 0;
}

template <class H>
int Stream<H>::try_write(const char* data, size_t len) {
  if (box_ == nullptr) return UV_EBADF;
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(std::min(len, size_t{1} << 30)));
  return uv_try_write(box_->as_stream(), &buf, 1);
}

template <class H>
size_t Stream<H>::write_queue_size() const {
  return box_ != nullptr ? uv_stream_get_write_queue_size(box_->as_stream()) : 0;
}

template <class H>
int Stream<H>::shutdown(Done done) {
  if (box_ == nullptr) return UV_EBADF;
  if (box_->on_shutdown) return UV_EALREADY;
  box_->shutdown_req.data = box_;
  const int rc = uv_shutdown(&box_->shutdown_req, box_->as_stream(), [](uv_shutdown_t* req, int status) {
    auto* b = static_cast<detail::StreamBox<H>*>(req->data);
    detail::run_once(b, &detail::StreamBox<H>::on_shutdown, status);
  });
  if (rc == 0) box_->on_shutdown = done ? std::move(done) : Done([](int) {});
  return rc;
}

template <class H>
void Stream<H>::unref() {
  if (box_ != nullptr) uv_unref(box_->as_handle());
}

template <class H>
void Stream<H>::close(std::function<void()> on_closed) {
  if (box_ != nullptr) box_->open = false;
  detail::close_box(box_, std::move(on_closed));
}

template class Stream<uv_pipe_t>;
template class Stream<uv_tcp_t>;
template int Stream<uv_pipe_t>::accept(Stream<uv_pipe_t>&);
template int Stream<uv_tcp_t>::accept(Stream<uv_tcp_t>&);

}  // namespace pushgw::loop
