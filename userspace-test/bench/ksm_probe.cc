// SPDX-License-Identifier: MIT
// ksm_probe.cc - drives /sys/kernel/mm/ksm the way its selftests do.
#include "ksm_probe.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace coshare::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const fs::path kKsm = "/sys/kernel/mm/ksm";
constexpr size_t kPage = 4096;

uint64_t read_u64(const fs::path& p)
{
    std::ifstream in(p);
    uint64_t v = 0;
    if (!(in >> v))
        throw std::runtime_error("cannot read " + p.string());
    return v;
}

void write_u64(const std::string& name, uint64_t v)
{
    std::ofstream out(kKsm / name);
    out << v << std::flush;
    if (!out)
        throw std::runtime_error("cannot write " + (kKsm / name).string());
}

// ksmd's utime + stime in seconds, or -1 when it cannot be found.
double ksmd_cpu()
{
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::ifstream comm(e.path() / "comm");
        std::string name;
        if (!(comm >> name) || name != "ksmd")
            continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        std::getline(stat, line);
        auto close = line.rfind(')');
        if (close == std::string::npos)
            return -1;
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14)
                utime = std::stoull(field);
            if (i == 15)
                stime = std::stoull(field);
        }
        return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
    return -1;
}

// Restores the KSM settings it found, whatever happens.
class KsmSettings {
public:
    KsmSettings()
        : run_(read_u64(kKsm / "run")),
          scan_(read_u64(kKsm / "pages_to_scan")),
          sleep_(read_u64(kKsm / "sleep_millisecs"))
    {
    }
    ~KsmSettings()
    {
        try {
            write_u64("run", 2);
            write_u64("pages_to_scan", scan_);
            write_u64("sleep_millisecs", sleep_);
            write_u64("run", run_);
        } catch (...) {
        }
    }

private:
    uint64_t run_, scan_, sleep_;
};

class Mapping {
public:
    explicit Mapping(size_t bytes) : bytes_(bytes)
    {
        p_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p_ == MAP_FAILED)
            throw std::runtime_error("mmap of the KSM buffer failed");
    }
    ~Mapping() { munmap(p_, bytes_); }
    std::span<std::byte> span() { return {static_cast<std::byte*>(p_), bytes_}; }
    void* data() { return p_; }

private:
    void* p_;
    size_t bytes_;
};

void wait_unmerged()
{
    write_u64("run", 2);
    auto until = Clock::now() + std::chrono::seconds(60);
    while (read_u64(kKsm / "pages_sharing") && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

std::string ksm_unavailable_reason()
{
    if (!fs::exists(kKsm / "run"))
        return "this kernel has no KSM (/sys/kernel/mm/ksm is absent)";
    if (geteuid() != 0)
        return "KSM settings need root";
    std::ofstream probe(kKsm / "pages_to_scan", std::ios::app);
    if (!probe)
        return "/sys/kernel/mm/ksm is not writable here";
    return "";
}

void fill_duplicated(std::span<std::byte> buf, size_t dup)
{
    size_t pages = buf.size() / kPage, distinct = pages / dup;
    for (size_t i = 0; i < pages; ++i) {
        uint64_t x = (i % distinct) * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
        for (size_t off = 0; off < kPage; off += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(buf.data() + i * kPage + off, &x, 8);
        }
    }
}

KsmResult measure_ksm(size_t bytes, size_t dup, const KsmParams& p,
                      std::chrono::seconds timeout)
{
    if (auto why = ksm_unavailable_reason(); !why.empty())
        throw std::runtime_error(why);
    KsmSettings restore;
    wait_unmerged();

    Mapping buf(bytes);
    fill_duplicated(buf.span(), dup);
    const uint64_t pages = bytes / kPage;
    const uint64_t expected = pages - pages / dup;

    write_u64("pages_to_scan", p.pages_to_scan);
    write_u64("sleep_millisecs", p.sleep_millisecs);
    KsmResult r{.label = p.label,
                .pages_to_scan = p.pages_to_scan,
                .sleep_millisecs = p.sleep_millisecs};
    double cpu0 = ksmd_cpu();
    auto t0 = Clock::now();
    if (madvise(buf.data(), bytes, MADV_MERGEABLE))
        throw std::runtime_error("madvise(MADV_MERGEABLE) failed");
    write_u64("run", 1);
    for (;;) {
        r.pages_sharing = read_u64(kKsm / "pages_sharing");
        if (r.pages_sharing >= expected) {
            r.reached = true;
            break;
        }
        if (Clock::now() - t0 > timeout)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu1 = ksmd_cpu();
    r.ksmd_cpu_seconds = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    r.pages_shared = read_u64(kKsm / "pages_shared");
    wait_unmerged();
    return r;
}

}  // namespace coshare::bench
