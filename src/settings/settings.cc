// The schema of pushgwd's config file: one parser per section, registered
// here, each owned by the module the section configures (settings.h).
#include "settings/settings.h"

#include <unordered_map>

#include "config/schema.h"
#include "settings/sections.h"

namespace pushgw::settings {
namespace {

using config::Schema;
using config::Section;

// [[name]] entries are parsed one by one; app names are unique within a
// platform (reported at the later definition).
template <class App, class ParseOne>
Schema::Parse app_array(std::vector<App>& out, ParseOne parse_one) {
  auto first_line = std::make_shared<std::unordered_map<std::string, int>>();
  return [&out, parse_one, first_line](Section& s) {
    App app;
    app.line = s.line();
    parse_one(s, app);
    if (app.app.empty()) return;
    auto [it, inserted] = first_line->emplace(app.app, s.line_of("app"));
    if (!inserted)
      s.error("app", "duplicate app \"" + app.app + "\" (first defined at line " + std::to_string(it->second) + ")");
    out.push_back(std::move(app));
  };
}

// A parser that fills `out` (settings' own sections).
template <class T>
Schema::Parse into(T& out, void (*parse)(Section&, T&)) {
  return [&out, parse](Section& s) { parse(s, out); };
}

// A module's parser, returning its section's struct.
template <class T>
Schema::Parse owned(T& out, T (*parse)(Section&)) {
  return [&out, parse](Section& s) { out = parse(s); };
}

Schema schema_for(Settings& c) {
  using namespace detail;
  Schema schema;
  schema.table("server", into(c.server, parse_server))
      .table("store", owned(c.store, store::parse_config))
      .table("metrics", into(c.metrics, parse_metrics))
      .table("tls", into(c.tls, parse_tls))
      .table("log", into(c.log, parse_log))
      .table("delivery", owned(c.delivery, dispatch::parse_config))
      .table("spool", owned(c.spool, spool::parse_config))
      .table("policy", into(c.policy, parse_policy))
      .array("apns", app_array(c.apns, parse_apns))
      .array("fcm", app_array(c.fcm, parse_fcm))
      .array("webpush", app_array(c.webpush, parse_webpush))
      .subtable("ingest", "redis", owned(c.ingest.redis, redis::parse_config));
  return schema;
}

Result<std::shared_ptr<const Settings>> finish(Result<config::Loaded> loaded, std::shared_ptr<Settings> s) {
  if (!loaded) return loaded.error();
  s->file = std::move(loaded->file);
  s->warnings = std::move(loaded->warnings);
  return std::shared_ptr<const Settings>(std::move(s));
}

}  // namespace

Result<std::shared_ptr<const Settings>> parse(std::string_view text, const std::string& name, bool read_credentials) {
  auto s = std::make_shared<Settings>();
  return finish(config::parse(text, name, schema_for(*s), read_credentials), s);
}

Result<std::shared_ptr<const Settings>> load(const std::string& path) {
  auto s = std::make_shared<Settings>();
  return finish(config::load(path, schema_for(*s)), s);
}

}  // namespace pushgw::settings
