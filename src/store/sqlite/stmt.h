// Internal to the SQLite engine: RAII aliases for SQLite handles and a thin
// statement helper. A connection and its statements belong to one thread at a
// time (the opener, then the store thread), so SQLite's own mutexes are off.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pushgw/result.h"

namespace pushgw::store::detail {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Error with code `code` and SQLite's message for the last failure on db.
Error sql_error(sqlite3* db, std::string code, std::string_view what);

// Runs one or more statements without results.
Result<void> exec(sqlite3* db, const char* sql);

// A prepared statement that resets itself when the Use ends. Text binds are
// SQLITE_STATIC: the bytes must outlive step(), which they do because every
// use binds, steps and resets within one scope.
class Stmt {
 public:
  Stmt() = default;
  static Result<Stmt> prepare(sqlite3* db, const char* sql);
  sqlite3_stmt* get() const { return s_.get(); }

  class Use {
   public:
    explicit Use(sqlite3_stmt* s) : s_(s) {}
    ~Use() {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    Use& bind(int i, int64_t v) {
      sqlite3_bind_int64(s_, i, v);
      return *this;
    }
    Use& bind(int i, std::string_view v) {
      // A null pointer would bind SQL NULL; every text column is NOT NULL.
      sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
      return *this;
    }
    Use& bind_blob(int i, std::string_view v) {
      sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
      return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(s_); }
    int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
    std::string text(int col) const {
      const unsigned char* p = sqlite3_column_text(s_, col);
      return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)))
               : std::string();
    }
    std::string_view view(int col) const {
      const unsigned char* p = sqlite3_column_text(s_, col);
      return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)))
               : std::string_view();
    }

    std::string_view blob(int col) const {
      const void* p = sqlite3_column_blob(s_, col);
      return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)))
               : std::string_view();
    }

   private:
    sqlite3_stmt* s_;
  };
  Use use() const { return Use(s_.get()); }

 private:
  StmtPtr s_;
};

}  // namespace pushgw::store::detail
