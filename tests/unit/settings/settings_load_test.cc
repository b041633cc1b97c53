// Valid configs: every field lands where it should, defaults hold, relative
// paths resolve against the config file, loose permissions warn.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "settings/settings.h"
#include "temp_dir.h"

namespace pushgw::settings {
namespace {

using testing::kFakePem;
using testing::service_account_json;
using testing::TempDir;

constexpr std::string_view kFullConfig = R"(# every key, none at its default
[server]
socket = "run/pushgw.sock"
socket_mode = "0600"
workers = 3
max_line_bytes = 65536
max_queued = 5000
drain_seconds = 7
allowed_uids = [0, 1000]
latency_slice_us = 250
allowed_gids = [42]

[store]
path = "/var/tmp/pushgw-test.db"
keep_events_days = 9

[metrics]
listen = "[::1]:9100"

[tls]
ca_file = "ca.pem"

[log]
level = "debug"

[delivery]
max_attempts = 7
max_retry_seconds = 120
request_timeout_ms = 2500
connect_timeout_ms = 1500
ping_interval_ms = 30000
stall_ping_ms = 1500
ping_timeout_ms = 4000
idle_timeout_ms = 90000
suspect_min_verdicts = 20
suspect_window_seconds = 30
suspect_ratio = 0.8
suspect_hold_ms = 500

[spool]
path = "spool"
fsync = "always"

[policy]
marketing_per_hour = 2
marketing_per_day = 5
quiet_hours = "22:00-07:30"
default_tz = "Europe/Berlin"
allow_cap_override = true

[[apns]]
app = "shop-ios"
team_id = "ABCDE12345"
key_id = "KEY1234567"
key_file = "keys/AuthKey.p8"
topic = "com.example.shop"
environment = "sandbox"
endpoint = "https://127.0.0.1:8443/"
connections = 6

[[apns]]
app = "other-ios"
team_id = "ZYXWV98765"
key_id = "KEY7654321"
key_file = "keys/AuthKey.p8"

[[fcm]]
app = "shop-android"
service_account = "sa.json"
endpoint = "https://[::1]:9443"
connections = 3

[[webpush]]
app = "shop-web"
vapid_key_file = "vapid.pem"
vapid_subject = "mailto:ops@example.com"
connections = 5
allow_private_endpoints = true
)";

class FullConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("keys/AuthKey.p8", kFakePem);
    dir_.write("sa.json", service_account_json());
    dir_.write("vapid.pem", kFakePem);
    dir_.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n", 0644);
    path_ = dir_.write("pushgw.toml", kFullConfig, 0644);
  }
  std::string in_dir(const std::string& rel) const { return dir_.path() + "/" + rel; }
  TempDir dir_;
  std::string path_;
};

TEST_F(FullConfig, ScalarSectionsLoadEveryField) {
  auto r = load(path_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Settings& c = **r;
  EXPECT_EQ(c.file, path_);
  EXPECT_EQ(c.server.socket, in_dir("run/pushgw.sock"));
  EXPECT_EQ(c.server.socket_mode, 0600u);
  EXPECT_EQ(c.server.workers, 3);
  EXPECT_EQ(c.server.max_line_bytes, 65536u);
  EXPECT_EQ(c.server.max_queued, 5000u);
  EXPECT_EQ(c.server.drain_seconds, 7);
  EXPECT_EQ(c.server.latency_slice_us, 250);
  EXPECT_EQ(c.server.allowed_uids, (std::vector<uint32_t>{0, 1000}));
  EXPECT_EQ(c.server.allowed_gids, (std::vector<uint32_t>{42}));
  EXPECT_EQ(c.store.path, "/var/tmp/pushgw-test.db");
  EXPECT_EQ(c.store.keep_events_days, 9);
  EXPECT_EQ(c.metrics.listen, "[::1]:9100");
  EXPECT_EQ(c.tls.ca_file, in_dir("ca.pem"));
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.delivery.max_attempts, 7);
  EXPECT_EQ(c.delivery.max_retry_seconds, 120);
  EXPECT_EQ(c.delivery.request_timeout_ms, 2500);
  EXPECT_EQ(c.delivery.connect_timeout_ms, 1500);
  EXPECT_EQ(c.delivery.ping_interval_ms, 30000);
  EXPECT_EQ(c.delivery.stall_ping_ms, 1500);
  EXPECT_EQ(c.delivery.ping_timeout_ms, 4000);
  EXPECT_EQ(c.delivery.idle_timeout_ms, 90000);
  EXPECT_EQ(c.delivery.suspect_min_verdicts, 20);
  EXPECT_EQ(c.delivery.suspect_window_seconds, 30);
  EXPECT_DOUBLE_EQ(c.delivery.suspect_ratio, 0.8);
  EXPECT_EQ(c.delivery.suspect_hold_ms, 500);
  EXPECT_TRUE(c.spool.enabled);
  EXPECT_EQ(c.spool.path, in_dir("spool"));
  EXPECT_EQ(c.spool.fsync, "always");
  EXPECT_EQ(c.policy.marketing_per_hour, 2);
  EXPECT_EQ(c.policy.marketing_per_day, 5);
  EXPECT_EQ(c.policy.quiet_hours, "22:00-07:30");
  EXPECT_EQ(c.policy.default_tz, "Europe/Berlin");
  EXPECT_TRUE(c.policy.allow_cap_override);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings.front();
}

