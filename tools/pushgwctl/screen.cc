#include "screen.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "table.h"

namespace pushgw::ctl {

Screen::Screen(FILE* out) : out_(out) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, &saved_mask_);
  sigfd_ = signalfd(-1, &mask, SFD_CLOEXEC);
  if (isatty(STDIN_FILENO) && isatty(fileno(out_)) && tcgetattr(STDIN_FILENO, &saved_termios_) == 0) {
    termios raw = saved_termios_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    raw_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  if (raw_) {
    std::fputs("\x1b[?1049h\x1b[?25l", out_);  // alternate screen, hide the cursor
    std::fflush(out_);
    read_size();
  }
}

Screen::~Screen() {
  if (raw_) {
    std::fputs("\x1b[?25h\x1b[?1049l", out_);
    std::fflush(out_);
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios_);
  }
  if (sigfd_ >= 0) close(sigfd_);
  sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
}

void Screen::read_size() {
  winsize ws{};
  if (ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    columns_ = ws.ws_col;
    rows_ = ws.ws_row;
  }
}

Screen::Event Screen::read_keys() {
  char buf[64];
  const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n == 0) keys_open_ = false;  // EOF: wait for the clock and signals only
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == 'q' || buf[i] == 'Q') return Event::Quit;
  }
  return Event::Tick;
}

Screen::Event Screen::wait(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Event::Tick;
    pollfd fds[2] = {{sigfd_, POLLIN, 0}, {keys_open_ ? STDIN_FILENO : -1, POLLIN, 0}};
    const int r = poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) return Event::Quit;
    if (r <= 0) continue;
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      if (read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si) && si.ssi_signo == SIGWINCH) {
        read_size();
        return Event::Redraw;
      }
      return Event::Quit;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      if (read_keys() == Event::Quit) return Event::Quit;
    }
  }
}

void Screen::draw(const std::vector<std::string>& lines) {
  if (!raw_) {
    for (const auto& l : lines) std::fprintf(out_, "%s\n", l.c_str());
    std::fputs("\n", out_);
    std::fflush(out_);
    return;
  }
  std::string frame = "\x1b[H";
  const size_t rows = rows_ > 0 ? std::min(lines.size(), rows_ - 1) : lines.size();
  for (size_t i = 0; i < rows; ++i) {
    // Lines are ASCII but for sanitized daemon text: cut by code points.
    std::string l = lines[i];
    if (columns_ > 0 && display_width(l) > columns_) l = truncate(l, columns_ - 1);
    frame += l;
    frame += "\x1b[K\n";
  }
  frame += "\x1b[J";
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
}

}  // namespace pushgw::ctl
