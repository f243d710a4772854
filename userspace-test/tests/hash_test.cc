// SPDX-License-Identifier: MIT
// hash_test.cc - the page content hash against guests that aim collisions.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>

#include "cs_hash.h"

namespace coshare::test {
namespace {

// Pages whose odd words equal the multiplicands the hash once left unkeyed
// (its constants K1 and K3): every block's product was zero whatever the
// even words held, so all of them hashed alike under every seed, and a
// guest could make each lookup compare max_compares pages in full.  Both
// multiplicands are keyed by the seed now: the family spreads as any.
TEST(PageHash, TheOldCollisionFamilySpreadsUnderEverySeed)
{
    constexpr uint64_t kOldK1 = 0xe7037ed1a0b428dbULL;
    constexpr uint64_t kOldK3 = 0x589965cc75374cc3ULL;
    for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{0x0123456789abcdef}}) {
        std::set<uint64_t> hashes;
        for (uint64_t n = 0; n < 1000; ++n) {
            alignas(8) std::array<uint64_t, 512> w;
            std::mt19937_64 rng(n);
            for (size_t i = 0; i < w.size(); i += 4) {
                w[i] = rng();
                w[i + 1] = kOldK1;
                w[i + 2] = rng();
                w[i + 3] = kOldK3;
            }
            hashes.insert(cs_hash_page_seeded(w.data(), seed));
        }
        EXPECT_EQ(hashes.size(), 1000u) << "seed " << seed;
    }
}

}  // namespace
}  // namespace coshare::test
