// libFuzzer target: h2::Http1Client's response parser, which reads bytes
// from Web Push endpoints that subscribers (anyone) choose. The input is
//   u8 flags | u8 seed | response bytes
// flags bit 0: the request is HEAD; bit 1: the peer closes after the bytes.
// The same bytes are fed twice: in one recv() and in pieces whose sizes come
// from seed. Invariants beyond "no crash":
//   - the split does not change anything: same recv verdict, same stream
//     ends, same status, headers and body (the parser is incremental);
//   - a stream ends at most once, Complete or TooLarge (nothing else ends it
//     without cancel()), and TooLarge ends the codec;
//   - a completed response has a final status (200..999), lowercase header
//     names and a body within max_response_body; any response stays within
//     max_response_body and max_response_headers;
//   - after recv() returns false the codec is finished (the pool closes it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "h2/http1_client.h"

namespace {

using namespace pushgw;
using namespace pushgw::h2;

void check(bool cond) {
  if (!cond) __builtin_trap();
}

constexpr size_t kMaxBody = 256;

struct Run final : CodecListener {
  explicit Run(bool head) : codec(*this, opts(), obs::Logger()) {
    req.method = head ? "HEAD" : "POST";
    req.path = "/wp/x";
    req.body = head ? "" : "payload";
    req.add_header("ttl", "60");
    s.req = &req;
    s.resp = &resp;
    s.authority = "push.test";
  }
  static CodecOptions opts() {
    CodecOptions o;
    o.max_response_body = kMaxBody;
    return o;
  }
  void on_stream_end(Stream& st, StreamEnd how) override {
    check(&st == &s);
    ends.push_back(how);
  }
  void on_goaway(int32_t, uint32_t) override { check(false); }
  void on_settings() override { check(false); }
  void on_ping_ack() override { check(false); }

  // Feeds data in pieces (sizes drawn from seed; 0 = all at once).
  bool feed(std::string_view data, uint8_t seed, bool eof) {
    check(codec.submit(s));
    std::string out;
    check(codec.send(out) && !out.empty());
    uint32_t x = seed;
    bool ok = true;
    while (!data.empty() && ok) {
      size_t n = data.size();
      if (seed != 0) {
        x = x * 1103515245u + 12345u;
        n = std::min<size_t>(n, 1 + (x >> 16) % 17);
      }
      ok = codec.recv(reinterpret_cast<const uint8_t*>(data.data()), n);
      data.remove_prefix(n);
    }
    if (eof) codec.on_eof();
    if (!ok) check(codec.finished());
    return ok;
  }

  HttpRequest req;
  HttpResponse resp;
  Stream s;
  std::vector<StreamEnd> ends;
  Http1Client codec;
};

void check_complete(const Run& r) {
  check(r.ends.size() <= 1);
  check(r.resp.body.size() <= kMaxBody);
  check(r.resp.nheaders <= Run::opts().max_response_headers);
  if (r.ends.empty()) return;
  if (r.ends[0] == StreamEnd::TooLarge) {
    check(r.s.too_large && r.codec.finished());
    return;
  }
  check(r.ends[0] == StreamEnd::Complete && r.s.response_complete);
  check(r.resp.status >= 200 && r.resp.status <= 999);
  check(r.resp.body.size() <= kMaxBody);
  if (r.req.method == "HEAD") check(r.resp.body.empty());
  for (size_t i = 0; i < r.resp.nheaders; ++i)
    for (char c : r.resp.headers[i].name) check(!(c >= 'A' && c <= 'Z'));
  check(r.codec.active() == 0);
}

bool same(const Run& a, const Run& b) {
  if (a.ends != b.ends || a.resp.status != b.resp.status || a.resp.body != b.resp.body) return false;
  if (a.resp.nheaders != b.resp.nheaders) return false;
  for (size_t i = 0; i < a.resp.nheaders; ++i)
    if (a.resp.headers[i].name != b.resp.headers[i].name || a.resp.headers[i].value != b.resp.headers[i].value)
      return false;
  return a.codec.accepting() == b.codec.accepting() && a.codec.finished() == b.codec.finished();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool head = (data[0] & 1) != 0;
  const bool eof = (data[0] & 2) != 0;
  const uint8_t seed = data[1];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  Run whole(head);
  const bool ok_whole = whole.feed(bytes, 0, eof);
  check_complete(whole);
  Run split(head);
  const bool ok_split = split.feed(bytes, seed == 0 ? 1 : seed, eof);
  check_complete(split);
  check(ok_whole == ok_split);
  check(same(whole, split));
  return 0;
}
