#include "promtool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace pushgw::metrics::testing {

std::string find_promtool() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

PromtoolResult promtool_check(const std::string& promtool, const std::string& text) {
  char tmpl[] = "/tmp/pushgw-metrics-XXXXXX";
  const int fd = mkstemp(tmpl);
  PromtoolResult r;
  if (fd < 0) return r;
  close(fd);
  std::ofstream(tmpl, std::ios::binary) << text;
  const std::string cmd = promtool + " check metrics < " + tmpl + " 2>&1";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(tmpl);
  return r;
}

}  // namespace pushgw::metrics::testing
