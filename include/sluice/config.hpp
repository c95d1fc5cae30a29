#pragma once
// The typed configuration (DESIGN.md §8, "the configuration contract"). Plain
// aggregates with the documented defaults; load_config() fills them from YAML,
// resolving ${ENV} and *_file secrets, rejecting unknown keys and reporting
// every problem at once with file:line and the key path.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/value.hpp"

namespace sluice::config {

using duration = std::chrono::milliseconds;

struct location {
    std::string file;
    int line = 0;  // 1-based; 0 when unknown

    // Positions never make two configs differ: moving a table down a line in the
    // file must not count as a change when a reload diffs old against new.
    friend bool operator==(const location&, const location&) noexcept { return true; }
};

// Keys that may appear under `defaults:`, a source, or a table; the most
// specific wins (table > source > defaults > built-in).
struct table_settings {
    duration poll_interval{std::chrono::seconds(30)};
    duration lookback{0};
    std::size_t batch_size = 5000;
    int max_parallel_workers = 2;
    int max_in_flight = 4;
    // Set when max_in_flight was configured: then it is a fixed bound. Left unset, the
    // QuestDB/Druid readers start at max_in_flight and add requests, up to
    // adaptive_in_flight_cap, while a page's round trip outlasts its parsing.
    bool max_in_flight_configured = false;
    duration freshness_threshold{0};  // daemon: /readyz fails when older; 0 = no threshold
    duration reconcile_interval{0};   // daemon: delete/drift detection this often; 0 = never

    static constexpr int adaptive_in_flight_cap = 16;
    // The most requests a table may have in flight (what an HTTP pool must allow).
    int in_flight_limit() const {
        return max_in_flight_configured ? max_in_flight : std::max(max_in_flight, adaptive_in_flight_cap);
    }

    bool operator==(const table_settings&) const = default;
};

// HBase: one configured cell mapped to a typed destination column.
struct cell_column {
    std::string cell;  // "family:qualifier"
    std::string name;  // destination column name
    value_type type = value_type::string;

    bool operator==(const cell_column&) const = default;
};

// HBase: the happybase scan() options a table may set (DESIGN.md §5).
struct hbase_scan {
    std::string row_start;   // inclusive; "" = from the first row
    std::string row_stop;    // exclusive; "" = to the last row
    std::string row_prefix;  // exclusive with row_start/row_stop
    std::string filter;      // Thrift filter string, "" = none
    std::size_t limit = 0;   // rows per pass, 0 = unlimited
    bool reverse = false;
    std::optional<std::int64_t> timestamp;  // only cells older than this (ms), as TScan.timestamp
    std::vector<std::string> scan_columns;  // "cf" or "cf:q" to fetch; empty = derived from the mapping
    std::size_t scan_batching = 0;          // TScan.batchSize: max cells per partial row, 0 = whole rows
    bool sorted_columns = false;            // TScan.sortColumns
    bool include_timestamp = false;         // cell timestamps into `<name>_ts` columns and `_cells`
    bool pipelined = true;                  // next scannerGetList on the wire while a batch is handed on

    bool operator==(const hbase_scan&) const = default;
};

// HBase: how a row becomes a destination row besides the configured cells.
struct hbase_mapping {
    bool other_cells = true;              // every unmapped cell into the json column `_cells`
    std::string row_key_type = "string";  // string (UTF-8, else an error) | bytes
    bool null_on_decode_error = false;    // on_decode_error: fail (default) | null (+ counted warning)

    bool operator==(const hbase_mapping&) const = default;
};

struct table_config {
    std::string name;
    std::optional<std::string> cursor;                    // cursor column; inferred when absent
    std::optional<std::vector<std::string>> primary_key;  // discovered, else synthetic
    std::vector<std::string> include_columns;             // empty: all
    std::vector<std::string> exclude_columns;
    std::optional<std::string> destination;               // destination table part
    std::map<std::string, value_type> column_types;       // declared types overriding discovery
    std::string mode;                                     // "" (inferred) | incremental | full |
                                                          // cursor_column | cell_timestamp
    std::vector<cell_column> columns;                     // hbase
    hbase_scan scan;                                      // hbase
    hbase_mapping cells;                                  // hbase
    table_settings settings;
    location where;

    // include_columns/exclude_columns applied to one discovered column; every
    // source filters the same way.
    bool syncs_column(std::string_view column) const {
        const auto listed = [column](const std::vector<std::string>& names) {
            return std::find(names.begin(), names.end(), column) != names.end();
        };
        return (include_columns.empty() || listed(include_columns)) && !listed(exclude_columns);
    }

