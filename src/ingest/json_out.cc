#include "ingest/json_out.h"

#include <ctime>

namespace pushgw::ingest {

std::string rfc3339(int64_t epoch_ms) {
  time_t t = static_cast<time_t>(epoch_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace pushgw::ingest
