// [ingest.redis]: builds the Redis Streams source, attaches it to the
// gateway and registers its metrics (pushgw_redis_entries_total{event}).
#pragma once
#include <uv.h>

#include <memory>

#include "daemon/gateway.h"
#include "metrics/registry.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "redis/stream_source.h"
#include "settings/settings.h"

namespace pushgw::daemon {

// nullptr when the config has no [ingest.redis]. The source connects once
// the loop runs; it must outlive the loop run (and the registry's scrapes).
std::unique_ptr<redis::StreamSource> start_redis_ingest(uv_loop_t* loop, const settings::Settings& cfg, Gateway& gateway,
                                                        const Clock& clock, std::shared_ptr<obs::LogSink> sink,
                                                        metrics::Registry& registry);

// Names this instance's store in the feedback stream: the same for every
// process that shares one store, different for separate ones.
std::string store_identity(const settings::Settings& cfg);

}  // namespace pushgw::daemon
