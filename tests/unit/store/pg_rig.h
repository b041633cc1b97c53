// A throwaway PostgreSQL server for the store's Postgres tests: runs
// tests/integration/pg_rig.py (the integration tests' rig: initdb + postgres
// on 127.0.0.1, a free port, a temp dir; as root through runuser), reads the
// DSN it prints, and stops it (closing its stdin) when destroyed. Each test creates its
// own database.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

extern char** environ;

namespace pushgw::store::testing {

class PgRig {
 public:
  PgRig() {
    int fds[2], in[2];
    if (::pipe2(fds, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    // The rig runs until its stdin closes: if this process dies, so does it.
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    char* argv[] = {const_cast<char*>(PUSHGW_PYTHON3), const_cast<char*>(PUSHGW_PG_RIG), nullptr};
    const int rc = posix_spawn(&pid_, PUSHGW_PYTHON3, &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    ::close(in[0]);
    fd_ = fds[0];
    stdin_ = in[1];
    if (rc != 0) {
      pid_ = -1;
      return;
    }
    // initdb + start: a few seconds on a busy machine.
    std::string line;
    pollfd p{fd_, POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 120'000) == 1) {
      char buf[256];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) base_ = line.substr(0, nl);
  }
  ~PgRig() {
    if (stdin_ >= 0) ::close(stdin_);  // the rig stops its server and exits
    if (pid_ > 0) {
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  PgRig(const PgRig&) = delete;
  PgRig& operator=(const PgRig&) = delete;

  bool ok() const { return !base_.empty(); }
  // "host=127.0.0.1 port=N user=pushgw dbname=postgres"
  const std::string& admin_dsn() const { return base_; }

  // Runs SQL on a database ("postgres" by default); "" on success, else the error.
  std::string exec(const std::string& sql, const std::string& db = "postgres") const {
    PGconn* c = PQconnectdb(dsn_for(db).c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      const ExecStatusType st = PQresultStatus(r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    return err;
  }
  // First column of the first row as an integer (-1 on error or no row).
  int64_t query_int(const std::string& sql, const std::string& db) const {
    PGconn* c = PQconnectdb(dsn_for(db).c_str());
    int64_t v = -1;
    if (PQstatus(c) == CONNECTION_OK) {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = std::stoll(PQgetvalue(r, 0, 0));
      PQclear(r);
    }
    PQfinish(c);
    return v;
  }

  // Creates a fresh database and returns its DSN.
  std::string create_db(const std::string& name) const {
    const std::string err = exec("CREATE DATABASE \"" + name + "\"");
    EXPECT_EQ(err, "") << "CREATE DATABASE " << name;
    return dsn_for(name);
  }

  std::string dsn_for(const std::string& db) const {
    std::string d = base_;
    const auto at = d.rfind("dbname=");
    return d.substr(0, at) + "dbname=" + db;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1, stdin_ = -1;
  std::string base_;
};

}  // namespace pushgw::store::testing
