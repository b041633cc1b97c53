// Plain HTTP request/response values exchanged between providers (which build
// and classify them) and the pool (which moves them over HTTP/2 or HTTP/1.1).
// Objects are reused: clear() keeps capacity so the hot path does not allocate
// once a connection's request slots are warm.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pushgw {

struct HttpHeader {
  std::string name;   // lowercase
  std::string value;
};

// A reusable header list: only the first nheaders entries are live, so
// clearing keeps every string's capacity for the next message.
struct HeaderList {
  std::vector<HttpHeader> headers;
  size_t nheaders = 0;

  void add_header(std::string_view name, std::string_view value) {
    if (nheaders == headers.size()) headers.emplace_back();
    headers[nheaders].name.assign(name);
    headers[nheaders].value.assign(value);
    ++nheaders;
  }
  // First value of the header, or an empty view when absent.
  std::string_view header(std::string_view name) const {
    for (size_t i = 0; i < nheaders; ++i)
      if (headers[i].name == name) return headers[i].value;
    return {};
  }
};

struct HttpRequest : HeaderList {
  std::string method = "POST";
  std::string scheme = "https";
  std::string authority;  // host[:port] as sent in :authority / Host
  std::string path;
  std::string body;
  // Monotonic ms after which the request must not start any more (0: none);
  // a pool fails it with QueueTimeout if it still waits for a stream then.
  int64_t not_after_mono_ms = 0;
  // Header fields many requests share (a provider's credential and a
  // batch's options), sent before this request's own: built once, not
  // copied into every request. Held until clear(), so a request answered
  // after its provider moved on to a new credential still reads the one it
  // was sent with (header(), Provider::credential_rejected).
  std::shared_ptr<const HeaderList> shared;

  void clear() {
    method.assign("POST");
    authority.clear();
    path.clear();
    nheaders = 0;
    shared.reset();
    body.clear();
    not_after_mono_ms = 0;
  }
  // First value of the header among the shared fields, then the request's
  // own; an empty view when absent.
  std::string_view header(std::string_view name) const {
    if (shared) {
      for (size_t i = 0; i < shared->nheaders; ++i)
        if (shared->headers[i].name == name) return shared->headers[i].value;
    }
    return HeaderList::header(name);
  }
};

struct HttpResponse : HeaderList {  // header names lowercase
  int status = 0;
  std::string body;  // capped by the client (pool::PoolOptions::max_response_body)
  // When the request was given a stream on a connection (monotonic ns, set
  // by the pool; 0 when it never was): the wait before it is the pool's.
  int64_t started_mono_ns = 0;

  void clear() {
    status = 0;
    started_mono_ns = 0;
    nheaders = 0;
    body.clear();
  }
  // clear() keeps capacity; after an answer that grew this response's
  // buffers past keep_bytes (or past keep_headers fields) the memory goes
  // back instead, so a reused response never pins the peak a hostile peer
  // made it reach.
  void clear_and_trim(size_t keep_bytes, size_t keep_headers) {
    clear();
    if (body.capacity() > keep_bytes) std::string().swap(body);
    if (headers.size() > keep_headers) {
      headers.resize(keep_headers);
      headers.shrink_to_fit();
    }
    for (HttpHeader& h : headers) {
      if (h.name.capacity() > keep_bytes) std::string().swap(h.name);
      if (h.value.capacity() > keep_bytes) std::string().swap(h.value);
    }
  }
};

}  // namespace pushgw
