// Internal to the PostgreSQL engine: RAII aliases for libpq handles, a pipeline
// helper (many statements, one round trip), text encoding of parameters and
// array literals, and DSN redaction. A connection belongs to one thread at a
// time (the opener, then the store thread).
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pushgw/result.h"

namespace pushgw::store::detail {

struct PgConnClose {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnClose>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultClear>;

// The DSN with every password (keyword or URI userinfo) dropped, for logs and
// messages: "host=... port=... dbname=... user=...".
std::string redact_dsn(const std::string& dsn);

// "" when libpq accepts the connection string ([store] dsn at config load).
// Only libpq's message naming an unknown keyword is passed on: its other
// messages quote the string, which may hold a password.
std::string dsn_problem(const std::string& dsn);

// Error with code `code`, `what` and the server's (or libpq's) message. The
// messages never contain the DSN.
Error pg_error(PGconn* c, std::string code, std::string_view what);
Error pg_result_error(const PGresult* r, std::string code, std::string_view what);

// Runs one or more statements without parameters; the last result must be
// PGRES_COMMAND_OK or PGRES_TUPLES_OK.
Result<void> pg_exec(PGconn* c, const char* sql, const char* code = "store_sql_failed");

// Appends s as PostgreSQL text: NUL bytes and bytes that are not valid UTF-8
// become '?' (a text column cannot hold them; SQLite could). Every string
// that reaches the server goes through this, keys included, so a lookup
// finds what a write stored.
void append_pg_text(std::string& out, std::string_view s);
std::string pg_text(std::string_view s);

// The tokens table's key for a token (already through pg_text): the token
// itself up to kPgMaxKeyToken bytes, else "sha256:" and its hex digest (a
// B-tree entry holds at most ~2.7 kB; the full token then goes to
// token_full). Returns the token unchanged in the common case.
inline constexpr size_t kPgMaxKeyToken = 1024;
std::string pg_token_key(const std::string& text);

// Parameters of one statement in text format. Values are copied, so the
// views a caller passes need not outlive add().
class PgParams {
 public:
  PgParams& add(std::string_view text);
  PgParams& add(int64_t v);
  // Text already made safe (a PgArray literal): no second pass over it.
  PgParams& add_clean(std::string_view text);
  int count() const { return static_cast<int>(values_.size()); }
  // Pointers into the stored values; valid until the next add() or clear().
  const char* const* values();
  void clear() { values_.clear(); }

 private:
  std::vector<std::string> values_;
  std::vector<const char*> ptrs_;
};

// Builds a one-dimensional array literal ({"a","b"} / {1,2}) for unnest():
// one statement then carries a whole batch of rows.
class PgArray {
 public:
  void clear() {
    buf_.clear();
    n_ = 0;
    closed_ = false;
  }
  void add(std::string_view text);
  void add(int64_t v);
  size_t size() const { return n_; }
  // The literal; "{}" when empty.
  std::string_view literal();

 private:
  void sep();
  std::string buf_;
  size_t n_ = 0;
  bool closed_ = false;
};

// Statements sent back to back in libpq pipeline mode and their results
// read after one sync: one network round trip for all of them. After a
// failed statement the server skips the rest up to the sync.
class PgPipeline {
 public:
  explicit PgPipeline(PGconn* c) : c_(c) {}
  ~PgPipeline();
  PgPipeline(const PgPipeline&) = delete;
  PgPipeline& operator=(const PgPipeline&) = delete;

  // A prepared statement, or plain SQL without parameters. Each returns the
  // index of its result in run()'s vector.
  size_t prepared(const char* name, PgParams& p);
  size_t sql(const char* sql);
  // Sends the sync and reads every result. Returns the results in order
  // (one per statement), or the first error.
  Result<std::vector<PgResultPtr>> run(const char* code);

 private:
  bool enter();
  PGconn* c_;
  bool entered_ = false;
  bool failed_ = false;
  size_t sent_ = 0;
};

// Column helpers for result rows (text format).
int64_t pg_i64(const PGresult* r, int row, int col);
std::string_view pg_view(const PGresult* r, int row, int col);

}  // namespace pushgw::store::detail
