// [store] backend / dsn: the Postgres store backend's keys. A DSN may carry a
// password, so no message may echo it.
#include <gtest/gtest.h>

#include "settings/settings.h"

namespace pushgw::settings {
namespace {

constexpr char kName[] = "pushgw.toml";

std::string error_of(std::string_view text) {
  auto r = parse(text, kName, /*read_credentials=*/false);
  return r.ok() ? std::string() : r.error().message;
}

std::string at(int line, std::string_view rest) {
  return std::string(kName) + ":" + std::to_string(line) + ": " + std::string(rest);
}

TEST(StoreBackendConfig, DefaultIsSqliteWithoutDsn) {
  auto r = parse("", kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->store.backend, store::StoreBackend::Sqlite);
  EXPECT_EQ((*r)->store.dsn, "");
}

TEST(StoreBackendConfig, PostgresWithDsnLoads) {
  auto r = parse("[store]\nbackend = \"postgres\"\ndsn = \"host=127.0.0.1 port=5432 dbname=pushgw\"\n",
                        kName, false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->store.backend, store::StoreBackend::Postgres);
  EXPECT_EQ((*r)->store.dsn, "host=127.0.0.1 port=5432 dbname=pushgw");
  auto uri = parse("[store]\nbackend = \"postgres\"\ndsn = \"postgresql://pg@localhost:5433/pushgw\"\n",
                          kName, false);
  EXPECT_TRUE(uri.ok()) << uri.error().message;
}

TEST(StoreBackendConfig, UnknownBackendIsRejected) {
  EXPECT_EQ(error_of("[store]\nbackend = \"mysql\"\n"),
            at(2, "store.backend: must be \"sqlite\" or \"postgres\""));
  EXPECT_EQ(error_of("[store]\nbackend = 1\n"), at(2, "store.backend: expected string, got integer"));
}

TEST(StoreBackendConfig, PostgresNeedsADsn) {
  EXPECT_EQ(error_of("[store]\nbackend = \"postgres\"\n"),
            at(2, "store.backend: backend \"postgres\" needs a non-empty dsn"));
  EXPECT_EQ(error_of("[store]\nbackend = \"postgres\"\ndsn = \"\"\n"),
            at(3, "store.dsn: backend \"postgres\" needs a non-empty dsn"));
}

TEST(StoreBackendConfig, DsnWithoutPostgresIsAMistake) {
  EXPECT_EQ(error_of("[store]\ndsn = \"dbname=x\"\n"), at(2, "store.dsn: is only used with backend = \"postgres\""));
}

TEST(StoreBackendConfig, UnknownDsnKeywordIsNamed) {
  EXPECT_EQ(error_of("[store]\nbackend = \"postgres\"\ndsn = \"host=x databse=y\"\n"),
            at(3, "store.dsn: invalid connection option \"databse\""));
}

TEST(StoreBackendConfig, MalformedDsnNeverEchoesThePassword) {
  for (const char* dsn : {"host=x password='s3cr3t-pw", "postgresql://u:s3cr3t-pw@[::1/db", "postgresql://u:s3cr3t-pw@h/db?s3cr3t=1",
                          "host=x password=s3cr3t-pw user"}) {
    const std::string text = std::string("[store]\nbackend = \"postgres\"\ndsn = \"") + dsn + "\"\n";
    const std::string err = error_of(text);
    EXPECT_NE(err, "") << dsn;
    EXPECT_EQ(err.find("s3cr3t"), std::string::npos) << err;
  }
}

}  // namespace
}  // namespace pushgw::settings
