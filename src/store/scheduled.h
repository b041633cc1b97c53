// Scheduled sends (campaign policy): notifications held for later ("send_at"
// in the future, or marketing inside the recipient's quiet hours), durable
// in the store until they are due. A row is one notification's recipients
// with one due time, kept as the send request line to run then.
//
// Claiming: a due row is claimed (leased until a time) rather than loaded and
// deleted, so several instances sharing a database never hand out the same
// row (Postgres: UPDATE .. WHERE id IN (SELECT .. FOR UPDATE SKIP LOCKED)
// RETURNING ..), and a claimer that dies before finishing releases its rows
// when the lease ends. finish_claimed() deletes a row once its send was
// handed on (journaled in the spool when there is one).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pushgw/platform.h"

namespace pushgw::store {

struct ScheduledSend {
  int64_t id = 0;             // chosen by the caller, unique; inserting an existing id is a no-op
  int64_t due_ms = 0;         // epoch ms
  std::string schedule_key;   // "" = none (op "cancel" cannot name it)
  int64_t expires_at_ms = 0;  // 0 = none
  std::string campaign;
  Platform platform = Platform::Apns;
  std::string app;
  uint32_t recipients = 0;
  bool quiet_hours = false;   // held by quiet hours (else send_at)
  int64_t created_ms = 0;
  std::string line;           // the send request to run when due
};

// list_scheduled() stops at rows, and also at bytes: a row is listed only
// while the lines before it total less than this, so one listing loads at
// most this plus one row (a row's line can be as long as a request).
inline constexpr size_t kMaxListedLineBytes = size_t{16} << 20;

struct ClaimedSends {
  std::vector<ScheduledSend> rows;
  // When the next row becomes claimable (its due time, or the end of a
  // lease on it), epoch ms; 0 = no row left.
  int64_t next_due_ms = 0;
};

}  // namespace pushgw::store
