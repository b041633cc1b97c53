// pushgw-bench command line.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace pushgw::bench {

struct PlatformShare {
  std::string platform;  // apns | fcm | webpush
  int percent = 100;
};

struct Options {
  std::string socket;           // drive a running pushgwd
  int pid = 0;                  // its pid, for CPU and RSS (optional with --socket)
  int sink_pid = 0;             // pid of a --target sink (e.g. nghttpd), for its CPU per request
  bool start = false;           // start pushgw-sim + pushgwd ourselves
  std::string target = "sim";   // "sim" or https://host:port of any 200-OK HTTP/2 sink
  std::string ca_file;          // CA of a non-sim target
  std::vector<PlatformShare> mix{{"apns", 100}};
  uint64_t recipients = 100000;
  uint32_t batch = 1000;
  uint32_t payload_bytes = 120;
  uint32_t distinct_tokens = 0;  // 0 = every recipient distinct
  bool personalize = false;
  int connections = 4;
  int streams = 100;            // h2load -m, and the sim's max streams
  int workers = 0;
  int track_sends = -1;         // [store] track_sends: -1 = pushgwd default, 0 off, 1 on
  int send_log = -1;            // [store] send_log: -1 = pushgwd default, 0 off, 1 on
  std::string store_config;     // more [store] lines, as given
  std::string server_config;    // more [server] lines, as given
  int stats_ms = 50;            // how often the run polls pushgwd's stats (its progress and latency)
  bool settle = false;          // after the run, wait for the store's deferred writes and report their CPU
  std::string spool;            // "" = no [spool]; else its fsync mode: batch | always | off
  double rate = 0;              // recipients/s offered (open loop); 0 = closed loop
  bool vs_h2load = false;
  std::string crypto_floor;     // --crypto-floor KIND: only that Web Push crypto floor, crypto_floor_n messages
  int crypto_floor_n = 0;
  std::string plot;             // PNG path
  std::string bin_dir;          // where pushgwd / pushgw-sim live (default: next to pushgw-bench)
  bool keep = false;            // keep the temp dir
  std::string sim_args;         // extra pushgw-sim arguments, e.g. "--fault stall" (RSS with a full queue)
};

// Returns an error message, or "" on success. "help" means print usage.
std::string parse_options(int argc, char** argv, Options& o);
// --help prints to stdout, a usage error to stderr.
void print_usage(FILE* out);

}  // namespace pushgw::bench
