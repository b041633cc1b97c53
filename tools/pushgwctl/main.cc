// pushgwctl: command-line client of the pushgwd socket protocol.
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "args.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace pushgw::ctl;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto opts = parse_args(args, std::getenv("PUSHGW_SOCKET"));
  if (!opts.ok()) {
    std::fprintf(stderr, "pushgwctl: %s\nTry 'pushgwctl --help'.\n", opts.error().message.c_str());
    return kExitUsage;
  }
  if (opts->help) {
    std::fputs(help_text(opts->command).c_str(), stdout);
    return kExitOk;
  }
  if (opts->version) {
    std::printf("pushgwctl %s\n", PUSHGW_VERSION);
    return kExitOk;
  }
  const int rc = run_command(*opts, Io{stdout, stderr});
  if (std::fflush(stdout) != 0 && rc == kExitOk) return kExitIo;
  return rc;
}
