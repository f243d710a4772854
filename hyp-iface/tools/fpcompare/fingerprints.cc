// SPDX-License-Identifier: MIT
// fingerprints.cc - decoding guests' fingerprint dumps and the sharing
// oracle over them: one content space for all guests and classes, the first
// occurrence kept, every other one a frame saved in its own class and guest.
#include "fingerprints.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_set>

#include "cs_hash.h"

namespace coshare::fpcompare {

using nlohmann::json;

const std::array<std::string_view, kClassCount> kClassNames = {
    "kernel text", "kernel rodata", "process text", "free (zero)", "in use"};
const std::array<std::string_view, kClassCount> kClassKeys = {
    "kernel_text", "kernel_rodata", "process_text", "free", "in_use"};

FormatError::FormatError(std::string file, uint64_t record,
                         const std::string& why)
    : std::runtime_error(file + ": record " + std::to_string(record) + ": " +
                         why),
      file_(std::move(file)),
      record_(record)
{
}

namespace {

uint64_t load_le(const std::byte* p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | std::to_integer<uint64_t>(p[i]);
    return v;
}

}  // namespace

std::vector<Record> decode_fingerprints(std::span<const std::byte> bytes,
                                        const std::string& name)
{
    const size_t whole = bytes.size() / kRecordSize;
    std::vector<Record> records;
    records.reserve(whole);
    for (size_t i = 0; i < whole; ++i) {
        const std::byte* p = bytes.data() + i * kRecordSize;
        Record r{load_le(p, 8), static_cast<uint32_t>(load_le(p + 8, 4)),
                 static_cast<uint32_t>(load_le(p + 12, 4))};
        if (r.cls >= kClassCount)
            throw FormatError(name, i,
                              "class " + std::to_string(r.cls) +
                                  " out of range (0.." + std::to_string(kClassCount - 1) + ")");
        if (r.flags != 0) {
            char flags[16];
            std::snprintf(flags, sizeof flags, "0x%x", r.flags);
            throw FormatError(name, i,
                              std::string("flags ") + flags + " must be 0");
        }
        records.push_back(r);
    }
    if (size_t rest = bytes.size() % kRecordSize; rest != 0)
        throw FormatError(name, whole,
                          "truncated to " + std::to_string(rest) +
                              " bytes: file size " +
                              std::to_string(bytes.size()) +
                              " is not a multiple of 16");
    return records;
}

std::vector<Record> read_fingerprints(const std::filesystem::path& path)
{
    const std::string name = path.string();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
        std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f)
        throw std::runtime_error(name + ": cannot open: " +
                                 std::strerror(errno));
    // sysfs reports no size: read to the end.
    std::vector<std::byte> bytes;
    constexpr size_t kChunk = 1 << 16;
    for (;;) {
        size_t have = bytes.size();
        bytes.resize(have + kChunk);
        size_t got = std::fread(bytes.data() + have, 1, kChunk, f.get());
        bytes.resize(have + got);
        if (got < kChunk)
            break;
    }
    if (std::ferror(f.get()))
        throw std::runtime_error(name + ": cannot read: " +
                                 std::strerror(errno));
    return decode_fingerprints(bytes, name);
}

uint64_t default_zero_hash()
{
    alignas(kPageSize) static const unsigned char zero[kPageSize] = {};
    return cs_hash_page(zero);
}

std::string hex64(uint64_t v)
{
    char buf[19];
    std::snprintf(buf, sizeof buf, "0x%016llx",
                  static_cast<unsigned long long>(v));
    return buf;
}

