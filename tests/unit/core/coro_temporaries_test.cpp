// The compiler behaviour behind include/sluice/coro.hpp's first rule, measured on every
// build: a tracked object is created and destroyed around a suspending co_await, once in
// the forms the rule forbids and once in the named-local forms it asks for. The named
// forms must balance on every compiler; the forbidden ones are only reported (g++ 12
// destroys them twice, clang does not), so the test says which compiler needs the rule.
#include <doctest/doctest.h>

#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace {

int alive = 0;

struct tracked {
    tracked() { ++alive; }
    tracked(const tracked&) { ++alive; }
    tracked(tracked&&) noexcept { ++alive; }
    ~tracked() { --alive; }
    int value() const { return 1; }
};

struct aggregate {  // no constructor: `aggregate{...}` is aggregate initialisation
    tracked t;
};

asio::awaitable<void> suspend() { co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable); }

template <class F>
asio::awaitable<int> call_after_suspending(F&& f) {
    co_await suspend();
    co_return f();
}

asio::awaitable<int> with_function(std::function<int()> f) {
    co_await suspend();
    co_return f();
}

asio::awaitable<int> with_aggregate(const aggregate& a) {
    co_await suspend();
    co_return a.t.value();
}

struct balance {
    int named = 0;      // alive after the named-local forms (must be 0)
    int forbidden = 0;  // alive after the forbidden forms (g++ 12: negative)
};

balance measure() {
    balance out;
    asio::io_context io;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        alive = 0;
        {
            auto l = [t = tracked()] { return t.value(); };
            co_await call_after_suspending(l);
            const std::function<int()> f = [t = tracked()] { return t.value(); };
            co_await with_function(f);
            const aggregate a{tracked()};
            co_await with_aggregate(a);
        }
        out.named = alive;
        alive = 0;
        {
            co_await call_after_suspending([t = tracked()] { return t.value(); });
            co_await with_function([t = tracked()] { return t.value(); });
            co_await with_aggregate(aggregate{tracked()});
        }
        out.forbidden = alive;
    }, asio::detached);
    io.run();
    return out;
}

}  // namespace

TEST_CASE("named co_await arguments are destroyed exactly once (sluice/coro.hpp)") {
    const balance b = measure();
    CHECK(b.named == 0);
    if (b.forbidden != 0)
        MESSAGE("this compiler destroys temporaries of a co_await operand more than once (",
                -b.forbidden, " extra destructor calls): the rule in sluice/coro.hpp is needed");
}
