// Names the calling thread (what top -H, ps -L and /proc/<pid>/task/*/comm
// show), so an operator or pushgw-bench can tell the ingest loop, each
// sender and the store apart. Linux keeps at most 15 bytes.
#pragma once
#include <pthread.h>

#include <string>

namespace pushgw {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace pushgw
