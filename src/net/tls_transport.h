// TLS over a libuv TCP socket, with OpenSSL working purely in memory.
//
// OpenSSL never touches the socket: ciphertext from the socket is handed to
// SSL through a buffer BIO that reads from the current read chunk. SSL's
// output goes through the same BIO: while nothing is queued, each record
// goes straight to the kernel (uv_try_write, no copy); what the kernel does
// not take, and every record after it, lands in a reusable string that goes
// with one uv_write. So a flush of N requests is one SSL_write, and one write
// syscall, per 16 KiB of plaintext: as h2load's socket BIO does, instead of
// copying every record once more to save the syscalls of a flush past 16 KiB.
//
// Per connection: SNI for DNS names only; the verification name is the host
// (X509_VERIFY_PARAM_set1_host) or the IP literal (set1_ip_asc); ALPN offers
// "h2" and, when allowed, "http/1.1". Choosing a protocol is the caller's job
// (on_transport_ready gets what the server picked).
//
// Lifetime: the TCP handle, its requests and the buffer being written live in
// a loop::TcpStream box released by libuv's close callback, so the
// TlsTransport may be destroyed at any time (not inside its own handler
// callback); after that no event reaches the handler. Loop thread only.
#pragma once
#include <uv.h>

#include <memory>
#include <string>

#include "loop/stream.h"
#include "net/ssl_types.h"
#include "net/tls_context.h"
#include "net/transport.h"
#include "obs/log.h"

namespace pushgw::net {

struct TlsTransportOptions {
  std::string host;          // verification name (DNS name or IP literal); SNI if a DNS name
  uint16_t port = 443;       // session cache key only
  bool offer_http1 = false;  // ALPN "h2" + "http/1.1" instead of "h2" alone
  uint32_t conn_id = 0;      // log tag
  // Bytes queued for a peer that does not read (plaintext, ciphertext and
  // what the socket has not taken) past which the connection fails with
  // IoError: a peer that stops reading while it makes us write (requests,
  // PING and SETTINGS acknowledgements) cannot grow our memory without end.
  // Above one full window of requests (1000 streams of a few KiB).
  size_t max_write_backlog = 8u << 20;
};

// The BIO type used by every transport (created once per TlsContext).
BIO_METHOD* make_buffer_bio_method();

namespace detail {
int tls_bio_write(BIO* b, const char* data, int len);  // the buffer BIO's write
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(uv_loop_t* loop, std::shared_ptr<TlsContext> tls, TlsTransportOptions opts, TransportHandler& handler,
               obs::Logger log);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  void connect(const sockaddr* addr) override;
  std::string& out() override { return plain_; }
  void flush() override;
  void close() override;
  size_t write_backlog() const override;

  // Diagnostics: the handshake resumed a cached session.
  bool resumed() const { return ssl_ && SSL_session_reused(ssl_.get()) == 1; }

  // OpenSSL new-session hook (see tls_context.cc); true = reference kept.
  bool on_new_session(SSL_SESSION* sess);

  // Where the buffer BIO reads ciphertext from and writes ciphertext to.
  struct BioIo {
    TlsTransport* out = nullptr;  // take_cipher()
    const uint8_t* in = nullptr;
    size_t in_len = 0;
  };

 private:
  void on_connect(int status);
  void on_read(const char* data, size_t len);
  void on_read_end(int status);
  void on_write_done(int status);
  bool start_tls();
  bool handshake_step();      // false: transport failed
  bool read_plaintext();      // false: transport failed or closed by the handler
  void start_write();        // write_cipher(), failing the transport on error or past max_write_backlog
  int write_cipher();        // one uv_write of cipher_ unless one is in flight; uv error code
  bool encrypt_pending();    // SSL_write all of plain_ (to the socket or into cipher_)
  // A record from SSL: to the kernel now if nothing is queued before it,
  // the rest into cipher_ (a socket error shows at the uv_write that follows).
  void take_cipher(const char* data, size_t len);
  friend int detail::tls_bio_write(BIO* b, const char* data, int len);
  void fail(NetError err, const std::string& detail);
  void close_socket();       // once; on_closed() follows from the close callback
  void on_closed();
  std::string session_key() const;

  std::shared_ptr<TlsContext> tls_;
  TlsTransportOptions opts_;
  TransportHandler* handler_;
  obs::Logger log_;
  loop::TcpStream tcp_;
  std::unique_ptr<char[]> rbuf_;
  std::shared_ptr<bool> alive_;  // false once destroyed: the close callback must not call back
  size_t inflight_ = 0;          // bytes of the write in flight
  bool writing_ = false;
  bool socket_closing_ = false;
  ssl_ptr ssl_;
  BioIo bio_io_;
  std::string plain_;     // plaintext queued by the codec
  std::string cipher_;    // ciphertext the kernel did not take yet, for the next uv_write
  std::string rplain_;    // SSL_read scratch buffer
  bool handshake_done_ = false;
  bool failed_ = false;   // error raised or close() called: no more events but on_transport_closed
  NetError deferred_error_ = NetError::None;  // raised from the close callback (connect() could not start)
  std::string deferred_detail_;
};

}  // namespace pushgw::net
