#pragma once
// Runs a blocking function on another executor (the SQLite destination's own
// thread) and resumes the awaiting coroutine on its own executor afterwards, so
// sqlite3 calls never block the shared pool. Exceptions travel back too.

#include <exception>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::sqlite {

namespace detail {

// `work` keeps the caller's executor alive (an io_context must not run out of
// work while the result is still on its way back).
template <class Handler, class... Args>
void complete(Handler handler, Args... args) {
    auto home = boost::asio::get_associated_executor(handler);
    auto work = boost::asio::prefer(home, boost::asio::execution::outstanding_work.tracked);
    boost::asio::post(home, [h = std::move(handler), work, ... a = std::move(args)]() mutable {
        std::move(h)(std::move(a)...);
    });
}

}  // namespace detail

template <class Executor, class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_on(Executor ex, F fn) {
    using R = std::invoke_result_t<F&>;
    using boost::asio::use_awaitable_t;
    // The initiations are named locals: a lambda capturing by value inside the co_await
    // expression is destroyed twice by g++ 12 (sluice/coro.hpp).
    if constexpr (std::is_void_v<R>) {
        auto initiation = [ex](auto handler, F f) {
            auto work = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                            boost::asio::execution::outstanding_work.tracked);
            boost::asio::post(ex, [h = std::move(handler), f = std::move(f), work]() mutable {
                std::exception_ptr ep;
                try {
                    f();
                } catch (...) {
                    ep = std::current_exception();
                }
                detail::complete(std::move(h), ep);
            });
        };
        co_await boost::asio::async_initiate<const use_awaitable_t<>&, void(std::exception_ptr)>(
            std::move(initiation), boost::asio::use_awaitable, std::move(fn));
    } else {
        auto initiation = [ex](auto handler, F f) {
            auto work = boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                            boost::asio::execution::outstanding_work.tracked);
            boost::asio::post(ex, [h = std::move(handler), f = std::move(f), work]() mutable {
                std::exception_ptr ep;
                R r{};
                try {
                    r = f();
                } catch (...) {
                    ep = std::current_exception();
                }
                detail::complete(std::move(h), ep, std::move(r));
            });
        };
        co_return co_await boost::asio::async_initiate<const use_awaitable_t<>&, void(std::exception_ptr, R)>(
            std::move(initiation), boost::asio::use_awaitable, std::move(fn));
    }
}

}  // namespace sluice::sqlite
