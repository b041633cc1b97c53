// Small helpers for writing the socket protocol's response JSON by hand
// (responses are built once per request; the shapes are fixed by the
// contract). Used by every module that answers a request: the send path and
// the op handlers (ingest/op_registry.h).
#pragma once
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/ascii.h"
#include "base/json_escape.h"
#include "pushgw/template.h"

namespace pushgw::ingest {

inline void json_str(std::string& out, std::string_view s) {
  base::json_append_quoted(out, s);
}

inline void json_num(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// v with three decimals, as printf's %.3f writes it (std::to_chars with a
// precision is specified to match printf in the C locale, without its cost).
inline void json_fixed3(std::string& out, double v) {
  char buf[48];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  out.append(buf, r.ptr);
}

inline void json_key(std::string& out, std::string_view k) {
  json_str(out, k);
  out.push_back(':');
}

// {"id":<id>,"ok":false,"error":code,"message":msg}
inline std::string error_response(std::string_view id_json, std::string_view code, std::string_view msg) {
  std::string out = "{\"id\":";
  out.append(id_json);
  out.append(",\"ok\":false,\"error\":");
  json_str(out, code);
  out.append(",\"message\":");
  json_str(out, msg);
  out.push_back('}');
  return out;
}

// {"id":<id>,"ok":true,"accepted":N,"rejected":[...]  (no closing brace):
// the head both send responses share. When the list is cut short (more
// than ingest::kMaxListedRejections), ,"rejected_total":T,
// "rejected_truncated":true follows it.
template <class Rejections>
void send_response_head(std::string& out, std::string_view id_json, uint32_t accepted, const Rejections& rejected,
                        uint64_t rejected_total) {
  out += "{\"id\":";
  out += id_json;
  out += ",\"ok\":true,\"accepted\":";
  json_num(out, accepted);
  out += ",\"rejected\":[";
  bool first = true;
  for (const auto& r : rejected) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"n\":";
    json_num(out, r.n);
    out += r.is_endpoint ? ",\"endpoint\":" : ",\"token\":";
    json_str(out, r.token);
    out += ",\"error\":";
    json_str(out, r.error);
    out += ",\"message\":";
    json_str(out, r.message);
    out.push_back('}');
  }
  out.push_back(']');
  if (rejected_total > rejected.size()) {
    out += ",\"rejected_total\":";
    json_num(out, static_cast<int64_t>(rejected_total));
    out += ",\"rejected_truncated\":true";
  }
}

// RFC 3339 UTC ("2026-11-22T10:00:00Z") from epoch ms.
std::string rfc3339(int64_t epoch_ms);

// A scheduled send's id as clients see it: 16 lowercase hex digits.
inline std::string schedule_id_text(int64_t id) {
  std::string s(16, '0');
  auto v = static_cast<uint64_t>(id);
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = base::kHexLower[v & 15];
  return s;
}

}  // namespace pushgw::ingest
