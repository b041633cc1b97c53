// The per-recipient entries of a waited send's "results" array.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/send.h"
#include "pushgw/job.h"

namespace pushgw::admission {

// {"n":..,"token"|"endpoint":..,"status":..[,"http_status"][,"apns_id"|
// "message_id"|"location"][,"reason"][,"spooled":true]}. spooled: the daemon
// has a spool, so a "shutdown" failure is not final: the recipient stays
// journaled and is sent after the restart.
void append_result(std::string& out, const Batch& b, uint32_t i, bool spooled);

// {"n":..,"token":..,"status":"scheduled","send_at":..,"reason":"send_at"|
// "quiet_hours","schedule_id":..}, or status "failed" (reason
// "store_failed") when the store could not keep it (error non-empty).
void append_scheduled(std::string& out, const ingest::Deferred& d, std::string_view target, int64_t id,
                      const std::string& error);

}  // namespace pushgw::admission
