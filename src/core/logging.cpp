#include "sluice/logging.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "sluice/config.hpp"
#include "sluice/json.hpp"
#include "sluice/value.hpp"

namespace sluice {

namespace {

class redacting_stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    redacting_stderr_sink(bool json, std::vector<std::string> secrets)
        : json_(json), secrets_(std::move(secrets)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const std::string text =
            config::redact(std::string_view(msg.payload.data(), msg.payload.size()), secrets_);
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch()).count();
        std::string line;
        const auto level = spdlog::level::to_string_view(msg.level);
        if (json_) {
            json::writer w;
            w.begin_object()
                .key("ts").value(format_timestamp_micros(micros))
                .key("level").value(std::string_view(level.data(), level.size()))
                .key("msg").value(text)
                .end_object();
            line = w.take();
        } else {
            line = format_timestamp_micros(micros);
            line.resize(23);  // milliseconds are enough on a terminal
            line += "Z [";
            line.append(level.data(), level.size());
            line += "] ";
            line += text;
        }
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
    void flush_() override { std::fflush(stderr); }

private:
    bool json_;
    std::vector<std::string> secrets_;
};

}  // namespace

void setup_logging(const std::string& level, const std::string& format, std::vector<std::string> secrets) {
    auto sink = std::make_shared<redacting_stderr_sink>(format == "json", std::move(secrets));
    auto logger = std::make_shared<spdlog::logger>("sluice", sink);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace sluice
