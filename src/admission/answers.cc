#include "admission/answers.h"

#include "ingest/json_out.h"

namespace pushgw::admission {

using ingest::json_num;
using ingest::json_str;

void append_result(std::string& out, const Batch& b, uint32_t i, bool spooled) {
  const ResultSlot& r = b.results[i];
  out += "{\"n\":";
  json_num(out, b.n);
  out += b.platform == Platform::WebPush ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, b.token(i));
  out += ",\"status\":";
  json_str(out, to_string(r.status));
  if (r.http_status) {
    out += ",\"http_status\":";
    json_num(out, r.http_status);
  }
  if (!r.id.empty()) {
    switch (b.platform) {
      case Platform::Apns: out += ",\"apns_id\":"; break;
      case Platform::Fcm: out += ",\"message_id\":"; break;
      case Platform::WebPush: out += ",\"location\":"; break;
    }
    json_str(out, r.id);
  }
  if (!r.reason.empty()) {
    out += ",\"reason\":";
    json_str(out, r.reason);
  }
  if (!r.provider_reason.empty()) {  // suspect_config: what the provider said
    out += ",\"provider_reason\":";
    json_str(out, r.provider_reason);
  }
  if (spooled && r.status == Status::Failed && r.reason == "shutdown") out += ",\"spooled\":true";
  out.push_back('}');
}

void append_scheduled(std::string& out, const ingest::Deferred& d, std::string_view target, int64_t id,
                      const std::string& error) {
  out += "{\"n\":";
  json_num(out, d.n);
  out += d.is_endpoint ? ",\"endpoint\":" : ",\"token\":";
  json_str(out, target);
  if (!error.empty()) {
    out += ",\"status\":\"failed\",\"reason\":\"store_failed\",\"message\":";
    json_str(out, error);
    out.push_back('}');
    return;
  }
  out += ",\"status\":\"scheduled\",\"send_at\":";
  json_str(out, ingest::rfc3339(d.due_ms));
  out += d.quiet_hours ? ",\"reason\":\"quiet_hours\"" : ",\"reason\":\"send_at\"";
  out += ",\"schedule_id\":";
  json_str(out, ingest::schedule_id_text(id));
  out.push_back('}');
}

}  // namespace pushgw::admission
