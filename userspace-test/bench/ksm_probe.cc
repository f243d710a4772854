// SPDX-License-Identifier: MIT
// ksm_probe.cc - drives /sys/kernel/mm/ksm to time the host's KSM merging a
// buffer of known duplication, leaving the KSM settings as it found them.
// Linux only; needs root.
#include "ksm_probe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace coshare::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const fs::path kKsm = "/sys/kernel/mm/ksm";
constexpr auto kPoll = std::chrono::milliseconds(10);

// The knobs measure_ksm() changes, and so saves and restores.
constexpr const char* kWritten[] = {"run", "pages_to_scan", "sleep_millisecs"};

size_t page_size()
{
    static const size_t sz = size_t(sysconf(_SC_PAGESIZE));
    return sz;
}

std::string err_text(int err)
{
    return std::string(std::strerror(err));
}

uint64_t read_ksm(const char* name)
{
    std::ifstream in(kKsm / name);
    uint64_t v;
    if (!(in >> v))
        throw std::runtime_error("cannot read an integer from " +
                                 (kKsm / name).string());
    return v;
}

// POSIX write rather than ofstream, for the errno sysfs answers with.
void write_ksm(const char* name, uint64_t v)
{
    const std::string path = (kKsm / name).string();
    const std::string text = std::to_string(v);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot open " + path + " for writing: " +
                                 err_text(errno));
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = errno;
    ::close(fd);
    if (n != ssize_t(text.size())) {
        std::string msg = "writing " + text + " to " + path + " failed: " +
                          (n < 0 ? err_text(err) : "short write");
        if (n < 0 && err == EINVAL && std::strcmp(name, "pages_to_scan") == 0)
            msg += " (is advisor_mode on? it owns pages_to_scan)";
        throw std::runtime_error(msg);
    }
}

// Polls pages_sharing every kPoll until it is 0; false on timeout.
bool wait_unmerged(Clock::time_point until)
{
    while (read_ksm("pages_sharing") != 0) {
        if (Clock::now() >= until)
            return false;
        std::this_thread::sleep_for(kPoll);
    }
    return true;
}

// The global counters also count other mergeable processes (a QEMU guest,
// say), which could end the wait before this buffer is merged.  So where the
// kernel has /proc/self/ksm_merging_pages (6.1+: this process's pages mapped
// to KSM pages, all n_pages when done) that must be complete too.
bool own_merged(uint64_t own_expected)
{
    std::ifstream in("/proc/self/ksm_merging_pages");
    uint64_t v;
    if (!(in >> v))
        return true;
    return v >= own_expected;
}

// /proc/<pid> of the ksmd kernel thread, if there is one.
std::optional<fs::path> find_ksmd()
{
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename().string();
        if (pid.empty() || pid.find_first_not_of("0123456789") != pid.npos)
            continue;
        std::ifstream comm(e.path() / "comm");
        std::string name;
        if (std::getline(comm, name) && name == "ksmd")
            return e.path();
    }
    return std::nullopt;
}

// utime + stime of /proc/<pid>/stat in seconds, or -1.  The fields after
// the parenthesised comm start at field 3; utime and stime are 14 and 15.
double cpu_seconds(const std::optional<fs::path>& proc)
{
    if (!proc)
        return -1;
    std::ifstream in(*proc / "stat");
    std::string line;
    if (!std::getline(in, line))
        return -1;
    const auto paren = line.rfind(')');
    if (paren == line.npos)
        return -1;
    std::istringstream fields(line.substr(paren + 1));
    std::string skip;
    for (int field = 3; field < 14; ++field)
        fields >> skip;
    uint64_t utime, stime;
    if (!(fields >> utime >> stime))
        return -1;
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// Saves the knobs measure_ksm() changes; on the way out sets run=2 so every
// merged page is released, then puts the saved values back.  Destructors
// cannot throw, so failures there are reported on stderr.
class KsmSettings {
public:
    KsmSettings()
        : run_(read_ksm("run")),
          pages_to_scan_(read_ksm("pages_to_scan")),
          sleep_millisecs_(read_ksm("sleep_millisecs"))
    {
    }
    KsmSettings(const KsmSettings&) = delete;
    KsmSettings& operator=(const KsmSettings&) = delete;
    ~KsmSettings()
    {
        restore("run", 2);
        restore("pages_to_scan", pages_to_scan_);
        restore("sleep_millisecs", sleep_millisecs_);
        restore("run", run_);
    }

private:
    static void restore(const char* name, uint64_t v) noexcept
    {
        try {
            write_ksm(name, v);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ksm_probe: restoring KSM settings: %s\n",
                         e.what());
        }
    }

    uint64_t run_, pages_to_scan_, sleep_millisecs_;
};

