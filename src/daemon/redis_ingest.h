// [ingest.redis]: builds the Redis Streams source over the daemon's request
// sink and registers its metrics (pushgw_redis_entries_total{event},
// pushgw_redis_replies_refused_total).
#pragma once
#include <uv.h>

#include <memory>

#include "ingest/source.h"
#include "metrics/registry.h"
#include "obs/log.h"
#include "pushgw/clock.h"
#include "redis/stream_source.h"
#include "settings/settings.h"

namespace pushgw::daemon {

// nullptr when the config has no [ingest.redis]. Not started: start() it
// once its answers have somewhere to go; it connects once the loop runs and
// must outlive the loop run (and the registry's scrapes).
std::unique_ptr<redis::StreamSource> make_redis_ingest(uv_loop_t* loop, const settings::Settings& cfg,
                                                       ingest::RequestSink& requests, const Clock& clock,
                                                       std::shared_ptr<obs::LogSink> sink, metrics::Registry& registry);

// Names this instance's store in the feedback stream: the same for every
// process that shares one store, different for separate ones.
std::string store_identity(const settings::Settings& cfg);

}  // namespace pushgw::daemon