    bool operator==(const table_config&) const = default;
};

struct source_config {
    std::string name;
    std::string type;  // postgres | redshift | questdb | druid | hbase
    // postgres / redshift
    std::string dsn;
    std::optional<std::string> password;  // password / password_file
    std::string schema = "public";  // druid: "druid"
    // Connections the source opens at once, over all its tables (table syncs wait
    // for one; parallel initial loads take extra ones only while some are free).
    int max_connections = 8;
    // questdb / druid
    std::string url;
    std::string username;
    std::string ca_file;     // extra trust anchors (PEM) for https
    bool verify_tls = true;  // https: verify chain and host name
    duration request_timeout{std::chrono::seconds(120)};  // `timeout`: one whole HTTP request
    // druid: `query_context:` entries merged into every query's context, each
    // value as JSON text ("60000", "true", "\"high\""); `schema` is the Druid schema.
    std::map<std::string, std::string> query_context;
    // hbase
    std::string host = "127.0.0.1";
    int port = 9090;
    std::string transport = "buffered";
    std::string protocol = "binary";
    std::string client = "socket";
    std::string table_prefix;
    std::string table_prefix_separator = "_";
    duration timeout{std::chrono::seconds(30)};

    bool all_tables = false;  // `tables: all` or omitted
    std::vector<table_config> tables;
    table_settings settings;  // defaults merged with source-level overrides
    location where;

    bool operator==(const source_config&) const = default;
};

struct destination_config {
    std::string type = "sqlite";  // sqlite | postgres
    std::string path = "./sluice.db";
    std::string dsn;
    std::optional<std::string> password;
    std::string schema_prefix;
    std::size_t batch_rows = 10000;
    std::size_t batch_bytes = 16u << 20;
    // Connections writing at once (postgres; SQLite always has one writer). Each
    // table is written by one of them, so its batches stay in order.
    std::size_t writers = 2;

    bool operator==(const destination_config&) const = default;
};

struct http_config {
    std::string listen = "127.0.0.1:8686";

    bool operator==(const http_config&) const = default;
};

struct log_config {
    std::string level = "info";   // trace | debug | info | warn | error
    std::string format = "text";  // text | json

    bool operator==(const log_config&) const = default;
};

// `sluice run` only. Restart-only except where noted in etc/sluice.example.yaml.
struct daemon_config {
    duration shutdown_grace{std::chrono::seconds(30)};    // SIGTERM: finish in-flight work within this
    duration watchdog_timeout{std::chrono::minutes(10)};  // restart a task making no progress this long
    duration backoff_max{std::chrono::minutes(5)};        // cap of the per-table error backoff
    std::string pid_file;                                 // "" = none; read by `sluice reload`

    bool operator==(const daemon_config&) const = default;
};

struct config {
    destination_config destination;
    table_settings defaults;
    http_config http;
    log_config log;
    daemon_config daemon;
    std::vector<source_config> sources;

    std::string file;                  // path it was loaded from
    std::vector<std::string> secrets;  // resolved secret values, for redaction
};

struct problem {
    location where;
    std::string path;     // "sources[1].tables[0].cursor"
    std::string message;  // what is wrong, never containing a secret
    std::string to_string() const;  // "file:line: path: message"
};

// Thrown by load_config with every problem found.
class config_error : public std::runtime_error {
public:
    explicit config_error(std::vector<problem> problems);
    const std::vector<problem>& problems() const noexcept { return problems_; }

private:
    std::vector<problem> problems_;
};

// Loads and validates a config file. Throws config_error (all problems) or
// config_error with one problem when the file cannot be read or parsed.
config load_config(const std::string& path);
// Same, from text; `env` resolves ${NAME} (nullptr: the process environment). A relative
// *_file path is resolved against the directory of `file_name`.
config parse_config(const std::string& yaml_text, const std::string& file_name,
                    std::optional<std::string> (*env)(const std::string&) = nullptr);

// Parses "500ms", "30s", "5m", "1h", "2d" (also compound "1h30m"; a bare "0" is zero)
// and sizes "16MiB", "512KiB", "1GiB", "10MB", "4KB", "4096" (KB/MB/GB are powers of 1000).
std::optional<duration> parse_duration(std::string_view text);
std::optional<std::size_t> parse_size(std::string_view text);

// Replaces each secret by "***" where it stands as the secret itself (see mask_secret in
// sluice/secret_mask.hpp: not inside another word such as "questdb" for "quest"), and the
// value of every libpq/URI/env password assignment (password=..., PGPASSWORD=...) and the
// password of every "scheme://user:password@host" URI, whether listed as a secret or not.
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace sluice::config
