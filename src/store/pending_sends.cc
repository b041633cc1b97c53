#include "store/pending_sends.h"

#include <algorithm>
#include <utility>

namespace pushgw::store::detail {

void PendingSends::merge_into(TokenState& t, Platform p, std::string_view app, std::string_view token) {
  // Older sends first: merge_pending keeps the campaign of the latest send.
  log_.merge_into(t, p, app, token);
  if (auto d = writing_->find(p, app, token)) merge_pending(t, *d);
  if (auto d = active_->find(p, app, token)) merge_pending(t, *d);
}

bool PendingSends::erase(Platform p, std::string_view app, std::string_view token) {
  const bool w = writing_->erase(p, app, token);  // a row being written is skipped by next_chunk()
  const bool a = active_->erase(p, app, token);
  return w || a;
}

void PendingSends::begin_flush(bool ordered) {
  writing_->clear();
  std::swap(active_, writing_);
  rows_ = ordered ? &writing_->ordered() : &writing_->rows();
  next_ = chunk_end_ = 0;
}

const std::vector<SendDelta>& PendingSends::next_chunk(size_t n) {
  chunk_.clear();
  chunk_end_ = next_;
  for (; chunk_end_ < rows_->size() && chunk_.size() < n; ++chunk_end_)
    if (writing_->row_live(chunk_end_)) chunk_.push_back((*rows_)[chunk_end_]);
  return chunk_;
}

void PendingSends::chunk_written() {
  writing_->drop_rows(next_, chunk_end_);
  next_ = chunk_end_;
  if (next_ == rows_->size()) {  // done: free the snapshot for the next flush
    writing_->clear();
    rows_ = &none_;
    next_ = chunk_end_ = 0;
  }
}

}  // namespace pushgw::store::detail
