#include "sources/postgres/query_builder.hpp"

#include <fmt/format.h>

#include "sources/postgres/type_map.hpp"

namespace sluice::postgres {

namespace {

std::string qi(std::string_view name) { return pg::connection::quote_ident(name); }

std::size_t source_columns(const table_schema& s) {
    return s.synthetic_key ? s.columns.size() - 1 : s.columns.size();
}

std::string placeholder(const table_schema& s, std::size_t col, std::size_t param_no) {
    return fmt::format("${}{}", param_no, param_cast(s.columns[col]));
}

// (c1 > $1 OR (c1 = $1 AND (c2 > $2 OR (...)))): the row comparison spelled out,
// for servers without SQL-standard row-wise comparison (Redshift's 8.0 base).
std::string expanded_after(const table_schema& s, const std::vector<std::size_t>& cols, std::size_t i,
                           std::size_t first_param) {
    const auto col = qi(s.columns[cols[i]].name);
    const auto ph = placeholder(s, cols[i], first_param + i);
    if (i + 1 == cols.size()) return fmt::format("{} > {}", col, ph);
    return fmt::format("({} > {} OR ({} = {} AND ({})))", col, ph, col, ph,
                       expanded_after(s, cols, i + 1, first_param));
}

// Strictly after the given values of `cols`, with parameters $first_param...
std::string after(const table_schema& s, const std::vector<std::size_t>& cols, std::size_t first_param,
                  bool row_compare) {
    if (cols.size() == 1 || !row_compare) return expanded_after(s, cols, 0, first_param);
    std::string lhs, rhs;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (i) {
            lhs += ", ";
            rhs += ", ";
        }
        lhs += qi(s.columns[cols[i]].name);
        rhs += placeholder(s, cols[i], first_param + i);
    }
    return fmt::format("({}) > ({})", lhs, rhs);
}

std::string order_by(const table_schema& s, const std::vector<std::size_t>& cols, bool nulls_first) {
    std::string out = " ORDER BY ";
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (i) out += ", ";
        out += qi(s.columns[cols[i]].name);
        if (i == 0 && nulls_first) out += " NULLS FIRST";
    }
    return out;
}

std::string base_select(const table_schema& s) {
    return "SELECT " + select_list(s) + " FROM " + s.source_table;
}

}  // namespace

std::string select_list(const table_schema& s) {
    std::string out;
    for (std::size_t i = 0; i < source_columns(s); ++i) {
        if (i) out += ", ";
        const auto& c = s.columns[i];
        if (select_as_json(c))
            out += fmt::format("to_json({0})::text AS {0}", qi(c.name));
        else
            out += qi(c.name);
    }
    return out;
}

read_query keyset_query(const table_schema& s, const keyset_request& req) {
    read_query q;
    q.sql = base_select(s);
    const auto& lead = s.columns[req.order.front()];
    // Only a nullable leading column has a NULL section to put first (and a
    // plain ORDER BY lets PostgreSQL walk a btree index).
    bool nulls_first = false;
    switch (req.bound) {
        case bound_kind::start:
            nulls_first = lead.nullable;
            break;
        case bound_kind::after:
            if (!req.from.front()) {  // inside the NULL section of the leading column
                nulls_first = true;
                const std::vector<std::size_t> rest(req.order.begin() + 1, req.order.end());
                if (rest.empty()) {
                    q.sql += fmt::format(" WHERE {} IS NOT NULL", qi(lead.name));
                } else {
                    q.sql += fmt::format(" WHERE ({0} IS NULL AND {1}) OR {0} IS NOT NULL", qi(lead.name),
                                         after(s, rest, 1, req.row_compare));
                    q.params.assign(req.from.begin() + 1, req.from.end());
                }
            } else {
                q.sql += " WHERE " + after(s, req.order, 1, req.row_compare);
                q.params = req.from;
            }
            break;
        case bound_kind::at_or_after:
            q.sql += fmt::format(" WHERE {} >= {}", qi(lead.name), placeholder(s, req.order.front(), 1));
            q.params = {req.from.front()};
            break;
    }
    q.sql += order_by(s, req.order, nulls_first);
    if (req.limit) q.sql += fmt::format(" LIMIT {}", *req.limit);
    return q;
}

