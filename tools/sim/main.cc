// pushgw-sim: the provider simulator (APNs, FCM incl. OAuth, Web Push) used by
// the demo, the integration tests and the benchmarks. See --help.
#include <cstdio>
#include <string_view>
#include <vector>

#include "cli.h"
#include "gen.h"
#include "server.h"

namespace {

constexpr const char* kUsage = R"(usage:
  pushgw-sim serve --listen 127.0.0.1:PORT --cert server.pem --key server.key [--admin 127.0.0.1:APORT]
       [--apns-key TEAMID:KEYID:AuthKey.p8 ...] [--apns-topic BUNDLE_ID ...]
       [--fcm-service-account sa.json ...]
       [--webpush-subscriptions subs.json] [--sink] [--slow-ms 300] [--max-streams 1000]
       [--token-ttl 3600] [--threads 1] [--fault SPEC ...] [--port-file FILE] [--log-level info]
     faults: goaway_after=N goaway_error_after=N reset_after=N stall max_streams_after=N:M refuse_for=SECONDS bad_tls
            unavailable
            stop_reading drip_ping=MS[:N] drip_settings=MS[:N] big_headers=BYTES big_body=BYTES
  pushgw-sim gen-ca --out DIR
  pushgw-sim gen-apns-key --out FILE.p8
  pushgw-sim gen-service-account --out sa.json --project ID [--token-uri URL] [--email ADDR]
  pushgw-sim gen-vapid-key --out vapid.pem
  pushgw-sim gen-subscriptions --count N --endpoint-base https://127.0.0.1:PORT/wp/ [--prefix P] --out subs.json
  pushgw-sim --help
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace pushgw::sim;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  std::vector<std::string_view> args(argv + 2, argv + argc);
  if (cmd == "serve") {
    auto opts = parse_serve_args(std::move(args));
    if (!opts) {
      std::fprintf(stderr, "pushgw-sim serve: %s\n%s", opts.error().message.c_str(), kUsage);
      return 2;
    }
    return run_serve(*opts);
  }
  if (cmd == "gen-ca") return cmd_gen_ca(std::move(args));
  if (cmd == "gen-apns-key") return cmd_gen_apns_key(std::move(args));
  if (cmd == "gen-service-account") return cmd_gen_service_account(std::move(args));
  if (cmd == "gen-vapid-key") return cmd_gen_vapid_key(std::move(args));
  if (cmd == "gen-subscriptions") return cmd_gen_subscriptions(std::move(args));
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "pushgw-sim: unknown command '%.*s'\n%s", static_cast<int>(cmd.size()), cmd.data(), kUsage);
  return 2;
}
