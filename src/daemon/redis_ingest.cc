#include "daemon/redis_ingest.h"

#include <unistd.h>

#include <cstdio>

namespace pushgw::daemon {

std::string store_identity(const settings::Settings& cfg) {
  if (cfg.store.backend == store::StoreBackend::Postgres) {
    // One shared database, whichever host: a digest (FNV-1a) of its
    // connection string, which may hold a password and is never written out.
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : cfg.store.dsn) h = (h ^ c) * 1099511628211ull;
    char buf[40];
    std::snprintf(buf, sizeof buf, "postgres:%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + cfg.store.path;
}

std::unique_ptr<redis::StreamSource> make_redis_ingest(uv_loop_t* loop, const settings::Settings& cfg,
                                                       ingest::RequestSink& requests, const Clock& clock,
                                                       std::shared_ptr<obs::LogSink> sink, metrics::Registry& registry) {
  if (!cfg.ingest.redis.enabled) return nullptr;
  auto src = std::make_unique<redis::StreamSource>(loop, cfg.ingest.redis, requests, clock,
                                                   obs::Logger(std::move(sink), "redis"), store_identity(cfg),
                                                   cfg.server.max_line_bytes);
  redis::StreamSource* s = src.get();
  // Scraped on the loop thread, which owns the counters.
  registry.counter_callback("pushgw_redis_entries_total", "Redis stream entries by what happened to them",
                            {"event"}, [s](metrics::SampleSink& out) {
                              const redis::SourceStats& st = s->stats();
                              out.add({"read"}, static_cast<double>(st.read));
                              out.add({"redelivered"}, static_cast<double>(st.redelivered));
                              out.add({"claimed"}, static_cast<double>(st.claimed));
                              out.add({"acked"}, static_cast<double>(st.acked));
                              out.add({"error"}, static_cast<double>(st.errors));
                              out.add({"retried"}, static_cast<double>(st.retried));
                              out.add({"result"}, static_cast<double>(st.results));
                              out.add({"feedback"}, static_cast<double>(s->feedback_published()));
                            });
  registry.counter_callback("pushgw_redis_replies_refused_total",
                            "Redis replies refused for being over the bound (each dropped its connection)", {},
                            [s](metrics::SampleSink& out) { out.add({}, static_cast<double>(s->replies_refused())); });
  return src;
}

}  // namespace pushgw::daemon
