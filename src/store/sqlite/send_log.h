// Internal to the SQLite engine: the send log's tables (store/send_log.h).
// Entries are blobs keyed by seq (the rowid), so appending one writes the
// table's right edge, and reading the oldest is one step from its left.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "pushgw/result.h"
#include "store/backend.h"
#include "store/sqlite/conn.h"

namespace pushgw::store::detail {

class SqliteSendLog final : public SendLogOps {
 public:
  explicit SqliteSendLog(SqliteConn& conn) : conn_(conn) {}
  Result<void> prepare();

  Result<void> append(int64_t seq, uint32_t rows, std::string_view body) override;
  Result<void> for_each(const EntryFn& fn) override;
  Result<bool> oldest(int64_t& seq, std::string& body) override;
  Result<void> remove(int64_t seq) override;
  Result<void> add_forget(Platform p, std::string_view app, std::string_view token, int64_t upto_seq) override;
  Result<void> for_each_forget(const ForgetFn& fn) override;

 private:
  SqliteConn& conn_;
  Stmt insert_, all_, oldest_, delete_, delete_forgets_, insert_forget_, forgets_;
};

}  // namespace pushgw::store::detail