namespace {

std::string group_lower(const table_schema& s, const std::optional<std::string>& lower, bool inclusive,
                        read_query& q) {
    const auto c = *s.cursor_column;
    std::string where = fmt::format(" WHERE {} IS NOT NULL", qi(s.columns[c].name));
    if (lower) {
        q.params.push_back(*lower);
        where += fmt::format(" AND {} {} {}", qi(s.columns[c].name), inclusive ? ">=" : ">",
                             placeholder(s, c, q.params.size()));
    }
    return where;
}

}  // namespace

read_query group_upper_query(const table_schema& s, const std::optional<std::string>& lower, bool inclusive,
                             std::size_t n) {
    read_query q;
    const auto& c = s.columns[*s.cursor_column];
    q.sql = fmt::format("SELECT {} FROM {}", qi(c.name), s.source_table);
    q.sql += group_lower(s, lower, inclusive, q);
    // OFFSET inside one bounded window (n rows past a keyset bound), not over the table.
    q.sql += fmt::format(" ORDER BY {} LIMIT 1 OFFSET {}", qi(c.name), n > 0 ? n - 1 : 0);
    return q;
}

read_query group_page_query(const table_schema& s, const std::optional<std::string>& lower, bool inclusive,
                            const std::optional<std::string>& upper) {
    read_query q;
    const auto c = *s.cursor_column;
    q.sql = base_select(s) + group_lower(s, lower, inclusive, q);
    if (upper) {
        q.params.push_back(*upper);
        q.sql += fmt::format(" AND {} <= {}", qi(s.columns[c].name), placeholder(s, c, q.params.size()));
    }
    q.sql += " ORDER BY " + qi(s.columns[c].name);
    return q;
}

read_query null_group_query(const table_schema& s) {
    return {fmt::format("{} WHERE {} IS NULL", base_select(s), qi(s.columns[*s.cursor_column].name)), {}};
}

read_query content_order_query(const table_schema& s) {
    read_query q{base_select(s) + " ORDER BY ", {}};
    for (std::size_t i = 0; i < source_columns(s); ++i) {
        if (i) q.sql += ", ";
        const auto& c = s.columns[i];
        // Text form: json, xml and friends have no ordering operator.
        if (select_as_json(c))
            q.sql += fmt::format("to_json({})::text", qi(c.name));
        else
            q.sql += fmt::format("{}::text", qi(c.name));
    }
    return q;
}

read_query summary_query(const table_schema& s, const bucket_query& q, const std::optional<std::string>& lo,
                         const std::string& hi) {
    const auto& c = s.columns[q.time_column];
    const auto col = qi(c.name);
    const std::string P = std::to_string(fingerprint_modulus);
    // extract(epoch) is exact (numeric) and reads timestamp without time zone as UTC,
    // like the decoder: the same instant the destination stores.
    std::string inner = fmt::format("SELECT floor(extract(epoch from {}) * 1000)::bigint AS ms", col);
    for (std::size_t i = 0; i < q.int_columns.size(); ++i)
        inner += fmt::format(", {} AS i{}", qi(s.columns[q.int_columns[i]].name), i);
    read_query out;
    inner += " FROM " + s.source_table + " WHERE ";
    if (lo) {
        inner += fmt::format("{} >= {} AND ", col, placeholder(s, q.time_column, 1));
        out.params.push_back(*lo);
    }
    inner += fmt::format("{} < {}", col, placeholder(s, q.time_column, out.params.size() + 1));
    out.params.push_back(hi);
    std::string fp = fmt::format("(ms % {})", P);
    for (std::size_t i = 0; i < q.int_columns.size(); ++i) fp += fmt::format(" + (coalesce(i{}, 0) % {})", i, P);
    out.sql = fmt::format("SELECT {} AS b, count(*), sum({})::bigint FROM ({}) x GROUP BY 1 ORDER BY 1",
                          floor_div_sql("ms", q.width_ms), fp, inner);
    return out;
}

