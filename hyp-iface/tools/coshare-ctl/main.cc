// SPDX-License-Identifier: MIT
// main.cc - coshare-ctl: dom0's control tool for coshare.  Wires the real
// backend (libxencall, libxenctrl), the real clock and signal handling to
// the command logic in cli.cc.
#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include "backend_xencall.h"
#include "cli.h"

using namespace coshare::ctl;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// Only watch sleeps; SIGINT/SIGTERM then end it after the current sample.
void catch_stop_signals()
{
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv)
{
    static_assert(std::atomic<bool>::is_always_lock_free);
    std::unique_ptr<XencallHypervisor> hv;
    XenctrlDomains domains;
    std::unique_ptr<SystemClock> clock;

    Env env{
        std::cout,
        std::cerr,
        [&]() -> Connection {
            if (!hv)
                hv = std::make_unique<XencallHypervisor>();
            return {*hv, domains};
        },
        [&]() -> Clock& {
            if (!clock) {
                catch_stop_signals();
                clock = std::make_unique<SystemClock>(&g_stop);
            }
            return *clock;
        },
    };
    return run(argc, argv, env);
}
