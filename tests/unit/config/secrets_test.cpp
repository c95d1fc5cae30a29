// ${ENV} interpolation, *_file secrets, and keeping secret values out of every message.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace sluice::config;
using namespace sluice::config::test;

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// A file under the temp dir, removed at the end of the test.
struct temp_file {
    std::filesystem::path path;
    explicit temp_file(const std::string& name, const std::string& content)
        : path(std::filesystem::temp_directory_path() / ("sluice_config_test_" + name)) {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("${NAME} is interpolated in every string scalar, $$ is a literal $") {
    fake_environment() = {{"HOST", "db.internal"}, {"BATCH", "250"}, {"LEVEL", "debug"}};
    const auto cfg = parse_ok(R"(log: { level: "${LEVEL}" }
defaults: { batch_size: "${BATCH}" }
sources:
  - name: pg
    type: postgres
    dsn: "host=${HOST} dbname=app application_name=$$sluice"
    schema: "cost_$$_${HOST}"
    tables:
      - name: "price$"
)");
    CHECK(cfg.log.level == "debug");
    CHECK(cfg.defaults.batch_size == 250);
    CHECK(cfg.sources[0].dsn == "host=db.internal dbname=app application_name=$sluice");
    CHECK(cfg.sources[0].schema == "cost_$_db.internal");
    CHECK(cfg.sources[0].tables[0].name == "price$");  // a lone $ stays as written
    // Whatever the environment puts into a dsn may be a password, so it counts as a secret;
    // values interpolated into other keys do not.
    CHECK(cfg.secrets == std::vector<std::string>{"db.internal"});
}

TEST_CASE("passwords from the environment and from files land in config.secrets") {
    temp_file redshift_pw("redshift", "rs-file-secret\n");
    temp_file dest_dsn("dest_dsn", "host=dest user=w password=dsn-file-pw\r\n");
    fake_environment() = {{"PGPASSWORD", "env-pg-pw"}, {"QDB_PASSWORD", "env-qdb-pw"}};
    const auto cfg = parse_ok(R"(destination:
  type: postgres
  dsn_file: )" + dest_dsn.path.string() +
                              R"(
sources:
  - name: pg
    type: postgres
    dsn: "host=db user=sync password=${PGPASSWORD}"
  - name: rs
    type: redshift
    dsn: postgres://sync:uri%40pw@rs:5439/dev
    password_file: )" + redshift_pw.path.string() +
                              R"(
  - name: q
    type: questdb
    url: http://q:9000
    password: ${QDB_PASSWORD}
  - name: d
    type: druid
    url: http://d:8888
    password: literal-druid-pw
)");
    CHECK(cfg.destination.dsn == "host=dest user=w password=dsn-file-pw");  // trailing CRLF stripped
    CHECK(cfg.sources[0].dsn == "host=db user=sync password=env-pg-pw");
    CHECK(cfg.sources[1].password == "rs-file-secret");
    CHECK(cfg.sources[2].password == "env-qdb-pw");
    CHECK(cfg.sources[3].password == "literal-druid-pw");

    CHECK(contains(cfg.secrets, "host=dest user=w password=dsn-file-pw"));  // a *_file content
    CHECK(contains(cfg.secrets, "dsn-file-pw"));                            // the password inside it
    CHECK(contains(cfg.secrets, "env-pg-pw"));
    CHECK(contains(cfg.secrets, "uri%40pw"));  // URI password, as written...
    CHECK(contains(cfg.secrets, "uri@pw"));    // ...and decoded
    CHECK(contains(cfg.secrets, "rs-file-secret"));
    CHECK(contains(cfg.secrets, "env-qdb-pw"));
    CHECK(contains(cfg.secrets, "literal-druid-pw"));
    // The non-secret parts of a dsn are not secrets.
    CHECK_FALSE(contains(cfg.secrets, "host=db user=sync password=env-pg-pw"));
}

TEST_CASE("a relative *_file path is relative to the config file") {
    const auto dir = std::filesystem::temp_directory_path() / "sluice_config_test_dir";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "qdb") << "relative-secret\n";
    const auto cfg = parse_config(R"(sources:
  - name: q
    type: questdb
    url: http://q:9000
    password_file: qdb
)",
                                  (dir / "sluice.yaml").string(), &fake_env);
    CHECK(cfg.sources[0].password == "relative-secret");
    std::filesystem::remove_all(dir);
}

TEST_CASE("secret values never appear in problem messages") {
    fake_environment() = {{"PGPASSWORD", "env-pg-pw"}};
    const std::string yaml = R"(sources:
  - name: pg
    type: postgres
    dsn: "host=db password=${PGPASSWORD}"
    password: [not, a, string, sup3r]
  - name: q
    type: questdb
    url: http://q:9000
    password: plain-qdb-pw
    username: plain-qdb-pw
    tables:
      - name: t
        cursor: env-pg-pw
        mode: env-pg-pw
)";
    const auto problems = problems_of(yaml);
    REQUIRE(problems.size() == 2);
    CHECK(has_problem(problems, 5, "sources[0].password", "expected a string, got a list"));
    // The mode is rejected, and its value happens to be a secret: the message masks it.
    CHECK(has_problem(problems, 14, "sources[1].tables[0].mode", "invalid value '***'"));
    for (const auto& p : problems) {
        CAPTURE(p.to_string());
        CHECK(p.to_string().find("env-pg-pw") == std::string::npos);
        CHECK(p.to_string().find("plain-qdb-pw") == std::string::npos);
        CHECK(p.to_string().find("sup3r") == std::string::npos);
    }
}

TEST_CASE("a secret file's content never appears in a problem") {
    temp_file pw("leaky", "file-secret-value\n");
    const auto problems = problems_of(R"(sources:
  - name: q
    type: questdb
    url: http://q:9000
    password_file: )" + pw.path.string() +
                                      R"(
    tables:
      - name: t
        mode: file-secret-value
)");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message.find("file-secret-value") == std::string::npos);
    CHECK(problems[0].message.find("***") != std::string::npos);
}

TEST_CASE("an empty secret file is a problem") {
    temp_file pw("empty", "\n");
    const auto p =
        only_problem("sources:\n  - name: q\n    type: questdb\n    url: http://q\n    password_file: " +
                     pw.path.string() + "\n");
    CHECK(p.where.line == 5);
    CHECK(p.message.find("is empty") != std::string::npos);
}
