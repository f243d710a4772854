// SPDX-License-Identifier: MIT
// bench_engine.cc - Google Benchmark suite of the engine in the simulator.
// Every target is a ratio of two measurements taken in this one run (the
// machine is noisy), printed after the benchmarks with target and verdict.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "content.h"
#include "isolation.h"
#include "ratios.h"

using namespace coshare;
using sim::Host;
using sim::Page;

namespace {

constexpr size_t kSet = 16384;                  // 64 MiB of pages per guest
constexpr size_t kBatch = XEN_COSHARE_BATCH_MAX;

std::vector<uint64_t> gfns(size_t from, size_t n)
{
    std::vector<uint64_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = from + i;
    return v;
}

// Guests 1..n with the same kSet distinct random pages each.
std::unique_ptr<Host> make_host(unsigned guests, size_t spare = 0)
{
    auto h = std::make_unique<Host>(guests * kSet + spare + 64,
                                   Host::kReleaseConfig);
    for (uint16_t d = 1; d <= guests; ++d) {
        h->add_guest(d, kSet);
        h->enable(d, 1);
        for (uint64_t g = 0; g < kSet; ++g)
            h->fill(d, g, sim::random_page(g));
    }
    return h;
}

void unhint_all(Host& h, uint16_t d)
{
    std::vector<xen_coshare_entry_t> ents(kSet);
    for (size_t i = 0; i < kSet; ++i)
        ents[i].gfn = i;
    h.batch(d, XENMEM_sharing_op_coshare_unhint, 0, ents);
}

// Write faults on a batch: what Xen's fault handler calls, nothing else.
void unshare_batch(Host& h, uint16_t d, size_t from)
{
    for (size_t g = from; g < from + kBatch; ++g)
        if (cs_unshare(h.engine(), d, g))
            std::abort();
}

// One iteration = one batch of kBatch pages, everywhere below.
void BM_Memcpy(benchmark::State& st)
{
    std::vector<Page> src(kSet), dst(kSet);
    for (size_t i = 0; i < kSet; ++i)
        src[i] = sim::random_page(i);
    size_t at = 0;
    for (auto _ : st) {
        for (size_t i = at; i < at + kBatch; ++i)
            std::memcpy(dst[i].data(), src[i].data(), sim::kPage);
        benchmark::ClobberMemory();
        at = (at + kBatch) % kSet;
    }
    st.SetBytesProcessed(st.iterations() * kBatch * sim::kPage);
}
BENCHMARK(BM_Memcpy);

// The timed loop of the hint benchmarks: guest d hints its kSet gfns as
// process text a batch at a time, and unhints them all (untimed) when it
// runs out.
void hint_batches(benchmark::State& st, Host& h, uint16_t d)
{
    size_t at = 0;
    for (auto _ : st) {
        if (at == kSet) {
            st.PauseTiming();
            unhint_all(h, d);
            at = 0;
            st.ResumeTiming();
        }
        h.hint(d, XEN_COSHARE_CLASS_PROCESS_TEXT, gfns(at, kBatch));
        at += kBatch;
    }
    st.SetBytesProcessed(st.iterations() * kBatch * sim::kPage);
}

void BM_HintDistinct(benchmark::State& st)
{
    auto h = make_host(1);
    hint_batches(st, *h, 1);
}
BENCHMARK(BM_HintDistinct);

void BM_HintDuplicate(benchmark::State& st)
{
    auto h = make_host(2, kSet);
    h->hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, gfns(0, kSet));
    hint_batches(st, *h, 2);
}
BENCHMARK(BM_HintDuplicate);

// Untouched guest memory hinted as text: zero pages joining the zero frame.
void BM_HintZeroText(benchmark::State& st)
{
    Host h(2 * kSet + 64, Host::kReleaseConfig);
    for (uint16_t d = 1; d <= 2; ++d) {
        h.add_guest(d, kSet);
        h.enable(d, 1);
    }
    h.hint(1, XEN_COSHARE_CLASS_PROCESS_TEXT, gfns(0, 1));
    hint_batches(st, h, 2);
}
BENCHMARK(BM_HintZeroText);

// Write faults on the last guest; `cls` and `guests` pick the path.
void cow_bench(benchmark::State& st, unsigned guests, unsigned cls)
{
    auto h = make_host(guests, kSet);
    for (uint16_t d = 1; d <= guests; ++d)
        h->hint(d, cls, gfns(0, kSet));
    const uint16_t victim = guests;
    size_t at = 0;
    for (auto _ : st) {
        if (at == kSet) {
            st.PauseTiming();
            h->hint(victim, cls, gfns(0, kSet));
            at = 0;
            st.ResumeTiming();
        }
        unshare_batch(*h, victim, at);
        at += kBatch;
    }
}

void BM_CowCopy(benchmark::State& st)
{
    cow_bench(st, 2, XEN_COSHARE_CLASS_PROCESS_TEXT);
}
BENCHMARK(BM_CowCopy);

void BM_CowZero(benchmark::State& st)
{
    cow_bench(st, 2, XEN_COSHARE_CLASS_ZERO);
}
BENCHMARK(BM_CowZero);

void BM_CowNoCopyLast(benchmark::State& st)
{
    cow_bench(st, 1, XEN_COSHARE_CLASS_PROCESS_TEXT);
}
BENCHMARK(BM_CowNoCopyLast);

