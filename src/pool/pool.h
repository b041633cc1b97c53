// Per-origin outbound connection pool: the interface (Pool), and the
// production pool behind it (make_h2_pool: HTTP/2 over TLS, or HTTP/1.1 when
// the server's ALPN picks it and the pool allows it), one libuv loop thread.
// Users that create pools take a PoolFactory, so a test can hand them a fake;
// the H2 pool takes a TransportFactory, so a test can put a fake byte pipe
// under it. The contract below binds every implementation.
//
// Threading: a Pool lives on one loop thread; every method and callback runs
// there. Only the TlsContext is shared across threads.
//
// Flow: submit() queues a request; flush() hands queued requests to
// connections with free stream slots (counted against the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS, including later changes) and writes each
// connection's output with one TLS write. Requests beyond capacity wait in the
// pool's queue; another connection is opened (up to max_connections, one
// handshake at a time) when every live connection is saturated. Capacity freed
// by completions is refilled from the queue automatically.
//
// Completion: PoolListener::on_complete runs exactly once per submit(), on the
// loop thread, never inside submit(), never inside an nghttp2 callback. Inside
// on_complete the listener may call submit(), flush(), retire() and shutdown()
// (not the destructor).
//
// Timeouts: request_timeout_ms runs from the moment a request is handed to a
// connection. A request also waits at most request_timeout_ms in the pool's
// queue for a stream (or until its HttpRequest::not_after_mono_ms, if that
// comes first); then it completes with QueueTimeout, never having been sent.
// So a peer that never frees a stream cannot hold requests forever.
// connect_timeout_ms covers TCP connect + TLS handshake + the peer's first
// SETTINGS. Liveness (HTTP/2 only): a connection with streams in flight that
// received nothing for stall_ping_ms (measured from its last bytes or its
// first stream, whichever is later), or an idle one that received nothing for
// ping_interval_ms, sends a PING. While the PING is unanswered it takes no new
// streams; no ACK within ping_timeout_ms (plus one pass of the loop's I/O, so
// a loop that was blocked cannot misread a waiting ACK) and it is dead: its
// sent streams end Stalled, its unsent ones go back to the queue. A ready
// connection whose peer allows no stream at all
// (SETTINGS_MAX_CONCURRENT_STREAMS = 0, nothing in flight) for
// no_streams_timeout_ms while requests wait is closed and counts as a failed
// connection attempt (NoStreams): backoff, connect_failures, and after
// max_connect_failures the queue fails with it. A connection
// with no streams for idle_timeout_ms closes.
//
// Failures (TransportError): a request that never reached the peer is never
// reported as possibly processed: unsent requests of a lost connection go back
// to the queue; REFUSED_STREAM and streams above a GOAWAY's last-stream-id come
// back as RefusedStream / GoawayUnprocessed for the caller to re-queue. After
// max_connect_failures consecutive failed connection attempts with no live
// connection, queued requests fail with that attempt's error (the caller's
// retry policy decides); attempts then continue with backoff only while
// requests are queued.
#pragma once
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/tls_context.h"
#include "net/transport.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "pushgw/http.h"

