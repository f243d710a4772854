# coshare: the one entry point.  Userspace builds with CMake under build/.
#
#   make            build the engine, simulator, tests, demo and benchmarks
#   make demo       the simulator on real content, printing what was shared
#   make test       everything, built with ASan+UBSan (clang), plus libFuzzer
#   make bench      benchmarks: ratios measured in one run, and real KSM
#   make fuzz       a longer libFuzzer run (FUZZ_SECONDS, default 300)
#   make clean

BUILD        ?= build
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 300
CMAKE_SRC    := userspace-test

.PHONY: all demo test bench fuzz clean

all: $(BUILD)/release/CMakeCache.txt
	cmake --build $(BUILD)/release -j $(JOBS)

$(BUILD)/release/CMakeCache.txt:
	cmake -S $(CMAKE_SRC) -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release

$(BUILD)/sanitize/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S $(CMAKE_SRC) -B $(BUILD)/sanitize \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOSHARE_SANITIZE=ON \
	    -DCOSHARE_FUZZ=ON

demo: all
	$(BUILD)/release/coshare-demo

test: all $(BUILD)/sanitize/CMakeCache.txt
	cmake --build $(BUILD)/sanitize -j $(JOBS)
	cd $(BUILD)/sanitize && ctest --output-on-failure -j $(JOBS)

bench: all
	$(BUILD)/release/coshare_bench
	$(BUILD)/release/coshare_ksm_compare

fuzz: $(BUILD)/sanitize/CMakeCache.txt
	cmake --build $(BUILD)/sanitize --target coshare_fuzz -j $(JOBS)
	mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/sanitize/coshare_fuzz -max_total_time=$(FUZZ_SECONDS) \
	    $(BUILD)/fuzz-corpus

clean:
	rm -rf $(BUILD)