// A guest of `mappings` pages, four copies of each content, plus a
// second guest sharing all of it; the timed part destroys the first.
void BM_Teardown(benchmark::State& st)
{
    const size_t n = st.range(0);
    for (auto _ : st) {
        st.PauseTiming();
        Host h(2 * n + 64, Host::kReleaseConfig);
        for (uint16_t d = 1; d <= 2; ++d) {
            h.add_guest(d, n);
            h.enable(d, 1);
            for (uint64_t g = 0; g < n; ++g)
                h.fill(d, g, sim::random_page(g % (n / 4)));
            h.hint(d, XEN_COSHARE_CLASS_PROCESS_TEXT, gfns(0, n));
        }
        st.ResumeTiming();
        h.destroy_guest(1, 4096);
        st.PauseTiming();
        if (h.audit())
            std::abort();
        h.destroy_guest(2);
        st.ResumeTiming();
    }
}
BENCHMARK(BM_Teardown)->Arg(10000)->Arg(100000)->Iterations(5)
    ->Unit(benchmark::kMillisecond);

// 100k mappings of one frame (a guest's free pages) destroyed at once.
void BM_TeardownOneFrame(benchmark::State& st)
{
    const size_t n = 100000;
    for (auto _ : st) {
        st.PauseTiming();
        Host h(n + 64, Host::kReleaseConfig);
        h.add_guest(1, n);
        h.enable(1, 1);
        h.hint(1, XEN_COSHARE_CLASS_ZERO, gfns(0, n));
        st.ResumeTiming();
        h.destroy_guest(1, 4096);
    }
}
BENCHMARK(BM_TeardownOneFrame)->Iterations(5)->Unit(benchmark::kMillisecond);

// Engine metadata per tracked page, for four 256 MiB guests.  `shared`
// and `unique` are fractions of hinted non-zero pages; the rest are free.
double metadata_per_page(double zero, double shared)
{
    constexpr size_t kPages = 65536;
    Host h(4 * kPages + 64, Host::kReleaseConfig);
    for (uint16_t d = 1; d <= 4; ++d) {
        h.add_guest(d, kPages);
        h.enable(d, 1);
        size_t nz = size_t(zero * kPages), ns = size_t(shared * kPages);
        std::vector<uint64_t> text;
        for (uint64_t g = nz; g < kPages; ++g) {
            h.fill(d, g, sim::random_page(g < nz + ns ? g : g * 7 + d));
            text.push_back(g);
        }
        h.hint(d, XEN_COSHARE_CLASS_ZERO, gfns(0, nz));
        h.hint(d, XEN_COSHARE_CLASS_PROCESS_TEXT, text);
    }
    auto s = h.global_stats();
    return double(s.meta_bytes) / double(s.mappings);
}

}  // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    bench::CollectingReporter rep;
    benchmark::RunSpecifiedBenchmarks(&rep);
    benchmark::Shutdown();

    std::string json = "bench-results.json";
    if (const char* p = std::getenv("COSHARE_BENCH_JSON"))
        json = p;
    try {
        double memcpy_s = rep.seconds("BM_Memcpy");
        double distinct = memcpy_s / rep.seconds("BM_HintDistinct");
        double dup = memcpy_s / rep.seconds("BM_HintDuplicate");
        double zero_text = rep.seconds("BM_HintDuplicate") /
                           rep.seconds("BM_HintZeroText");
        double nocopy = rep.seconds("BM_CowCopy") /
                        rep.seconds("BM_CowNoCopyLast");
        double zero = rep.seconds("BM_CowCopy") / rep.seconds("BM_CowZero");
        double linear = rep.seconds("BM_Teardown/100000/iterations:5") /
                        rep.seconds("BM_Teardown/10000/iterations:5");
        double one_ms = 1e3 * rep.seconds("BM_TeardownOneFrame/iterations:5");
        double meta_mix = metadata_per_page(0.75, 0.15);
        double meta_dup = metadata_per_page(0.0, 1.0);
        std::vector<bench::Ratio> ratios{
             {"hint distinct pages / 4 KiB memcpy rate", distinct, ">= 0.5",
              distinct >= 0.5},
             {"hint duplicates (hash + compare) / memcpy rate", dup,
              ">= 0.35", dup >= 0.35},
             {"hint zero text pages / hint duplicates rate", zero_text,
              ">= 1.5", zero_text >= 1.5},
             {"CoW copy time / last-mapping no-copy time", nocopy, ">= 5",
              nocopy >= 5},
             {"CoW copy time / zero-fill unshare time", zero, "> 1",
              zero > 1},
             {"teardown 100k mappings / 10k mappings time", linear,
              "<= 12", linear <= 12},
             {"teardown of 100k mappings of one frame (ms)", one_ms, "< 50",
              one_ms < 50},
             {"metadata bytes per tracked page, idle-guest mix", meta_mix,
              "<= 24", meta_mix <= 24},
             {"metadata bytes per tracked page, 4-way duplicates", meta_dup,
              "<= 24", meta_dup <= 24}};
        for (auto& r : bench::isolation_ratios())
            ratios.push_back(std::move(r));
        bool ok = bench::report_ratios(ratios, json);
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::printf("ratios not computed: %s (run without a filter)\n",
                    e.what());
        return 0;
    }
}
