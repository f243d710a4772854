// SPDX-License-Identifier: MIT
// csv.h - the file `watch` writes and `plot` reads: one row per sample and
// domain ("global" for the host), every counter a column.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ops.h"

namespace coshare::ctl {

// timestamp,elapsed_s,domain,flags,group,hinted_kernel_text,...
std::string csv_header();
// The rows of one sample: the host first, then each tracked domain.
std::string csv_rows(std::chrono::system_clock::time_point when,
                     double elapsed_s, const Snapshot& snap);
// 2026-11-23T06:00:02.500Z
std::string iso8601_utc(std::chrono::system_clock::time_point t);

// A CSV file read back: cells by row and column name.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    // The index of a column; throws Error if the file lacks it.
    size_t column(std::string_view name) const;
};

// Reads a CSV without quoting (the watch format).  Throws Error with
// file:line when it cannot be read or rows and header disagree.
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace coshare::ctl
