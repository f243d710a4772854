// SPDX-License-Identifier: MIT
// fuzz_ops.cc - the op interpreter shared by the libFuzzer target and the
// ctest replay: random hints, writes, volatile registrations, malformed
// batches, control changes and teardowns, and what Xen itself does to a
// guest's p2m (balloon out and in, remove_from_physmap, read-only grants
// held across unshares, p2m updates failing as a split does when the pool
// is empty), with audit after each one.
#include "fuzz_ops.h"

#include <cstring>

#include <vector>

#include "content.h"

namespace coshare::fuzz {

using sim::Host;

namespace {

constexpr uint16_t kDomains = 3;
constexpr uint64_t kPages = 48;

struct Reader {
    const uint8_t* p;
    size_t n;
    bool empty() const { return n == 0; }
    uint8_t byte()
    {
        if (!n)
            return 0;
        --n;
        return *p++;
    }
};

}  // namespace

std::string run_ops(const uint8_t* data, size_t size)
{
    Reader in{data, size};
    // Small pool so that overcommit and reclaim happen; a mask of 0x3 on
    // the hash forces collisions when the first byte says so, and bit 4
    // turns the prefetch off, as in Xen.
    uint8_t mode = in.byte();
    cs_config cfg{(mode & 1) ? 0x3 : ~0ULL, mode, uint32_t((mode >> 1) & 7),
                  bool((mode >> 4) & 1), /*audit_each_op=*/true};
    Host host(kDomains * kPages + 24, cfg);
    std::vector<bool> alive(kDomains + 1, false);
    std::vector<cs_mfn_t> grants;   // frames granted read-only, held
    auto spawn = [&](uint16_t d) {
        host.add_guest(d, kPages);
        for (uint64_t g = 0; g < kPages; ++g)
            host.fill(d, g, sim::random_page(g % 8 + (d == 3 ? 100 : 0)));
        alive[d] = true;
    };
    for (uint16_t d = 1; d <= kDomains; ++d)
        spawn(d);

    for (unsigned step = 0; !in.empty() && step < 2000; ++step) {
        uint8_t op = in.byte() % 12;
        uint16_t d = 1 + in.byte() % kDomains;
        if (!alive[d]) {
            if (host.free_frames() >= kPages)
                spawn(d);
            continue;
        }
        switch (op) {
        case 0:
        case 1: {   // hint a small batch, sometimes malformed
            uint8_t n = in.byte() % 12;
            std::vector<xen_coshare_entry_t> ents(n);
            for (auto& e : ents) {
                e.gfn = in.byte() % (kPages + 4);
                e.pad[0] = in.byte() == 0xff;
            }
            unsigned cls = in.byte() % (XEN_COSHARE_CLASS_NR + 1);
            auto o = sim::make_batch_op(XENMEM_sharing_op_coshare_hint, cls, n);
            // Another vCPU writes a page with content (any class but the
            // free one) while the op runs: its write must survive whatever
            // the op did.
            bool race = cls < XEN_COSHARE_CLASS_NR &&
                        cls != XEN_COSHARE_CLASS_ZERO && n && in.byte() & 1;
            uint64_t rg = race ? ents[0].gfn : 0;
            std::byte mark{in.byte()};
            bool raced = false;
            if (race && rg < kPages && host.p2m(d, rg).type != CS_P2M_OTHER)
                host.on_next_unmap([&] {
                    sim::Page p{};
                    std::memcpy(p.data(), host.read(d, rg).data(), sim::kPage);
                    p[0] = mark;
                    host.write_racing(d, rg, p);
                    raced = true;
                });
            host.op(d, false, o, ents.data());
            host.on_next_unmap(nullptr);
            if (raced) {
                int rc = host.finish_racing_writes();
                if (rc < 0 && rc != -ENOMEM)
                    return "a racing write failed with " + std::to_string(rc);
                if (rc >= 0 && host.read(d, rg)[0] != mark)
                    return "a write racing an in-use hint was lost";
            }
            break;
        }
        case 2: {   // a guest write
            uint64_t g = in.byte() % kPages;
            std::byte x{in.byte()};
            if (host.p2m(d, g).type == CS_P2M_SHARED ||
                host.p2m(d, g).type == CS_P2M_RAM) {
                int rc = host.write(d, g, in.byte() % 64, {&x, 1});
                if (rc && rc != -ENOMEM)
                    return "write failed with " + std::to_string(rc);
            }
            break;
        }
        case 3:
        case 4: {   // volatile add / del
            std::vector<xen_coshare_entry_t> ents(1 + in.byte() % 4);
            for (auto& e : ents)
                e.gfn = in.byte() % kPages;
            auto o = sim::make_batch_op(
                op == 3 ? XENMEM_sharing_op_coshare_vol_add
                        : XENMEM_sharing_op_coshare_vol_del,
                0, static_cast<uint32_t>(ents.size()));
            host.op(d, false, o, ents.data());
            break;
        }
        case 5: {   // dom0: enable/disable/repay, group
            xen_coshare_op_t o{};
            o.op = XENMEM_sharing_op_coshare_control;
            o.domain = d;
            o.u.control.set = in.byte() & 3;
            o.u.control.clear = in.byte() & 3 & ~o.u.control.set;
            host.op(0, true, o);
            xen_coshare_op_t g{};
            g.op = XENMEM_sharing_op_coshare_group;
            g.domain = d;
            g.u.group.group = 1 + in.byte() % 2;
            host.op(0, true, g);
            // The classes it may hint: mostly all, sometimes fewer.
            xen_coshare_op_t c{};
            c.op = XENMEM_sharing_op_coshare_classes;
            c.domain = d;
            uint8_t mask = in.byte();
            c.u.classes.allowed = mask & 0x80 ? mask & XEN_COSHARE_CLASSES_ALL
                                              : XEN_COSHARE_CLASSES_ALL;
            host.op(0, true, c);
            // Stats: dom0's of the domain or the host, the guest's own.
            xen_coshare_op_t st{};
            st.op = XENMEM_sharing_op_coshare_stats;
            st.domain = in.byte() & 1 ? d : DOMID_SELF;
            st.u.stats.flags = in.byte() & XEN_COSHARE_STATS_GLOBAL;
            xen_coshare_stats_t out{};
            host.op(in.byte() & 1 ? 0 : d, st.domain != DOMID_SELF, st,
                    nullptr, &out);
            break;
        }
        case 6: {   // unhint
            std::vector<xen_coshare_entry_t> ents(1);
            ents[0].gfn = in.byte() % kPages;
            auto o = sim::make_batch_op(XENMEM_sharing_op_coshare_unhint, 0, 1);
            host.op(d, false, o, ents.data());
            break;
        }
        case 7: {   // another tenant takes or returns frames; dom0's reserve
            if (in.byte() & 1)
                host.hog(in.byte() % 16);
            else
                host.unhog();
            xen_coshare_op_t r{};
            r.op = XENMEM_sharing_op_coshare_reserve;
            r.u.reserve.frames = in.byte() % 4 ? XEN_COSHARE_RESERVE_QUERY
                                               : in.byte() % 64;
            host.op(0, true, r);
            break;
        }
        case 8:     // destroy, in small preemptible chunks
            host.destroy_guest(d, 1 + in.byte() % 16);
            alive[d] = false;
            break;
        case 9: {   // the guest's balloon: a page out, or back in
            uint64_t g = in.byte() % kPages;
            int rc = in.byte() & 1 ? host.remove_page(d, g)
                                   : host.populate_page(d, g);
            if (rc && rc != -ENOENT && rc != -EEXIST && rc != -ENOMEM)
                return "balloon op failed with " + std::to_string(rc);
            break;
        }
        case 10: {  // remove_from_physmap; a read-only grant; its unmap
            uint64_t g = in.byte() % kPages;
            switch (in.byte() % 3) {
            case 0:
                if (int rc = host.physmap_remove(d, g); rc && rc != -ENOENT)
                    return "remove_from_physmap failed with " +
                           std::to_string(rc);
                break;
            case 1:
                if (cs_mfn_t m = host.grant_map(d, g); m != CS_INVALID_MFN)
                    grants.push_back(m);
                break;
            default:
                if (!grants.empty()) {
                    host.grant_unmap(grants.back());
                    grants.pop_back();
                }
            }
            break;
        }
        case 11:    // the next p2m updates fail (an empty p2m pool)
            host.fail_p2m_shares(d, in.byte() % 3);
            break;
        }
        std::vector<std::string> msgs;
        if (host.audit(&msgs))
            return "audit after op " + std::to_string(op) + ": " + msgs[0];
    }
    for (cs_mfn_t m : grants)
        host.grant_unmap(m);
    host.unhog();
    return "";
}

}  // namespace coshare::fuzz
