// One parser per config section; config.cc registers them in the schema.
// Each parser validates its own keys and writes only its own part of Config.
// Internal to the config module.
#pragma once
#include "config/config.h"
#include "config/section.h"

namespace pushgw::config::detail {

void parse_server(Section& s, Config& cfg);
void parse_store(Section& s, Config& cfg);
void parse_metrics(Section& s, Config& cfg);
void parse_tls(Section& s, Config& cfg);
void parse_log(Section& s, Config& cfg);
void parse_delivery(Section& s, Config& cfg);
void parse_spool(Section& s, Config& cfg);
void parse_policy(Section& s, Config& cfg);
void parse_redis(Section& s, Config& cfg);
// One element of [[apns]], [[fcm]], [[webpush]]; duplicate names are
// reported by the caller (config.cc).
void parse_apns(Section& s, ApnsApp& a);
void parse_fcm(Section& s, FcmApp& f);
void parse_webpush(Section& s, WebPushApp& w);

}  // namespace pushgw::config::detail
