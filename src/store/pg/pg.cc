#include "store/pg/pg.h"

#include <openssl/evp.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "base/ascii.h"

namespace pushgw::store::detail {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t utf8_len(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return c == 0 ? 0 : 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

// Bytes from s[i] on that need no work: ASCII other than NUL and, for an
// array element (quoted), other than '"' and '\\'. Eight bytes a step, as a
// token is a few dozen such bytes (a byte loop here cost ~4k instructions
// per tracked notification on the PostgreSQL backend).
size_t plain_run(std::string_view s, size_t i, bool quoted) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](uint64_t w) { return ((w - kOnes) & ~w & kHigh) != 0; };
  const size_t start = i;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & kHigh) != 0 || has_zero(w)) break;
    if (quoted && (has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\')))) break;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0 || c >= 0x80 || (quoted && (c == '"' || c == '\\'))) break;
  }
  return i - start;
}

// Appends s as PostgreSQL text (append_pg_text), with a backslash before '"'
// and '\\' when `quoted` (inside a quoted array element).
void append_text(std::string& out, std::string_view s, bool quoted) {
  for (size_t i = 0; i < s.size();) {
    const size_t run = plain_run(s, i, quoted);
    out.append(s.data() + i, run);
    i += run;
    if (i == s.size()) break;
    const char c = s[i];
    if (c == '"' || c == '\\') {  // only stops the run when quoted
      out += '\\';
      out += c;
      ++i;
      continue;
    }
    const size_t n = utf8_len(s, i);
    if (n == 0) {
      out += '?';
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
}

}  // namespace

std::string dsn_problem(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  std::string problem;
  if (opts == nullptr) {
    const std::string_view msg = err ? err : "";
    problem = msg.starts_with("invalid connection option")
                  ? std::string(msg.substr(0, msg.find('\n')))
                  : "not a valid libpq connection string (key=value pairs or a postgresql:// URI)";
  }
  PQconninfoFree(opts);
  PQfreemem(err);
  return problem;
}

std::string redact_dsn(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  PQfreemem(err);
  if (opts == nullptr) return "(unparsable dsn)";
  // An allow-list: whatever libpq adds later that may be secret stays out.
  static constexpr std::string_view kShown[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode"};
  std::string out;
  for (std::string_view k : kShown) {  // in this order, whatever order the DSN had
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (k != o->keyword || o->val == nullptr || *o->val == '\0') continue;
      if (!out.empty()) out += ' ';
      out += o->keyword;
      out += '=';
      out += o->val;
    }
  }
  PQconninfoFree(opts);
  return out.empty() ? "(libpq defaults)" : out;
}

Error pg_error(PGconn* c, std::string code, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  std::string_view e = c ? PQerrorMessage(c) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.remove_suffix(1);
  msg += e.empty() ? "connection failed" : e;
  return make_error(std::move(code), std::move(msg));
}

Error pg_result_error(const PGresult* r, std::string code, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  std::string_view e = r ? PQresultErrorMessage(r) : "no result (connection lost?)";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.remove_suffix(1);
  msg += e.empty() ? PQresStatus(PQresultStatus(r)) : e;
  return make_error(std::move(code), std::move(msg));
}

Result<void> pg_exec(PGconn* c, const char* sql, const char* code) {
  PgResultPtr r(PQexec(c, sql));
  const ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return r ? pg_result_error(r.get(), code, "statement") : pg_error(c, code, "statement");
  return ok();
}

void append_pg_text(std::string& out, std::string_view s) { append_text(out, s, false); }

std::string pg_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_pg_text(out, s);
  return out;
}

std::string pg_token_key(const std::string& text) {
  if (text.size() <= kPgMaxKeyToken) return text;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) len = 0;
  std::string key = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    key += base::kHexLower[md[i] >> 4];
    key += base::kHexLower[md[i] & 15];
  }
  // No digest (out of memory): long tokens sharing their first kilobyte then
  // share a row, rather than every long token sharing "sha256:".
  if (len == 0) key = text.substr(0, kPgMaxKeyToken);
  return key;
}

PgParams& PgParams::add(std::string_view text) {
  values_.push_back(pg_text(text));
  return *this;
}

PgParams& PgParams::add_clean(std::string_view text) {
  values_.emplace_back(text);
  return *this;
}

PgParams& PgParams::add(int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

const char* const* PgParams::values() {
  ptrs_.clear();
  for (const std::string& v : values_) ptrs_.push_back(v.c_str());
  return ptrs_.data();
}

void PgArray::sep() {
  if (closed_) {  // literal() was called: reopen for more elements
    buf_.pop_back();
    closed_ = false;
  }
  buf_ += n_ == 0 ? '{' : ',';
  ++n_;
}

void PgArray::add(std::string_view text) {
  sep();
  buf_ += '"';
  append_text(buf_, text, true);  // inside a quoted element only '"' and '\\' need a backslash
  buf_ += '"';
}

void PgArray::add(int64_t v) {
  sep();
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  buf_.append(digits, r.ptr);
}

std::string_view PgArray::literal() {
  if (n_ == 0) return "{}";
  if (!closed_) {
    buf_ += '}';
    closed_ = true;
  }
  return buf_;
}

// A pipeline abandoned before run() (or cut short by a broken connection)
// leaves the connection in pipeline mode: its owner sees that
// (PQpipelineStatus) and resets the connection before using it again.
PgPipeline::~PgPipeline() = default;

bool PgPipeline::enter() {
  if (!entered_) {
    entered_ = PQenterPipelineMode(c_) == 1;
    if (!entered_) failed_ = true;
  }
  return entered_;
}

size_t PgPipeline::prepared(const char* name, PgParams& p) {
  if (enter() && !failed_ && PQsendQueryPrepared(c_, name, p.count(), p.values(), nullptr, nullptr, 0) != 1)
    failed_ = true;
  return sent_++;
}

size_t PgPipeline::sql(const char* sql) {
  if (enter() && !failed_ && PQsendQueryParams(c_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1)
    failed_ = true;
  return sent_++;
}

Result<std::vector<PgResultPtr>> PgPipeline::run(const char* code) {
  if (failed_ || !entered_ || PQpipelineSync(c_) != 1) return pg_error(c_, code, "sending statements");
  std::vector<PgResultPtr> out;
  out.reserve(sent_);
  std::optional<Error> first;
  // Each statement yields its result then a null; the sync yields
  // PGRES_PIPELINE_SYNC. A broken connection yields an error, then nulls.
  bool synced = false;
  size_t nulls = 0;
  while (!synced && nulls <= sent_ + 1) {
    PGresult* raw = PQgetResult(c_);
    if (raw == nullptr) {
      ++nulls;
      if (PQstatus(c_) != CONNECTION_OK) break;
      continue;
    }
    PgResultPtr r(raw);
    const ExecStatusType st = PQresultStatus(raw);
    if (st == PGRES_PIPELINE_SYNC) {
      synced = true;
    } else {
      if (!first && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        first = st == PGRES_PIPELINE_ABORTED ? make_error(code, "statement skipped after an error")
                                             : pg_result_error(raw, code, "statement");
      out.push_back(std::move(r));
    }
  }
  if (synced && PQexitPipelineMode(c_) == 1) entered_ = false;
  if (first) return *first;
  if (!synced || out.size() != sent_) return pg_error(c_, code, "reading results");
  return out;
}

int64_t pg_i64(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return 0;
  return std::strtoll(PQgetvalue(r, row, col), nullptr, 10);
}

std::string_view pg_view(const PGresult* r, int row, int col) {
  return std::string_view(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

}  // namespace pushgw::store::detail
