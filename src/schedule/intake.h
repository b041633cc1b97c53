// Where the scheduler hands a due row: the same path as a socket request
// (parse, journal in the spool, queue to the senders), implemented by
// admission::Admission. The scheduler knows nothing of spools or senders.
//
// Threading: the main loop thread.
#pragma once
#include <functional>
#include <memory>

#include "store/scheduled.h"

namespace pushgw::schedule {

// What must finish before a claimed row may be deleted: the row's own run,
// plus each durability step the intake adds (its spool record, the rows of
// recipients held again). When the last step is done, `last(all_ok)` runs
// once. A failed step keeps the row leased: it runs again when the lease
// ends (at least once). Copies share one count; loop thread only.
class RowSteps {
 public:
  explicit RowSteps(std::function<void(bool all_ok)> last);
  void add() const;           // one more step outstanding
  void done(bool ok) const;   // one step finished

 private:
  struct State {
    int left = 1;  // the run itself
    bool failed = false;
    std::function<void(bool)> last;
  };
  std::shared_ptr<State> s_;
};

class Intake {
 public:
  virtual ~Intake() = default;
  // False while queued work does not fit the senders: due rows then wait in
  // the store, not in memory.
  virtual bool has_room() const = 0;
  // Sends the row's request line now (parsed again with now = its due time)
  // and calls steps.done() once for the run itself when it has queued it.
  virtual void run_due(const store::ScheduledSend& row, RowSteps steps) = 0;
};

}  // namespace pushgw::schedule
