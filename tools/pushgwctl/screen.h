// The terminal side of `pushgwctl top`. When stdin and stdout are terminals:
// keys are read raw (no echo, no line buffering) and frames are drawn on the
// alternate screen, as top does; otherwise frames are printed one after the
// other. SIGINT, SIGTERM, SIGHUP and SIGWINCH arrive through a signalfd (no
// handler, no global state). The destructor restores the terminal and the
// signal mask, whatever way the command ends.
#pragma once
#include <signal.h>
#include <termios.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace pushgw::ctl {

class Screen {
 public:
  explicit Screen(FILE* out);
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  enum class Event { Tick, Quit, Redraw };
  // Waits until deadline for 'q' (Quit), a stop signal (Quit), a resize
  // (Redraw) or the deadline (Tick).
  Event wait(std::chrono::steady_clock::time_point deadline);
  // Replaces the screen with lines, cut to the terminal's width and height.
  void draw(const std::vector<std::string>& lines);
  bool interactive() const { return raw_; }

 private:
  void read_size();
  Event read_keys();

  FILE* out_;
  bool raw_ = false;        // termios changed and alternate screen on
  bool keys_open_ = true;   // stdin not at EOF
  termios saved_termios_{};
  sigset_t saved_mask_{};
  int sigfd_ = -1;
  size_t columns_ = 0, rows_ = 0;  // 0: unknown (not a terminal)
};

}  // namespace pushgw::ctl
