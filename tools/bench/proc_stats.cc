#include "proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace pushgw::bench {

namespace {

// Fields 3..15 of /proc/<pid>/stat (the process's: every thread's summed),
// after the command; false if unreadable.
bool stat_fields(int pid, unsigned long long (&f)[16]) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  size_t close = s.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  if (!(in >> field)) return false;  // state(3)
  for (int i = 4; i <= 15 && in >> field; ++i) f[i] = std::stoull(field);
  return true;
}

// utime(14) and stime(15) in seconds; false if unreadable.
bool cpu_times(int pid, double& user, double& sys) {
  unsigned long long f[16] = {};
  if (!stat_fields(pid, f)) return false;
  const double tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  user = static_cast<double>(f[14]) / tck;
  sys = static_cast<double>(f[15]) / tck;
  return true;
}

}  // namespace

double process_cpu_seconds(int pid) {
  double user = 0, sys = 0;
  return cpu_times(pid, user, sys) ? user + sys : -1;
}

double process_sys_cpu_seconds(int pid) {
  double user = 0, sys = 0;
  return cpu_times(pid, user, sys) ? sys : -1;
}

static int64_t status_kb(int pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  size_t klen = strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, klen, key) == 0) return std::stoll(line.substr(klen + 1));
  return -1;
}

int64_t process_peak_rss_kb(int pid) { return status_kb(pid, "VmHWM"); }

int64_t process_minor_faults(int pid) {
  unsigned long long f[16] = {};
  return stat_fields(pid, f) ? static_cast<int64_t>(f[10]) : -1;  // minflt(10)
}
int64_t process_rss_kb(int pid) { return status_kb(pid, "VmRSS"); }

double process_run_delay_seconds(int pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(tasks.c_str());
  if (d == nullptr) return -1;
  unsigned long long total_ns = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(tasks + "/" + e->d_name + "/schedstat");
    unsigned long long run_ns = 0, wait_ns = 0;
    if (f >> run_ns >> wait_ns) total_ns += wait_ns;
  }
  closedir(d);
  return static_cast<double>(total_ns) / 1e9;
}

namespace {

// Sums one schedstat field (0 = on a CPU, 1 = runnable but waiting) per
// thread name.
std::map<std::string, double> thread_schedstat_seconds(int pid, int field) {
  std::map<std::string, double> out;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(tasks.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = tasks + "/" + e->d_name;
    std::ifstream sched(task + "/schedstat"), comm(task + "/comm");
    unsigned long long run_ns = 0, wait_ns = 0;
    std::string name;
    if (!(sched >> run_ns >> wait_ns) || !std::getline(comm, name)) continue;
    out[name] += static_cast<double>(field == 0 ? run_ns : wait_ns) / 1e9;
  }
  closedir(d);
  return out;
}

}  // namespace

std::map<std::string, double> thread_run_delay_seconds(int pid) { return thread_schedstat_seconds(pid, 1); }

std::map<std::string, double> thread_cpu_seconds(int pid) { return thread_schedstat_seconds(pid, 0); }

}  // namespace pushgw::bench
