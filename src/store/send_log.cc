#include "store/send_log.h"

#include <algorithm>

#include "store/send_log_codec.h"
#include "store/send_tally.h"

namespace pushgw::store::detail {

Result<void> SendLog::load(Backend& db, const obs::Logger& log) {
  ops_ = db.send_log();
  if (!ops_) return ok();
  auto f = ops_->for_each_forget([this](Platform p, std::string_view app, std::string_view token, int64_t upto) {
    int64_t& u = forgets_[logged_.key(p, app, token)];
    u = std::max(u, upto);
  });
  if (!f) return f;
  auto r = ops_->for_each([&](int64_t seq, std::string_view body) { replay(seq, body, log); });
  if (!r) return r;
  if (entries_ > 0)
    PGW_LOG(log, Info, "send log: %zu entries with the counts of %zu tokens to write into their rows", entries_,
            logged_.tokens());
  return ok();
}

void SendLog::replay(int64_t seq, std::string_view body, const obs::Logger& log) {
  last_seq_ = std::max(last_seq_, seq);
  ++entries_;  // a corrupt entry is still there: compaction drops it
  if (auto r = decode_send_log(body, rows_, text_); !r) {
    PGW_LOG(log, Error, "send log entry %lld: %s", static_cast<long long>(seq), r.error().message.c_str());
    return;
  }
  for (const SendDelta& d : rows_) {
    const uint64_t k = logged_.key(d.platform, d.app, d.token);
    if (!forgotten(k, seq)) logged_.add(k, d);
  }
}

bool SendLog::forgotten(uint64_t key, int64_t seq) const {
  auto it = forgets_.find(key);
  return it != forgets_.end() && seq <= it->second;
}

Result<void> SendLog::append(const std::vector<SendDelta>& rows) {
  encode_send_log(rows, body_);
  return ops_->append(last_seq_ + 1, static_cast<uint32_t>(rows.size()), body_);
}

void SendLog::appended(const std::vector<SendDelta>& rows) {
  ++last_seq_;
  ++entries_;
  for (const SendDelta& d : rows) logged_.add(d.key != 0 ? d.key : logged_.key(d.platform, d.app, d.token), d);
}

Result<bool> SendLog::compact_one(Backend& db, TxnDelta& d, const obs::Logger& log) {
  if (!ops_) return false;
  int64_t seq = 0;
  auto found = ops_->oldest(seq, body_);
  if (!found) return found.error();
  if (!*found) {
    entries_ = 0;
    return false;
  }
  kept_.clear();
  if (auto r = decode_send_log(body_, rows_, text_); !r) {
    PGW_LOG(log, Error, "send log entry %lld dropped with its counts: %s", static_cast<long long>(seq),
            r.error().message.c_str());
  } else {
    order_.clear();
    for (uint32_t i = 0; i < rows_.size(); ++i) {
      SendDelta& row = rows_[i];
      row.key = logged_.key(row.platform, row.app, row.token);
      if (!forgotten(row.key, seq)) order_.push_back(SortKey{prefix8(row.token), i});
    }
    // Key order, as the rows' primary key: consecutive rows share B-tree
    // pages. Flushes append unsorted, so the sort is done here, off the
    // send burst.
    std::sort(order_.begin(), order_.end(), [this](const SortKey& x, const SortKey& y) {
      const SendDelta& a = rows_[x.row];
      const SendDelta& b = rows_[y.row];
      if (a.platform != b.platform) return a.platform < b.platform;
      if (a.app != b.app) return a.app < b.app;
      if (x.prefix != y.prefix) return x.prefix < y.prefix;
      return a.token < b.token;
    });
    for (const SortKey& k : order_) kept_.push_back(rows_[k.row]);
  }
  Result<void> r = db.begin(false);
  if (r && !kept_.empty()) r = db.apply_sends(kept_, d);
  if (r) r = ops_->remove(seq);
  if (r) r = db.commit(d);
  if (!r) {
    db.rollback();
    return r.error();
  }
  for (const SendDelta& row : kept_) logged_.subtract(row.key, row);
  std::erase_if(forgets_, [seq](const auto& f) { return f.second <= seq; });
  if (entries_ > 0) --entries_;
  return true;
}

void SendLog::merge_into(TokenState& t, Platform p, std::string_view app, std::string_view token) {
  if (logged_.tokens() == 0) return;
  if (auto d = logged_.find(logged_.key(p, app, token))) merge_pending(t, *d);
}

Result<std::optional<int>> SendLog::forget(Backend& db, Platform p, std::string_view app, std::string_view token,
                                           bool& pending) {
  const uint64_t k = logged_.key(p, app, token);
  // No logged counts: no entry that still counts holds the token (a
  // forget record covers the ones before the last forget), so the row's
  // deletion is all there is.
  pending = enabled() && logged_.find(k).has_value();
  if (!pending) return db.forget(p, app, token);
  if (auto r = db.begin(false); !r) return r.error();
  auto gone = db.forget(p, app, token);
  Result<void> r = gone ? ops_->add_forget(p, app, token, last_seq_) : Result<void>(gone.error());
  TxnDelta none;
  if (r) r = db.commit(none);
  if (!r) {
    db.rollback();
    return r.error();
  }
  logged_.erase(k);
  int64_t& u = forgets_[k];
  u = std::max(u, last_seq_);
  return gone;
}

}  // namespace pushgw::store::detail
