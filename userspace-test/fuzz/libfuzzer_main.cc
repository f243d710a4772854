// SPDX-License-Identifier: MIT
// libfuzzer_main.cc - libFuzzer entry: any audit violation is a crash.
#include <cstdio>
#include <cstdlib>

#include "fuzz_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto err = coshare::fuzz::run_ops(data, size);
    if (!err.empty()) {
        std::fprintf(stderr, "%s\n", err.c_str());
        std::abort();
    }
    return 0;
}
