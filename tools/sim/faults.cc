#include "faults.h"

#include <charconv>

namespace pushgw::sim {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_i64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= 0;
}

Error bad(std::string_view spec, const char* why) {
  return make_error("bad_fault", std::string(spec) + ": " + why);
}

// "N" or "N:C" (C > 0).
bool parse_stall_after(std::string_view v, FaultSet& f) {
  uint32_t n = 0, c = 0;
  const auto colon = v.find(':');
  if (!parse_u32(v.substr(0, colon), n)) return false;
  if (colon != std::string_view::npos && (!parse_u32(v.substr(colon + 1), c) || c == 0)) return false;
  f.stall_after = n;
  f.stall_connections = c;
  return true;
}

// "MS" or "MS:N" (MS > 0, N > 0).
bool parse_drip(std::string_view v, std::optional<uint32_t>& ms, uint32_t& count) {
  uint32_t m = 0, c = 1;
  const auto colon = v.find(':');
  if (!parse_u32(v.substr(0, colon), m) || m == 0) return false;
  if (colon != std::string_view::npos && (!parse_u32(v.substr(colon + 1), c) || c == 0)) return false;
  ms = m;
  count = c;
  return true;
}

Result<void> apply_hostile_fault(std::string_view spec, std::string_view name, std::string_view value,
                                 bool has_value, FaultSet& f) {
  if (name == "stop_reading") {
    if (has_value) return bad(spec, "takes no value");
    f.stop_reading = true;
  } else if (name == "drip_ping" || name == "drip_settings") {
    const bool ping = name == "drip_ping";
    if (!parse_drip(value, ping ? f.drip_ping_ms : f.drip_settings_ms, ping ? f.drip_ping_count : f.drip_settings_count))
      return bad(spec, "expects MS or MS:N (both > 0)");
  } else {
    uint32_t n = 0;
    if (!parse_u32(value, n)) return bad(spec, "expects a byte count");
    (name == "big_headers" ? f.big_headers : f.big_body) = n;
  }
  return ok();
}

Result<void> apply_jwt_fault(std::string_view spec, std::string_view name, std::string_view value, FaultSet& f) {
  if (name == "reject_jwt") {
    if (value == "current") f.reject_jwt = FaultSet::RejectJwt::Current;
    else if (value == "all") f.reject_jwt = FaultSet::RejectJwt::All;
    else return bad(spec, "expects current or all");
  } else if (name == "reject_jwt_before") {
    int64_t s = 0;
    if (!parse_i64(value, s)) return bad(spec, "expects epoch seconds");
    f.reject_jwt_before_s = s;
  } else {
    if (value != "InvalidProviderToken" && value != "ExpiredProviderToken")
      return bad(spec, "expects InvalidProviderToken or ExpiredProviderToken");
    f.reject_jwt_invalid = value == "InvalidProviderToken";
  }
  return ok();
}

}  // namespace

Result<void> apply_fault(std::string_view spec, FaultSet& f) {
  spec = trim(spec);
  auto eq = spec.find('=');
  std::string_view name = spec.substr(0, eq);
  std::string_view value = eq == std::string_view::npos ? std::string_view() : spec.substr(eq + 1);
  const bool has_value = eq != std::string_view::npos;
  uint32_t n = 0;
  if (name == "stall" || name == "bad_tls" || name == "unavailable" || name == "token_unavailable") {
    if (has_value) return bad(spec, "takes no value");
    (name == "stall"         ? f.stall
     : name == "bad_tls"     ? f.bad_tls
     : name == "unavailable" ? f.unavailable
                             : f.token_unavailable) = true;
  } else if (name == "goaway_after" || name == "goaway_error_after" || name == "reset_after" ||
             name == "refuse_for" || name == "refuse_every") {
    if (!parse_u32(value, n)) return bad(spec, "expects a non-negative integer");
    if (name == "refuse_every" && n == 0) return bad(spec, "expects N >= 1");
    if (name == "goaway_after" || name == "goaway_error_after") {
      f.goaway_after = n;
      f.goaway_error = name == "goaway_error_after";
    }
    else if (name == "reset_after") f.reset_after = n;
    else if (name == "refuse_every") f.refuse_every = n;
    else f.refuse_for_s = n;
  } else if (name == "stall_after") {
    if (!parse_stall_after(value, f)) return bad(spec, "expects N or N:C (C > 0)");
  } else if (name == "reject_jwt" || name == "reject_jwt_before" || name == "reject_jwt_reason") {
    return apply_jwt_fault(spec, name, value, f);
  } else if (name == "stop_reading" || name == "drip_ping" || name == "drip_settings" || name == "big_headers" ||
             name == "big_body") {
    return apply_hostile_fault(spec, name, value, has_value, f);
  } else if (name == "max_streams_after") {
    auto colon = value.find(':');
    uint32_t m = 0;
    if (colon == std::string_view::npos || !parse_u32(value.substr(0, colon), n) ||
        !parse_u32(value.substr(colon + 1), m))
      return bad(spec, "expects N:M");
    f.max_streams_after = n;
    f.max_streams_to = m;
  } else {
    return bad(spec,
               "unknown fault (goaway_after, goaway_error_after, reset_after, stall, stall_after, refuse_every, "
               "max_streams_after, refuse_for, bad_tls, unavailable, token_unavailable, reject_jwt, reject_jwt_before, reject_jwt_reason, "
               "stop_reading, drip_ping, drip_settings, big_headers, big_body)");
  }
  return ok();
}

