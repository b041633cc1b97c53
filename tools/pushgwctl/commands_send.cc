// send FILE|- : one send request from a file or stdin.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "commands.h"
#include "format.h"
#include "request.h"

namespace pushgw::ctl {
namespace {

Result<std::string> read_input(const std::string& file) {
  const bool use_stdin = file == "-";
  const int fd = use_stdin ? STDIN_FILENO : open(file.c_str(), O_RDONLY | O_CLOEXEC);
  const std::string name = use_stdin ? "stdin" : file;
  if (fd < 0) return make_error("bad_input", "cannot read " + name + ": " + std::strerror(errno));
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      if (!use_stdin) close(fd);
      if (n < 0) return make_error("bad_input", "cannot read " + name + ": " + std::strerror(err));
      return text;
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

int run_send(Session& s) {
  const Options& o = s.opts();
  auto text = read_input(o.file);
  if (!text.ok()) {
    s.fail("bad input", text.error().message);
    return kExitBadInput;
  }
  const std::string id = s.next_id();
  auto req = build_send_request(*text, o.wait, id);
  if (!req.ok()) {
    s.fail("bad input", (o.file == "-" ? std::string("stdin") : o.file) + ": " + req.error().message);
    return kExitBadInput;
  }
  text->clear();
  text->shrink_to_fit();  // batches can be large; keep one copy in memory
  std::string response;
  if (const int rc = s.request(req->line, req->id_key, effective_timeout(o, req->wait), response)) return rc;
  return s.finish(response, [&](const std::string& r) { return format_send(r, req->platforms); });
}

}  // namespace pushgw::ctl
