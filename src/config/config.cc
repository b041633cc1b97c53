// The assembled Config: one parser per section (sections.h) registered in the
// schema, which loads the file and reports every problem (schema.h).
#include "config/config.h"

#include <unordered_map>

#include "config/schema.h"
#include "config/sections.h"

namespace pushgw::config {
namespace {

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

Schema schema_for(Config& cfg) {
  using namespace detail;
  auto into = [&cfg](void (*parse)(Section&, Config&)) { return [&cfg, parse](Section& s) { parse(s, cfg); }; };
  Schema schema;
  schema.table("server", into(parse_server))
      .table("store", into(parse_store))
      .table("metrics", into(parse_metrics))
      .table("tls", into(parse_tls))
      .table("log", into(parse_log))
      .table("delivery", into(parse_delivery))
      .table("spool", into(parse_spool))
      .table("policy", into(parse_policy))
      .array("apns", app_array(cfg.apns, parse_apns))
      .array("fcm", app_array(cfg.fcm, parse_fcm))
      .array("webpush", app_array(cfg.webpush, parse_webpush))
      .subtable("ingest", "redis", into(parse_redis));
  return schema;
}

Result<std::shared_ptr<const Config>> finish(Result<Loaded> loaded, std::shared_ptr<Config> cfg) {
  if (!loaded) return loaded.error();
  cfg->file = std::move(loaded->file);
  cfg->warnings = std::move(loaded->warnings);
  return std::shared_ptr<const Config>(std::move(cfg));
}

}  // namespace

Result<std::shared_ptr<const Config>> parse_config(std::string_view text, const std::string& name,
                                                   bool read_credentials) {
  auto cfg = std::make_shared<Config>();
  return finish(parse(text, name, schema_for(*cfg), read_credentials), cfg);
}

Result<std::shared_ptr<const Config>> load_config(const std::string& path) {
  auto cfg = std::make_shared<Config>();
  return finish(load(path, schema_for(*cfg)), cfg);
}

}  // namespace pushgw::config
