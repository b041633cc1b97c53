// Asks the kernel for the time slice of the calling thread (EEVDF's custom
// slice, Linux 6.12 or later: sched_attr.sched_runtime of a SCHED_OTHER or
// SCHED_BATCH thread). A thread with a shorter slice gets an earlier virtual
// deadline when it wakes, so it runs sooner after a doorbell instead of
// waiting for a busy CPU's current slice to end; over time it gets the same
// share of the CPU. The ingest loop and the senders ask for a short one; the
// store and the spool run as SCHED_BATCH with the default slice, so their
// long transactions never preempt them on wakeup (docs/performance.md, goal 4).
#pragma once
#include <cstdint>

namespace pushgw {

// slice_ns = 0 restores the kernel's default; the kernel clamps others to
// 0.1..100 ms. Returns 0 or an errno. The thread's policy and nice value are
// kept; a thread under a real-time policy (set by the operator, e.g. systemd's
// CPUSchedulingPolicy) is left alone. Kernels before 6.12 accept the value and
// ignore it.
int request_sched_slice_ns(uint64_t slice_ns);

// The calling thread does throughput work (commits, fsyncs) that nobody
// waits on within milliseconds: SCHED_BATCH (the scheduler treats it as
// CPU-bound and it does not preempt others when it wakes), the kernel's
// default slice, nice kept. Same errors and real-time exception as above.
int request_batch_scheduling();

}  // namespace pushgw
