// SPDX-License-Identifier: MIT
// writers.cc - see writers.h.
#include "writers.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace coshare::vm {
namespace {

constexpr size_t kPage = 4096;
using Page = std::array<std::byte, kPage>;
using Clock = std::chrono::steady_clock;

// Each writer goes on past its deadline until it has made this many steps:
// under emulation a guest's vCPUs can be starved for the whole run (ftrace
// patching its text beside it), and a run that wrote nothing checks nothing.
constexpr uint64_t kMinSteps = 64;

// Content every guest's copy of a file has: page i of pattern p.  Pages
// repeat every 61, so a file also shares with itself.
void common_page(Page& out, uint32_t pattern, size_t i)
{
    uint64_t x = pattern * 0x9e3779b97f4a7c15ULL + (i % 61) * 0xbf58476d1ce4e5b9ULL;
    auto* w = reinterpret_cast<uint64_t*>(out.data());
    for (size_t k = 0; k < kPage / 8; ++k) {
        x += 0x9e3779b97f4a7c15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        w[k] = z ^ (z >> 31);
    }
}

void stamp(Page& page, size_t word, uint64_t value)
{
    std::memcpy(page.data() + word % (kPage / 8) * 8, &value, 8);
}

std::string why(const char* what)
{
    return std::string(what) + ": " + strerror(errno);
}

struct File {
    int fd;
    std::byte* map;
    size_t bytes;
    File(const std::string& path, size_t pages, int prot)
        : bytes(pages * kPage)
    {
        fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            throw std::runtime_error(why("open"));
        void* p = mmap(nullptr, bytes, prot, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            throw std::runtime_error(why("mmap"));
        map = static_cast<std::byte*>(p);
    }
    ~File()
    {
        munmap(map, bytes);
        close(fd);
    }
    std::byte* page(size_t i) const { return map + i * kPage; }
    void pwrite_all(const void* buf, size_t len, off_t off) const
    {
        if (::pwrite(fd, buf, len, off) != static_cast<ssize_t>(len))
            throw std::runtime_error(why("pwrite"));
    }
    void pread_all(void* buf, size_t len, off_t off) const
    {
        if (::pread(fd, buf, len, off) != static_cast<ssize_t>(len))
            throw std::runtime_error(why("pread"));
    }
};

// Writes the file's common content with pwrite (its pages are then page
// cache, as another guest's copy of the same file is).
void fill_common(const File& f, size_t pages, uint32_t pattern)
{
    Page p;
    for (size_t i = 0; i < pages; ++i) {
        common_page(p, pattern, i);
        f.pwrite_all(p.data(), kPage, i * kPage);
    }
}

void pin_to_cpu(unsigned cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);   // best effort
}

struct WriterTally {
    uint64_t writes = 0, checks = 0, wrong = 0;
    std::string first_wrong;
};

void file_writer(const File& f, const WriteLoad& load, unsigned t,
                 unsigned threads, Clock::time_point end, WriterTally& tally)
{
    constexpr uint32_t kPattern = 0xc05a;
    pin_to_cpu(t % std::thread::hardware_concurrency());
    std::mt19937_64 rng(load.seed * 1000 + t);
    std::vector<size_t> mine;
    std::vector<Page> want;
    for (size_t i = t; i < load.pages; i += threads) {
        mine.push_back(i);
        want.emplace_back();
        common_page(want.back(), kPattern, i);
    }
    Page got, common;
    auto check = [&](size_t k, bool by_pread) {
        size_t i = mine[k];
        if (by_pread)
            f.pread_all(got.data(), kPage, i * kPage);
        else
            std::memcpy(got.data(), f.page(i), kPage);
        ++tally.checks;
        if (got != want[k]) {
            if (!tally.wrong++)
                tally.first_wrong = "page " + std::to_string(i) +
                                    (by_pread ? " (pread)" : " (mapping)");
        }
    };
    for (uint64_t n = 0; !mine.empty() && (n < kMinSteps || Clock::now() < end);
         ++n) {
        size_t k = rng() % mine.size(), i = mine[k];
        uint64_t value = (uint64_t(t) << 48) | n;
        size_t word = rng();
        switch (rng() % 7) {
        case 0:
        case 1:     // back to what the other guests hold: shared again
            common_page(common, kPattern, i);
            want[k] = common;
            std::memcpy(f.page(i), common.data(), kPage);
            break;
        case 2:
        case 3:     // a stamp of its own: a copy-on-write fault if shared
            stamp(want[k], word, value);
            std::memcpy(f.page(i) + word % (kPage / 8) * 8, &value, 8);
            break;
        case 4:     // the kernel writes it for us
            common_page(common, kPattern, i);
            want[k] = common;
            f.pwrite_all(common.data(), kPage, i * kPage);
            break;
        case 5:
            stamp(want[k], word, value);
            f.pwrite_all(&value, 8, i * kPage + word % (kPage / 8) * 8);
            break;
        default:    // every page of this thread
            for (size_t j = 0; j < mine.size(); ++j)
                check(j, rng() % 2);
            continue;
        }
        ++tally.writes;
        check(k, rng() % 2);
    }
    for (size_t j = 0; j < mine.size(); ++j)
        check(j, false);
}

}  // namespace

