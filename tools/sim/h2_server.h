// Server side of one HTTP/2 connection on top of nghttp2's memory API:
// bytes in via feed(), bytes out via produce(). Collects each request into a
// pooled stream slot, hands it to a RequestSink when complete, and sends the
// response now, after --slow-ms (a FIFO of deadlines the owner drives with a
// timer: next_deadline_ns / fire_due), or never (stall).
//
// Connection-level faults (faults.h) are applied here: GOAWAY after N
// streams, drop after N requests, refusing every Nth stream, lowering
// MAX_CONCURRENT_STREAMS, stall (requests and PINGs unanswered), going silent
// after N requests. Tests may also lower the limit or send GOAWAY directly.
//
// Not thread-safe: one H2Conn lives on one worker loop.
#pragma once
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "faults.h"
#include "http_types.h"
#include "pushgw/clock.h"
#include "stats.h"

namespace pushgw::sim {

class RequestSink {
 public:
  virtual ~RequestSink() = default;
  // resp is cleared before the call.
  virtual Disposition on_request(const SimRequest& req, SimResponse& resp) = 0;
};

struct H2Options {
  uint32_t max_streams = 1000;
  int64_t slow_ms = 300;
};

class H2Conn {
 public:
  H2Conn(RequestSink& sink, Stats& stats, FaultBoard& faults, const Clock& clock, H2Options opts);
  ~H2Conn();
  H2Conn(const H2Conn&) = delete;
  H2Conn& operator=(const H2Conn&) = delete;

  // Creates the session and queues the server SETTINGS. False on failure.
  bool init();
  // Plaintext from the client. False: the connection must close (protocol
  // error, or drop_requested()).
  bool feed(const uint8_t* data, size_t n);
  // Appends queued frames to out. False on a session error.
  bool produce(std::string& out);
  // Nothing more to read or write (GOAWAY exchanged and streams done).
  bool finished() const;
  // reset_after fired: drop the connection without GOAWAY.
  bool drop_requested() const { return drop_; }
  // stall_after fired: send what was produced before, then neither read nor
  // write again.
  bool stall_requested() const { return stalled_; }

  // stop_reading fault: the owner reads nothing more once this is true.
  bool stop_reading_requested() const { return faults_.stop_reading; }

  // Earliest delayed response or drip (drip_ping / drip_settings), or -1.
  int64_t next_deadline_ns() const;
  // Sends every delayed response and drip due at now_ns.
  void fire_due(int64_t now_ns);

  size_t active_streams() const { return active_; }

  // Sends SETTINGS_MAX_CONCURRENT_STREAMS = n now; streams past it are
  // refused from then on (counted as violations once the client has
  // acknowledged the SETTINGS).
  void lower_max_streams(uint32_t n);
  // Sends GOAWAY(last_id) now; later streams are refused.
  void goaway(int32_t last_id) { send_goaway(last_id); }

 private:
  struct Stream {
    int32_t id = 0;
    SimRequest req;
    SimResponse resp;
    size_t sent = 0;  // body bytes handed to nghttp2
  };

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t, const uint8_t*, size_t,
                       uint8_t, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*, nghttp2_data_source*, void*);

  int begin_stream(int32_t id);
  bool refuse_new_stream(int32_t id);
  void submit_settings(const nghttp2_settings_entry* iv, size_t n);
  void refresh_faults();
  void send_goaway(int32_t last_id);
  int request_complete(Stream& s);
  void submit_response(Stream& s);
  void add_big_headers(std::string_view status, std::string_view len, Stream& s);
  void drip(int64_t now_ns);
  Stream* acquire();
  void release(Stream* s);

  RequestSink& sink_;
  Stats& stats_;
  FaultBoard& board_;
  const Clock& clock_;
  H2Options opts_;
  nghttp2_session* session_ = nullptr;

  FaultSet faults_;
  uint64_t faults_gen_ = ~uint64_t{0};
  uint32_t streams_begun_ = 0;
  uint32_t requests_done_ = 0;
  int32_t last_accepted_id_ = 0;
  bool goaway_sent_ = false;
  int32_t goaway_last_id_ = 0;
  bool streams_lowered_ = false;
  uint32_t lowered_to_ = 0;         // the lowered limit (streams_lowered_)
  uint32_t settings_unacked_ = 0;   // SETTINGS sent, ACK not yet seen
  uint32_t streams_seen_ = 0;       // every stream opened, refused ones too
  bool drop_ = false;
  bool stalled_ = false;
  bool stall_declined_ = false;  // stall_after=N:C and C connections stalled already
  size_t active_ = 0;

  std::vector<std::unique_ptr<Stream>> all_;  // owns every slot ever made
  std::vector<Stream*> free_;
  std::deque<std::pair<int64_t, int32_t>> delayed_;  // (deadline ns, stream id), FIFO = deadline order
  int64_t next_ping_ns_ = 0, next_settings_ns_ = 0;  // drips due (0: none)
  std::vector<nghttp2_nv> big_nva_;                  // big_headers: the response's fields
  std::deque<std::string> big_names_;  // a deque: big_nva_ points into its names, which must not move as it grows
};

}  // namespace pushgw::sim
