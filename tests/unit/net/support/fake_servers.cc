#include "fake_servers.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "loop/timer.h"

namespace pushgw::testing {

struct H2ServerSession::Impl {
  struct Req {
    std::string body;      // request body, then response body
    size_t off = 0;
    bool refuse = false;
  };
  const H2Script& script;
  H2ServerStats& stats;
  std::function<void()> wake;
  nghttp2_session* s = nullptr;
  std::map<int32_t, Req> streams;
  std::deque<int32_t> pending;  // delayed responses
  std::unique_ptr<loop::Timer> timer;
  int conn_requests = 0;
  uint32_t open = 0;
  bool lower_sent = false, lower_acked = false;
  int32_t goaway_last = -1;
  uint32_t limit = 0;

  Impl(const H2Script& sc, H2ServerStats& st, std::function<void()> w) : script(sc), stats(st), wake(std::move(w)) {}

  void respond(int32_t id) {
    auto it = streams.find(id);
    if (it == streams.end()) return;
    it->second.body = script.body;
    it->second.off = 0;
    std::string status = std::to_string(script.status);
    std::vector<nghttp2_nv> nv;
    auto add = [&nv](const std::string& n, const std::string& v) {
      nv.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                              reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                              NGHTTP2_NV_FLAG_NONE});
    };
    static const std::string kStatus = ":status";
    add(kStatus, status);
    for (const auto& h : script.headers) add(h.first, h.second);
    nghttp2_data_provider prd;
    prd.source.ptr = &it->second;
    prd.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                           nghttp2_data_source* src, void*) -> ssize_t {
      auto* r = static_cast<Req*>(src->ptr);
      size_t n = std::min(len, r->body.size() - r->off);
      memcpy(buf, r->body.data() + r->off, n);
      r->off += n;
      if (r->off == r->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_response(s, id, nv.data(), nv.size(), script.body.empty() ? nullptr : &prd);
    ++stats.responses;
  }

  void on_request_headers(int32_t id) {
    if (goaway_last >= 0 && id > goaway_last) return;
    Req& r = streams[id];
    ++conn_requests;
    r.refuse = script.refuse_every > 0 && conn_requests % script.refuse_every == 0;
    ++stats.requests;
    ++open;
    stats.max_open = std::max(stats.max_open, open);
    if (lower_acked && open > limit) ++stats.violations;
    if (script.lower_after > 0 && conn_requests == script.lower_after && !lower_sent) {
      lower_sent = true;
      set_max(script.lower_to);
    }
    if (script.goaway_after > 0 && conn_requests == script.goaway_after) {
      ++stats.goaways;
      goaway_last = id;
      nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR, nullptr, 0);
    }
  }

  void on_request_complete(int32_t id) {
    if (goaway_last >= 0 && id > goaway_last) return;
    auto it = streams.find(id);
    if (it == streams.end()) return;
    stats.last_body = it->second.body;
    if (it->second.refuse) {
      ++stats.refused;
      nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (script.never_respond) return;
    if (script.respond_delay_ms > 0 && timer) {
      pending.push_back(id);
      if (!timer->active()) timer->start(static_cast<uint64_t>(script.respond_delay_ms));
      return;
    }
    respond(id);
  }

  void release_pending() {
    while (!pending.empty()) {
      respond(pending.front());
      pending.pop_front();
    }
    if (wake) wake();
  }

  void set_max(uint32_t n) {
    limit = n;
    nghttp2_settings_entry iv{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, n};
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, &iv, 1);
  }
};

namespace {
using Impl = H2ServerSession::Impl;
Impl* impl_of(void* u) { return static_cast<Impl*>(u); }
}  // namespace

H2ServerSession::H2ServerSession(const H2Script& script, H2ServerStats& stats, uv_loop_t* loop,
                                 std::function<void()> wake)
    : impl_(std::make_unique<Impl>(script, stats, std::move(wake))) {
  Impl* im = impl_.get();
  if (loop != nullptr && script.respond_delay_ms > 0)
    im->timer = std::make_unique<loop::Timer>(loop, [im] { im->release_pending(); });
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v, size_t vl,
              uint8_t, void* u) -> int {
        if (f->hd.type != NGHTTP2_HEADERS) return 0;
        auto& st = impl_of(u)->stats;
        std::string name(reinterpret_cast<const char*>(n), nl), value(reinterpret_cast<const char*>(v), vl);
        if (name == ":method") st.last_method = value;
        else if (name == ":path") st.last_path = value;
        else if (name == ":authority") st.last_authority = value;
        else st.last_headers[name] = value;
        return 0;
      });
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, [](nghttp2_session*, const nghttp2_frame* f, void* u) -> int {
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) impl_of(u)->stats.last_headers.clear();
    return 0;
  });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len, void* u) -> int {
        auto it = impl_of(u)->streams.find(id);
        if (it != impl_of(u)->streams.end()) it->second.body.append(reinterpret_cast<const char*>(d), len);
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, [](nghttp2_session*, const nghttp2_frame* f, void* u) -> int {
    Impl* self = impl_of(u);
    if (f->hd.type == NGHTTP2_SETTINGS && (f->hd.flags & NGHTTP2_FLAG_ACK) && self->lower_sent) self->lower_acked = true;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) self->on_request_headers(f->hd.stream_id);
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
      self->on_request_complete(f->hd.stream_id);
    return 0;
  });
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, [](nghttp2_session*, int32_t id, uint32_t, void* u) -> int {
    Impl* self = impl_of(u);
    if (self->streams.erase(id) > 0 && self->open > 0) --self->open;
    return 0;
  });
  nghttp2_session_server_new(&im->s, cbs, im);
  nghttp2_session_callbacks_del(cbs);
  im->limit = script.max_concurrent;
  nghttp2_settings_entry iv{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, script.max_concurrent};
  nghttp2_submit_settings(im->s, NGHTTP2_FLAG_NONE, &iv, 1);
}