std::optional<uint64_t> parse_hex64(std::string_view s)
{
    if (s.starts_with("0x") || s.starts_with("0X"))
        s.remove_prefix(2);
    if (s.empty() || s.size() > 16)
        return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

Report compare(const std::vector<std::vector<Record>>& guests,
               uint64_t zero_hash)
{
    Report report;
    report.zero_hash = zero_hash;
    report.guests.resize(guests.size());
    size_t total = 0;
    for (const auto& g : guests)
        total += g.size();
    std::unordered_set<uint64_t> seen;
    seen.reserve(total);

    for (size_t gi = 0; gi < guests.size(); ++gi) {
        GuestReport& guest = report.guests[gi];
        for (const Record& r : guests[gi]) {
            if (r.cls >= kClassCount)
                throw std::invalid_argument("compare: class " +
                                            std::to_string(r.cls) +
                                            " out of range");
            uint64_t content = r.cls == kClassFree ? zero_hash : r.hash;
            bool first = seen.insert(content).second;
            for (Counts* c : {&report.by_class[r.cls], &guest.by_class[r.cls],
                              &guest.total, &report.total}) {
                ++c->pages;
                ++(first ? c->distinct : c->saved);
            }
        }
    }
    return report;
}

namespace {

std::string guest_name(const std::vector<std::string>& names, size_t i)
{
    return i < names.size() ? names[i] : "guest " + std::to_string(i);
}

double mib(uint64_t pages)
{
    return static_cast<double>(pages * kPageSize) / (1024.0 * 1024.0);
}

void append_row(std::string& out, const std::string& label, int width,
                const Counts& c)
{
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-*s %12llu %12llu %12llu %8.1f%%\n",
                  width, label.c_str(),
                  static_cast<unsigned long long>(c.pages),
                  static_cast<unsigned long long>(c.distinct),
                  static_cast<unsigned long long>(c.saved),
                  c.saved_percent());
    out += buf;
}

void append_header(std::string& out, const char* first, int width)
{
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-*s %12s %12s %12s %9s\n", width, first,
                  "pages", "distinct", "saved", "saved %");
    out += buf;
}

json counts_json(const Counts& c)
{
    return {{"pages", c.pages},
            {"distinct", c.distinct},
            {"saved", c.saved},
            {"saved_percent", c.saved_percent()}};
}

json classes_json(const std::array<Counts, kClassCount>& by_class)
{
    json j = json::object();
    for (size_t c = 0; c < kClassCount; ++c) {
        json o = counts_json(by_class[c]);
        o["id"] = c;
        j[std::string(kClassKeys[c])] = std::move(o);
    }
    return j;
}

}  // namespace

std::string to_text(const Report& report,
                    const std::vector<std::string>& names)
{
    size_t width = 14;
    for (size_t i = 0; i < report.guests.size(); ++i)
        width = std::max(width, guest_name(names, i).size());
    const int w = static_cast<int>(width);

    std::string out;
    append_header(out, "class", w);
    for (size_t c = 0; c < kClassCount; ++c)
        append_row(out, std::string(kClassNames[c]), w, report.by_class[c]);
    out += "\n";
    append_header(out, "guest", w);
    for (size_t i = 0; i < report.guests.size(); ++i)
        append_row(out, guest_name(names, i), w, report.guests[i].total);
    out += "\n";
    append_row(out, "total", w, report.total);

    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "\n%zu guest%s, zero hash %s\n"
                  "could save %.1f MiB of %.1f MiB (%.1f%%)\n",
                  report.guests.size(), report.guests.size() == 1 ? "" : "s",
                  hex64(report.zero_hash).c_str(),
                  mib(report.total.saved), mib(report.total.pages),
                  report.total.saved_percent());
    out += buf;
    return out;
}

json to_json(const Report& report, const std::vector<std::string>& names)
{
    json guests = json::array();
    for (size_t i = 0; i < report.guests.size(); ++i) {
        json g = counts_json(report.guests[i].total);
        g["name"] = guest_name(names, i);
        g["classes"] = classes_json(report.guests[i].by_class);
        guests.push_back(std::move(g));
    }
    json total = counts_json(report.total);
    total["mib"] = mib(report.total.pages);
    total["saved_mib"] = mib(report.total.saved);
    return {{"page_size", kPageSize},
            {"zero_hash", hex64(report.zero_hash)},
            {"classes", classes_json(report.by_class)},
            {"guests", std::move(guests)},
            {"total", std::move(total)}};
}

}  // namespace coshare::fpcompare