Result<FaultSet> parse_faults(std::string_view text) {
  FaultSet f;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    if (auto r = apply_fault(line, f); !r) return r.error();
  }
  return f;
}

std::string FaultSet::to_text() const {
  std::string out;
  auto line = [&](const char* name, std::optional<uint32_t> v) {
    if (!v) return;
    out += name;
    out += '=';
    out += std::to_string(*v);
    out += '\n';
  };
  line(goaway_error ? "goaway_error_after" : "goaway_after", goaway_after);
  line("reset_after", reset_after);
  if (stall) out += "stall\n";
  line("refuse_every", refuse_every);
  if (stall_after) {
    out += "stall_after=" + std::to_string(*stall_after);
    if (stall_connections > 0) out += ":" + std::to_string(stall_connections);
    out += '\n';
  }
  if (max_streams_after)
    out += "max_streams_after=" + std::to_string(*max_streams_after) + ":" + std::to_string(max_streams_to) + "\n";
  line("refuse_for", refuse_for_s);
  if (bad_tls) out += "bad_tls\n";
  if (unavailable) out += "unavailable\n";
  if (token_unavailable) out += "token_unavailable\n";
  if (reject_jwt != RejectJwt::None) out += reject_jwt == RejectJwt::All ? "reject_jwt=all\n" : "reject_jwt=current\n";
  if (reject_jwt_before_s) out += "reject_jwt_before=" + std::to_string(*reject_jwt_before_s) + "\n";
  if (reject_jwt_invalid) out += "reject_jwt_reason=InvalidProviderToken\n";
  if (stop_reading) out += "stop_reading\n";
  auto drip = [&](const char* name, std::optional<uint32_t> ms, uint32_t n) {
    if (ms) out += std::string(name) + "=" + std::to_string(*ms) + ":" + std::to_string(n) + "\n";
  };
  drip("drip_ping", drip_ping_ms, drip_ping_count);
  drip("drip_settings", drip_settings_ms, drip_settings_count);
  line("big_headers", big_headers);
  line("big_body", big_body);
  return out;
}

void FaultBoard::set(FaultSet f) {
  std::lock_guard<std::mutex> g(mu_);
  refuse_until_ns_ = f.refuse_for_s ? clock_.mono_ns() + int64_t(*f.refuse_for_s) * 1'000'000'000 : 0;
  unavailable_.store(f.unavailable, std::memory_order_release);
  token_unavailable_.store(f.token_unavailable, std::memory_order_release);
  set_ = std::move(f);
  stalls_claimed_ = 0;
  gen_.fetch_add(1, std::memory_order_acq_rel);
}

bool FaultBoard::claim_stall() {
  std::lock_guard<std::mutex> g(mu_);
  if (set_.stall_connections == 0) return true;
  if (stalls_claimed_ >= set_.stall_connections) return false;
  ++stalls_claimed_;
  return true;
}

FaultSet FaultBoard::get() const {
  std::lock_guard<std::mutex> g(mu_);
  return set_;
}

bool FaultBoard::refusing() const {
  if (generation() == 0) return false;  // never set: skip the lock on the accept path
  std::lock_guard<std::mutex> g(mu_);
  return refuse_until_ns_ != 0 && clock_.mono_ns() < refuse_until_ns_;
}

}  // namespace pushgw::sim
