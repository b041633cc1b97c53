// The send log in the SQLite engine (send_log.h).
#include "store/sqlite/send_log.h"

namespace pushgw::store::detail {

Result<void> SqliteSendLog::prepare() {
  return conn_.prepare({
      {&insert_, "INSERT INTO send_log(seq, rows, body) VALUES(?1, ?2, ?3)"},
      {&all_, "SELECT seq, body FROM send_log ORDER BY seq"},
      {&oldest_, "SELECT seq, body FROM send_log ORDER BY seq LIMIT 1"},
      {&delete_, "DELETE FROM send_log WHERE seq = ?1"},
      {&delete_forgets_, "DELETE FROM send_log_forgets WHERE upto_seq <= ?1"},
      {&insert_forget_, "INSERT INTO send_log_forgets(platform, app, token, upto_seq) VALUES(?1, ?2, ?3, ?4)"},
      {&forgets_, "SELECT platform, app, token, upto_seq FROM send_log_forgets"},
  });
}

Result<void> SqliteSendLog::append(int64_t seq, uint32_t rows, std::string_view body) {
  auto u = insert_.use();
  u.bind(1, seq).bind(2, int64_t{rows}).bind_blob(3, body);
  return conn_.done(u, "send log append");
}

Result<void> SqliteSendLog::for_each(const EntryFn& fn) {
  auto u = all_.use();
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) fn(u.i64(0), u.blob(1));
  if (rc != SQLITE_DONE) return conn_.error("store_open_failed", "send log read");
  return ok();
}

Result<bool> SqliteSendLog::oldest(int64_t& seq, std::string& body) {
  auto u = oldest_.use();
  const int rc = u.step();
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return conn_.error("store_write_failed", "send log read");
  seq = u.i64(0);
  body.assign(u.blob(1));
  return true;
}

Result<void> SqliteSendLog::remove(int64_t seq) {
  {
    auto u = delete_.use();
    u.bind(1, seq);
    if (auto r = conn_.done(u, "send log delete"); !r) return r;
  }
  auto u = delete_forgets_.use();
  u.bind(1, seq);
  return conn_.done(u, "send log forgets delete");
}

Result<void> SqliteSendLog::add_forget(Platform p, std::string_view app, std::string_view token, int64_t upto_seq) {
  auto u = insert_forget_.use();
  u.bind(1, static_cast<int64_t>(p)).bind(2, app).bind(3, token).bind(4, upto_seq);
  return conn_.done(u, "send log forget");
}

Result<void> SqliteSendLog::for_each_forget(const ForgetFn& fn) {
  auto u = forgets_.use();
  int rc;
  while ((rc = u.step()) == SQLITE_ROW) fn(static_cast<Platform>(u.i64(0)), u.view(1), u.view(2), u.i64(3));
  if (rc != SQLITE_DONE) return conn_.error("store_open_failed", "send log forgets read");
  return ok();
}

}  // namespace pushgw::store::detail
