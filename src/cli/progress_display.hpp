#pragma once
// Live progress of `sluice once` on stderr: per table rows, rows/s and an ETA
// where the source can estimate the row count. On a terminal the lines are
// redrawn in place once a second; otherwise (journald, CI logs) a plain line per
// table is printed every 10 seconds, so logs are not flooded.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sluice/pipeline.hpp"

namespace sluice::cli {

class progress_display {
public:
    explicit progress_display(bool tty) : tty_(tty) {}

    void set_tables(progress_list tables);
    // Redraws until stop() is called.
    boost::asio::awaitable<void> run();
    // Ends the display; on a terminal draws the final counts first, so the
    // last frame is exact before the summary is printed.
    void stop();

    // One table's line: "src.t  12,000 rows  3,000 rows/s  ETA 4s" (pure, for tests).
    static std::string format_line(const std::string& name, std::uint64_t rows, double rows_per_s,
                                   std::int64_t estimate);

private:
    void draw(double seconds_since_last);

    bool tty_;
    std::atomic<bool> stopped_{false};
    std::mutex mutex_;
    progress_list tables_;
    std::vector<std::uint64_t> last_rows_;
    std::size_t lines_drawn_ = 0;
};

}  // namespace sluice::cli
