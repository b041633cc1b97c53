// Internal to the SQLite engine: what one outcome record writes inside the
// group commit (token row, state transition and its event, marketing send,
// campaign counters).
#pragma once
#include <cstdint>
#include <vector>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/sqlite/campaigns.h"
#include "store/sqlite/conn.h"

namespace pushgw::store::detail {

class SqliteOutcomes {
 public:
  SqliteOutcomes(SqliteConn& conn, SqliteCampaigns& campaigns) : conn_(conn), campaigns_(campaigns) {}
  Result<void> prepare();

  // Backend::apply: inside the open transaction, adding what changed to d.
  Result<void> apply(const RecordView& r, TxnDelta& d);
  // Backend::count_campaign and Backend::apply_sends.
  Result<void> count_campaign(const RecordView& r);
  Result<void> apply_sends(const std::vector<SendDelta>& rows, TxnDelta& d);

 private:
  // The token row as stored before this outcome.
  struct Prior {
    bool exists = false;
    int state = 0;
    int64_t since_ms = 0;
  };
  // One token's sends: insert() and update() write them; runs the two in
  // the order insert_bias_ suggests, the second only when the first missed.
  template <class Insert, class Update>
  Result<void> send_rows(const Insert& insert, const Update& update, TxnDelta& d);
  Result<void> update_sent(const RecordView& r);
  Result<void> insert_token(const RecordView& r, int state, int64_t since_ms);
  Result<Prior> prior(const RecordView& r);
  Result<void> reactivate(const RecordView& r, const Prior& p, TxnDelta& d);
  Result<void> apply_verdict(const RecordView& r, const Prior& p, TxnDelta& d);
  Result<void> set_state(const RecordView& r, int state, int64_t since_ms, const char* what);

  SqliteConn& conn_;
  SqliteCampaigns& campaigns_;
  // > 0: recent sends mostly hit unknown tokens, so apply_send() tries the
  // INSERT first (one B-tree descent instead of a missed UPDATE + INSERT).
  int insert_bias_ = 0;
  Stmt select_, insert_, update_sent_, update_state_, insert_event_, insert_marketing_;
};

}  // namespace pushgw::store::detail
