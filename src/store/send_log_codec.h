// The bytes of one send-log entry (send_log.h): a flush's key-ordered
// per-token send deltas, appended to the database as one blob.
//
// Layout: a version byte, then per row: platform (1 byte), app, token and
// campaign (each a LEB128 length and its bytes), sent, delivered, failed
// (LEB128), first_at_ms and last_at_ms (8 bytes little-endian each).
// LEB128 keeps a typical APNs row at ~90 bytes; the fixed-width times keep
// the decoder simple.
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

// The rows of an entry; their views point into bytes. rows is cleared first.
// Error store_log_corrupt on any malformed byte.
Result<void> decode_send_log(std::string_view bytes, std::vector<SendDelta>& rows);

}  // namespace pushgw::store::detail
