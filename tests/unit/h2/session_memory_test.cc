#include "h2/session_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace pushgw::h2 {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kPooled = false;
#else
constexpr bool kPooled = true;
#endif
#else
constexpr bool kPooled = true;
#endif

TEST(SessionMemory, BlocksAreAlignedDistinctAndHoldTheirBytes) {
  SessionMemory m;
  std::vector<std::pair<unsigned char*, size_t>> blocks;
  std::set<void*> seen;
  for (size_t size : {0ul, 1ul, 15ul, 16ul, 17ul, 48ul, 100ul, 500ul, 2032ul, 2033ul, 5000ul, 100000ul}) {
    auto* p = static_cast<unsigned char*>(m.allocate(size));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << size;
    EXPECT_TRUE(seen.insert(p).second);
    std::memset(p, static_cast<int>(size & 0xff), size);
    blocks.emplace_back(p, size);
  }
  for (auto [p, size] : blocks)
    for (size_t i = 0; i < size; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(size & 0xff)) << size;
  for (auto [p, size] : blocks) m.release(p);
}

// What a stream frees is what the next stream gets: no malloc per request.
TEST(SessionMemory, AFreedBlockIsReusedForTheNextOfItsClass) {
  if (!kPooled) GTEST_SKIP() << "sanitizer build: every block comes from malloc";
  SessionMemory m;
  void* a = m.allocate(200);
  m.release(a);
  EXPECT_EQ(m.free_blocks(), 1u);
  void* b = m.allocate(180);  // same class (256-byte blocks)
  EXPECT_EQ(b, a);
  EXPECT_EQ(m.free_blocks(), 0u);
  void* big = m.allocate(10000);  // above the classes: malloc, never kept
  m.release(big);
  m.release(b);
  EXPECT_EQ(m.free_blocks(), 1u);
}

TEST(SessionMemory, FreeBlocksAreBoundedPerClass) {
  if (!kPooled) GTEST_SKIP() << "sanitizer build: every block comes from malloc";
  SessionMemory m;
  std::vector<void*> v;
  for (int i = 0; i < 10000; ++i) v.push_back(m.allocate(40));  // 64-byte blocks
  for (void* p : v) m.release(p);
  EXPECT_EQ(m.free_blocks(), SessionMemory::kMaxFreeBytes / 64);
}

TEST(SessionMemory, ReallocateKeepsTheBytes) {
  SessionMemory m;
  auto* p = static_cast<char*>(m.allocate(10));
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(m.reallocate(p, 12));  // fits its block
  ASSERT_NE(p, nullptr);
  p = static_cast<char*>(m.reallocate(p, 3000));  // to a large block
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(m.reallocate(p, 9000));  // large to large
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  m.release(p);
  void* q = m.reallocate(nullptr, 5);  // like malloc
  ASSERT_NE(q, nullptr);
  m.release(q);
}

TEST(SessionMemory, CallocThroughNghttp2MemIsZeroed) {
  SessionMemory m;
  nghttp2_mem* mem = m.mem();
  auto* p = static_cast<unsigned char*>(mem->malloc(64, mem->mem_user_data));
  std::memset(p, 0xab, 64);
  mem->free(p, mem->mem_user_data);
  auto* q = static_cast<unsigned char*>(mem->calloc(8, 8, mem->mem_user_data));
  for (int i = 0; i < 64; ++i) ASSERT_EQ(q[i], 0);
  EXPECT_EQ(mem->calloc(SIZE_MAX / 2, 4, mem->mem_user_data), nullptr);
  mem->free(q, mem->mem_user_data);
}

}  // namespace
}  // namespace pushgw::h2
