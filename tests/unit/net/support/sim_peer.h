// A pushgw-sim peer on the test's own libuv loop (the net, h2 and pool tests
// are single-threaded): the simulator's TLS (memory BIOs, ALPN as asked) on a
// loop::TcpStream per connection, and behind it the simulator's HTTP/2
// server (sim::H2Conn with its FaultSet), its HTTP/1.1 server (sim::H1Conn)
// or a byte echo. Answers come from a ScriptedSink the test sets.
#pragma once
#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "faults.h"
#include "h1_server.h"
#include "h2_server.h"
#include "loop/stream.h"
#include "pushgw/clock.h"
#include "stats.h"
#include "tls_server.h"

namespace pushgw::testing {

// What the peer answers, and what it saw last.
class ScriptedSink final : public sim::RequestSink {
 public:
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  bool never_respond = false;
  bool delay = false;  // HTTP/2: answer after H2Options::slow_ms

  sim::Disposition on_request(const sim::SimRequest& req, sim::SimResponse& resp) override;

  int responses = 0;
  std::string last_method, last_path, last_authority, last_body;
  std::map<std::string, std::string> last_headers;
};

struct PeerOptions {
  enum class App : uint8_t {
    Http,  // sim::H2Conn when ALPN picked "h2", else sim::H1Conn
    Echo,  // plaintext back as it came
  };
  std::string cert_pem, key_pem;
  sim::Alpn alpn = sim::Alpn::H2;
  App app = App::Http;
  sim::H2Options h2;
  sim::H1Options h1;
};

class SimPeer {
 public:
  // Listens on 127.0.0.1, port chosen by the kernel. sink must outlive the
  // peer (tests keep it in the fixture and change it while the peer runs).
  SimPeer(uv_loop_t* loop, PeerOptions opts, ScriptedSink& sink);
  ~SimPeer();
  SimPeer(const SimPeer&) = delete;
  SimPeer& operator=(const SimPeer&) = delete;

  uint16_t port() const { return port_; }
  // HTTP/2 faults, for new and open connections alike.
  void set_faults(const sim::FaultSet& f) { board_.set(f); }
  // Stops reading every connection: a peer gone silent.
  void stall();
  // Stops listening and closes every connection.
  void close();
  size_t accepted() const { return accepted_; }
  size_t open_connections() const { return conns_.size(); }

  ScriptedSink& sink;
  sim::Stats stats;

 private:
  class Conn;
  void on_connection();
  void retire(Conn& c);

  uv_loop_t* loop_;
  PeerOptions opts_;
  SystemClock clock_;
  sim::FaultBoard board_{clock_};
  sim::SslCtxPtr ctx_;
  std::unique_ptr<loop::TcpStream> listener_;
  std::unordered_map<const Conn*, std::unique_ptr<Conn>> conns_;
  uint16_t port_ = 0;
  size_t accepted_ = 0;
  bool stalled_ = false;
};

}  // namespace pushgw::testing
