// The transport seam: the byte pipe under an HTTP codec.
//
// The pool drives a Transport (TLS over TCP in production, a fault-injecting
// fake in tests) and receives events through a TransportHandler. Events are
// delivered on the loop thread from libuv callbacks, never from inside a
// Transport method call, except on_transport_error which flush() may raise
// when encryption fails or the write backlog passes its cap.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pushgw::net {

enum class NetError : uint8_t {
  None,
  ConnectFailed,       // TCP connect failed or was refused; nothing was sent
  TlsHandshakeFailed,  // handshake failed (not a verification failure), or peer closed during it
  TlsVerifyFailed,     // certificate chain or name verification failed
  Closed,              // peer closed the connection (EOF / close_notify) after the handshake
  IoError,             // read/write error after the handshake
};

std::string_view to_string(NetError e);

class TransportHandler {
 public:
  // TCP connected and TLS handshake done (certificate verified). alpn is the
  // protocol the server selected, empty if none.
  virtual void on_transport_ready(std::string_view alpn) = 0;
  // Decrypted bytes, in order. May be called several times per socket read.
  virtual void on_transport_data(const uint8_t* data, size_t len) = 0;
  // After the last on_transport_data of one socket read: a good moment to
  // write replies in one batch.
  virtual void on_transport_read_done() = 0;
  // The transport failed or the peer closed; it is already closing and sends
  // nothing more. on_transport_closed follows.
  virtual void on_transport_error(NetError err, std::string_view detail) = 0;
  // All OS resources are released (libuv close callback). The owner may now
  // schedule the Transport's deletion (never delete it inside this call).
  virtual void on_transport_closed() = 0;

 protected:
  ~TransportHandler() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;  // detaches the handler: no event after this

  // Starts connecting to addr (an IP address; resolution is the caller's job).
  virtual void connect(const sockaddr* addr) = 0;
  // Plaintext waiting to be sent: append to it, then call flush().
  virtual std::string& out() = 0;
  // Encrypts everything in out() and hands it to the socket with at most one
  // write in flight; bytes appended while a write is in flight go in the next.
  virtual void flush() = 0;
  // Closes now (unsent bytes are dropped); idempotent. on_transport_closed
  // follows asynchronously; on_transport_error is not raised for it.
  virtual void close() = 0;
  // Bytes handed to flush() but not yet accepted by the kernel.
  virtual size_t write_backlog() const = 0;
};

}  // namespace pushgw::net
