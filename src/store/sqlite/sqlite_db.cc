// SqliteDb: opening, reads, start-up loads and maintenance (sqlite_db.h).
#include "store/sqlite/sqlite_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushgw::store::detail {

namespace {

constexpr const char* kHeartbeat = "INSERT OR REPLACE INTO meta(k, v) VALUES('last_sync_ms', ?1)";
constexpr const char* kGetToken =
    "SELECT state, reason, since_ms, sent, delivered, failed, last_sent_at_ms, last_campaign FROM tokens"
    " WHERE platform=?1 AND app=?2 AND token=?3";
constexpr const char* kGetEvents =
    "SELECT seq, at_ms, platform, app, token, kind, reason, campaign FROM events WHERE seq >= ?1"
    " ORDER BY seq LIMIT ?2";
constexpr const char* kForget = "DELETE FROM tokens WHERE platform=?1 AND app=?2 AND token=?3 RETURNING state";
constexpr const char* kPrune =
    "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at_ms < ?1 ORDER BY at_ms LIMIT ?2)";

std::string dir_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The database holds Web Push auth secrets: owner-only, whatever the umask.
// SQLite creates -wal and -shm with the database file's mode, so creating
// (or fixing) the file first covers them; ones left by an earlier run with
// wider modes are fixed too.
Result<void> make_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("store_open_failed", path + ": " + std::strerror(errno));
  const int rc = ::fchmod(fd, 0600);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error("store_open_failed", "chmod 0600 " + path + ": " + std::strerror(err));
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string side = path + suffix;
    if (::chmod(side.c_str(), 0600) != 0 && errno != ENOENT)
      return make_error("store_open_failed", "chmod 0600 " + side + ": " + std::strerror(errno));
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path, const obs::Logger& log) {
  if (path.empty()) return make_error("store_path_empty", "store.path is empty");
  struct stat st {};
  std::string dir = dir_of(path);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error("store_dir_missing", "directory " + dir + " of store.path does not exist");

  if (auto r = make_private(path); !r) return r.error();
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return sql_error(raw, "store_open_failed", path);
  sqlite3_extended_result_codes(raw, 1);
  // Another process (an admin's sqlite3 shell) may hold the write lock briefly.
  sqlite3_busy_timeout(raw, 5000);

  {
    auto wal = Stmt::prepare(raw, "PRAGMA journal_mode=WAL");
    if (!wal) return make_error("store_open_failed", path + ": " + wal.error().message);
    auto u = wal->use();
    if (u.step() != SQLITE_ROW || u.view(0) != "wal")
      return make_error("store_not_wal", path + ": cannot switch to WAL mode");
  }
  // NORMAL: a commit survives a crash of the process (kill -9) but may be lost
  // on power failure until the next full sync; after_commit() uses barrier().
  // Checkpoint every 64 MiB of WAL instead of 4 MiB: outcomes hit random
  // tokens, so a batch dirties ~one page per outcome; rarer checkpoints copy a
  // page once for many batches (measured 2x on 1M fresh tokens).
  if (auto r = exec(raw, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY;"
                         "PRAGMA wal_autocheckpoint=16384; PRAGMA journal_size_limit=67108864;"
                         "PRAGMA foreign_keys=OFF;");
      !r)
    return make_error("store_open_failed", path + ": " + r.error().message);
  auto found = migrate(raw, log);
  if (!found) return found.error();
  auto conn = SqliteConn::attach(std::move(db));
  if (!conn) return conn.error();
  std::unique_ptr<SqliteDb> t(new SqliteDb(path, std::move(*conn)));
  t->schema_found_ = *found;
  if (auto r = t->prepare(); !r) return r.error();
  return t;
}

SqliteDb::SqliteDb(std::string path, std::unique_ptr<SqliteConn> conn)
    : path_(std::move(path)),
      conn_(std::move(conn)),
      campaigns_(*conn_),
      outcomes_(*conn_, campaigns_),
      schedule_(*conn_),
      send_log_(*conn_) {}

Result<void> SqliteDb::prepare() {
  if (auto r = conn_->prepare({{&heartbeat_, kHeartbeat},
                               {&get_token_, kGetToken},
                               {&get_events_, kGetEvents},
                               {&forget_, kForget},
                               {&prune_, kPrune}});
      !r)
    return r;
  if (auto r = campaigns_.prepare(); !r) return r;
  if (auto r = outcomes_.prepare(); !r) return r;
  if (auto r = schedule_.prepare(); !r) return r;
  return send_log_.prepare();
}

Result<Counts> SqliteDb::counts() {
  Counts c;
  auto run = [&](const char* sql, auto&& row) -> Result<void> {
    auto s = Stmt::prepare(conn_->get(), sql);
    if (!s) return s.error();
    auto u = s->use();
    int rc;
    while ((rc = u.step()) == SQLITE_ROW) row(u);
    if (rc != SQLITE_DONE) return conn_->error("store_open_failed", sql);
    return ok();
  };
  if (auto r = run("SELECT count(*) FROM tokens", [&](Stmt::Use& u) { c.tokens = static_cast<uint64_t>(u.i64(0)); }); !r)
    return r.error();
  auto by_state = [&](Stmt::Use& u) {
    if (u.i64(0) == static_cast<int>(DbState::Invalid)) c.invalid = static_cast<uint64_t>(u.i64(1));
    if (u.i64(0) == static_cast<int>(DbState::Unsubscribed)) c.unsubscribed = static_cast<uint64_t>(u.i64(1));
  };
  if (auto r = run("SELECT state, count(*) FROM tokens WHERE state <> 0 GROUP BY state", by_state); !r)
    return r.error();
  if (auto r = run("SELECT count(*) FROM events", [&](Stmt::Use& u) { c.events = static_cast<uint64_t>(u.i64(0)); }); !r)
    return r.error();
  return c;
}

