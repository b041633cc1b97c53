// NDJSON framing for one connection: turns arbitrary read chunks into lines.
//
// A line that arrives whole inside one chunk is handed out as a view into
// that chunk (no copy); only a line split across reads is assembled in the
// framer's own buffer. A line longer than max_line_bytes is reported once
// (as soon as it is known to be too long) and its bytes are discarded up to
// and including its '\n', so the connection stays usable.
//
// Line length counts the bytes before '\n' (a trailing '\r' included).
#pragma once
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace pushgw::ingest {

class LineFramer {
 public:
  explicit LineFramer(size_t max_line_bytes) : max_(max_line_bytes) {}

  // Calls on_line(std::string_view) for each complete non-empty line (without
  // '\n', a trailing '\r' stripped) and on_too_long() once per oversize line.
  // The view passed to on_line is valid only during that call.
  //
  // on_line may return bool: false stops the feed right after that line
  // (back-pressure). Returns the number of bytes of data consumed; the caller
  // must feed data + consumed again later. With a void on_line it is len.
  template <class OnLine, class OnTooLong>
  size_t feed(const char* data, size_t len, OnLine&& on_line, OnTooLong&& on_too_long) {
    const char* p = data;
    const char* end = data + len;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (skipping_) {
        if (nl == nullptr) return len;
        skipping_ = false;
        p = nl + 1;
        continue;
      }
      size_t seg = static_cast<size_t>((nl ? nl : end) - p);
      if (buf_.size() + seg > max_) {
        drop_buffer();
        skipping_ = true;
        on_too_long();
        continue;  // the skip branch finds this line's '\n' (or eats the rest)
      }
      if (nl == nullptr) {
        buf_.append(p, seg);
        return len;
      }
      bool go_on = true;
      if (buf_.empty()) {
        go_on = emit(std::string_view(p, seg), on_line);
      } else {
        buf_.append(p, seg);
        go_on = emit(std::string_view(buf_), on_line);
        drop_buffer();
      }
      p = nl + 1;
      if (!go_on) return static_cast<size_t>(p - data);
    }
    return len;
  }

  // End of input: hands out a final line that had no '\n' (lenient framing).
  template <class OnLine>
  void flush(OnLine&& on_line) {
    if (!skipping_ && !buf_.empty()) emit(std::string_view(buf_), on_line);
    drop_buffer();
    skipping_ = false;
  }

  // Bytes of an unfinished line held by the framer.
  size_t buffered() const { return buf_.size(); }
  size_t max_line_bytes() const { return max_; }

 private:
  template <class OnLine>
  static bool emit(std::string_view line, OnLine& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return true;
    if constexpr (std::is_same_v<decltype(on_line(line)), bool>) {
      return on_line(line);
    } else {
      on_line(line);
      return true;
    }
  }

  // Keeps a modest buffer for reuse but gives back the memory of a huge line:
  // an idle connection should not pin megabytes.
  void drop_buffer() {
    if (buf_.capacity() > kKeepCapacity)
      std::string().swap(buf_);
    else
      buf_.clear();
  }

  static constexpr size_t kKeepCapacity = 64 * 1024;
  size_t max_;
  std::string buf_;
  bool skipping_ = false;
};

}  // namespace pushgw::ingest
