// Header blocks a provider's requests share (HttpRequest::shared): the
// fields that are the same for many requests (the credential, a batch's
// options) are written once into a block, and a request holds the block
// instead of a copy of each field.
//
// A block is keyed by whatever decides its content (the credential's
// generation, for APNs a batch's options); the provider says whether a key
// matches and how to fill a block. A block still held by a request is
// never changed, so a request answered after a credential change still
// reads the one it was sent with. A free block (held by no request) is
// refilled in place; with every block held by requests of other keys the
// caller writes the fields into the request itself, as before. So a
// provider allocates at most kBlocks blocks in its life and nothing per
// request. The counts are std::shared_ptr's: a request may be cleared or
// destroyed on another thread than its provider's (a sender's teardown);
// on the hot path it is one uncontended increment and decrement a request.
//
// Threads: the provider's (a sender's loop thread).
#pragma once
#include <array>
#include <cstddef>
#include <memory>

#include "pushgw/http.h"

namespace pushgw::provider {

template <class Key>
class SharedHeaders {
 public:
  static constexpr size_t kBlocks = 4;

  // The block whose key matches (match(const Key&) -> bool), else a free
  // block refilled by fill(HeaderList&, Key&); nullptr when every block is
  // held by requests with other keys.
  template <class Match, class Fill>
  const std::shared_ptr<HeaderList>* find_or_fill(Match&& match, Fill&& fill) {
    for (Slot& s : slots_)
      if (s.list && match(s.key)) return &s.list;
    for (Slot& s : slots_) {
      if (!s.list) s.list = std::make_shared<HeaderList>();
      else if (s.list.use_count() > 1) continue;
      s.list->nheaders = 0;
      fill(*s.list, s.key);
      return &s.list;
    }
    return nullptr;
  }

 private:
  struct Slot {
    std::shared_ptr<HeaderList> list;
    Key key{};
  };
  std::array<Slot, kBlocks> slots_;
};

}  // namespace pushgw::provider
