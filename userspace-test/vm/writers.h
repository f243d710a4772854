// SPDX-License-Identifier: MIT
// writers.h - guest workloads for the multi-vCPU nested tests: they write
// memory that coshare shares (page cache identical across guests, a file
// mapped executable) on every vCPU at once, and check that every write
// they make reads back.  Each prints one JSON line and returns 0 only when
// nothing was lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace coshare::vm {

struct WriteLoad {
    std::string file;       // created in a tmpfs: its page cache is hinted
    size_t pages = 1024;
    double seconds = 60;
    unsigned threads = 0;   // 0: one per online CPU
    uint64_t seed = 1;
};

// Threads, one pinned to each vCPU, rewrite their own pages of a shared
// file mapping: back to content every guest's copy of the file has (so it
// is shared again), or a stamp of their own (a copy-on-write fault when
// shared), through the mapping or with pwrite; each write is read back at
// once (mapping or pread) and all of a thread's pages now and then.
int run_file_writers(const WriteLoad& load);

// One process maps the file PROT_EXEC (its page cache is hinted as process
// text) and reads it; another rewrites its pages with pwrite and reads them
// back.  A per-page sequence count in shared memory tells the reader which
// version it must see.
int run_exec_rewrite(const WriteLoad& load);

}  // namespace coshare::vm