// An anonymous private mapping, unmapped on the way out.
class Mapping {
public:
    explicit Mapping(size_t bytes) : bytes_(bytes)
    {
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::runtime_error("mmap of " + std::to_string(bytes) +
                                     " bytes failed: " + err_text(errno));
        addr_ = static_cast<std::byte*>(p);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { munmap(addr_, bytes_); }

    std::span<std::byte> span() const { return {addr_, bytes_}; }

private:
    std::byte* addr_;
    size_t bytes_;
};

uint64_t splitmix64(uint64_t& state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Pages in `bytes`, checked to be a non-zero multiple of dup.
size_t check_pages(size_t bytes, size_t dup)
{
    const size_t pg = page_size();
    if (bytes == 0 || bytes % pg != 0)
        throw std::invalid_argument(
            "ksm_probe: buffer of " + std::to_string(bytes) +
            " bytes is not a whole, non-zero number of " +
            std::to_string(pg) + "-byte pages");
    const size_t pages = bytes / pg;
    if (dup == 0 || pages % dup != 0)
        throw std::invalid_argument(
            "ksm_probe: " + std::to_string(pages) +
            " pages cannot hold each distinct page exactly dup=" +
            std::to_string(dup) + " times");
    return pages;
}

}  // namespace

std::string ksm_unavailable_reason()
{
    std::error_code ec;
    if (!fs::is_directory(kKsm, ec))
        return kKsm.string() + " does not exist (kernel without CONFIG_KSM?)";
    for (const char* name : kWritten)
        if (::access((kKsm / name).c_str(), W_OK) != 0)
            return (kKsm / name).string() + " is not writable: " +
                   err_text(errno);
    for (const char* name : {"pages_shared", "pages_sharing"})
        if (::access((kKsm / name).c_str(), R_OK) != 0)
            return (kKsm / name).string() + " is not readable: " +
                   err_text(errno);
    if (geteuid() != 0)
        return "not running as root (euid " + std::to_string(geteuid()) +
               "); KSM's sysfs settings need root";
    return "";
}

void fill_duplicated(std::span<std::byte> buf, size_t dup)
{
    const size_t pg = page_size();
    const size_t pages = check_pages(buf.size(), dup);
    const size_t distinct = pages / dup;
    // Distinct index d seeds the stream: the first words differ between
    // indices and a page's words are pairwise distinct (splitmix64 is a
    // bijection of distinct states), so pages differ and none is zero.
    for (size_t d = 0; d < distinct; ++d) {
        uint64_t state = d;
        std::byte* page = buf.data() + d * pg;
        for (size_t off = 0; off < pg; off += sizeof(uint64_t)) {
            const uint64_t w = splitmix64(state);
            std::memcpy(page + off, &w, sizeof w);
        }
    }
    for (size_t i = distinct; i < pages; ++i)
        std::memcpy(buf.data() + i * pg, buf.data() + (i - distinct) * pg, pg);
}

KsmResult measure_ksm(size_t bytes, size_t dup, const KsmParams& p,
                      std::chrono::seconds timeout)
{
    const size_t pages = check_pages(bytes, dup);
    const uint64_t expected = pages - pages / dup;
    const uint64_t own_expected = dup > 1 ? pages : 0;
    if (std::string why = ksm_unavailable_reason(); !why.empty())
        throw std::runtime_error("ksm_probe: KSM unavailable: " + why);
    // Past max_page_sharing mappings KSM starts another copy of the page,
    // and pages_sharing would never reach `expected`.
    if (fs::exists(kKsm / "max_page_sharing") &&
        dup > read_ksm("max_page_sharing"))
        throw std::invalid_argument(
            "ksm_probe: dup=" + std::to_string(dup) +
            " exceeds /sys/kernel/mm/ksm/max_page_sharing");

    // Declared before the mapping: the buffer is unmapped first, then run=2
    // releases what KSM still holds and the settings are put back.
    KsmSettings saved;

    write_ksm("run", 2);
    if (!wait_unmerged(Clock::now() + timeout))
        throw std::runtime_error(
            "ksm_probe: pages_sharing did not drop to 0 after run=2");

    Mapping buf(bytes);
    fill_duplicated(buf.span(), dup);

    write_ksm("pages_to_scan", p.pages_to_scan);
    write_ksm("sleep_millisecs", p.sleep_millisecs);
    write_ksm("run", 1);

    KsmResult r;
    r.label = p.label;
    r.pages_to_scan = p.pages_to_scan;
    r.sleep_millisecs = p.sleep_millisecs;

    const auto ksmd = find_ksmd();
    const double cpu0 = cpu_seconds(ksmd);
    const auto t0 = Clock::now();
    if (madvise(buf.span().data(), bytes, MADV_MERGEABLE) != 0)
        throw std::runtime_error("ksm_probe: madvise(MADV_MERGEABLE) failed: " +
                                 err_text(errno));
    for (;;) {
        if (read_ksm("pages_sharing") >= expected &&
            own_merged(own_expected)) {
            r.reached = true;
            break;
        }
        if (Clock::now() - t0 >= timeout)
            break;
        std::this_thread::sleep_for(kPoll);
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu1 = cpu_seconds(ksmd);
    r.ksmd_cpu_seconds = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    r.pages_shared = read_ksm("pages_shared");
    r.pages_sharing = read_ksm("pages_sharing");
    return r;
}

}  // namespace coshare::bench
