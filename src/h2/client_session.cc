#include "h2/client_session.h"

#include <algorithm>
#include <cstring>

namespace pushgw::h2 {

std::string_view to_string(StreamEnd e) {
  switch (e) {
    case StreamEnd::Complete: return "complete";
    case StreamEnd::Refused: return "refused";
    case StreamEnd::Unprocessed: return "unprocessed";
    case StreamEnd::NotSent: return "not_sent";
    case StreamEnd::Reset: return "reset";
    case StreamEnd::TooLarge: return "too_large";
  }
  return "?";
}

namespace {

// Responses are small, so a large window costs nothing and saves
// WINDOW_UPDATE round trips.
constexpr int32_t kStreamWindow = 1 << 20;
constexpr int32_t kConnWindow = 1 << 24;
// Stop opening streams well before the 2^31 stream id space runs out.
constexpr int32_t kLastUsableStreamId = 0x7fffffff - 2000;

ClientSession* self_of(void* user) { return static_cast<ClientSession*>(user); }

int cb_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* user) {
  return self_of(user)->on_header(f, name, namelen, value, valuelen);
}
int cb_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user) {
  return self_of(user)->on_data(stream_id, data, len);
}
int cb_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) { return self_of(user)->on_frame_recv(f); }
int cb_frame_send(nghttp2_session*, const nghttp2_frame* f, void* user) { return self_of(user)->on_frame_send(f); }
int cb_frame_not_send(nghttp2_session*, const nghttp2_frame* f, int lib_error, void* user) {
  return self_of(user)->on_frame_not_send(f, lib_error);
}
int cb_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
  return self_of(user)->on_stream_close(stream_id, error_code);
}

ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source* src,
                  void*) {
  auto* s = static_cast<Stream*>(src->ptr);
  const std::string& body = s->req->body;
  size_t n = std::min(length, body.size() - s->body_off);
  memcpy(buf, body.data() + s->body_off, n);
  s->body_off += n;
  if (s->body_off == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  // Names and values stay valid until the HEADERS frame is serialized (the
  // request outlives the stream), so nghttp2 need not copy them.
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

}  // namespace

ClientSession::ClientSession(CodecListener& listener, CodecOptions opts, obs::Logger log)
    : listener_(listener), opts_(opts), log_(std::move(log)) {}

ClientSession::~ClientSession() = default;

Result<void> ClientSession::init() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return make_error("h2_init", "nghttp2_session_callbacks_new");
  nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, cb_frame_not_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cbs);
    return make_error("h2_init", "nghttp2_option_new");
  }
  nghttp2_option_set_no_auto_window_update(opt, 0);
  nghttp2_session* s = nullptr;
  int rv = nghttp2_session_client_new3(&s, cbs, this, opt, memory_.mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return make_error("h2_init", nghttp2_strerror(rv));
  session_.reset(s);
  const nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
  };
  rv = nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  if (rv == 0) rv = nghttp2_session_set_local_window_size(s, NGHTTP2_FLAG_NONE, 0, kConnWindow);
  if (rv != 0) return make_error("h2_init", nghttp2_strerror(rv));
  nva_.resize(16);
  return ok();
}

uint32_t ClientSession::remote_max_concurrent() const {
  if (!session_) return 0;
  return nghttp2_session_get_remote_settings(session_.get(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

uint32_t ClientSession::capacity() const {
  if (!settings_seen_ || !accepting_ || !session_) return 0;
  uint32_t limit = std::min(remote_max_concurrent(), opts_.max_streams);
  return limit > active_ ? limit - active_ : 0;
}

bool ClientSession::submit(Stream& s) {
  if (capacity() == 0) return false;
  if (nghttp2_session_get_next_stream_id(session_.get()) > static_cast<uint32_t>(kLastUsableStreamId)) {
    accepting_ = false;  // stream ids nearly exhausted: let the pool open a fresh connection
    return false;
  }
  const HttpRequest& r = *s.req;
  // Written in place: nva_ only grows (to the largest request's field
  // count), so a submit costs no capacity check per field.
  const HeaderList* sh = r.shared.get();
  const size_t fields = 4 + (sh != nullptr ? sh->nheaders : 0) + r.nheaders;
  if (nva_.size() < fields) nva_.resize(fields);
  nghttp2_nv* nv = nva_.data();
  nv[0] = make_nv(":method", r.method);
  nv[1] = make_nv(":scheme", r.scheme);
  nv[2] = make_nv(":authority", s.authority);
  nv[3] = make_nv(":path", r.path);
  size_t k = 4;
  if (sh != nullptr)  // the request holds the block until it is cleared, after the stream
    for (size_t i = 0; i < sh->nheaders; ++i) nv[k++] = make_nv(sh->headers[i].name, sh->headers[i].value);
  for (size_t i = 0; i < r.nheaders; ++i) nv[k++] = make_nv(r.headers[i].name, r.headers[i].value);
  s.reset_codec_state();
  nghttp2_data_provider prd;
  prd.source.ptr = &s;
  prd.read_callback = read_body;
  int32_t id = nghttp2_submit_request(session_.get(), nullptr, nv, k,
                                      r.body.empty() ? nullptr : &prd, &s);
  if (id < 0) {
    PGW_LOG(log_, Warn, "conn %u: submit: %s", opts_.conn_id, nghttp2_strerror(id));
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) accepting_ = false;
    return false;
  }
  s.id = id;
  ++active_;
  return true;
}

bool ClientSession::recv(const uint8_t* data, size_t len) {
  ssize_t rv = nghttp2_session_mem_recv(session_.get(), data, len);
  if (rv < 0) {
    PGW_LOG(log_, Warn, "conn %u: h2 receive: %s", opts_.conn_id, nghttp2_strerror(static_cast<int>(rv)));
    accepting_ = false;
    return false;
  }
  return true;
}

bool ClientSession::send(std::string& out) {
  for (;;) {
    const uint8_t* p = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_.get(), &p);
    if (n < 0) {
      PGW_LOG(log_, Warn, "conn %u: h2 send: %s", opts_.conn_id, nghttp2_strerror(static_cast<int>(n)));
      accepting_ = false;
      return false;
    }
    if (n == 0) return true;
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
}

bool ClientSession::finished() const {
  return !session_ || (nghttp2_session_want_read(session_.get()) == 0 && nghttp2_session_want_write(session_.get()) == 0);
}

bool ClientSession::ping() { return nghttp2_submit_ping(session_.get(), NGHTTP2_FLAG_NONE, nullptr) == 0; }

void ClientSession::cancel(Stream& s) {
  if (s.id > 0) nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
}

void ClientSession::goaway() {
  if (!accepting_ && goaway_recv_) return;
  accepting_ = false;
  // A client's last-stream-id names server-initiated streams: none (push is off).
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, nullptr, 0);
}

Stream* ClientSession::stream_of(int32_t id) const {
  return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_.get(), id));
}

