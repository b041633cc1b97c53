// The bytes of one send-log entry (send_log.h): a flush's per-token send
// deltas, appended to the database as one blob.
//
// Layout (version 2, what encode writes): a version byte, then per row
//   flags         1 byte: bits 0-1 platform; bit 2 the app is the previous
//                 row's; bit 3 the campaign is the previous row's; bit 4 the
//                 token is packed (lowercase hex of even length, stored as
//                 its bytes: an APNs token takes 32 bytes instead of 64)
//   app           LEB128 length and bytes, unless bit 2
//   token         LEB128 length and bytes (packed: the length of the bytes)
//   campaign      LEB128 length and bytes, unless bit 3
//   sent, delivered, failed              LEB128
//   first_at_ms   zigzag LEB128 of the difference to the previous row's (0
//                 before the first row)
//   last_at_ms    zigzag LEB128 of last_at_ms - first_at_ms
// A typical APNs row takes ~42 bytes (version 1: ~93). Every byte costs
// twice in the send burst (the blob's copy, then SQLite's page writes: two
// pwrite calls per 4 KiB WAL frame), and again when compaction reads it.
//
// Version 1 (written before; still read, so entries logged by an older
// pushgwd are replayed and compacted after an upgrade): per row platform (1
// byte), app, token and campaign (each a LEB128 length and its bytes), sent,
// delivered, failed (LEB128), first_at_ms and last_at_ms (8 bytes
// little-endian each).
//
// decode() reads the store's own file, but checks every length against the
// end anyway: a damaged blob is an error (its counts are lost, reported by
// the caller), never a read out of bounds.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"

namespace pushgw::store::detail {

// Appends rows as one entry to out (cleared first).
void encode_send_log(const std::vector<SendDelta>& rows, std::string& out);

// The rows of an entry. Their views point into bytes, or into text for
// packed tokens (spelled out in hex again): both must outlive the rows.
// rows and text are cleared first. Error store_log_corrupt on any
// malformed byte.
Result<void> decode_send_log(std::string_view bytes, std::vector<SendDelta>& rows, std::string& text);

}  // namespace pushgw::store::detail
