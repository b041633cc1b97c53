// The parsers of the sections settings owns (the daemon's own and the
// cross-cutting ones); settings.cc registers them with the modules' parsers.
// Internal to the settings module.
#pragma once
#include "config/section.h"
#include "settings/settings.h"

namespace pushgw::settings::detail {

void parse_server(config::Section& s, ServerConfig& out);
void parse_metrics(config::Section& s, MetricsConfig& out);
void parse_tls(config::Section& s, TlsConfig& out);
void parse_log(config::Section& s, LogConfig& out);
void parse_policy(config::Section& s, PolicyConfig& out);
// One element of [[apns]], [[fcm]], [[webpush]]; duplicate names are
// reported by the caller (settings.cc).
void parse_apns(config::Section& s, ApnsApp& a);
void parse_fcm(config::Section& s, FcmApp& f);
void parse_webpush(config::Section& s, WebPushApp& w);

}  // namespace pushgw::settings::detail