read_query range_query(const table_schema& s, const std::string& lo, const std::string& hi) {
    const std::size_t ci = *s.cursor_column;
    const auto col = qi(s.columns[ci].name);
    std::vector<std::size_t> order{ci};
    if (!s.synthetic_key) order.insert(order.end(), s.key.begin(), s.key.end());
    read_query out;
    out.sql = base_select(s) + fmt::format(" WHERE {} >= {} AND {} < {}", col, placeholder(s, ci, 1), col,
                                           placeholder(s, ci, 2)) +
              order_by(s, order, false);
    out.params = {lo, hi};
    return out;
}

read_query key_bounds_query(const table_schema& s) {
    const auto k = qi(s.columns[s.key.front()].name);
    return {fmt::format("SELECT min({0})::text, max({0})::text FROM {1}", k, s.source_table), {}};
}

read_query histogram_bounds_query(const table_schema& s) {
    // pg_stats, not pg_statistic: readable for every column the user may SELECT.
    // A partitioned table's statistics are the inherited ones.
    return {"SELECT u.b FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_catalog.pg_stats st ON st.schemaname = n.nspname AND st.tablename = c.relname "
            "AND st.inherited = (c.relkind = 'p') "
            "CROSS JOIN LATERAL unnest(st.histogram_bounds::text::text[]) WITH ORDINALITY AS u(b, i) "
            "WHERE c.oid = $1::regclass AND st.attname = $2 ORDER BY u.i",
            {s.source_table, s.columns[s.key.front()].name}};
}

read_query end_position_query(const table_schema& s) {
    const auto c = qi(s.columns[*s.cursor_column].name);
    std::string cols = c, order = c + " DESC NULLS LAST";
    for (auto k : s.key) {
        cols += ", " + qi(s.columns[k].name);
        order += ", " + qi(s.columns[k].name) + " DESC";
    }
    return {fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT 1", cols, s.source_table, order), {}};
}

read_query range_rows_query(const table_schema& s, const std::optional<std::string>& lo,
                            const std::optional<std::string>& hi, const std::optional<std::string>& last) {
    const std::size_t kc = s.key.front();
    const auto k = qi(s.columns[kc].name);
    read_query q;
    q.sql = base_select(s);
    std::string where;
    const auto add = [&](const char* op, const std::string& v) {
        q.params.push_back(v);
        where += fmt::format("{}{} {} {}", where.empty() ? " WHERE " : " AND ", k, op, placeholder(s, kc, q.params.size()));
    };
    if (lo) add(">=", *lo);
    if (hi) add("<", *hi);
    if (last) add(">", *last);
    q.sql += where + " ORDER BY " + k;
    return q;
}

std::string with_literals(const read_query& q) {
    const std::string_view sql = q.sql;
    std::string out;
    out.reserve(sql.size() + 32 * q.params.size());
    for (std::size_t i = 0; i < sql.size();) {
        const char c = sql[i];
        if (c == '"' || c == '\'') {
            // Copy a quoted identifier or literal whole (a doubled quote stays inside it).
            std::size_t j = i + 1;
            for (; j < sql.size(); ++j) {
                if (sql[j] != c) continue;
                if (j + 1 < sql.size() && sql[j + 1] == c) {
                    ++j;
                    continue;
                }
                break;
            }
            out.append(sql.substr(i, j + 1 - i));
            i = j + 1;
            continue;
        }
        if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '1' && sql[i + 1] <= '9') {
            std::size_t j = i + 1, n = 0;
            for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9'; ++j) n = n * 10 + static_cast<std::size_t>(sql[j] - '0');
            if (n >= 1 && n <= q.params.size()) {
                const auto& p = q.params[n - 1];
                out += p ? pg::connection::quote_literal(*p) : std::string("NULL");
                i = j;
                continue;
            }
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

}  // namespace sluice::postgres
