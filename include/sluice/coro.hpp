#pragma once
// Coroutine conventions of this code base (also in README.md, "Coroutine conventions").
//
// 1. A co_await operand makes no temporary with a destructor. Arguments of the awaited
//    call are named locals (or std::move of one), references, numbers, views or lambdas
//    capturing only by reference ([&], [this], [&x]); never a string literal bound to a
//    std::string parameter, a fmt::format(...) or `a + b` result, another call's result, a
//    braced list, a lambda capturing by value (also not when it becomes a std::function),
//    or a std::optional/shared_ptr/unique_ptr made on the spot:
//
//        co_await conn.exec(fmt::format("CLOSE {}", name));        // no
//        const std::string close_sql = fmt::format("CLOSE {}", name);
//        co_await conn.exec(close_sql);                              // yes
//
//    Why: g++ 12.2 (Debian 12's compiler, the one CI builds with) runs the destructors of
//    an aggregate temporary made inside a co_await expression twice: a closure with
//    by-value captures (also when converted to std::function) or a `S{...}` without
//    constructors. Measured by tests/unit/core/coro_temporaries_test.cpp, which reports
//    it on every g++ build; clang 14 gets it right. It was seen here as a double
//    shared_ptr release in `sluice once` (a lambda capturing a shared_ptr, converted to
//    std::function in the operand). Class temporaries with constructors (std::string,
//    std::optional, shared_ptr) measured fine, but the rule covers them too: a grep
//    cannot tell an aggregate from a class, and a named local costs nothing.
//
// 2. Name the arguments, not the awaitable, when the callee keeps a reference or a view
//    (pg::connection::exec takes std::string_view): `auto a = conn.exec(fmt::format(...));
//    co_await std::move(a);` would leave the coroutine frame pointing at a destroyed
//    string.
//
// 3. No co_await inside a catch handler (g++ 12 rejects it): remember the exception_ptr and
//    await after the handler.
//
// 4. A coroutine lambda passed to co_spawn is passed itself, not invoked
//    (`co_spawn(ex, [&]() -> awaitable<void> {...}, ...)`), so Asio keeps its captures alive.
//
// tools/check-coro-temporaries enforces rule 1 on src/ and include/ (unit suite test
// `coro-temporaries`); its TRIVIAL and LITERAL_OK lists name the provably fine exceptions.
//
// This header has no code: it is the one place the rules are written down next to the code.
