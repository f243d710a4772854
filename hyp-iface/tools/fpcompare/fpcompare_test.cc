// SPDX-License-Identifier: MIT
// fpcompare_test.cc - the fingerprint oracle the nested-VM suite trusts:
// dump decoding and its errors, sharing across guests and classes, free
// pages as the zero page, the report's text and JSON, and the tool's exits.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "run_command.h"
#include "scratch_dir.h"
#include "cs_hash.h"
#include "fingerprints.h"

namespace fs = std::filesystem;
using namespace coshare::fpcompare;

namespace {

constexpr uint64_t kZero = 0x2e5a11e7c0ffee00ULL;   // a zero hash for tests
constexpr uint32_t KT = kClassKernelText, KR = kClassKernelRodata,
                   PT = kClassProcessText, FR = kClassFree;

Record rec(uint64_t hash, uint32_t cls, uint32_t flags = 0)
{
    return Record{hash, cls, flags};
}

// The on-disk format, byte by byte.
std::string encode(const std::vector<Record>& records)
{
    std::string out;
    auto put = [&](uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    for (const Record& r : records) {
        put(r.hash, 8);
        put(r.cls, 4);
        put(r.flags, 4);
    }
    return out;
}

class Dumps : public coshare::testing::ScratchDirTest {
protected:
    fs::path write(const std::string& name, const std::string& bytes)
    {
        fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }
    fs::path write(const std::string& name, const std::vector<Record>& rs)
    {
        return write(name, encode(rs));
    }

};

template <typename F>
FormatError format_error(F&& f)
{
    try {
        f();
    } catch (const FormatError& e) {
        return e;
    }
    ADD_FAILURE() << "no FormatError";
    return FormatError("", 0, "");
}

// --- decoding -------------------------------------------------------------

TEST_F(Dumps, ReadsLittleEndianRecords)
{
    std::string bytes = {'\x08', '\x07', '\x06', '\x05', '\x04', '\x03',
                         '\x02', '\x01', '\x02', '\x00', '\x00', '\x00',
                         '\x00', '\x00', '\x00', '\x00'};
    bytes += encode({rec(~0ULL, FR), rec(42, KR)});
    auto got = read_fingerprints(write("a", bytes));
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], rec(0x0102030405060708ULL, PT));
    EXPECT_EQ(got[1], rec(~0ULL, FR));
    EXPECT_EQ(got[2], rec(42, KR));
}

TEST_F(Dumps, EmptyFileHasNoRecords)
{
    EXPECT_TRUE(read_fingerprints(write("empty", std::string{})).empty());
}

TEST_F(Dumps, ReadsLargeFilesWhole)
{
    std::vector<Record> rs;
    for (uint64_t i = 0; i < 20000; ++i)   // several read chunks
        rs.push_back(rec(i * 0x9e3779b97f4a7c15ULL, i % 4));
    EXPECT_EQ(read_fingerprints(write("big", rs)), rs);
}

TEST_F(Dumps, RejectsSizeNotMultipleOf16)
{
    fs::path p = write("short", encode({rec(1, KT), rec(2, KT)}) + "12345");
    FormatError e = format_error([&] { read_fingerprints(p); });
    EXPECT_EQ(e.file(), p.string());
    EXPECT_EQ(e.record(), 2u);
    std::string what = e.what();
    EXPECT_NE(what.find(p.string()), std::string::npos) << what;
    EXPECT_NE(what.find("record 2"), std::string::npos) << what;
    EXPECT_NE(what.find("not a multiple of 16"), std::string::npos) << what;
}

TEST_F(Dumps, RejectsClassOutOfRange)
{
    fs::path p = write("cls", {rec(1, KT), rec(2, 5), rec(3, 99)});
    FormatError e = format_error([&] { read_fingerprints(p); });
    EXPECT_EQ(e.record(), 1u);
    std::string what = e.what();
    EXPECT_NE(what.find(p.string()), std::string::npos) << what;
    EXPECT_NE(what.find("record 1"), std::string::npos) << what;
    EXPECT_NE(what.find("class 5"), std::string::npos) << what;
}

TEST_F(Dumps, RejectsNonzeroFlags)
{
    fs::path p = write("flags", {rec(1, KT), rec(2, FR), rec(3, PT, 0x100)});
    FormatError e = format_error([&] { read_fingerprints(p); });
    EXPECT_EQ(e.record(), 2u);
    std::string what = e.what();
    EXPECT_NE(what.find("record 2"), std::string::npos) << what;
    EXPECT_NE(what.find("flags 0x100 must be 0"), std::string::npos) << what;
}

