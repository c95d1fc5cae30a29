#include "cli/progress_display.hpp"

#include <cstdio>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sluice::cli {

namespace asio = boost::asio;

void progress_display::set_tables(progress_list tables) {
    std::lock_guard lock(mutex_);
    tables_ = std::move(tables);
    last_rows_.assign(tables_.size(), 0);
}

std::string progress_display::format_line(const std::string& name, std::uint64_t rows, double rows_per_s,
                                          std::int64_t estimate) {
    std::string line = fmt::format("{}: {} rows", name, rows);
    if (rows_per_s > 0) line += fmt::format(", {:.0f} rows/s", rows_per_s);
    // reltuples-style estimates are approximate: no ETA once we are past them.
    if (estimate > 0 && rows_per_s > 0 && static_cast<std::uint64_t>(estimate) > rows) {
        const auto eta = static_cast<std::int64_t>(static_cast<double>(estimate - static_cast<std::int64_t>(rows)) /
                                                   rows_per_s);
        line += fmt::format(", ~{}%, ETA {}s", rows * 100 / static_cast<std::uint64_t>(estimate), eta);
    }
    return line;
}

void progress_display::draw(double seconds) {
    std::lock_guard lock(mutex_);
    std::string out;
    if (tty_ && lines_drawn_ > 0) out += fmt::format("\x1b[{}A", lines_drawn_);  // back to the first line
    for (std::size_t i = 0; i < tables_.size(); ++i) {
        const auto& p = *tables_[i];
        const std::uint64_t rows = p.rows_written.load();
        const double rate = seconds > 0 ? static_cast<double>(rows - last_rows_[i]) / seconds : 0;
        last_rows_[i] = rows;
        std::string line = format_line(p.name, rows, rate, p.rows_estimate.load());
        if (p.failed.load()) line += " (failed)";
        if (tty_) out += "\x1b[2K";  // clear the old line before writing the new one
        out += line;
        out += '\n';
    }
    lines_drawn_ = tables_.size();
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
}

asio::awaitable<void> progress_display::run() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    const auto tick = tty_ ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(10000);
    auto last = std::chrono::steady_clock::now();
    // Wake every 100 ms to notice stop() quickly, draw once per tick.
    while (!stopped_.load()) {
        timer.expires_after(std::chrono::milliseconds(100));
        co_await timer.async_wait(asio::use_awaitable);
        if (stopped_.load()) break;
        const auto now = std::chrono::steady_clock::now();
        if (now - last >= tick) {
            draw(std::chrono::duration<double>(now - last).count());
            last = now;
        }
    }
}

void progress_display::stop() {
    if (stopped_.exchange(true)) return;
    if (tty_) draw(0);
}

}  // namespace sluice::cli
