#pragma once
// Long reads check between pages whether their coroutine was cancelled, so a
// stopped task ends promptly instead of finishing the whole table.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

namespace sluice {

// Throws boost::system::system_error(operation_aborted) once the calling
// coroutine's cancellation state reports a cancellation.
inline boost::asio::awaitable<void> throw_if_cancelled() {
    const auto state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted);
}

}  // namespace sluice
