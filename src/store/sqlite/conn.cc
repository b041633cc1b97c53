#include "store/sqlite/conn.h"

namespace pushgw::store::detail {

Result<std::unique_ptr<SqliteConn>> SqliteConn::attach(DbPtr db) {
  std::unique_ptr<SqliteConn> c(new SqliteConn(std::move(db)));
  if (auto r = c->prepare({{&c->begin_, "BEGIN IMMEDIATE"}, {&c->commit_, "COMMIT"}, {&c->rollback_, "ROLLBACK"}});
      !r)
    return r.error();
  return c;
}

Result<void> SqliteConn::prepare(std::initializer_list<std::pair<Stmt*, const char*>> all) const {
  for (const auto& [stmt, sql] : all) {
    auto s = Stmt::prepare(db_.get(), sql);
    if (!s) return s.error();
    *stmt = std::move(*s);
  }
  return ok();
}

Result<void> SqliteConn::done(Stmt::Use& u, const char* what) const {
  const int rc = u.step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return ok();
  return sql_error(db_.get(), "store_write_failed", what);
}

Result<void> SqliteConn::set_sync(bool full) {
  if (full == full_sync_) return ok();
  if (auto r = exec(db_.get(), full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !r) return r;
  full_sync_ = full;
  return ok();
}

Result<void> SqliteConn::begin(bool full_sync) {
  if (auto r = set_sync(full_sync); !r) return r;
  auto u = begin_.use();
  return done(u, "BEGIN");
}

Result<void> SqliteConn::commit() {
  auto u = commit_.use();
  return done(u, "COMMIT");
}

void SqliteConn::rollback() {
  if (!in_txn()) return;
  auto u = rollback_.use();
  (void)u.step();
}

Result<SqliteTxn> SqliteTxn::begin(SqliteConn& c, bool full_sync) {
  if (auto r = c.begin(full_sync); !r) return r.error();
  return SqliteTxn(c);
}

Result<void> SqliteTxn::commit() {
  if (auto r = c_->commit(); !r) return r;  // the destructor rolls back
  c_ = nullptr;
  return ok();
}

}  // namespace pushgw::store::detail
