#include "store/sqlite/stmt.h"

namespace pushgw::store::detail {

Error sql_error(sqlite3* db, std::string code, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  return make_error(std::move(code), std::move(msg));
}

Result<void> exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return make_error("store_sql_failed", msg);
  }
  return ok();
}

Result<Stmt> Stmt::prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
    return sql_error(db, "store_sql_failed", sql);
  Stmt out;
  out.s_.reset(s);
  return out;
}

}  // namespace pushgw::store::detail