namespace pushgw::pool {

enum class TransportError : uint8_t {
  None,
  ConnectFailed,       // TCP connect failed / refused / connect timeout / name resolution; request never sent
  TlsHandshakeFailed,  // handshake failed for a reason other than verification (incl. no acceptable ALPN)
  TlsVerifyFailed,     // certificate/hostname verification failed (contract reason "tls_verify_failed")
  RefusedStream,       // RST_STREAM REFUSED_STREAM: peer did not process it
  GoawayUnprocessed,   // stream id above GOAWAY last-stream-id, or never started before GOAWAY: not processed
  ConnectionLost,      // connection died while the stream was open: may have been processed
  Stalled,             // the connection stopped answering (no PING ACK) with the stream open: may have been processed
  StreamReset,         // other RST_STREAM
  Timeout,             // per-request timeout (stream is reset; HTTP/1.1: connection closed)
  Shutdown,            // pool shut down before the request was sent
  QueueTimeout,        // waited in the pool's queue past its deadline without getting a stream; never sent
  NoStreams,           // the connected peer allowed no stream for no_streams_timeout_ms; never sent
  ResponseTooLarge,    // the answer passed the response caps (headers, body): stream reset or connection closed
};
std::string_view to_string(TransportError);  // snake_case, e.g. "tls_verify_failed"
// True when the peer certainly did not process the request: ConnectFailed,
// Tls*, RefusedStream, GoawayUnprocessed, QueueTimeout, NoStreams, Shutdown (the pool reports Shutdown
// only for requests it never sent; sent ones cut by a forced shutdown are
// ConnectionLost).
bool never_processed(TransportError);

// What a connection's transport is for; the strings live as long as the pool.
struct TransportSpec {
  const std::string& host;  // SNI + verification name
  uint16_t port;
  bool offer_http1;         // ALPN offers "http/1.1" after "h2"
  uint32_t conn_id;         // for logs
};
// Creates the byte pipe under one pooled connection (loop thread).
using TransportFactory = std::function<std::unique_ptr<net::Transport>(
    uv_loop_t* loop, const TransportSpec& spec, net::TransportHandler& handler, const obs::Logger& log)>;
// The production transport: TLS over TCP, verified against tls.
TransportFactory tls_transports(std::shared_ptr<net::TlsContext> tls);

struct PoolOptions {
  std::string host;               // SNI + verification name (+ :authority unless request sets one); may be an IP literal (then IP verification)
  uint16_t port = 443;
  std::string connect_ip;         // non-empty: connect to this IP literal and do NOT resolve host (SSRF guard pins the checked address)
  int max_connections = 1;        // upper bound; grows when all stream slots are saturated
  int connect_timeout_ms = 5000, request_timeout_ms = 10000;  // connect: TCP + TLS + peer SETTINGS
  int ping_interval_ms = 60000, ping_timeout_ms = 3000, idle_timeout_ms = 300000;
  int stall_ping_ms = 1000;       // PING a connection with streams in flight that is silent this long
  bool allow_http1 = false;       // offer "http/1.1" in ALPN too (Web Push, OAuth token endpoint); then one request at a time per connection, keep-alive, no pipelining
  size_t max_response_body = 65536;          // past any of these three the request ends ResponseTooLarge
  size_t max_response_header_bytes = 16384;
  size_t max_response_headers = 64;
  // Additions (defaults match the design):
  int backoff_base_ms = 100, backoff_cap_ms = 30000;
  int max_connect_failures = 3;   // consecutive failed attempts before queued requests fail
  int no_streams_timeout_ms = 3000;  // a ready peer allowing no stream this long is a failed attempt
  uint32_t max_streams_per_connection = 1000;  // our cap, whatever the peer allows
  TransportFactory transport;     // empty: tls_transports() with the pool's TlsContext
};

class PoolListener {
 public:
  virtual ~PoolListener() = default;
  // Exactly once per submit(), on the loop thread. conn_id identifies the connection that answered (0 if none).
  virtual void on_complete(void* user, HttpRequest& req, HttpResponse& resp, TransportError err, uint32_t conn_id) = 0;
};

struct PoolStats {
  uint32_t connections = 0, streams_in_flight = 0, queued = 0;
  uint64_t connects = 0, connect_failures = 0, handshakes = 0, goaways = 0, reconnects = 0;
};

class Pool {
 public:
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // Without a finished shutdown(): closes everything at once and completes
  // outstanding requests synchronously (Shutdown if unsent, ConnectionLost if
  // sent). Handle memory is released by the loop afterwards, so run the loop
  // before uv_loop_close(). Never destroy a pool from inside its callback.
  virtual ~Pool() = default;

  // Queues a request; req/resp stay owned by the caller and valid until on_complete. Never blocks, never completes synchronously inside submit().
  // resp is cleared when the request is handed to a connection.
  virtual void submit(HttpRequest* req, HttpResponse* resp, void* user) = 0;
  // Writes everything queued: at most one TLS write (one uv_write) per connection per flush. Call once after a batch of submits.
  virtual void flush() = 0;
  // Stop opening streams on conn_id; close it once its in-flight streams complete (APNs ExpiredProviderToken).
  virtual void retire(uint32_t conn_id) = 0;
  // Fail queued requests with Shutdown, GOAWAY+close connections after in-flight complete (or immediately if force:
  // in-flight then complete with ConnectionLost); done runs when all of the pool's handles are closed (the pool may be
  // destroyed inside done; uv_loop_close may follow at once).
  virtual void shutdown(bool force, std::function<void()> done) = 0;
  virtual PoolStats stats() const = 0;
  // Requests submitted and not yet given a stream (stats().queued), without
  // walking the connections: how far the caller has built ahead of them.
  virtual size_t waiting() const { return stats().queued; }
};

// The production pool (H2Pool in pool.cc).
std::unique_ptr<Pool> make_h2_pool(uv_loop_t* loop, std::shared_ptr<net::TlsContext> tls, PoolOptions opts,
                                   PoolListener& listener, const Clock& clock, obs::Logger log);

// How a pool user (the sender) creates its pools: one per origin, on its loop.
using PoolFactory =
    std::function<std::unique_ptr<Pool>(uv_loop_t* loop, PoolOptions opts, PoolListener& listener, obs::Logger log)>;
// make_h2_pool with this TLS context and clock (which must outlive the pools).
PoolFactory h2_pools(std::shared_ptr<net::TlsContext> tls, const Clock& clock);

}  // namespace pushgw::pool
