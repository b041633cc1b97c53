// Invalid configs: each kind of problem gives "file:line: key: problem" with
// the right line, and credential contents never appear in messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include "settings/settings.h"
#include "temp_dir.h"

namespace pushgw::settings {
namespace {

using testing::kFakePem;
using testing::line_containing;
using testing::service_account_json;
using testing::TempDir;

constexpr char kName[] = "pushgw.toml";

// Parses without touching the disk and returns the error message ("" if it loaded).
std::string error_of(std::string_view text) {
  auto r = parse(text, kName, /*read_credentials=*/false);
  return r.ok() ? std::string() : r.error().message;
}

std::string code_of(std::string_view text) {
  auto r = parse(text, kName, false);
  return r.ok() ? std::string() : r.error().code;
}

std::string at(int line, std::string_view rest) {
  return std::string(kName) + ":" + std::to_string(line) + ": " + std::string(rest);
}

constexpr std::string_view kApns =
    "[[apns]]\napp = \"a\"\nteam_id = \"ABCDE12345\"\nkey_id = \"KEY1234567\"\nkey_file = \"/k.p8\"\n";

TEST(ConfigErrors, UnknownKey) {
  EXPECT_EQ(error_of("# c\n[server]\nworkers = 2\nsockett = \"/x\"\n"), at(4, "server.sockett: unknown key"));
  EXPECT_EQ(error_of(std::string(kApns) + "colour = \"red\"\n"), at(6, "apns[0].colour: unknown key"));
  EXPECT_EQ(error_of("[policy]\nquiet = true\n"), at(2, "policy.quiet: unknown key"));
  EXPECT_EQ(code_of("[server]\nx = 1\n"), "config_invalid");
}

TEST(ConfigErrors, UnknownSectionAndTopLevelKey) {
  EXPECT_EQ(error_of("[server]\n\n[servr]\nworkers = 1\n"), at(3, "servr: unknown section"));
  EXPECT_EQ(error_of("[[huawei]]\napp = \"x\"\n"), at(1, "huawei: unknown section"));
  EXPECT_EQ(error_of("\nverbose = true\n"), at(2, "verbose: unknown key"));
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_EQ(error_of("[server]\nworkers = \"4\"\n"), at(2, "server.workers: expected integer, got string"));
  EXPECT_EQ(error_of("[server]\nworkers = 4.0\n"), at(2, "server.workers: expected integer, got float"));
  EXPECT_EQ(error_of("[metrics]\nlisten = 9464\n"), at(2, "metrics.listen: expected string, got integer"));
  EXPECT_EQ(error_of("[[webpush]]\napp=\"w\"\nvapid_key_file=\"/v\"\nvapid_subject=\"mailto:a@b\"\n"
                     "allow_private_endpoints = \"yes\"\n"),
            at(5, "webpush[0].allow_private_endpoints: expected boolean, got string"));
  EXPECT_EQ(error_of("[server]\nallowed_uids = [1,\n  \"root\"]\n"),
            at(3, "server.allowed_uids[1]: expected integer, got string"));
  EXPECT_EQ(error_of("[server]\nallowed_gids = 5\n"),
            at(2, "server.allowed_gids: expected array of integers, got integer"));
  EXPECT_EQ(error_of("server = 1\n"), at(1, "server: expected a table ([server]), got integer"));
  EXPECT_EQ(error_of("[apns]\napp = \"a\"\n"), at(1, "apns: expected an array of tables ([[apns]]), got table"));
}

TEST(ConfigErrors, WebPushEndpointPorts) {
  constexpr std::string_view kWp = "[[webpush]]\napp=\"w\"\nvapid_key_file=\"/v\"\nvapid_subject=\"mailto:a@b\"\n";
  EXPECT_EQ(error_of(std::string(kWp) + "endpoint_ports = [8443, 0]\n"),
            at(5, "webpush[0].endpoint_ports: ports must be 1..65535"));
  EXPECT_EQ(error_of(std::string(kWp) + "endpoint_ports = [65536]\n"),
            at(5, "webpush[0].endpoint_ports: ports must be 1..65535"));
  auto r = parse(std::string(kWp) + "endpoint_ports = [8443, 4433]\n", kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value()->webpush[0].endpoint_ports, (std::vector<uint16_t>{8443, 4433}));
}

TEST(ConfigErrors, BadSocketMode) {
  const std::string msg =
      "server.socket_mode: must be an octal permission string between \"0000\" and \"0777\", like \"0660\"";
  EXPECT_EQ(error_of("[server]\nsocket_mode = \"0986\"\n"), at(2, msg));
  EXPECT_EQ(error_of("[server]\nsocket_mode = \"rw-rw----\"\n"), at(2, msg));
  EXPECT_EQ(error_of("[server]\nsocket_mode = \"4755\"\n"), at(2, msg));
  EXPECT_EQ(error_of("[server]\nsocket_mode = 0o660\n"), at(2, "server.socket_mode: expected string, got integer"));
  auto r = parse("[server]\nsocket_mode = \"640\"\n", kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->server.socket_mode, 0640u);
}

TEST(ConfigErrors, OutOfRangeAndEnumValues) {
  EXPECT_EQ(error_of("[delivery]\nmax_attempts = 0\n"),
            at(2, "delivery.max_attempts: must be between 1 and 100, got 0"));
  EXPECT_EQ(error_of("[delivery]\nstall_ping_ms = 50\n"),
            at(2, "delivery.stall_ping_ms: must be between 100 and 600000, got 50"));
  EXPECT_EQ(error_of("[delivery]\nsuspect_ratio = 1.5\n"),
            at(2, "delivery.suspect_ratio: must be between 0.01 and 1, got 1.5"));
  EXPECT_EQ(error_of("[delivery]\nsuspect_ratio = \"half\"\n"),
            at(2, "delivery.suspect_ratio: expected number, got string"));
  EXPECT_EQ(error_of("[delivery]\nsuspect_ratio = 1\n"), "");
  EXPECT_EQ(error_of("[server]\nlatency_slice_us = 100001\n"),
            at(2, "server.latency_slice_us: must be between 0 and 100000, got 100001"));
  EXPECT_EQ(error_of("[server]\nlatency_slice_us = 0\n"), "");
  EXPECT_EQ(error_of("[delivery]\nping_timeout_ms = 0\n"),
            at(2, "delivery.ping_timeout_ms: must be between 100 and 600000, got 0"));
  EXPECT_EQ(error_of(std::string(kApns) + "connections = 0\n"),
            at(6, "apns[0].connections: must be between 1 and 256, got 0"));
  EXPECT_EQ(error_of("[log]\nlevel = \"verbose\"\n"),
            at(2, "log.level: must be one of \"debug\", \"info\", \"warn\", \"error\""));
  EXPECT_EQ(error_of("[log]\nformat = \"logfmt\"\n"), at(2, "log.format: must be \"text\" or \"json\""));
  EXPECT_EQ(error_of("[log]\nformat = \"json\"\nlevel = \"debug\"\n"), "");
  EXPECT_EQ(error_of(std::string(kApns) + "environment = \"development\"\n"),
            at(6, "apns[0].environment: must be \"production\" or \"sandbox\""));
  EXPECT_EQ(error_of("[spool]\nfsync = \"sometimes\"\n"),
            at(2, "spool.fsync: must be one of \"batch\", \"always\", \"off\""));
  EXPECT_NE(error_of("[policy]\nquiet_hours = \"22-07\"\n").find(":2: policy.quiet_hours: must be \"HH:MM-HH:MM\""),
            std::string::npos);
  EXPECT_NE(error_of("[metrics]\nlisten = \"localhost\"\n").find(":2: metrics.listen: must be"), std::string::npos);
  EXPECT_NE(
      error_of(std::string(kApns) + "endpoint = \"http://127.0.0.1:8443\"\n").find(":6: apns[0].endpoint: must be"),
      std::string::npos);
  EXPECT_NE(error_of("[[webpush]]\napp=\"w\"\nvapid_key_file=\"/v\"\nvapid_subject=\"ops@example.com\"\n")
                .find(":4: webpush[0].vapid_subject: must be a \"mailto:\""),
            std::string::npos);
  EXPECT_NE(error_of("[server]\nsocket = \"/" + std::string(120, 's') + "\"\n").find(":2: server.socket: path is"),
            std::string::npos);
}

TEST(ConfigErrors, MissingRequiredKeyPointsAtSectionHeader) {
  const std::string text =
      "[server]\nworkers = 1\n\n[[apns]]\napp = \"a\"\nteam_id = \"ABCDE12345\"\nkey_file = \"/k\"\n";
  EXPECT_EQ(error_of(text), at(4, "apns[0].key_id: missing required key"));
  EXPECT_EQ(error_of("[[fcm]]\napp = \"f\"\n"), at(1, "fcm[0].service_account: missing required key"));
  EXPECT_EQ(error_of("[[webpush]]\napp = \"\"\nvapid_key_file=\"/v\"\nvapid_subject=\"mailto:a@b\"\n"),
            at(2, "webpush[0].app: must not be empty"));
}

TEST(ConfigErrors, TeamIdAndKeyIdLength) {
  const std::string text =
      "[[apns]]\napp = \"a\"\nteam_id = \"ABCDE1234\"\nkey_id = \"KEY1234567\"\nkey_file = \"/k\"\n";
  EXPECT_EQ(error_of(text), at(3, "apns[0].team_id: must be 10 characters"));
  EXPECT_EQ(error_of("[[apns]]\napp = \"a\"\nteam_id = \"ABCDE12345\"\nkey_id = \"key1234567\"\nkey_file = \"/k\"\n"),
            at(4, "apns[0].key_id: must be 10 uppercase letters or digits"));
}

TEST(ConfigErrors, DuplicateAppWithinPlatform) {
  const std::string text = std::string(kApns) + "\n" + std::string(kApns);
  EXPECT_EQ(error_of(text), at(8, "apns[1].app: duplicate app \"a\" (first defined at line 2)"));
  // The same name on another platform is fine.
  EXPECT_EQ(error_of(std::string(kApns) + "[[fcm]]\napp = \"a\"\nservice_account = \"/sa.json\"\n"), "");
}

TEST(ConfigErrors, EveryProblemIsReportedInFileOrder) {
  const std::string text = "[store]\nkeep_events_days = 0\n[delivery]\nmax_attempts = \"x\"\n[server]\nbogus = 1\n";
  EXPECT_EQ(error_of(text), at(2, "store.keep_events_days: must be between 1 and 36500, got 0") + "\n" +
                                at(4, "delivery.max_attempts: expected integer, got string") + "\n" +
                                at(6, "server.bogus: unknown key"));
}

TEST(ConfigErrors, TomlSyntaxErrorCarriesItsLine) {
  const std::string text = "[server]\nworkers = 2\nsocket = \"/x\n";
  auto r = parse(text, kName, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config_syntax");
  EXPECT_EQ(r.error().message.rfind(at(3, "syntax error: "), 0), 0u) << r.error().message;
  // A key defined twice is a syntax error in TOML.
  auto d = parse("[server]\nworkers = 2\n\nworkers = 3\n", kName, false);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.rfind(at(4, "syntax error: "), 0), 0u) << d.error().message;
}

TEST(ConfigErrors, MissingConfigFile) {
  auto r = load("/nonexistent/pushgw.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config_io");
  EXPECT_EQ(r.error().message, "/nonexistent/pushgw.toml: cannot read: No such file or directory");
}

class CredentialErrors : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_.path() + "/pushgw.toml"; }
  std::string load(const std::string& text) {
    dir_.write("pushgw.toml", text);
    auto r = settings::load(path_);
    return r.ok() ? std::string() : r.error().message;
  }
  std::string at(int line, const std::string& rest) const { return path_ + ":" + std::to_string(line) + ": " + rest; }
  TempDir dir_;
  std::string path_;
};

