// The memory one nghttp2 session allocates through (nghttp2_mem): blocks of
// a few size classes kept on free lists of this session, so a stream's
// allocations (its stream object, the outbound item, the copied header
// array, the received header buffers: about six a request) are reused
// instead of going to malloc and free each time. Sizes above the largest
// class go to malloc.
//
// Why: those six malloc/free pairs were ~450 instructions per notification
// in jemalloc (docs/performance.md, stop 26); a free-list pop and push are a
// few instructions each.
//
// Bound: a class keeps at most kMaxFreeBytes / class size free blocks; what
// is freed beyond that goes back to malloc, so an idle session holds at most
// kMaxFreeBytes per class on top of what nghttp2 is using. Everything goes
// back when the SessionMemory is destroyed, which must be after the
// nghttp2 session (nghttp2_session_del frees through it).
//
// Sanitizer builds pass every call straight to malloc, so ASan still sees
// each block's bounds and lifetime.
//
// One session, one thread: no locks.
#pragma once
#include <nghttp2/nghttp2.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace pushgw::h2 {

class SessionMemory {
 public:
  static constexpr size_t kClasses = 7;                // 32, 64, ..., 2048 bytes
  static constexpr size_t kMinClass = 32;
  static constexpr size_t kMaxFreeBytes = 64 * 1024;  // per class

  SessionMemory();
  ~SessionMemory();
  SessionMemory(const SessionMemory&) = delete;
  SessionMemory& operator=(const SessionMemory&) = delete;

  // For nghttp2_session_client_new3; valid while this object lives.
  nghttp2_mem* mem() { return &mem_; }

  void* allocate(size_t size);
  void release(void* p);
  void* reallocate(void* p, size_t size);

  // Blocks on the free lists (tests).
  size_t free_blocks() const;

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct FreeList {
    FreeBlock* head = nullptr;
    size_t count = 0;
  };

  nghttp2_mem mem_{};
  std::array<FreeList, kClasses> free_{};
};

}  // namespace pushgw::h2