int ClientSession::on_header(const nghttp2_frame* f, const uint8_t* name, size_t namelen, const uint8_t* value,
                             size_t valuelen) {
  if (f->hd.type != NGHTTP2_HEADERS) return 0;
  Stream* s = stream_of(f->hd.stream_id);
  if (s == nullptr) return 0;
  HttpResponse& resp = *s->resp;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    int code = 0;
    for (char c : v) code = (c >= '0' && c <= '9' && code < 1000) ? code * 10 + (c - '0') : 1000;
    resp.status = code < 1000 ? code : 0;
    resp.nheaders = 0;  // a final response replaces any interim (1xx) block
    return 0;
  }
  if (n.empty() || n[0] == ':' || resp.status < 200) return 0;
  s->header_bytes += namelen + valuelen;
  if (s->header_bytes > opts_.max_response_header_bytes || resp.nheaders >= opts_.max_response_headers) {
    // nghttp2 resets the stream (and keeps decoding the block, so HPACK
    // state stays in step); the stream ends TooLarge.
    if (!s->too_large)
      PGW_LOG(log_, Warn, "conn %u: stream %d: response headers past %zu bytes / %zu fields: reset", opts_.conn_id,
              f->hd.stream_id, opts_.max_response_header_bytes, opts_.max_response_headers);
    s->too_large = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  // nghttp2 rejects upper-case field names, so names are lowercase already.
  resp.add_header(n, v);
  return 0;
}

int ClientSession::on_data(int32_t stream_id, const uint8_t* data, size_t len) {
  Stream* s = stream_of(stream_id);
  if (s == nullptr) return 0;
  if (s->too_large) return 0;
  std::string& body = s->resp->body;
  if (len > opts_.max_response_body - body.size()) {
    body.append(reinterpret_cast<const char*>(data), opts_.max_response_body - body.size());
    PGW_LOG(log_, Warn, "conn %u: stream %d: response body past %zu bytes: reset", opts_.conn_id, stream_id,
            opts_.max_response_body);
    s->too_large = true;
    nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
    return 0;
  }
  body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int ClientSession::on_frame_recv(const nghttp2_frame* f) {
  switch (f->hd.type) {
    case NGHTTP2_SETTINGS:
      if ((f->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
        settings_seen_ = true;
        listener_.on_settings();
      }
      break;
    case NGHTTP2_GOAWAY:
      // Fires before nghttp2 closes the streams above last_stream_id.
      goaway_recv_ = true;
      accepting_ = false;
      goaway_last_id_ = f->goaway.last_stream_id;
      PGW_LOG(log_, Info, "conn %u: GOAWAY last_stream_id=%d error=%s", opts_.conn_id, f->goaway.last_stream_id,
              nghttp2_http2_strerror(f->goaway.error_code));
      listener_.on_goaway(f->goaway.last_stream_id, f->goaway.error_code);
      break;
    case NGHTTP2_PING:
      if (f->hd.flags & NGHTTP2_FLAG_ACK) listener_.on_ping_ack();
      break;
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Stream* s = stream_of(f->hd.stream_id)) s->response_complete = s->resp->status >= 200;
      }
      break;
    default:
      break;
  }
  return 0;
}

int ClientSession::on_frame_send(const nghttp2_frame* f) {
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
    if (Stream* s = stream_of(f->hd.stream_id)) s->headers_sent = true;
  }
  return 0;
}

int ClientSession::on_frame_not_send(const nghttp2_frame* f, int lib_error) {
  PGW_LOG(log_, Debug, "conn %u: frame type %u on stream %d not sent: %s", opts_.conn_id, f->hd.type, f->hd.stream_id,
          nghttp2_strerror(lib_error));
  return 0;
}

int ClientSession::on_stream_close(int32_t stream_id, uint32_t error_code) {
  Stream* s = stream_of(stream_id);
  if (s == nullptr) return 0;
  --active_;
  StreamEnd how;
  if (s->too_large) {
    how = StreamEnd::TooLarge;
  } else if (s->response_complete) {
    how = StreamEnd::Complete;
  } else if (!s->headers_sent) {
    how = goaway_recv_ ? StreamEnd::Unprocessed : StreamEnd::NotSent;
  } else if (error_code == NGHTTP2_REFUSED_STREAM) {
    how = goaway_recv_ && stream_id > goaway_last_id_ ? StreamEnd::Unprocessed : StreamEnd::Refused;
  } else {
    how = StreamEnd::Reset;
  }
  s->error_code = error_code;
  listener_.on_stream_end(*s, how);
  return 0;
}

}  // namespace pushgw::h2