H2ServerSession::~H2ServerSession() { nghttp2_session_del(impl_->s); }

bool H2ServerSession::recv(const uint8_t* data, size_t len) {
  return nghttp2_session_mem_recv(impl_->s, data, len) >= 0;
}

void H2ServerSession::send(std::string& out) {
  for (;;) {
    const uint8_t* p;
    ssize_t n = nghttp2_session_mem_send(impl_->s, &p);
    if (n <= 0) return;
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
}

bool H2ServerSession::finished() const {
  return nghttp2_session_want_read(impl_->s) == 0 && nghttp2_session_want_write(impl_->s) == 0;
}

void H2ServerSession::set_max_concurrent(uint32_t n) {
  impl_->lower_sent = true;
  impl_->set_max(n);
}

void H2ServerSession::goaway(int32_t last_stream_id) {
  impl_->goaway_last = last_stream_id;
  nghttp2_submit_goaway(impl_->s, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr, 0);
}

namespace {

class H2App final : public ServerApp {
 public:
  H2App(ServerConn& conn, const H2Script& script, H2ServerStats& stats)
      : conn_(conn), sess_(script, stats, conn.loop(), [this] { flush(); }) {
    flush();
  }
  void on_data(const uint8_t* data, size_t len) override {
    if (!sess_.recv(data, len)) {
      conn_.close();
      return;
    }
    flush();
  }

 private:
  void flush() {
    std::string out;
    sess_.send(out);
    conn_.write(out);
    if (sess_.finished()) conn_.close();
  }
  ServerConn& conn_;
  H2ServerSession sess_;
};

class H1App final : public ServerApp {
 public:
  H1App(ServerConn& conn, const H1Script& script, H1ServerStats& stats) : conn_(conn), script_(script), stats_(stats) {}

  void on_data(const uint8_t* data, size_t len) override {
    buf_.append(reinterpret_cast<const char*>(data), len);
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      size_t clen = 0;
      std::map<std::string, std::string> headers;
      size_t line_end = buf_.find("\r\n");
      std::string request_line = buf_.substr(0, line_end);
      for (size_t pos = line_end + 2; pos < end;) {
        size_t e = buf_.find("\r\n", pos);
        std::string line = buf_.substr(pos, e - pos);
        size_t c = line.find(':');
        std::string name = line.substr(0, c), value = line.substr(c + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        headers[name] = value;
        if (name == "content-length") clen = std::stoul(value);
        pos = e + 2;
      }
      if (buf_.size() < end + 4 + clen) return;
      ++stats_.requests;
      stats_.last_request_line = request_line;
      stats_.last_host = headers["host"];
      stats_.last_body = buf_.substr(end + 4, clen);
      stats_.last_headers = headers;
      buf_.erase(0, end + 4 + clen);
      if (script_.never_respond) continue;
      respond();
      if (script_.close_delimited || script_.connection_close) {
        conn_.close();
        return;
      }
    }
  }

 private:
  void respond() {
    std::string r = "HTTP/1.1 " + std::to_string(script_.status) + " Whatever\r\nServer: fake\r\nX-Mixed-Case: Yes\r\n";
    if (script_.connection_close) r += "Connection: close\r\n";
    if (script_.chunked) {
      r += "Transfer-Encoding: chunked\r\n\r\n";
      const std::string& b = script_.body;
      size_t third = b.size() / 3 + 1;
      for (size_t off = 0; off < b.size(); off += third) {
        std::string part = b.substr(off, third);
        char hex[16];
        snprintf(hex, sizeof hex, "%zx", part.size());
        r += std::string(hex) + ";ext=1\r\n" + part + "\r\n";
      }
      r += "0\r\nTrailer-X: y\r\n\r\n";
    } else if (script_.close_delimited) {
      r += "\r\n" + script_.body;
    } else {
      r += "Content-Length: " + std::to_string(script_.body.size()) + "\r\n\r\n" + script_.body;
    }
    conn_.write(r);
  }

  ServerConn& conn_;
  const H1Script& script_;
  H1ServerStats& stats_;
  std::string buf_;
};

}  // namespace

std::unique_ptr<ServerApp> make_h2_app(ServerConn& conn, const H2Script& script, H2ServerStats& stats) {
  return std::make_unique<H2App>(conn, script, stats);
}

std::unique_ptr<ServerApp> make_h1_app(ServerConn& conn, const H1Script& script, H1ServerStats& stats) {
  return std::make_unique<H1App>(conn, script, stats);
}

}  // namespace pushgw::testing
