// End to end over loopback: a Worker (libuv + TLS memory BIOs + HTTP/2) in a
// thread, and a blocking OpenSSL + nghttp2 client that verifies the server
// against a freshly minted CA, as pushgwd would.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "core.h"
#include "crypto/keys.h"
#include "worker.h"
#include "x509_gen.h"

namespace pushgw::sim {
namespace {

struct Pki {
  std::string ca_pem, server_pem, server_key_pem;
};

Pki make_pki() {
  Pki p;
  auto ca = crypto::generate_p256();
  auto server = crypto::generate_p256();
  EXPECT_TRUE(ca.ok() && server.ok());
  p.ca_pem = make_ca_cert(ca->get(), "test CA", 1).value();
  p.server_pem = make_server_cert(server->get(), p.ca_pem, ca->get(), 1).value();
  p.server_key_pem = crypto::private_key_to_pem(server->get());
  return p;
}

// A blocking TLS client; every read times out after 5 s so a bug cannot hang the test.
class Client {
 public:
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
    if (h2_) nghttp2_session_del(h2_);
  }

  // Returns "" on success, else what failed.
  std::string connect(uint16_t port, const std::string& ca_pem, const char* alpn = "\x02h2") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return "connect";
    ctx_ = SSL_CTX_new(TLS_client_method());
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(alpn), static_cast<unsigned>(strlen(alpn)));
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      long v = SSL_get_verify_result(ssl_);
      ERR_clear_error();
      return v != X509_V_OK ? "verify" : "handshake";
    }
    const unsigned char* proto = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_, &proto, &len);
    alpn_.assign(reinterpret_cast<const char*>(proto), len);
    return "";
  }
  const std::string& alpn() const { return alpn_; }
  void set_read_timeout_ms(int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // The last failed request read nothing because of the read timeout (the
  // server kept the connection open), not because the connection ended.
  bool timed_out() const { return timed_out_; }

  // One request; returns the :status (0 on failure) and fills body/headers.
  int request(const std::string& path, const std::string& body,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!h2_) {
      nghttp2_session_callbacks* cbs;
      nghttp2_session_callbacks_new(&cbs);
      nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
      nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
      nghttp2_session_client_new(&h2_, cbs, this);
      nghttp2_session_callbacks_del(cbs);
      nghttp2_submit_settings(h2_, NGHTTP2_FLAG_NONE, nullptr, 0);
    }
    std::vector<nghttp2_nv> nv = {nv_of(":method", "POST"), nv_of(":scheme", "https"),
                                  nv_of(":authority", "127.0.0.1"), nv_of(":path", path)};
    for (auto& [n, v] : headers) nv.push_back(nv_of(n, v));
    body_ = body;
    body_off_ = 0;
    nghttp2_data_provider prd;
    prd.read_callback = read_body;
    int32_t id = nghttp2_submit_request(h2_, nullptr, nv.data(), nv.size(), &prd, nullptr);
    done_ = false;
    status_ = 0;
    resp_body.clear();
    resp_headers.clear();
    while (!done_) {
      const uint8_t* out;
      ssize_t n;
      while ((n = nghttp2_session_mem_send(h2_, &out)) > 0)
        if (SSL_write(ssl_, out, static_cast<int>(n)) <= 0) return 0;
      char buf[16384];
      int r = SSL_read(ssl_, buf, sizeof buf);
      if (r <= 0) {
        const int saved = errno;
        const int e = SSL_get_error(ssl_, r);
        timed_out_ = e == SSL_ERROR_WANT_READ || (e == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK));
        ERR_clear_error();
        return 0;
      }
      nghttp2_session_mem_recv(h2_, reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(r));
    }
    (void)id;
    return status_;
  }

  std::string resp_body;
  std::map<std::string, std::string> resp_headers;

 private:
  static nghttp2_nv nv_of(std::string_view n, std::string_view v) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
            reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE};
  }
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags, nghttp2_data_source*,
                           void* user) {
    auto* c = static_cast<Client*>(user);
    size_t n = std::min(len, c->body_.size() - c->body_off_);
    memcpy(buf, c->body_.data() + c->body_off_, n);
    c->body_off_ += n;
    if (c->body_off_ == c->body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t* n, size_t nl, const uint8_t* v, size_t vl,
                       uint8_t, void* user) {
    auto* c = static_cast<Client*>(user);
    std::string name(reinterpret_cast<const char*>(n), nl), value(reinterpret_cast<const char*>(v), vl);
    if (name == ":status") c->status_ = std::stoi(value);
    else c->resp_headers[name] = value;
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t, const uint8_t* d, size_t len, void* user) {
    static_cast<Client*>(user)->resp_body.append(reinterpret_cast<const char*>(d), len);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t, uint32_t, void* user) {
    static_cast<Client*>(user)->done_ = true;
    return 0;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  nghttp2_session* h2_ = nullptr;
  std::string alpn_, body_;
  size_t body_off_ = 0;
  bool done_ = false;
  bool timed_out_ = false;
  int status_ = 0;
};

class TlsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // Both ends write to sockets the other side may have closed (refuse,
    // reset); pushgw-sim itself ignores SIGPIPE the same way.
    signal(SIGPIPE, SIG_IGN);
    pki_ = make_pki();
    tls_.good = make_server_ctx_pem(pki_.server_pem, pki_.server_key_pem).value();
    auto bad_key = crypto::generate_p256();
    tls_.bad = make_server_ctx_pem(make_self_signed_server_cert(bad_key->get(), 1).value(),
                                   crypto::private_key_to_pem(bad_key->get()))
                   .value();
    worker_ = std::make_unique<Worker>(core_, tls_, H2Options{100, 10});
    auto p = worker_->listen("127.0.0.1", 0, false);
    ASSERT_TRUE(p.ok());
    port_ = *p;
    core_.set_origin("https://127.0.0.1:" + std::to_string(port_));
    thread_ = std::thread([this] { worker_->run(); });
  }
  void TearDown() override {
    worker_->stop();
    thread_.join();
  }

  SystemClock clock_;
  SimCore core_{clock_, true};  // sink: the provider logic has its own tests
  Pki pki_;
  TlsContexts tls_;
  std::unique_ptr<Worker> worker_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(TlsE2E, VerifiedH2RequestsOverTls) {
  Client c;
  ASSERT_EQ(c.connect(port_, pki_.ca_pem), "");
  EXPECT_EQ(c.alpn(), "h2");
  const std::string token(64, 'f');
  EXPECT_EQ(c.request("/3/device/" + token, "{}", {{"apns-id", "123e4567-e89b-12d3-a456-426614174000"}}), 200);
  EXPECT_EQ(c.resp_headers["apns-id"], "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(c.request("/wp/abc", "x"), 201);
  EXPECT_EQ(c.resp_headers["location"].rfind("https://127.0.0.1:" + std::to_string(port_) + "/msg/", 0), 0u);
  EXPECT_EQ(c.request("/nowhere", ""), 404);
  EXPECT_EQ(load(core_.stats.tls_handshakes), 1u);
  EXPECT_EQ(load(core_.stats.requests), 3u);
  EXPECT_EQ(core_.records.summary(Platform::kApns).delivered, 1u);
}

TEST_F(TlsE2E, RefusesClientsWithoutH2) {
  Client c;
  EXPECT_EQ(c.connect(port_, pki_.ca_pem, "\x08http/1.1"), "handshake");
}

TEST_F(TlsE2E, BadTlsFaultFailsVerification) {
  core_.faults.set(parse_faults("bad_tls").value());
  Client c;
  EXPECT_EQ(c.connect(port_, pki_.ca_pem), "verify");
  core_.faults.set(FaultSet{});
  Client again;
  EXPECT_EQ(again.connect(port_, pki_.ca_pem), "");
}

TEST_F(TlsE2E, RefuseForClosesConnections) {
  core_.faults.set(parse_faults("refuse_for=60").value());
  Client c;
  EXPECT_NE(c.connect(port_, pki_.ca_pem), "");
  EXPECT_EQ(load(core_.stats.connections_refused), 1u);
  EXPECT_EQ(load(core_.stats.tls_handshakes), 0u);
}

TEST_F(TlsE2E, ResetAfterDropsTheConnection) {
  core_.faults.set(parse_faults("reset_after=1").value());
  Client c;
  ASSERT_EQ(c.connect(port_, pki_.ca_pem), "");
  const std::string token(64, 'f');
  EXPECT_EQ(c.request("/3/device/" + token, "{}"), 200);
  EXPECT_EQ(c.request("/3/device/" + token, "{}"), 0);  // connection gone, no answer
  EXPECT_EQ(core_.records.summary(Platform::kApns).delivered, 1u);
}

TEST_F(TlsE2E, StallAfterAnswersThenGoesSilentWithTheConnectionOpen) {
  core_.faults.set(parse_faults("stall_after=1").value());
  Client c;
  ASSERT_EQ(c.connect(port_, pki_.ca_pem), "");
  const std::string token(64, 'f');
  EXPECT_EQ(c.request("/3/device/" + token, "{}"), 200);
  c.set_read_timeout_ms(300);
  EXPECT_EQ(c.request("/3/device/" + token, "{}"), 0);  // no answer...
  EXPECT_TRUE(c.timed_out());                           // ...and no close either
  EXPECT_EQ(core_.records.summary(Platform::kApns).delivered, 1u);
  EXPECT_EQ(load(core_.stats.connections_stalled), 1u);
  Client other;  // a new connection stalls after its first request too
  ASSERT_EQ(other.connect(port_, pki_.ca_pem), "");
  EXPECT_EQ(other.request("/3/device/" + token, "{}"), 200);
}

}  // namespace
}  // namespace pushgw::sim