TEST_F(Dumps, FirstProblemInFileOrderIsReported)
{
    fs::path p = write("both", encode({rec(1, KT), rec(2, 7)}) + "xyz");
    EXPECT_EQ(format_error([&] { read_fingerprints(p); }).record(), 1u);
}

TEST_F(Dumps, MissingFileIsAClearError)
{
    fs::path p = dir_ / "no-such-dump";
    try {
        read_fingerprints(p);
        FAIL() << "no error";
    } catch (const FormatError& e) {
        FAIL() << "a missing file is not a format error: " << e.what();
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find(p.string()), std::string::npos) << what;
        EXPECT_NE(what.find("cannot open"), std::string::npos) << what;
        EXPECT_NE(what.find("No such file"), std::string::npos) << what;
    }
}

TEST_F(Dumps, DirectoryIsAClearError)
{
    try {
        read_fingerprints(dir_);
        FAIL() << "no error";
    } catch (const FormatError& e) {
        FAIL() << "a directory is not a format error: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir_.string()),
                  std::string::npos);
    }
}

// --- the oracle -----------------------------------------------------------

TEST(Compare, SharesAcrossGuests)
{
    Report r = compare({{rec(1, KT), rec(2, KT), rec(3, PT)},
                        {rec(1, KT), rec(2, KT), rec(4, PT)},
                        {rec(1, KT)}},
                       kZero);
    EXPECT_EQ(r.total, (Counts{7, 4, 3}));
    ASSERT_EQ(r.guests.size(), 3u);
    EXPECT_EQ(r.guests[0].total, (Counts{3, 3, 0}));
    EXPECT_EQ(r.guests[1].total, (Counts{3, 1, 2}));
    EXPECT_EQ(r.guests[2].total, (Counts{1, 0, 1}));
    EXPECT_EQ(r.by_class[KT], (Counts{5, 2, 3}));
    EXPECT_EQ(r.by_class[PT], (Counts{2, 2, 0}));
    EXPECT_EQ(r.zero_hash, kZero);
}

TEST(Compare, DuplicatesWithinOneGuestShare)
{
    Report r = compare({{rec(9, PT), rec(9, PT), rec(9, PT), rec(8, KR)}},
                       kZero);
    EXPECT_EQ(r.total, (Counts{4, 2, 2}));
    EXPECT_EQ(r.guests[0].by_class[PT], (Counts{3, 1, 2}));
    EXPECT_EQ(r.guests[0].by_class[KR], (Counts{1, 1, 0}));
}

TEST(Compare, SavingGoesToTheClassOfEachLaterOccurrence)
{
    // Content 5 is first kernel text in guest 0, then rodata and process
    // text elsewhere: the kept copy is text, the saving rodata and process.
    Report r = compare({{rec(5, KT)}, {rec(5, KR)}, {rec(6, PT), rec(5, PT)}},
                       kZero);
    EXPECT_EQ(r.by_class[KT], (Counts{1, 1, 0}));
    EXPECT_EQ(r.by_class[KR], (Counts{1, 0, 1}));
    EXPECT_EQ(r.by_class[PT], (Counts{2, 1, 1}));
    EXPECT_EQ(r.guests[1].by_class[KR], (Counts{1, 0, 1}));
    EXPECT_EQ(r.guests[2].by_class[PT], (Counts{2, 1, 1}));

    // Order decides: with guest order reversed the kept copy moves.
    Report back = compare({{rec(6, PT), rec(5, PT)}, {rec(5, KR)},
                           {rec(5, KT)}},
                          kZero);
    EXPECT_EQ(back.by_class[PT], (Counts{2, 2, 0}));
    EXPECT_EQ(back.by_class[KT], (Counts{1, 0, 1}));
    EXPECT_EQ(back.total, r.total);
}

TEST(Compare, FreePagesAreTheZeroPageWhateverTheirHash)
{
    Report r = compare({{rec(0, FR), rec(77, FR), rec(kZero, FR)},
                        {rec(123456, FR)}},
                       kZero);
    EXPECT_EQ(r.by_class[FR], (Counts{4, 1, 3}));
    EXPECT_EQ(r.guests[1].total, (Counts{1, 0, 1}));
    EXPECT_EQ(r.total, (Counts{4, 1, 3}));
}

