#include "gen.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "base/base64url.h"
#include "cli.h"
#include "crypto/keys.h"
#include "files.h"
#include "json_out.h"
#include "x509_gen.h"

namespace pushgw::sim {

namespace {

constexpr int kCertDays = 3650;

int fail(const Error& e) {
  std::fprintf(stderr, "pushgw-sim: %s: %s\n", e.code.c_str(), e.message.c_str());
  return 1;
}

int usage(const char* text) {
  std::fprintf(stderr, "usage: pushgw-sim %s\n", text);
  return 2;
}

// Reads --name value pairs into the given slots; unknown flags are errors.
struct Flag {
  std::string_view name;
  std::string* value;
};
Result<void> read_flags(std::vector<std::string_view> args, std::initializer_list<Flag> flags) {
  ArgReader ar(std::move(args));
  while (!ar.done()) {
    std::string_view f = ar.next_flag();
    const Flag* hit = nullptr;
    for (const Flag& fl : flags)
      if (fl.name == f) hit = &fl;
    if (!hit) return make_error("bad_args", "unknown argument " + std::string(ar.current()));
    auto v = ar.value();
    if (!v) return v.error();
    *hit->value = std::move(v.value());
  }
  return ok();
}

}  // namespace

int cmd_gen_ca(std::vector<std::string_view> args) {
  std::string dir;
  if (auto r = read_flags(std::move(args), {{"--out", &dir}}); !r) return fail(r.error());
  if (dir.empty()) return usage("gen-ca --out DIR");
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(make_error("io_error", "cannot create " + dir + ": " + strerror(errno)));
  auto ca_key = crypto::generate_p256();
  auto server_key = crypto::generate_p256();
  if (!ca_key) return fail(ca_key.error());
  if (!server_key) return fail(server_key.error());
  auto ca_pem = make_ca_cert(ca_key->get(), "pushgw-sim test CA", kCertDays);
  if (!ca_pem) return fail(ca_pem.error());
  auto server_pem = make_server_cert(server_key->get(), *ca_pem, ca_key->get(), kCertDays);
  if (!server_pem) return fail(server_pem.error());
  struct Out {
    const char* name;
    std::string data;
    unsigned mode;
  };
  const Out outs[] = {{"ca.pem", *ca_pem, 0644},
                      {"ca.key", crypto::private_key_to_pem(ca_key->get()), 0600},
                      {"server.pem", *server_pem, 0644},
                      {"server.key", crypto::private_key_to_pem(server_key->get()), 0600}};
  for (const Out& o : outs) {
    if (o.data.empty()) return fail(make_error("crypto_failed", std::string("cannot encode ") + o.name));
    if (auto r = write_file(dir + "/" + o.name, o.data, o.mode); !r) return fail(r.error());
  }
  return 0;
}

int cmd_gen_apns_key(std::vector<std::string_view> args) {
  std::string out;
  if (auto r = read_flags(std::move(args), {{"--out", &out}}); !r) return fail(r.error());
  if (out.empty()) return usage("gen-apns-key --out FILE.p8");
  auto key = crypto::generate_p256();
  if (!key) return fail(key.error());
  if (auto r = write_file(out, crypto::private_key_to_pem(key->get()), 0600); !r) return fail(r.error());
  return 0;
}

Result<std::string> make_service_account_json(std::string_view project_id, std::string_view token_uri,
                                              std::string_view client_email) {
  auto key = crypto::generate_rsa(2048);
  if (!key) return key.error();
  auto key_id = crypto::random_bytes(20);
  if (!key_id) return key_id.error();
  std::string pem = crypto::private_key_to_pem(key->get());
  if (pem.empty()) return make_error("crypto_failed", "cannot encode the RSA key");
  std::string j = "{\n  \"type\": \"service_account\",\n  \"project_id\": ";
  json_append_string(j, project_id);
  j += ",\n  \"private_key_id\": ";
  json_append_string(j, base::hex_encode(*key_id));
  j += ",\n  \"private_key\": ";
  json_append_string(j, pem);
  j += ",\n  \"client_email\": ";
  json_append_string(j, client_email);
  j += ",\n  \"client_id\": \"100000000000000000001\",\n  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n  \"token_uri\": ";
  json_append_string(j, token_uri);
  j += "\n}\n";
  return j;
}

int cmd_gen_service_account(std::vector<std::string_view> args) {
  std::string out, project, token_uri = "https://oauth2.googleapis.com/token", email;
  if (auto r = read_flags(std::move(args), {{"--out", &out},
                                            {"--project", &project},
                                            {"--token-uri", &token_uri},
                                            {"--email", &email}});
      !r)
    return fail(r.error());
  if (out.empty() || project.empty())
    return usage("gen-service-account --out sa.json --project ID [--token-uri URL] [--email ADDR]");
  if (email.empty()) email = "pushgw-sim@" + project + ".iam.gserviceaccount.com";
  auto doc = make_service_account_json(project, token_uri, email);
  if (!doc) return fail(doc.error());
  if (auto r = write_file(out, *doc, 0600); !r) return fail(r.error());
  return 0;
}

int cmd_gen_vapid_key(std::vector<std::string_view> args) {
  std::string out;
  if (auto r = read_flags(std::move(args), {{"--out", &out}}); !r) return fail(r.error());
  if (out.empty()) return usage("gen-vapid-key --out vapid.pem");
  auto key = crypto::generate_p256();
  if (!key) return fail(key.error());
  if (auto r = write_file(out, crypto::private_key_to_pem(key->get()), 0600); !r) return fail(r.error());
  // The public key is what a web app passes to pushManager.subscribe().
  if (auto pub = crypto::p256_public_uncompressed(key->get()))
    std::printf("%s\n", base::base64url_encode(*pub).c_str());
  return 0;
}

Result<std::string> make_subscriptions_json(size_t count, std::string_view endpoint_base,
                                            std::string_view id_prefix) {
  std::string j = "[";
  for (size_t i = 0; i < count; ++i) {
    auto key = crypto::generate_p256();
    if (!key) return key.error();
    auto pub = crypto::p256_public_uncompressed(key->get());
    if (!pub) return pub.error();
    auto auth = crypto::random_bytes(16);
    if (!auth) return auth.error();
    std::string pem = crypto::private_key_to_pem(key->get());
    if (pem.empty()) return make_error("crypto_failed", "cannot encode a subscription key");
    j += i ? ",\n {\"endpoint\":" : "\n {\"endpoint\":";
    json_append_string(j, std::string(endpoint_base) + std::string(id_prefix) + std::to_string(i));
    j += ",\"keys\":{\"p256dh\":";
    json_append_string(j, base::base64url_encode(*pub));
    j += ",\"auth\":";
    json_append_string(j, base::base64url_encode(*auth));
    j += "},\"private_key\":";
    json_append_string(j, pem);
    j += '}';
  }
  j += "\n]\n";
  return j;
}

int cmd_gen_subscriptions(std::vector<std::string_view> args) {
  std::string count_s, base, prefix = "sub-", out;
  if (auto r = read_flags(std::move(args), {{"--count", &count_s},
                                            {"--endpoint-base", &base},
                                            {"--prefix", &prefix},
                                            {"--out", &out}});
      !r)
    return fail(r.error());
  size_t count = 0;
  auto pr = std::from_chars(count_s.data(), count_s.data() + count_s.size(), count);
  if (out.empty() || base.empty() || pr.ec != std::errc() || pr.ptr != count_s.data() + count_s.size())
    return usage("gen-subscriptions --count N --endpoint-base https://127.0.0.1:PORT/wp/ [--prefix P] --out subs.json");
  auto doc = make_subscriptions_json(count, base, prefix);
  if (!doc) return fail(doc.error());
  if (auto r = write_file(out, *doc, 0600); !r) return fail(r.error());
  return 0;
}

}  // namespace pushgw::sim
