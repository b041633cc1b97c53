// CRC-32C (Castagnoli), the checksum of every spool record. Software
// slicing-by-8: a few hundred MB/s per core is far more than the spool needs
// (records are small; request lines are checksummed once, on the writer thread).
#pragma once
#include <cstddef>
#include <cstdint>

namespace pushgw::spool {

// crc32c(data) == crc32c_extend(0, data). extend() continues a running value.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t len);
inline uint32_t crc32c(const void* data, size_t len) { return crc32c_extend(0, data, len); }

}  // namespace pushgw::spool