TEST(Compare, FreePagesShareWithZeroTextPages)
{
    // A zero page hinted as text, in guest 0, keeps the frame; the free
    // pages after it all share it, and so does a later zero rodata page.
    Report r = compare({{rec(kZero, PT), rec(1, PT)},
                        {rec(3, FR), rec(4, FR)},
                        {rec(kZero, KR)}},
                       kZero);
    EXPECT_EQ(r.by_class[PT], (Counts{2, 2, 0}));
    EXPECT_EQ(r.by_class[FR], (Counts{2, 0, 2}));
    EXPECT_EQ(r.by_class[KR], (Counts{1, 0, 1}));
    EXPECT_EQ(r.total, (Counts{5, 2, 3}));

    // Free first: the text zero page is the one saved.
    Report f = compare({{rec(3, FR)}, {rec(kZero, KT)}}, kZero);
    EXPECT_EQ(f.by_class[FR], (Counts{1, 1, 0}));
    EXPECT_EQ(f.by_class[KT], (Counts{1, 0, 1}));
}

TEST(Compare, FreePageHashFieldNeverMatchesOtherContent)
{
    Report r = compare({{rec(42, KT)}, {rec(42, FR)}}, kZero);
    EXPECT_EQ(r.total, (Counts{2, 2, 0}));
}

TEST(Compare, ZeroHashIsAParameter)
{
    std::vector<std::vector<Record>> g = {{rec(42, KT)}, {rec(7, FR)}};
    EXPECT_EQ(compare(g, kZero).total.saved, 0u);
    EXPECT_EQ(compare(g, 42).total.saved, 1u);
    EXPECT_EQ(compare(g, 42).by_class[FR], (Counts{1, 0, 1}));
}

TEST(Compare, NoGuestsAndEmptyGuests)
{
    EXPECT_EQ(compare({}, kZero).total, (Counts{}));
    Report r = compare({{}, {rec(1, KT)}, {}}, kZero);
    EXPECT_EQ(r.guests.size(), 3u);
    EXPECT_EQ(r.total, (Counts{1, 1, 0}));
    EXPECT_EQ(r.total.saved_percent(), 0.0);
}

TEST(Compare, LevelsAddUpAndMatchABruteForceCount)
{
    std::mt19937_64 rng(1);
    std::vector<std::vector<Record>> guests(5);
    for (auto& g : guests)
        for (int i = 0; i < 3000; ++i)
            g.push_back(rec(rng() % 2500, static_cast<uint32_t>(rng() % 4)));
    Report r = compare(guests, kZero);

    std::vector<uint64_t> contents;
    for (const auto& g : guests)
        for (const Record& x : g)
            contents.push_back(x.cls == FR ? kZero : x.hash);
    std::sort(contents.begin(), contents.end());
    uint64_t distinct = static_cast<uint64_t>(
        std::unique(contents.begin(), contents.end()) - contents.begin());
    EXPECT_EQ(r.total, (Counts{15000, distinct, 15000 - distinct}));

    Counts by_class, by_guest, by_guest_class;
    for (const Counts& c : r.by_class) {
        EXPECT_EQ(c.pages, c.distinct + c.saved);
        by_class.pages += c.pages;
        by_class.distinct += c.distinct;
        by_class.saved += c.saved;
    }
    for (const GuestReport& g : r.guests) {
        by_guest.pages += g.total.pages;
        by_guest.distinct += g.total.distinct;
        by_guest.saved += g.total.saved;
        for (const Counts& c : g.by_class) {
            by_guest_class.pages += c.pages;
            by_guest_class.distinct += c.distinct;
            by_guest_class.saved += c.saved;
        }
    }
    EXPECT_EQ(by_class, r.total);
    EXPECT_EQ(by_guest, r.total);
    EXPECT_EQ(by_guest_class, r.total);
}

TEST(Compare, RejectsInvalidRecords)
{
    EXPECT_THROW(compare({{rec(1, 5)}}, kZero), std::invalid_argument);
}

// --- zero hash and hex ----------------------------------------------------

TEST(ZeroHash, DefaultIsTheProjectHashOfAZeroPage)
{
    alignas(4096) static unsigned char page[4096] = {};
    EXPECT_EQ(default_zero_hash(), cs_hash_page(page));
    EXPECT_EQ(default_zero_hash(), cs_hash_page_seeded(page, 0));
    page[4095] = 1;
    EXPECT_NE(default_zero_hash(), cs_hash_page(page));
}

