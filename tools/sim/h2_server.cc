#include "h2_server.h"

#include <algorithm>
#include <cstring>

namespace pushgw::sim {

namespace {

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};
struct OptionDeleter {
  void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};

constexpr size_t kMaxRequestHeaders = 64;

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2Conn::H2Conn(RequestSink& sink, Stats& stats, FaultBoard& faults, const Clock& clock, H2Options opts)
    : sink_(sink), stats_(stats), board_(faults), clock_(clock), opts_(opts) {}

H2Conn::~H2Conn() {
  if (session_) nghttp2_session_del(session_);
}

bool H2Conn::init() {
  nghttp2_session_callbacks* raw_cbs = nullptr;
  if (nghttp2_session_callbacks_new(&raw_cbs) != 0) return false;
  std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> cbs(raw_cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs.get(), on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs.get(), on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs.get(), on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs.get(), on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs.get(), on_stream_close);

  nghttp2_option* raw_opt = nullptr;
  if (nghttp2_option_new(&raw_opt) != 0) return false;
  std::unique_ptr<nghttp2_option, OptionDeleter> opt(raw_opt);
  // PINGs are acknowledged by hand so the stall fault can ignore them.
  nghttp2_option_set_no_auto_ping_ack(opt.get(), 1);
  // big_headers may ask for header blocks past nghttp2's 64 KiB default.
  nghttp2_option_set_max_send_header_block_length(opt.get(), 4u << 20);
  if (nghttp2_session_server_new2(&session_, cbs.get(), this, opt.get()) != 0) return false;

  const nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, opts_.max_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, std::size(iv)) != 0) return false;
  ++settings_unacked_;
  // A large connection window: many concurrent 4 KiB bodies must not wait
  // for WINDOW_UPDATE round trips.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 64 << 20);
  refresh_faults();
  if (faults_.goaway_after && *faults_.goaway_after == 0) send_goaway(0);
  return true;
}

bool H2Conn::feed(const uint8_t* data, size_t n) {
  ssize_t r = nghttp2_session_mem_recv(session_, data, n);
  return r >= 0 && !drop_ && !stalled_;
}

bool H2Conn::produce(std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool H2Conn::finished() const {
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

void H2Conn::refresh_faults() {
  uint64_t gen = board_.generation();
  if (gen == faults_gen_) return;
  faults_gen_ = gen;
  faults_ = board_.get();
  stall_declined_ = false;
  const int64_t now = clock_.mono_ns();
  next_ping_ns_ = faults_.drip_ping_ms ? now + int64_t{*faults_.drip_ping_ms} * 1'000'000 : 0;
  next_settings_ns_ = faults_.drip_settings_ms ? now + int64_t{*faults_.drip_settings_ms} * 1'000'000 : 0;
}

void H2Conn::send_goaway(int32_t last_id) {
  bump(stats_.goaways_sent);
  goaway_sent_ = true;
  goaway_last_id_ = last_id;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_id,
                        faults_.goaway_error ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_NO_ERROR, nullptr, 0);
}

H2Conn::Stream* H2Conn::acquire() {
  if (free_.empty()) {
    all_.push_back(std::make_unique<Stream>());
    return all_.back().get();
  }
  Stream* s = free_.back();
  free_.pop_back();
  return s;
}

void H2Conn::release(Stream* s) {
  s->req.clear();
  s->resp.clear();
  s->sent = 0;
  s->id = 0;
  free_.push_back(s);
}

void H2Conn::submit_settings(const nghttp2_settings_entry* iv, size_t n) {
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, n) == 0) ++settings_unacked_;
}

void H2Conn::lower_max_streams(uint32_t n) {
  streams_lowered_ = true;
  lowered_to_ = n;
  const nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, n}};
  submit_settings(iv, 1);
}

// Past the GOAWAY, past the lowered limit, or the Nth stream of refuse_every:
// RST_STREAM(REFUSED_STREAM), never processed, so the client may safely
// retry it elsewhere.
bool H2Conn::refuse_new_stream(int32_t id) {
  const bool over_limit = streams_lowered_ && active_ >= lowered_to_;
  if (over_limit && settings_unacked_ == 0) bump(stats_.settings_violations);
  const auto& every = faults_.refuse_every;
  const bool refuse = (goaway_sent_ && id > goaway_last_id_) || over_limit || (every && streams_seen_ % *every == 0);
  if (!refuse) return false;
  bump(stats_.refused_streams);
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
  return true;
}

