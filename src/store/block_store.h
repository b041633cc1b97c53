// Append-only storage in fixed-size blocks for the store thread's in-memory
// tables (send_tally.h): growing adds a block and never copies what is held.
// A std::vector or std::string doubles by copying its whole content: for a
// tally that fills to tens of thousands of tokens, those copies were the
// largest part of adding a send (callgrind: ~220 instructions per
// notification of a 25,000-notification burst). Addresses stay valid until
// clear(), which keeps the blocks for the next fill.
//
// Threads: one (the owner's).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <cstring>
#include <vector>

namespace pushgw::store::detail {

// An array of trivially copyable T, 2^kBits elements a block.
template <class T, unsigned kBits = 12>
class BlockArray {
 public:
  static constexpr size_t kBlock = size_t{1} << kBits;

  T& operator[](size_t i) { return blocks_[i >> kBits][i & (kBlock - 1)]; }
  const T& operator[](size_t i) const { return blocks_[i >> kBits][i & (kBlock - 1)]; }
  size_t size() const { return size_; }
  size_t capacity() const { return blocks_.size() * kBlock; }
  void push_back(const T& v) {
    if (size_ == capacity()) blocks_.push_back(std::make_unique_for_overwrite<T[]>(kBlock));
    (*this)[size_++] = v;
  }
  void clear() { size_ = 0; }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;
  size_t size_ = 0;
};

// Strings of at most kBlock bytes each, addressed by a 32-bit offset (block
// << kBits | position); a string never straddles two blocks.
class TextBlocks {
 public:
  static constexpr unsigned kBits = 16;
  static constexpr size_t kBlock = size_t{1} << kBits;

  // s.size() <= kBlock. Returns the offset to read it back with.
  uint32_t append(std::string_view s) {
    if (blocks_.empty() || pos_ + s.size() > kBlock) {
      if (blocks_.empty() || ++cur_ == blocks_.size()) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlock));
        cur_ = blocks_.size() - 1;
      }
      pos_ = 0;
    }
    const auto off = static_cast<uint32_t>(cur_ << kBits | pos_);
    if (!s.empty()) std::memcpy(blocks_[cur_].get() + pos_, s.data(), s.size());
    pos_ += s.size();
    used_ += s.size();
    return off;
  }
  std::string_view view(uint32_t off, size_t len) const {
    if (len == 0) return {};
    return {blocks_[off >> kBits].get() + (off & (kBlock - 1)), len};
  }
  // Bytes appended since clear() (what the owner bounds).
  size_t size() const { return used_; }
  size_t capacity() const { return blocks_.size() * kBlock; }
  void clear() {
    cur_ = 0;
    pos_ = 0;
    used_ = 0;
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t cur_ = 0, pos_ = 0, used_ = 0;
};

}  // namespace pushgw::store::detail