TEST(Hex, FormatsAndParses)
{
    EXPECT_EQ(hex64(0x1234), "0x0000000000001234");
    EXPECT_EQ(parse_hex64("0x0000000000001234"), 0x1234u);
    EXPECT_EQ(parse_hex64("DEADbeef"), 0xdeadbeefu);
    EXPECT_EQ(parse_hex64("0Xffffffffffffffff"), ~0ULL);
    EXPECT_EQ(parse_hex64(hex64(default_zero_hash())), default_zero_hash());
    for (const char* bad : {"", "0x", "x12", "12g", "-1", "+1", " 12", "12 ",
                            "0x10000000000000000", "12345678901234567"})
        EXPECT_EQ(parse_hex64(bad), std::nullopt) << bad;
}

// --- output ---------------------------------------------------------------

// Two guests of 256 pages (1 MiB each): 192 common pages, 64 own pages
// each, of which 32 free per guest (sharing one zero page).
std::vector<std::vector<Record>> two_guests()
{
    std::vector<std::vector<Record>> g(2);
    for (uint64_t i = 0; i < 192; ++i)
        for (auto& guest : g)
            guest.push_back(rec(1000 + i, i < 64 ? KT : i < 128 ? KR : PT));
    for (uint64_t i = 0; i < 32; ++i)
        for (uint64_t k = 0; k < 2; ++k) {
            g[k].push_back(rec(5000 + 100 * k + i, PT));
            g[k].push_back(rec(i, FR));
        }
    return g;
}

TEST(Output, JsonHasTheReportsNumbers)
{
    Report r = compare(two_guests(), kZero);
    nlohmann::json j = to_json(r, {"a.bin", "b.bin"});
    EXPECT_EQ(j["page_size"], 4096);
    EXPECT_EQ(j["zero_hash"], "0x2e5a11e7c0ffee00");
    EXPECT_EQ(j["total"]["pages"], 512);
    EXPECT_EQ(j["total"]["distinct"], 192 + 64 + 1);
    EXPECT_EQ(j["total"]["saved"], 512 - 257);
    EXPECT_DOUBLE_EQ(j["total"]["saved_percent"].get<double>(),
                     100.0 * 255 / 512);
    EXPECT_DOUBLE_EQ(j["total"]["mib"].get<double>(), 2.0);
    EXPECT_DOUBLE_EQ(j["total"]["saved_mib"].get<double>(), 255.0 / 256);

    const auto& classes = j["classes"];
    ASSERT_EQ(classes.size(), kClassCount);
    for (size_t c = 0; c < kClassCount; ++c) {
        const auto& o = classes[std::string(kClassKeys[c])];
        EXPECT_EQ(o["id"], c);
        EXPECT_EQ(o["pages"], r.by_class[c].pages);
        EXPECT_EQ(o["distinct"], r.by_class[c].distinct);
        EXPECT_EQ(o["saved"], r.by_class[c].saved);
        EXPECT_DOUBLE_EQ(o["saved_percent"].get<double>(),
                         r.by_class[c].saved_percent());
    }
    EXPECT_EQ(classes["kernel_text"]["saved"], 64);
    EXPECT_EQ(classes["free"]["pages"], 64);
    EXPECT_EQ(classes["free"]["saved"], 63);

    ASSERT_EQ(j["guests"].size(), 2u);
    EXPECT_EQ(j["guests"][0]["name"], "a.bin");
    EXPECT_EQ(j["guests"][0]["pages"], 256);
    EXPECT_EQ(j["guests"][0]["saved"], 31);   // its own free pages
    EXPECT_EQ(j["guests"][1]["name"], "b.bin");
    EXPECT_EQ(j["guests"][1]["saved"], 192 + 32);
    EXPECT_EQ(j["guests"][1]["classes"]["free"]["saved"], 32);
    EXPECT_EQ(j["guests"][1]["classes"]["process_text"]["distinct"], 32);

    EXPECT_EQ(to_json(r, {})["guests"][1]["name"], "guest 1");
}

TEST(Output, TextTableAndSummary)
{
    Report r = compare(two_guests(), kZero);
    std::string t = to_text(r, {"a.bin", "b.bin"});
    for (const char* s : {"kernel text", "kernel rodata", "process text",
                          "free (zero)", "a.bin", "b.bin", "total",
                          "distinct", "saved %", "0x2e5a11e7c0ffee00",
                          "could save 1.0 MiB of 2.0 MiB (49.8%)"})
        EXPECT_NE(t.find(s), std::string::npos) << s << "\n" << t;
}

// --- the tool -------------------------------------------------------------

