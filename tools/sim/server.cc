#include "server.h"

#include <signal.h>
#include <uv.h>

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "admin.h"
#include "core.h"
#include "crypto/keys.h"
#include "files.h"
#include "obs/log.h"
#include "worker.h"
#include "x509_gen.h"

namespace pushgw::sim {

namespace {

int fail(const obs::Logger& log, const Error& e) {
  PGW_LOG(log, Error, "%s: %s", e.code.c_str(), e.message.c_str());
  return 1;
}

Result<void> load_credentials(const ServeOptions& o, SimCore& core) {
  for (const ApnsKeySpec& k : o.apns_keys) {
    auto pem = read_file(k.path);
    if (!pem) return pem.error();
    if (auto r = core.apns.add_key(k.team_id, k.key_id, *pem); !r) return r;
  }
  core.apns.set_topics(o.apns_topics);
  for (const std::string& path : o.fcm_service_accounts) {
    auto json = read_file(path);
    if (!json) return json.error();
    if (auto r = core.fcm.add_service_account(*json); !r)
      return make_error(r.error().code, path + ": " + r.error().message);
  }
  core.fcm.set_token_ttl(o.token_ttl_s);
  if (!o.webpush_subscriptions.empty()) {
    auto json = read_file(o.webpush_subscriptions);
    if (!json) return json.error();
    auto n = core.webpush.load_subscriptions(*json);
    if (!n) return make_error(n.error().code, o.webpush_subscriptions + ": " + n.error().message);
  }
  return ok();
}

Result<TlsContexts> make_tls(const ServeOptions& o) {
  TlsContexts t;
  auto good = make_server_ctx_files(o.cert_file, o.key_file);
  if (!good) return good.error();
  t.good = std::move(good.value());
  // A throwaway self-signed certificate for the bad_tls fault: no client
  // trusts it, so verification fails the way a wrong CA would.
  auto key = crypto::generate_p256();
  if (!key) return key.error();
  auto cert = make_self_signed_server_cert(key->get(), 30);
  if (!cert) return cert.error();
  auto bad = make_server_ctx_pem(*cert, crypto::private_key_to_pem(key->get()));
  if (!bad) return bad.error();
  t.bad = std::move(bad.value());
  return t;
}

std::string origin_for(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct Signals {
  uv_signal_t sigint, sigterm;
  std::vector<std::unique_ptr<Worker>>* workers;
};

void on_signal(uv_signal_t* s, int) {
  auto* sig = static_cast<Signals*>(s->data);
  for (auto& w : *sig->workers) w->stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&sig->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sig->sigterm), nullptr);
}

}  // namespace

int run_serve(const ServeOptions& o) {
  obs::Level level = obs::Level::Info;
  obs::parse_level(o.log_level, level);
  obs::Logger log(std::make_shared<obs::LogSink>(level), "sim");
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  SimCore core(clock, o.sink);
  FaultSet faults;
  for (const std::string& f : o.faults)
    if (auto r = apply_fault(f, faults); !r) return fail(log, r.error());
  if (!faults.empty()) core.faults.set(faults);
  if (auto r = load_credentials(o, core); !r) return fail(log, r.error());
  auto tls = make_tls(o);
  if (!tls) return fail(log, tls.error());

  H2Options h2{o.max_streams, o.slow_ms};
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = o.listen_port;
  for (int i = 0; i < o.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(core, *tls, h2));
    auto p = workers.back()->listen(o.listen_host, port, o.threads > 1);
    if (!p) return fail(log, p.error());
    port = *p;  // the others join the port the first one got
  }
  core.set_origin(origin_for(o.listen_host, port));

  Worker& main_worker = *workers[0];
  AdminServer admin(main_worker.loop(), core);
  uint16_t admin_port = 0;
  if (o.has_admin) {
    auto p = admin.listen(o.admin_host, o.admin_port);
    if (!p) return fail(log, p.error());
    admin_port = *p;
    main_worker.set_on_stop([&admin] { admin.close(); });
  }
  if (!o.port_file.empty()) {
    std::string text = std::to_string(port) + " " + std::to_string(admin_port) + "\n";
    if (auto r = write_file(o.port_file, text, 0644); !r) return fail(log, r.error());
  }

  Signals sig{};
  sig.workers = &workers;
  uv_signal_init(main_worker.loop(), &sig.sigint);
  uv_signal_init(main_worker.loop(), &sig.sigterm);
  sig.sigint.data = sig.sigterm.data = &sig;
  uv_signal_start(&sig.sigint, on_signal, SIGINT);
  uv_signal_start(&sig.sigterm, on_signal, SIGTERM);

  PGW_LOG(log, Info, "listening on %s (admin %s:%u)%s, %d thread(s)", core.origin.c_str(),
          o.has_admin ? o.admin_host.c_str() : "-", admin_port, o.sink ? " in sink mode" : "", o.threads);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers.size(); ++i) threads.emplace_back([w = workers[i].get()] { w->run(); });
  main_worker.run();
  for (auto& t : threads) t.join();
  PGW_LOG(log, Info, "stopped");
  return 0;
}

}  // namespace pushgw::sim
