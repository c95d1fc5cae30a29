#pragma once
// The bounded channel between sources and the writer (DESIGN.md §2). Bounded
// both in batches and in bytes, counted from send() until the receiver's
// release() (queued or being written alike, so batches the writer groups into
// one transaction still count): a sender waits while either limit is reached,
// so a slow destination slows every source and memory never grows with table
// size.
//
// Boost 1.81's channel close() drops buffered batches and leaves blocked senders
// hanging (TOOLCHAIN.md), so the stream is ended in-band: close() enqueues an
// end-of-stream marker behind the buffered batches; shutdown() is the hard stop.
//
// Thread safety: every member may be called from any thread of the pool.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sluice/batch.hpp"

namespace sluice {

class batch_channel {
public:
    batch_channel(boost::asio::any_io_executor ex, std::size_t max_batches, std::size_t max_bytes);
    ~batch_channel();
    batch_channel(const batch_channel&) = delete;
    batch_channel& operator=(const batch_channel&) = delete;

    // Waits for room (backpressure). Throws if the channel was shut down.
    boost::asio::awaitable<void> send(batch_ptr b);
    // Next batch, or nullptr once close() was called and everything before it
    // was received (or after shutdown()).
    boost::asio::awaitable<batch_ptr> receive();
    // The next batch if one is queued (nullptr: the end-of-stream marker), else
    // nothing; never waits. How the writer groups what is already queued.
    std::optional<batch_ptr> try_receive();
    // Called by the receiver once it is done with `batches` batches of `bytes`
    // bytes in all: frees their share of both limits.
    void release(std::size_t bytes, std::size_t batches = 1);

    // Graceful end: the receiver gets every batch sent so far, then nullptr.
    boost::asio::awaitable<void> close();
    // Hard stop: wakes blocked senders (they throw) and receivers (nullptr).
    void shutdown();

    std::size_t depth() const noexcept { return depth_.load(); }
    std::size_t bytes_in_flight() const noexcept { return bytes_.load(); }
    std::size_t max_batches() const noexcept { return max_batches_; }
    std::size_t max_bytes() const noexcept { return max_bytes_; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::size_t max_batches_;
    std::size_t max_bytes_;
    std::atomic<std::size_t> depth_{0};
    std::atomic<std::size_t> bytes_{0};
    std::size_t unreleased_ = 0;  // batches sent and not yet released (under impl's mutex)
};

}  // namespace sluice