struct ToolRun {
    int status = -1;
    std::string out, err;
};

class Tool : public Dumps {
protected:
    ToolRun run(const std::string& args)
    {
        fs::path err = dir_ / "stderr";
        std::string cmd = std::string("'") + FPCOMPARE_BIN + "' " + args +
                          " 2>'" + err.string() + "'";
        ToolRun r;
        auto c = coshare::testing::run_command(cmd);
        r.out = c.out;
        r.status = c.status;
        std::ifstream e(err);
        r.err.assign(std::istreambuf_iterator<char>(e), {});
        return r;
    }
    std::string q(const fs::path& p) { return "'" + p.string() + "'"; }
};

TEST_F(Tool, ReportsAsTextAndJson)
{
    auto g = two_guests();
    fs::path a = write("a.bin", g[0]), b = write("b.bin", g[1]);
    // The zero hash given is used for free pages.
    ToolRun t = run("--zero-hash 2e5a11e7c0ffee00 " + q(a) + " " + q(b));
    EXPECT_EQ(t.status, 0) << t.err;
    EXPECT_NE(t.out.find("could save 1.0 MiB of 2.0 MiB (49.8%)"),
              std::string::npos)
        << t.out;
    EXPECT_NE(t.out.find(a.string()), std::string::npos) << t.out;

    ToolRun j = run("--json " + q(a) + " " + q(b));
    EXPECT_EQ(j.status, 0) << j.err;
    nlohmann::json parsed = nlohmann::json::parse(j.out);
    EXPECT_EQ(parsed["total"]["saved"], 255);
    EXPECT_EQ(parsed["zero_hash"], hex64(default_zero_hash()));
    EXPECT_EQ(parsed["guests"][1]["name"], b.string());
}

TEST_F(Tool, ZeroHashDecidesWhatFreePagesShareWith)
{
    fs::path a = write("a", {rec(0xabc, KT)}), b = write("b", {rec(1, FR)});
    ToolRun no = run("--json " + q(a) + " " + q(b));
    ASSERT_EQ(no.status, 0) << no.err;
    EXPECT_EQ(nlohmann::json::parse(no.out)["total"]["saved"], 0);
    ToolRun yes = run("--json --zero-hash 0xABC " + q(a) + " " + q(b));
    ASSERT_EQ(yes.status, 0) << yes.err;
    EXPECT_EQ(nlohmann::json::parse(yes.out)["classes"]["free"]["saved"], 1);
}

TEST_F(Tool, MalformedDumpExits2WithNoResults)
{
    fs::path good = write("good", {rec(1, KT)});
    fs::path bad = write("bad", {rec(1, KT), rec(2, KT, 1)});
    for (const char* flag : {"", "--json "}) {
        ToolRun r = run(flag + q(good) + " " + q(bad));
        EXPECT_EQ(r.status, 2);
        EXPECT_EQ(r.out, "");
        EXPECT_NE(r.err.find(bad.string() + ": record 1: flags"),
                  std::string::npos)
            << r.err;
    }
    fs::path shrt = write("short", encode({rec(1, KT)}) + "x");
    ToolRun s = run(q(shrt));
    EXPECT_EQ(s.status, 2);
    EXPECT_EQ(s.out, "");
    EXPECT_NE(s.err.find("record 1"), std::string::npos) << s.err;
}

TEST_F(Tool, UnreadableFileAndBadUsageExit1)
{
    fs::path good = write("good", {rec(1, KT)});
    ToolRun missing = run(q(good) + " " + q(dir_ / "missing"));
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.out, "");
    EXPECT_NE(missing.err.find((dir_ / "missing").string() + ": cannot open"),
              std::string::npos)
        << missing.err;

    ToolRun none = run("");
    EXPECT_EQ(none.status, 1);
    EXPECT_EQ(none.out, "");
    ToolRun hex = run("--zero-hash 0xnothex " + q(good));
    EXPECT_EQ(hex.status, 1);
    EXPECT_EQ(hex.out, "");
}

TEST_F(Tool, HelpShowsTheDefaultZeroHash)
{
    ToolRun h = run("--help");
    EXPECT_EQ(h.status, 0);
    EXPECT_NE(h.out.find("--zero-hash"), std::string::npos) << h.out;
    EXPECT_NE(h.out.find("--json"), std::string::npos) << h.out;
    EXPECT_NE(h.out.find(hex64(default_zero_hash())), std::string::npos)
        << h.out;
}

}  // namespace
