// SPDX-License-Identifier: MIT
// watch.cc - the sampling loop and the real clock.
#include "watch.h"

#include <cerrno>
#include <ctime>

#include "csv.h"
#include "errors.h"
#include "ops.h"

namespace coshare::ctl {

using namespace std::chrono;

system_clock::time_point SystemClock::wall() { return system_clock::now(); }

steady_clock::time_point SystemClock::steady() { return steady_clock::now(); }

bool SystemClock::sleep_until(steady_clock::time_point t)
{
    // nanosleep, not std::this_thread::sleep_until: a signal must end it.
    for (;;) {
        if (stop_ && stop_->load())
            return false;
        auto left = t - steady_clock::now();
        if (left <= steady_clock::duration::zero())
            return true;
        auto s = duration_cast<seconds>(left);
        timespec ts{static_cast<time_t>(s.count()),
                    static_cast<long>(duration_cast<nanoseconds>(left - s)
                                          .count())};
        nanosleep(&ts, nullptr);
    }
}

uint64_t watch(Connection& c, Clock& clock, const WatchOptions& opt,
               std::ostream& out)
{
    const auto step = duration_cast<steady_clock::duration>(opt.interval);
    const auto start = clock.steady();
    out << csv_header() << std::flush;
    uint64_t n = 0;
    for (;;) {
        const auto at = clock.steady();
        const auto wall = clock.wall();
        Snapshot snap = snapshot(c);
        out << csv_rows(wall, duration<double>(at - start).count(), snap)
            << std::flush;
        if (!out)
            throw Error(Exit::failure, "watch: cannot write the CSV output");
        ++n;
        if (opt.count && n >= *opt.count)
            return n;
        if (!clock.sleep_until(start + step * static_cast<int64_t>(n)))
            return n;
    }
}

}  // namespace coshare::ctl
