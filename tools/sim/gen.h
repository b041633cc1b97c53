// The generator subcommands: test CA + server certificate, APNs .p8 key,
// Google service-account JSON, VAPID key, Web Push subscriptions. Each
// returns a process exit code and prints problems to stderr.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::sim {

int cmd_gen_ca(std::vector<std::string_view> args);
int cmd_gen_apns_key(std::vector<std::string_view> args);
int cmd_gen_service_account(std::vector<std::string_view> args);
int cmd_gen_vapid_key(std::vector<std::string_view> args);
int cmd_gen_subscriptions(std::vector<std::string_view> args);

// The document gen-service-account writes (RSA 2048 key inside).
Result<std::string> make_service_account_json(std::string_view project_id, std::string_view token_uri,
                                              std::string_view client_email);
// The document gen-subscriptions writes: endpoint = endpoint_base + prefix + i.
Result<std::string> make_subscriptions_json(size_t count, std::string_view endpoint_base,
                                            std::string_view id_prefix);

}  // namespace pushgw::sim
