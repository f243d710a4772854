// SPDX-License-Identifier: MIT
// fuzz_ops.h - interprets bytes as a sequence of engine operations on a
// small simulated host, auditing after every operation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace coshare::fuzz {

// Runs one op sequence; returns "" or the first audit/consistency failure.
std::string run_ops(const uint8_t* data, size_t size);

}  // namespace coshare::fuzz
