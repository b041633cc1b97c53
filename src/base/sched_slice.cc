#include "base/sched_slice.h"

#include <linux/sched.h>
#include <linux/sched/types.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace pushgw {

namespace {

// Read first: sched_setattr sets the nice value too, and only fair-class
// threads have a slice or a batch policy to change.
// policy kKeep: the thread's own (SCHED_NORMAL or SCHED_BATCH).
constexpr uint32_t kKeep = ~0u;

int set_fair(uint32_t policy, uint64_t slice_ns) {
  sched_attr attr{};
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return errno;
  if (attr.sched_policy != SCHED_NORMAL && attr.sched_policy != SCHED_BATCH) return 0;
  attr.size = sizeof attr;
  if (policy != kKeep) attr.sched_policy = policy;
  attr.sched_flags = 0;
  attr.sched_runtime = slice_ns;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return errno;
  return 0;
}

}  // namespace

int request_sched_slice_ns(uint64_t slice_ns) { return set_fair(kKeep, slice_ns); }

int request_batch_scheduling() { return set_fair(SCHED_BATCH, 0); }

}  // namespace pushgw