TEST_F(CredentialErrors, MissingKeyFileNamesKeyAndResolvedPath) {
  const std::string text = "[[apns]]\napp=\"a\"\nteam_id=\"ABCDE12345\"\nkey_id=\"KEY1234567\"\nkey_file=\"nope.p8\"\n";
  EXPECT_EQ(load(text), at(5, "apns[0].key_file: cannot read " + dir_.path() + "/nope.p8: No such file or directory"));
}

TEST_F(CredentialErrors, DirectoryInsteadOfKeyFile) {
  dir_.write("keys/x", "");
  const std::string text = "[[webpush]]\napp=\"w\"\nvapid_subject=\"mailto:a@b\"\nvapid_key_file=\"keys\"\n";
  EXPECT_EQ(load(text), at(4, "webpush[0].vapid_key_file: cannot read " + dir_.path() + "/keys: not a regular file"));
}

TEST_F(CredentialErrors, PermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
  dir_.write("k.p8", kFakePem, 0000);
  const std::string text = "[[apns]]\napp=\"a\"\nteam_id=\"ABCDE12345\"\nkey_id=\"KEY1234567\"\nkey_file=\"k.p8\"\n";
  EXPECT_EQ(load(text), at(5, "apns[0].key_file: cannot read " + dir_.path() + "/k.p8: Permission denied"));
}

