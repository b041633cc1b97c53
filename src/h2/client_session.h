// HTTP/2 client codec on nghttp2, bytes in/out through memory only
// (nghttp2_session_mem_recv / nghttp2_session_mem_send).
//
// Streams are counted against the peer's SETTINGS_MAX_CONCURRENT_STREAMS as
// it is now (a lowered value takes effect for new streams at once; streams
// already open continue). capacity() is 0 until the peer's first SETTINGS.
// Request header fields are passed to nghttp2 without copying (the Stream's
// req must not change until the stream ends). Large receive windows are
// advertised and replenished automatically.
#pragma once
#include <nghttp2/nghttp2.h>

#include <memory>
#include <vector>

#include "h2/codec.h"
#include "h2/session_memory.h"
#include "obs/log.h"
#include "pushgw/result.h"

namespace pushgw::h2 {

struct Nghttp2SessionDel {
  void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
};
using nghttp2_session_ptr = std::unique_ptr<nghttp2_session, Nghttp2SessionDel>;

class ClientSession final : public Codec {
 public:
  ClientSession(CodecListener& listener, CodecOptions opts, obs::Logger log);
  ~ClientSession() override;
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Creates the session and queues the preface and our SETTINGS.
  // Error "h2_init" (out of memory inside nghttp2).
  Result<void> init();

  std::string_view protocol() const override { return "h2"; }
  bool ready() const override { return settings_seen_; }
  bool accepting() const override { return accepting_; }
  uint32_t capacity() const override;
  uint32_t active() const override { return active_; }
  bool submit(Stream& s) override;
  bool recv(const uint8_t* data, size_t len) override;
  bool send(std::string& out) override;
  bool finished() const override;
  bool ping() override;
  void cancel(Stream& s) override;
  void goaway() override;

  uint32_t remote_max_concurrent() const;
  bool goaway_received() const { return goaway_recv_; }
  int32_t goaway_last_stream_id() const { return goaway_last_id_; }

  // nghttp2 callbacks (public only so the C trampolines can reach them).
  int on_header(const nghttp2_frame* f, const uint8_t* name, size_t namelen, const uint8_t* value, size_t valuelen);
  int on_data(int32_t stream_id, const uint8_t* data, size_t len);
  int on_frame_recv(const nghttp2_frame* f);
  int on_frame_send(const nghttp2_frame* f);
  int on_frame_not_send(const nghttp2_frame* f, int lib_error);
  int on_stream_close(int32_t stream_id, uint32_t error_code);

 private:
  Stream* stream_of(int32_t id) const;

  CodecListener& listener_;
  CodecOptions opts_;
  obs::Logger log_;
  SessionMemory memory_;  // before session_: nghttp2_session_del frees through it
  nghttp2_session_ptr session_;
  std::vector<nghttp2_nv> nva_;  // reused for every submit
  uint32_t active_ = 0;
  int32_t goaway_last_id_ = 0;
  bool settings_seen_ = false;
  bool accepting_ = true;
  bool goaway_recv_ = false;
};

}  // namespace pushgw::h2
