// CPU time and peak RSS of another process, from /proc.
#pragma once
#include <cstdint>

namespace pushgw::bench {

double process_cpu_seconds(int pid);   // utime + stime; -1 if unreadable
int64_t process_peak_rss_kb(int pid);  // VmHWM; -1 if unreadable
int64_t process_rss_kb(int pid);       // VmRSS

}  // namespace pushgw::bench