TEST_F(CredentialErrors, KeyFileThatIsNotPemIsRejectedWithoutPrintingIt) {
  dir_.write("k.p8", "SUPERSECRETBYTES\n");
  const std::string text = "[[apns]]\napp=\"a\"\nteam_id=\"ABCDE12345\"\nkey_id=\"KEY1234567\"\nkey_file=\"k.p8\"\n";
  const std::string msg = load(text);
  EXPECT_EQ(msg,
            at(5, "apns[0].key_file: " + dir_.path() + "/k.p8 does not look like a PEM file (no \"-----BEGIN\" line)"));
  EXPECT_EQ(msg.find("SUPERSECRET"), std::string::npos);
}

TEST_F(CredentialErrors, ServiceAccountMissingField) {
  dir_.write("sa.json", service_account_json("token_uri"));
  const std::string text = "[[fcm]]\napp = \"f\"\n\nservice_account = \"sa.json\"\n";
  EXPECT_EQ(load(text), at(4, "fcm[0].service_account: " + dir_.path() + "/sa.json: missing \"token_uri\""));
  dir_.write("sa.json", service_account_json("private_key"));
  EXPECT_EQ(load(text), at(4, "fcm[0].service_account: " + dir_.path() + "/sa.json: missing \"private_key\""));
}

TEST_F(CredentialErrors, ServiceAccountNotJsonOrWrongShape) {
  const std::string text = "[[fcm]]\napp = \"f\"\nservice_account = \"sa.json\"\n";
  dir_.write("sa.json", "{\"private_key\": \"-----BEGIN PRIVATE KEY-----SECRET");
  std::string msg = load(text);
  EXPECT_EQ(msg.rfind(at(3, "fcm[0].service_account: " + dir_.path() + "/sa.json: not valid JSON"), 0), 0u) << msg;
  EXPECT_EQ(msg.find("SECRET"), std::string::npos);
  dir_.write("sa.json", "[1,2]");
  EXPECT_EQ(load(text), at(3, "fcm[0].service_account: " + dir_.path() + "/sa.json: not a JSON object"));
  dir_.write("sa.json",
             "{\"project_id\": 7, \"client_email\": \"e\", \"private_key\": \"SECRET\", \"token_uri\": \"http://x\"}");
  msg = load(text);
  EXPECT_EQ(
      msg,
      at(3, "fcm[0].service_account: " + dir_.path() +
                "/sa.json: \"project_id\" must be a string; \"private_key\" is not PEM; \"token_uri\" must be https"));
}

}  // namespace
}  // namespace pushgw::settings
