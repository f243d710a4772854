# coshare: the one entry point.  Userspace builds with CMake under build/.
#
#   make             build the engine, simulator, tests, demo and benchmarks
#   make demo        nested Xen with 4 PVH guests running coshare.ko: live
#                    sharing, a summary and a plot (GUESTS=N for another count)
#   make demo-sim    the simulator on real content, printing what was shared
#   make test        every test: userspace tests with ASan+UBSan (clang) and
#                    libFuzzer, the threaded ones with ThreadSanitizer, the
#                    guest module's smoke test in QEMU, and the nested-VM
#                    suite
#   make module      coshare.ko with kbuild (KDIR= for another tree)
#   make module-test the module's in-kernel smoke test under QEMU TCG
#   make xen         Debian's Xen 4.17 with coshare's patch series
#   make vmtest      patched Xen, dom0 and PVH guests under QEMU TCG
#   make bench       benchmarks: ratios measured in one run, and real KSM
#   make vmbench     the nested measurements: stock path vs hint path,
#                    heterogeneous and Debian guests
#   make fuzz        a long libFuzzer run (FUZZ_RUNS, default 10 million)
#   make clean

BUILD        ?= build
JOBS         ?= $(shell nproc)
FUZZ_RUNS    ?= 10000000
CMAKE_SRC    := userspace-test

# Every compiler runs through ccache once ci/install-deps.sh has installed
# it: a second build of the same sources (QEMU, both Xens, the sanitized
# tests), in any checkout, takes seconds instead of minutes.  Paths are
# hashed relative to the checkout, so a fresh clone elsewhere hits too.
ifneq ($(wildcard /usr/lib/ccache/gcc),)
export PATH             := /usr/lib/ccache:$(PATH)
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := 1
endif

.PHONY: all deps sanitize tsan demo demo-sim test module module-test xen vmtest vmtest-storm vmtest-hetero vmtest-overcommit vmtest-baseline bench vmbench fuzz clean

# Debian packages the build needs; quick when everything is there.
deps:
	@bash ci/install-deps.sh

# Configuring again is quick, and heals a build dir a failed run left.
all: deps
	cmake -S $(CMAKE_SRC) -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD)/release -j $(JOBS)

sanitize: deps
	CC=clang CXX=clang++ cmake -S $(CMAKE_SRC) -B $(BUILD)/sanitize \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOSHARE_SANITIZE=ON \
	    -DCOSHARE_FUZZ=ON
	cmake --build $(BUILD)/sanitize -j $(JOBS)

# The threaded tests (race_test, torture_test) under ThreadSanitizer.
tsan: deps
	CC=clang CXX=clang++ cmake -S $(CMAKE_SRC) -B $(BUILD)/tsan \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOSHARE_TSAN=ON
	cmake --build $(BUILD)/tsan -j $(JOBS) --target coshare_tests

demo: all
	BUILD=$(abspath $(BUILD)) bash ci/xen/demo.sh --guests $(or $(GUESTS),4)

demo-sim: all
	$(BUILD)/release/coshare-demo

# The release build is not a test: `make` and `make bench` build it.
test: sanitize tsan module-test vmtest
	cd $(BUILD)/sanitize && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD)/tsan && COSHARE_TORTURE_SECONDS=20 ctest --output-on-failure

module: deps
	$(MAKE) -C guest-driver $(if $(KDIR),KDIR=$(KDIR))

module-test: deps
	BUILD=$(abspath $(BUILD)) bash ci/module-smoke/run.sh

xen: deps
	BUILD=$(abspath $(BUILD)) bash hyp-iface/xen/build-xen.sh

vmtest: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh

# Single scenarios of vmtest, for a quicker look.
vmtest-storm: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh cow-storm

vmtest-hetero: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh hetero-guests

vmtest-overcommit: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh overcommit-storm

# How often QEMU TCG itself loses a guest under load, on stock Xen.
vmtest-baseline: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh tcg-baseline

# The nested scenarios that measure rather than test (figures and goals in
# docs/results.md); each still fails if a guest dies or an audit complains.
vmbench: deps
	BUILD=$(abspath $(BUILD)) bash ci/xen/vmtest.sh --measurements

# Every part runs and prints its ratios; a missed goal fails at the end.
bench: all
	@rc=0; \
	COSHARE_BENCH_JSON=$(BUILD)/bench-results.json \
	    $(BUILD)/release/coshare_bench || rc=1; \
	$(BUILD)/release/coshare_ksm_compare --json $(BUILD)/ksm-results.json || rc=1; \
	[ $$rc = 0 ] || echo "make bench: a goal was missed (the ratios above say which)"; \
	exit $$rc

# From the corpus kept in the repository (copied into the build directory,
# where libFuzzer adds what it finds).
fuzz: sanitize
	mkdir -p $(BUILD)/fuzz-corpus
	cp -n userspace-test/fuzz/corpus/* $(BUILD)/fuzz-corpus/
	$(BUILD)/sanitize/coshare_fuzz -runs=$(FUZZ_RUNS) -rss_limit_mb=4096 \
	    -print_final_stats=1 $(BUILD)/fuzz-corpus

clean:
	rm -rf $(BUILD)
	$(MAKE) -C guest-driver clean
