#include "h2/session_memory.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define PUSHGW_PLAIN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PUSHGW_PLAIN_MALLOC 1
#endif
#endif

namespace pushgw::h2 {

namespace {

// Each block starts with a header that names its class, so free() (which
// nghttp2 calls without a size) knows where the block goes. 16 bytes keep
// the caller's pointer as aligned as malloc's.
constexpr size_t kHeader = 16;
constexpr uint8_t kLarge = 0xff;

size_t class_bytes(size_t c) { return SessionMemory::kMinClass << c; }

// The smallest class whose block holds size bytes after the header, or
// kClasses when none does.
size_t class_of(size_t size) {
  const size_t units = (size + kHeader + SessionMemory::kMinClass - 1) / SessionMemory::kMinClass;
  return static_cast<size_t>(std::bit_width(units - 1));
}

uint8_t& tag(void* block) { return *static_cast<uint8_t*>(block); }
void* user(void* block) { return static_cast<char*>(block) + kHeader; }
void* block_of(void* p) { return static_cast<char*>(p) - kHeader; }

void* mem_malloc(size_t size, void* self) { return static_cast<SessionMemory*>(self)->allocate(size); }
void mem_free(void* p, void* self) { static_cast<SessionMemory*>(self)->release(p); }
void* mem_calloc(size_t n, size_t size, void* self) {
  if (size != 0 && n > SIZE_MAX / size) return nullptr;
  void* p = static_cast<SessionMemory*>(self)->allocate(n * size);
  if (p != nullptr) std::memset(p, 0, n * size);
  return p;
}
void* mem_realloc(void* p, size_t size, void* self) { return static_cast<SessionMemory*>(self)->reallocate(p, size); }

}  // namespace

SessionMemory::SessionMemory() {
  mem_.mem_user_data = this;
  mem_.malloc = mem_malloc;
  mem_.free = mem_free;
  mem_.calloc = mem_calloc;
  mem_.realloc = mem_realloc;
}

SessionMemory::~SessionMemory() {
  for (FreeList& l : free_) {
    while (FreeBlock* b = l.head) {
      l.head = b->next;
      std::free(b);
    }
  }
}

#ifdef PUSHGW_PLAIN_MALLOC

void* SessionMemory::allocate(size_t size) { return std::malloc(size); }
void SessionMemory::release(void* p) { std::free(p); }
void* SessionMemory::reallocate(void* p, size_t size) { return std::realloc(p, size); }

#else

void* SessionMemory::allocate(size_t size) {
  const size_t c = class_of(size);
  if (c >= kClasses) {
    if (size > SIZE_MAX - kHeader) return nullptr;
    void* b = std::malloc(size + kHeader);
    if (b == nullptr) return nullptr;
    tag(b) = kLarge;
    return user(b);
  }
  FreeList& l = free_[c];
  void* b = l.head;
  if (b != nullptr) {
    l.head = l.head->next;
    --l.count;
  } else {
    b = std::malloc(class_bytes(c));
    if (b == nullptr) return nullptr;
  }
  tag(b) = static_cast<uint8_t>(c);
  return user(b);
}

void SessionMemory::release(void* p) {
  if (p == nullptr) return;
  void* b = block_of(p);
  const uint8_t c = tag(b);
  if (c == kLarge || free_[c].count * class_bytes(c) >= kMaxFreeBytes) {
    std::free(b);
    return;
  }
  FreeList& l = free_[c];
  l.head = new (b) FreeBlock{l.head};
  ++l.count;
}

void* SessionMemory::reallocate(void* p, size_t size) {
  if (p == nullptr) return allocate(size);
  void* b = block_of(p);
  const uint8_t c = tag(b);
  if (c == kLarge) {
    if (size > SIZE_MAX - kHeader) return nullptr;
    void* nb = std::realloc(b, size + kHeader);
    return nb == nullptr ? nullptr : user(nb);
  }
  const size_t usable = class_bytes(c) - kHeader;
  if (size <= usable) return p;
  void* q = allocate(size);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, usable);
  release(p);
  return q;
}

#endif

size_t SessionMemory::free_blocks() const {
  size_t n = 0;
  for (const FreeList& l : free_) n += l.count;
  return n;
}

}  // namespace pushgw::h2