int H2Conn::begin_stream(int32_t id) {
  refresh_faults();
  ++streams_seen_;
  const auto& ga = faults_.goaway_after;
  if (ga && !goaway_sent_ && streams_begun_ >= *ga) send_goaway(last_accepted_id_);
  if (refuse_new_stream(id)) return 0;
  Stream* s = acquire();
  s->id = id;
  nghttp2_session_set_stream_user_data(session_, id, s);
  ++streams_begun_;
  last_accepted_id_ = id;
  stats_.note_concurrency(++active_);
  if (ga && !goaway_sent_ && streams_begun_ >= *ga) send_goaway(id);
  const auto& msa = faults_.max_streams_after;
  if (msa && !streams_lowered_ && streams_begun_ >= *msa) lower_max_streams(faults_.max_streams_to);
  return 0;
}

int H2Conn::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  return static_cast<H2Conn*>(user)->begin_stream(frame->hd.stream_id);
}

int H2Conn::on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
  if (!s) return 0;
  std::string_view n = view(name, namelen), v = view(value, valuelen);
  if (n == ":method") s->req.method.assign(v);
  else if (n == ":path") s->req.path.assign(v);
  else if (n == ":authority") s->req.authority.assign(v);
  else if (n[0] != ':' && s->req.headers.size() < kMaxRequestHeaders) s->req.headers.add(n, v);
  return 0;
}

int H2Conn::on_data_chunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                          void*) {
  auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (!s) return 0;
  SimRequest& r = s->req;
  r.body_size += len;
  if (r.body.size() < SimRequest::kMaxStoredBody)
    r.body.append(reinterpret_cast<const char*>(data), std::min(len, SimRequest::kMaxStoredBody - r.body.size()));
  return 0;
}

int H2Conn::on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2Conn*>(user);
  switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) && self->settings_unacked_ > 0) --self->settings_unacked_;
      return 0;
    case NGHTTP2_PING:
      self->refresh_faults();
      if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) && !self->faults_.stall)
        nghttp2_submit_ping(session, NGHTTP2_FLAG_ACK, frame->ping.opaque_data);
      return 0;
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id)))
          return self->request_complete(*s);
      }
      return 0;
    default: return 0;
  }
}

int H2Conn::on_stream_close(nghttp2_session* session, int32_t stream_id, uint32_t, void* user) {
  auto* self = static_cast<H2Conn*>(user);
  auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (!s) return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  --self->active_;
  self->release(s);
  return 0;
}

int H2Conn::request_complete(Stream& s) {
  refresh_faults();
  // Counted on completion, not on HEADERS, so "the first N are answered"
  // holds however the client interleaves frames of pipelined requests.
  if (faults_.reset_after && requests_done_ >= *faults_.reset_after) {
    drop_ = true;
    return NGHTTP2_ERR_CALLBACK_FAILURE;  // stops mem_recv; the owner drops the connection
  }
  if (faults_.stall_after && !stall_declined_ && requests_done_ >= *faults_.stall_after) {
    if (board_.claim_stall()) {
      stalled_ = true;
      bump(stats_.connections_stalled);
      return NGHTTP2_ERR_CALLBACK_FAILURE;  // this request and the rest of the input are never processed
    }
    stall_declined_ = true;
  }
  ++requests_done_;
  bump(stats_.requests);
  if (faults_.stall) return 0;  // accepted, never answered
  s.resp.clear();
  switch (sink_.on_request(s.req, s.resp)) {
    case Disposition::kNow: submit_response(s); break;
    case Disposition::kDelay:
      delayed_.emplace_back(clock_.mono_ns() + opts_.slow_ms * 1'000'000, s.id);
      break;
    case Disposition::kNever: break;
  }
  return 0;
}