Result<std::string> SqliteDb::claim_meta(std::string_view key, std::string_view value_if_absent) {
  {
    auto ins = Stmt::prepare(conn_->get(), "INSERT OR IGNORE INTO meta(k, v) VALUES(?1, ?2)");
    if (!ins) return ins.error();
    auto u = ins->use();
    if (auto r = conn_->done(u.bind(1, key).bind(2, value_if_absent), "meta"); !r) return r.error();
  }
  auto sel = Stmt::prepare(conn_->get(), "SELECT CAST(v AS TEXT) FROM meta WHERE k = ?1");
  if (!sel) return sel.error();
  auto u = sel->use();
  if (u.bind(1, key).step() != SQLITE_ROW) return conn_->error("store_open_failed", "reading meta");
  return u.text(0);
}

Result<void> SqliteDb::for_each_suppressed(const SuppressedFn& fn) {
  auto s = Stmt::prepare(conn_->get(), "SELECT platform, app, token, since_ms FROM tokens WHERE state <> 0");
  if (!s) return s.error();
  auto u = s->use();
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) {
    int64_t p = u.i64(0);
    if (p < 0 || p >= kPlatformCount) continue;  // written by a newer pushgw? not ours to judge
    fn(static_cast<Platform>(p), u.view(1), u.view(2), u.i64(3));
  }
  if (rc != SQLITE_DONE) return conn_->error("store_open_failed", "loading suppressed tokens");
  return ok();
}

Result<void> SqliteDb::barrier(int64_t now_ms) {
  auto txn = SqliteTxn::begin(*conn_, true);
  if (!txn) return txn.error();
  auto u = heartbeat_.use();
  if (auto r = conn_->done(u.bind(1, now_ms), "heartbeat"); !r) return r;
  return txn->commit();
}

Result<TokenState> SqliteDb::token(Platform p, std::string_view app, std::string_view token) {
  auto u = get_token_.use();
  int rc = u.bind(1, static_cast<int64_t>(p)).bind(2, app).bind(3, token).step();
  TokenState t;
  if (rc == SQLITE_DONE) {
    t.state = "unknown";
    return t;
  }
  if (rc != SQLITE_ROW) return conn_->error("store_read_failed", "token");
  t.state = state_name(u.i64(0));
  t.reason = u.text(1);
  t.since_ms = u.i64(2);
  t.sent = static_cast<uint64_t>(u.i64(3));
  t.delivered = static_cast<uint64_t>(u.i64(4));
  t.failed = static_cast<uint64_t>(u.i64(5));
  t.last_sent_at_ms = u.i64(6);
  t.last_campaign = u.text(7);
  return t;
}

Result<FeedbackPage> SqliteDb::feedback(uint64_t since, uint32_t limit) {
  FeedbackPage page;
  page.next = since;
  auto u = get_events_.use();
  // seq is a signed 64-bit rowid: a `since` beyond it simply matches nothing.
  const int64_t from = since > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(since);
  u.bind(1, from).bind(2, static_cast<int64_t>(limit));
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) {
    Event e;
    e.seq = static_cast<uint64_t>(u.i64(0));
    e.at_ms = u.i64(1);
    e.platform = static_cast<Platform>(std::clamp<int64_t>(u.i64(2), 0, kPlatformCount - 1));
    e.app = u.text(3);
    e.token = u.text(4);
    e.kind = state_name(u.i64(5));
    e.reason = u.text(6);
    e.campaign = u.text(7);
    page.next = e.seq + 1;
    page.events.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return conn_->error("store_read_failed", "feedback");
  return page;
}

Result<std::optional<int>> SqliteDb::forget(Platform p, std::string_view app, std::string_view token) {
  auto u = forget_.use();
  int rc = u.bind(1, static_cast<int64_t>(p)).bind(2, app).bind(3, token).step();
  std::optional<int> prev;
  if (rc == SQLITE_ROW) {
    prev = static_cast<int>(u.i64(0));
    rc = u.step();
  }
  if (rc != SQLITE_DONE) return conn_->error("store_write_failed", "forget");
  return prev;
}

Result<void> SqliteDb::for_each_marketing_send(int64_t since_ms, const MarketingFn& fn) {
  {
    auto del = Stmt::prepare(conn_->get(), "DELETE FROM marketing_sends WHERE at_ms < ?1");
    if (!del) return del.error();
    auto u = del->use();
    if (u.bind(1, since_ms).step() != SQLITE_DONE) return conn_->error("store_open_failed", "marketing prune");
  }
  auto sel = Stmt::prepare(conn_->get(), "SELECT platform, app, token, at_ms FROM marketing_sends ORDER BY at_ms");
  if (!sel) return sel.error();
  auto u = sel->use();
  int rc;
  while ((rc = u.step()) == SQLITE_ROW)
    fn(static_cast<Platform>(std::clamp<int64_t>(u.i64(0), 0, kPlatformCount - 1)), u.view(1), u.view(2), u.i64(3));
  if (rc != SQLITE_DONE) return conn_->error("store_open_failed", "marketing load");
  return ok();
}

Result<uint64_t> SqliteDb::prune(int64_t before_ms, uint32_t chunk) {
  auto u = prune_.use();
  if (u.bind(1, before_ms).bind(2, static_cast<int64_t>(chunk)).step() != SQLITE_DONE)
    return conn_->error("store_write_failed", "prune");
  return static_cast<uint64_t>(sqlite3_changes64(conn_->get()));
}

}  // namespace pushgw::store::detail