int run_file_writers(const WriteLoad& load)
{
    unsigned threads = load.threads ? load.threads
                                    : std::thread::hardware_concurrency();
    File f(load.file, load.pages, PROT_READ | PROT_WRITE);
    fill_common(f, load.pages, 0xc05a);
    // Let the guest's coshare.ko find the pages (and share them) first.
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(load.seconds));
    std::vector<WriterTally> tallies(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            try {
                file_writer(f, load, t, threads, end, tallies[t]);
            } catch (const std::exception& e) {
                tallies[t].wrong++;
                tallies[t].first_wrong = e.what();
            }
        });
    for (auto& th : pool)
        th.join();
    WriterTally all;
    for (const auto& t : tallies) {
        all.writes += t.writes;
        all.checks += t.checks;
        all.wrong += t.wrong;
        if (all.first_wrong.empty())
            all.first_wrong = t.first_wrong;
    }
    nlohmann::json j{{"threads", threads}, {"pages", load.pages},
                     {"writes", all.writes}, {"checks", all.checks},
                     {"wrong", all.wrong}};
    if (all.wrong)
        j["first_wrong"] = all.first_wrong;
    std::cout << j.dump() << std::endl;
    return all.wrong == 0 && all.writes > 0 ? 0 : 1;
}

namespace {

// What the rewritten file's page i holds at version v: even versions are
// the content every guest has, odd ones carry the version as a stamp.
void version_page(Page& out, size_t i, uint64_t v)
{
    common_page(out, 0xe8ec, i);
    if (v % 2)
        stamp(out, i * 7 + v, v);
}

// The two processes' meeting point, in a shared anonymous mapping.
struct Shared {
    std::atomic<uint64_t> stop{0}, reads{0}, wrong_reads{0};
    std::atomic<uint64_t>* seq;     // per page: odd while being rewritten
};

void exec_reader(const WriteLoad& load, Shared& sh)
{
    File f(load.file, load.pages, PROT_READ | PROT_EXEC);
    std::mt19937_64 rng(load.seed);
    Page got, want;
    while (!sh.stop.load(std::memory_order_relaxed)) {
        size_t i = rng() % load.pages;
        uint64_t s1 = sh.seq[i].load(std::memory_order_acquire);
        if (s1 % 2)
            continue;
        std::memcpy(got.data(), f.page(i), kPage);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (sh.seq[i].load(std::memory_order_relaxed) != s1)
            continue;
        version_page(want, i, s1 / 2);
        sh.reads.fetch_add(1, std::memory_order_relaxed);
        if (got != want)
            sh.wrong_reads.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace

int run_exec_rewrite(const WriteLoad& load)
{
    size_t ctl_bytes = sizeof(Shared) + load.pages * sizeof(std::atomic<uint64_t>);
    void* ctl = mmap(nullptr, ctl_bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ctl == MAP_FAILED)
        throw std::runtime_error(why("mmap"));
    auto& sh = *new (ctl) Shared{};
    sh.seq = reinterpret_cast<std::atomic<uint64_t>*>(&sh + 1);
    for (size_t i = 0; i < load.pages; ++i)
        new (&sh.seq[i]) std::atomic<uint64_t>(0);
    File f(load.file, load.pages, PROT_READ | PROT_WRITE);
    Page p;
    for (size_t i = 0; i < load.pages; ++i) {
        version_page(p, i, 0);
        f.pwrite_all(p.data(), kPage, i * kPage);
    }
    pid_t child = fork();
    if (child < 0)
        throw std::runtime_error(why("fork"));
    if (child == 0) {
        int rc = 0;
        try {
            exec_reader(load, sh);
        } catch (const std::exception& e) {
            std::cerr << "exec reader: " << e.what() << '\n';
            rc = 1;
        }
        _exit(rc);
    }

    std::mt19937_64 rng(load.seed + 1);
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(load.seconds));
    // Past the deadline until the reader has read (up to a second term).
    auto last = end + (end - Clock::now());
    uint64_t writes = 0, wrong_readbacks = 0;
    Page got;
    for (;;) {
        auto now = Clock::now();
        if (now >= end && writes >= kMinSteps &&
            (sh.reads.load(std::memory_order_relaxed) || now >= last))
            break;
        size_t i = rng() % load.pages;
        uint64_t s = sh.seq[i].load(std::memory_order_relaxed);
        sh.seq[i].store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        version_page(p, i, s / 2 + 1);
        f.pwrite_all(p.data(), kPage, i * kPage);
        sh.seq[i].store(s + 2, std::memory_order_release);
        ++writes;
        f.pread_all(got.data(), kPage, i * kPage);
        wrong_readbacks += got != p;
    }
    sh.stop = 1;
    int status = 0;
    waitpid(child, &status, 0);
    bool reader_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    nlohmann::json j{{"pages", load.pages},
                     {"writes", writes},
                     {"wrong_readbacks", wrong_readbacks},
                     {"reads", sh.reads.load()},
                     {"wrong_reads", sh.wrong_reads.load()},
                     {"reader_ok", reader_ok}};
    std::cout << j.dump() << std::endl;
    bool ok = reader_ok && writes > 0 && sh.reads > 0 && !wrong_readbacks &&
              !sh.wrong_reads;
    munmap(ctl, ctl_bytes);
    return ok ? 0 : 1;
}

}  // namespace coshare::vm