ssize_t H2Conn::read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                          nghttp2_data_source* source, void*) {
  auto* s = static_cast<Stream*>(source->ptr);
  const std::string& body = s->resp.body;
  size_t n = std::min(length, body.size() - s->sent);
  std::memcpy(buf, body.data() + s->sent, n);
  s->sent += n;
  if (s->sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

// big_headers: the usual fields, then x-pad-<i> fields of up to 4 KiB until
// names and values add up to the fault's size.
void H2Conn::add_big_headers(std::string_view status, std::string_view len, Stream& s) {
  static const std::string pad(4096, 'p');
  big_nva_.clear();
  big_nva_.push_back(make_nv(":status", status));
  if (!s.resp.body.empty()) big_nva_.push_back(make_nv("content-length", len));
  for (size_t i = 0; i < s.resp.headers.size(); ++i)
    big_nva_.push_back(make_nv(s.resp.headers[i].name, s.resp.headers[i].value));
  size_t left = *faults_.big_headers;
  for (size_t i = 0; left > 0; ++i) {
    if (big_names_.size() <= i) big_names_.push_back("x-pad-" + std::to_string(i));
    const std::string& name = big_names_[i];
    const size_t v = std::min(pad.size(), left > name.size() ? left - name.size() : 0);
    big_nva_.push_back(make_nv(name, std::string_view(pad.data(), v)));
    left -= std::min(left, name.size() + v);
  }
}

void H2Conn::submit_response(Stream& s) {
  char status[4] = {0};
  int code = std::clamp(s.resp.status, 100, 999);
  status[0] = static_cast<char>('0' + code / 100);
  status[1] = static_cast<char>('0' + code / 10 % 10);
  status[2] = static_cast<char>('0' + code % 10);
  if (faults_.big_body && s.resp.body.size() < *faults_.big_body) s.resp.body.resize(*faults_.big_body, ' ');
  nghttp2_nv nva[16];
  size_t n = 0;
  nva[n++] = make_nv(":status", std::string_view(status, 3));
  std::string len = std::to_string(s.resp.body.size());
  if (!s.resp.body.empty()) nva[n++] = make_nv("content-length", len);
  for (size_t i = 0; i < s.resp.headers.size() && n < std::size(nva); ++i)
    nva[n++] = make_nv(s.resp.headers[i].name, s.resp.headers[i].value);
  nghttp2_data_provider prd;
  prd.source.ptr = &s;
  prd.read_callback = read_body;
  s.sent = 0;
  stats_.count_status(code);
  if (faults_.big_headers) {
    add_big_headers(std::string_view(status, 3), len, s);
    nghttp2_submit_response(session_, s.id, big_nva_.data(), big_nva_.size(), s.resp.body.empty() ? nullptr : &prd);
    return;
  }
  nghttp2_submit_response(session_, s.id, nva, n, s.resp.body.empty() ? nullptr : &prd);
}

int64_t H2Conn::next_deadline_ns() const {
  int64_t d = delayed_.empty() ? -1 : delayed_.front().first;
  for (int64_t t : {next_ping_ns_, next_settings_ns_})
    if (t > 0 && (d < 0 || t < d)) d = t;
  return d;
}

// drip_ping / drip_settings: frames the client must acknowledge, whether or
// not this side reads the acknowledgements.
void H2Conn::drip(int64_t now_ns) {
  if (next_ping_ns_ > 0 && now_ns >= next_ping_ns_) {
    static const uint8_t opaque[8] = {'d', 'r', 'i', 'p', 0, 0, 0, 0};
    for (uint32_t i = 0; i < faults_.drip_ping_count; ++i) nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, opaque);
    next_ping_ns_ = now_ns + int64_t{*faults_.drip_ping_ms} * 1'000'000;
  }
  if (next_settings_ns_ > 0 && now_ns >= next_settings_ns_) {
    for (uint32_t i = 0; i < faults_.drip_settings_count; ++i) nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    next_settings_ns_ = now_ns + int64_t{*faults_.drip_settings_ms} * 1'000'000;
  }
}

void H2Conn::fire_due(int64_t now_ns) {
  drip(now_ns);
  while (!delayed_.empty() && delayed_.front().first <= now_ns) {
    int32_t id = delayed_.front().second;
    delayed_.pop_front();
    // The client may have reset the stream meanwhile.
    if (auto* s = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, id))) submit_response(*s);
  }
}

}  // namespace pushgw::sim
