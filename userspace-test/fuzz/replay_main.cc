// SPDX-License-Identifier: MIT
// replay_main.cc - runs the fuzz interpreter on N seeded random inputs, so
// every build (and every sanitizer build) exercises it without libFuzzer.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "fuzz_ops.h"

int main(int argc, char** argv)
{
    unsigned runs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
    std::mt19937_64 rng(20261122);
    unsigned failed = 0;
    for (unsigned i = 0; i < runs; ++i) {
        std::vector<uint8_t> input(64 + rng() % 1024);
        for (auto& b : input)
            b = static_cast<uint8_t>(rng());
        auto err = coshare::fuzz::run_ops(input.data(), input.size());
        if (!err.empty()) {
            std::printf("input %u: %s\n", i, err.c_str());
            ++failed;
        }
    }
    std::printf("%u passed, %u failed\n", runs - failed, failed);
    return failed ? 1 : 0;
}