TEST_F(FullConfig, AppSectionsLoadEveryFieldAndCredentials) {
  auto r = load(path_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Settings& c = **r;
  ASSERT_EQ(c.apns.size(), 2u);
  const ApnsApp& a = c.apns[0];
  EXPECT_EQ(a.app, "shop-ios");
  EXPECT_EQ(a.team_id, "ABCDE12345");
  EXPECT_EQ(a.key_id, "KEY1234567");
  EXPECT_EQ(a.key_file, in_dir("keys/AuthKey.p8"));
  EXPECT_EQ(a.key_pem, kFakePem);
  EXPECT_EQ(a.topic, "com.example.shop");
  EXPECT_EQ(a.environment, "sandbox");
  EXPECT_EQ(a.endpoint, "https://127.0.0.1:8443");  // trailing slash dropped
  EXPECT_EQ(a.connections, 6);
  EXPECT_EQ(a.line, testing::line_containing(kFullConfig, "[[apns]]"));
  const ApnsApp& b = c.apns[1];
  EXPECT_EQ(b.app, "other-ios");
  EXPECT_EQ(b.environment, "production");
  EXPECT_EQ(b.endpoint, "");
  EXPECT_EQ(b.topic, "");
  EXPECT_EQ(b.connections, 4);
  EXPECT_GT(b.line, a.line);

  ASSERT_EQ(c.fcm.size(), 1u);
  const FcmApp& f = c.fcm[0];
  EXPECT_EQ(f.app, "shop-android");
  EXPECT_EQ(f.service_account, in_dir("sa.json"));
  EXPECT_EQ(f.project_id, "demo-project");
  EXPECT_EQ(f.client_email, "pushgw@demo-project.iam.gserviceaccount.com");
  EXPECT_EQ(f.private_key_pem,
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(f.token_uri, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(f.endpoint, "https://[::1]:9443");
  EXPECT_EQ(f.connections, 3);
  EXPECT_EQ(f.line, testing::line_containing(kFullConfig, "[[fcm]]"));

  ASSERT_EQ(c.webpush.size(), 1u);
  const WebPushApp& w = c.webpush[0];
  EXPECT_EQ(w.app, "shop-web");
  EXPECT_EQ(w.vapid_key_file, in_dir("vapid.pem"));
  EXPECT_EQ(w.vapid_key_pem, kFakePem);
  EXPECT_EQ(w.vapid_subject, "mailto:ops@example.com");
  EXPECT_EQ(w.connections, 5);
  EXPECT_TRUE(w.allow_private_endpoints);
  EXPECT_EQ(w.line, testing::line_containing(kFullConfig, "[[webpush]]"));
}

TEST_F(FullConfig, WithoutCredentialReadingPathsResolveButNothingIsRead) {
  auto r = parse(kFullConfig, dir_.path() + "/other.toml", /*read_credentials=*/false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->apns[0].key_file, in_dir("keys/AuthKey.p8"));
  EXPECT_EQ((*r)->apns[0].key_pem, "");
  EXPECT_EQ((*r)->fcm[0].project_id, "");
}

TEST(ConfigDefaults, EmptyFileGivesTheDocumentedDefaults) {
  auto r = parse("", "/etc/pushgw/pushgw.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Settings& c = **r;
  EXPECT_EQ(c.server.socket, "/run/pushgw/pushgw.sock");
  EXPECT_EQ(c.server.socket_mode, 0660u);
  EXPECT_EQ(c.server.workers, 0);
  EXPECT_EQ(c.server.max_line_bytes, 16777216u);
  EXPECT_EQ(c.server.max_queued, 1000000u);
  EXPECT_EQ(c.server.drain_seconds, 30);
  EXPECT_EQ(c.server.latency_slice_us, 100);
  EXPECT_EQ(c.store.path, "/var/lib/pushgw/pushgw.db");
  EXPECT_EQ(c.store.keep_events_days, 30);
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, "text");
  EXPECT_EQ(c.delivery.max_attempts, 5);
  EXPECT_EQ(c.delivery.max_retry_seconds, 300);
  EXPECT_EQ(c.delivery.request_timeout_ms, 10000);
  EXPECT_EQ(c.delivery.connect_timeout_ms, 5000);
  EXPECT_EQ(c.delivery.ping_interval_ms, 60000);
  EXPECT_EQ(c.delivery.stall_ping_ms, 1000);
  EXPECT_EQ(c.delivery.ping_timeout_ms, 3000);
  EXPECT_EQ(c.delivery.idle_timeout_ms, 300000);
  EXPECT_EQ(c.delivery.suspect_min_verdicts, 50);
  EXPECT_EQ(c.delivery.suspect_window_seconds, 60);
  EXPECT_DOUBLE_EQ(c.delivery.suspect_ratio, 0.5);
  EXPECT_EQ(c.delivery.suspect_hold_ms, 2000);
  EXPECT_FALSE(c.spool.enabled);  // no [spool] table: no spool
  EXPECT_EQ(c.spool.fsync, "batch");
  EXPECT_EQ(c.policy.default_tz, "UTC");
  EXPECT_TRUE(c.apns.empty() && c.fcm.empty() && c.webpush.empty());
}

// The spool is on exactly when the snapshot saw a [spool] table: what the
// daemon reads is the loaded config, never the file again (it may have
// changed or gone since).
TEST(SpoolSection, AnEmptyTableTurnsItOnWithItsDefaults) {
  TempDir dir;
  const std::string path = dir.path() + "/pushgw.toml";
  dir.write("pushgw.toml", "[spool]\n");
  auto r = load(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(::unlink(path.c_str()), 0);
  const spool::SpoolConfig& s = (*r)->spool;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.path, "/var/lib/pushgw/spool");
  const spool::Options o = spool::options_from(s);
  EXPECT_EQ(o.dir, "/var/lib/pushgw/spool");
  EXPECT_EQ(o.fsync, spool::FsyncMode::Batch);
  auto off = parse("[spool]\nfsync = \"off\"\n", path, false);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(spool::options_from((*off)->spool).fsync, spool::FsyncMode::Off);
}

TEST(ConfigPaths, RelativeConfigPathResolvesAgainstItsOwnDirectory) {
  TempDir dir;
  dir.write("etc/k.p8", kFakePem);
  dir.write("etc/pushgw.toml",
            "[[apns]]\napp=\"a\"\nteam_id=\"ABCDE12345\"\nkey_id=\"KEY1234567\"\nkey_file=\"k.p8\"\n"
            "[store]\npath=\"../db/x.db\"\n");
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto r = load("etc/pushgw.toml");
  std::filesystem::current_path(old_cwd);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->apns[0].key_file, dir.path() + "/etc/k.p8");
  EXPECT_EQ((*r)->apns[0].key_pem, kFakePem);
  EXPECT_EQ((*r)->store.path, dir.path() + "/db/x.db");
}

TEST(ConfigWarnings, WorldReadableKeyWarnsWithLineAndMode) {
  TempDir dir;
  dir.write("k.p8", kFakePem, 0644);
  dir.write("v.pem", kFakePem, 0640);
  dir.write("sa.json", service_account_json(), 0600);
  const std::string text =
      "[[apns]]\napp=\"a\"\nteam_id=\"ABCDE12345\"\nkey_id=\"KEY1234567\"\nkey_file=\"k.p8\"\n"
      "[[webpush]]\napp=\"w\"\nvapid_subject=\"https://example.com/contact\"\nvapid_key_file=\"v.pem\"\n"
      "[[fcm]]\napp=\"f\"\nservice_account=\"sa.json\"\n";
  const std::string path = dir.write("pushgw.toml", text);
  auto r = load(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& w = (*r)->warnings;
  ASSERT_EQ(w.size(), 2u);  // sa.json is 0600: no warning
  EXPECT_EQ(w[0], path + ":5: apns[0].key_file: " + dir.path() +
                      "/k.p8 is group- or world-readable (mode 0644); make it readable by the pushgw user only "
                      "(chmod 0600)");
  EXPECT_EQ(w[1].rfind(path + ":9: webpush[0].vapid_key_file: " + dir.path() +
                           "/v.pem is group- or world-readable "
                           "(mode 0640)",
                       0),
            0u)
      << w[1];
  for (const auto& s : w) EXPECT_EQ(s.find("MIGH"), std::string::npos) << "warning leaks key material";
}

// conf/pushgw.toml is the documented reference: it must load, and every
// active key in it must show the built-in default.
std::string read_conf() {
  std::ifstream f(std::string(PUSHGW_CONF_DIR) + "/pushgw.toml");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ShippedConfig, LoadsAndMatchesDefaults) {
  const std::string text = read_conf();
  ASSERT_FALSE(text.empty());
  auto r = parse(text, "/etc/pushgw/pushgw.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Settings& c = **r;
  const Settings d;
  EXPECT_EQ(c.server.socket, d.server.socket);
  EXPECT_EQ(c.server.socket_mode, d.server.socket_mode);
  EXPECT_EQ(c.server.workers, d.server.workers);
  EXPECT_EQ(c.server.max_line_bytes, d.server.max_line_bytes);
  EXPECT_EQ(c.server.max_queued, d.server.max_queued);
  EXPECT_EQ(c.server.drain_seconds, d.server.drain_seconds);
  EXPECT_EQ(c.server.latency_slice_us, d.server.latency_slice_us);
  EXPECT_EQ(c.server.allowed_uids, d.server.allowed_uids);
  EXPECT_EQ(c.store.path, d.store.path);
  EXPECT_EQ(c.store.keep_events_days, d.store.keep_events_days);
  EXPECT_EQ(c.metrics.listen, d.metrics.listen);
  EXPECT_EQ(c.tls.ca_file, d.tls.ca_file);
  EXPECT_EQ(c.log.level, d.log.level);
  EXPECT_EQ(c.log.format, d.log.format);
  EXPECT_EQ(c.delivery.max_attempts, d.delivery.max_attempts);
  EXPECT_EQ(c.delivery.max_retry_seconds, d.delivery.max_retry_seconds);
  EXPECT_EQ(c.delivery.request_timeout_ms, d.delivery.request_timeout_ms);
  EXPECT_EQ(c.delivery.connect_timeout_ms, d.delivery.connect_timeout_ms);
  EXPECT_EQ(c.delivery.ping_interval_ms, d.delivery.ping_interval_ms);
  EXPECT_EQ(c.delivery.stall_ping_ms, d.delivery.stall_ping_ms);
  EXPECT_EQ(c.delivery.ping_timeout_ms, d.delivery.ping_timeout_ms);
  EXPECT_EQ(c.delivery.idle_timeout_ms, d.delivery.idle_timeout_ms);
  EXPECT_EQ(c.spool.path, d.spool.path);
  EXPECT_EQ(c.spool.fsync, d.spool.fsync);
  EXPECT_EQ(c.policy.marketing_per_hour, d.policy.marketing_per_hour);
  EXPECT_EQ(c.policy.quiet_hours, d.policy.quiet_hours);
  EXPECT_EQ(c.policy.default_tz, d.policy.default_tz);
  EXPECT_EQ(c.policy.allow_cap_override, d.policy.allow_cap_override);
}

// App examples are commented out as "#key = value" (no space after '#');
// uncommenting them must give a valid config.
TEST(ShippedConfig, CommentedAppExamplesAreValid) {
  std::istringstream in(read_conf());
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#') line.erase(0, 1);
    out += line + "\n";
  }
  auto r = parse(out, "/etc/pushgw/pushgw.toml", /*read_credentials=*/false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->apns.size(), 1u);
  EXPECT_EQ((*r)->fcm.size(), 1u);
  EXPECT_EQ((*r)->webpush.size(), 1u);
}

}  // namespace
}  // namespace pushgw::settings
