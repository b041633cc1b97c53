// CPU time and peak RSS of another process, from /proc.
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace pushgw::bench {

double process_cpu_seconds(int pid);   // utime + stime; -1 if unreadable
double process_sys_cpu_seconds(int pid);  // stime alone (the kernel's share: syscalls, network)
int64_t process_peak_rss_kb(int pid);  // VmHWM; -1 if unreadable
// Minor page faults of all its threads (first touches of memory): each is a
// trip through the kernel, several microseconds on a VM. -1 if unreadable.
int64_t process_minor_faults(int pid);
int64_t process_rss_kb(int pid);       // VmRSS
// Sum over the process's threads of the time spent runnable but not running
// (second field of /proc/<pid>/task/<tid>/schedstat): scheduler delay, as
// opposed to the process's own queueing. -1 if unreadable.
double process_run_delay_seconds(int pid);
// The same per thread name (/proc/<pid>/task/<tid>/comm; threads of one name
// summed): which of pushgwd's threads waited for a CPU.
std::map<std::string, double> thread_run_delay_seconds(int pid);
// Time on a CPU per thread name (first field of schedstat, in ns, so finer
// than utime's ticks): where pushgwd's CPU goes by thread role.
std::map<std::string, double> thread_cpu_seconds(int pid);

}  // namespace pushgw::bench
