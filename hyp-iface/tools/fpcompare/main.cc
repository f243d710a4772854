// SPDX-License-Identifier: MIT
// main.cc - coshare-fpcompare: reads the fingerprint dumps of several guests
// (/sys/kernel/mm/coshare/fingerprints, copied to dom0) and reports how much
// memory sharing them would save, per class and per guest, as text or JSON.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "fingerprints.h"

using namespace coshare::fpcompare;

int main(int argc, char** argv)
{
    CLI::App app{"coshare-fpcompare: how much memory guests could share, "
                 "from their fingerprint dumps"};
    app.footer("Pages with equal hashes share across guests and classes; "
               "free-class pages are the zero page.\n"
               "Exit status: 0 done, 1 bad usage or unreadable file, "
               "2 malformed dump.");
    std::vector<std::string> files;
    bool as_json = false;
    std::string zero_hex = hex64(default_zero_hash());
    app.add_option("files", files, "fingerprint dumps, one per guest")
        ->required();
    app.add_flag("--json", as_json, "print JSON instead of a table");
    app.add_option("--zero-hash", zero_hex,
                   "hash of the all-zero page, 1-16 hex digits; free-class "
                   "pages have it")
        ->type_name("HEX")
        ->capture_default_str()
        ->check(CLI::Validator(
            [](std::string& s) {
                return parse_hex64(s) ? std::string{}
                                      : "not a 64-bit hex value: " + s;
            },
            ""));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 1;
    }

    // Every file is read and checked before anything is printed.
    std::vector<std::vector<Record>> guests;
    try {
        for (const auto& f : files)
            guests.push_back(read_fingerprints(f));
    } catch (const FormatError& e) {
        std::fprintf(stderr, "coshare-fpcompare: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coshare-fpcompare: %s\n", e.what());
        return 1;
    }

    Report report = compare(guests, *parse_hex64(zero_hex));
    if (as_json)
        std::cout << to_json(report, files).dump(2) << '\n';
    else
        std::cout << to_text(report, files);
    return std::cout.flush() ? 0 : 1;
}
