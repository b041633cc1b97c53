// Start-up replay of the durable spool: every request the previous process
// accepted but did not finish is parsed again from its journaled line and
// only its recipients without a final outcome are queued (at least once:
// what was in flight at the crash is sent again).
//
// Recipient indices in the spool are positions among a notification's
// accepted recipients, so they are only meaningful when the line parses to
// the same count as before. When the config changed in between (an app was
// removed, a limit changed), an entry whose count differs is sent in full,
// and an entry that no longer parses is dropped with a warning.
//
// Before the loop runs and the socket listens; the main thread.
#pragma once
#include <cstddef>
#include <vector>

#include "admission/admission.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "spool/spool.h"

namespace pushgw::admission {

// Queues what `items` left unfinished and journals each request again in
// `spool`. Returns how many recipients were queued.
size_t replay_spool(std::vector<spool::Unfinished> items, spool::Spool& spool, Admission& admission,
                    const Clock& clock, const obs::Logger& log);

}  // namespace pushgw::admission
