// A libuv stream, a Unix socket (uv_pipe_t) or TCP (uv_tcp_t), in a handle
// box: listen/accept, connect, reading, writes with completion, shutdown.
//
// Owner: whoever holds the Stream. The handle, every write in flight and the
// callbacks live in a heap box released by libuv's close callback (see
// handle_box.h), so a Stream may be destroyed anywhere, even inside one of
// its own callbacks. After close() or destruction no callback of this Stream
// runs (reads, write completions, connect, shutdown, new connections);
// queued writes are dropped. Loop thread only.
//
// Writes swap buffers instead of copying: write(data, done) takes data's
// bytes and hands back a spare buffer of the Stream (empty, with the capacity
// of an earlier write), so a caller that reuses its buffer keeps it warm.
#pragma once
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <string>

#include "loop/handle_box.h"

namespace pushgw::loop {

namespace detail {
template <class H>
struct StreamBox;
}

template <class H>  // uv_pipe_t or uv_tcp_t
class Stream {
 public:
  using OnData = std::function<void(const char* data, size_t len)>;
  using OnEnd = std::function<void(int status)>;  // UV_EOF, or a libuv error code
  using Done = std::function<void(int status)>;   // 0, or a libuv error code

  explicit Stream(uv_loop_t* loop);
  ~Stream() { close(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // The handle, for setup calls the box does not wrap (uv_pipe_bind,
  // uv_tcp_bind, uv_tcp_nodelay, uv_fileno, getsockname). nullptr once
  // closed. Never uv_close it: call close().
  H* handle();
  const H* handle() const;

  // Accepting side: on_connection(status) per incoming connection; take it
  // with accept() into a fresh Stream (of either kind).
  int listen(int backlog, std::function<void(int status)> on_connection);
  template <class C>
  int accept(Stream<C>& client);

  // Connecting side (TCP). done runs once, unless closed first.
  int connect(const sockaddr* addr, Done done);

  // Reads into buf (which must outlive reading): on_data for each chunk, then
  // on_end once when the peer finishes (UV_EOF) or on an error; reading has
  // stopped by then. read_start while reading changes nothing.
  int read_start(char* buf, size_t len, OnData on_data, OnEnd on_end);
  void read_stop();
  bool reading() const;

  // Queues data (swapped, see above). done(status) runs once libuv is done
  // with the bytes. A non-zero return is the libuv error; done never runs.
  int write(std::string& data, Done done = {});
  // Hands bytes to the kernel now if it takes them (uv_try_write: one
  // syscall, no copy): the count taken, possibly short, or a libuv error
  // (UV_EAGAIN when the socket is full). Only while no write is queued, or
  // the bytes would overtake it.
  int try_write(const char* data, size_t len);
  // Bytes queued and not yet handed to the kernel.
  size_t write_queue_size() const;
  // Sends FIN after the queued writes; done runs once that happened.
  int shutdown(Done done);

  // Lets the loop exit while this handle is open (uv_unref).
  void unref();
  // Starts closing; on_closed runs once the memory is released.
  void close(std::function<void()> on_closed = {});
  bool closed() const { return box_ == nullptr; }

 private:
  template <class>
  friend class Stream;
  uv_stream_t* as_stream() const;

  detail::StreamBox<H>* box_;
};

using PipeStream = Stream<uv_pipe_t>;
using TcpStream = Stream<uv_tcp_t>;

extern template class Stream<uv_pipe_t>;
extern template class Stream<uv_tcp_t>;
extern template int Stream<uv_pipe_t>::accept(Stream<uv_pipe_t>&);
extern template int Stream<uv_tcp_t>::accept(Stream<uv_tcp_t>&);

}  // namespace pushgw::loop
