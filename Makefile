# lmkit's front door. `make run` and `make test` are the two commands in the README.
SHELL := /bin/bash
.DEFAULT_GOAL := build
JOBS ?= $(shell nproc)
LMKIT := build/release/lmkit

.PHONY: deps build build-asan build-fuzz run test test-release test-asan test-fuzz fuzz bench format clean

deps:
	@scripts/install-deps

# Configure once per preset; reconfigure when the CMake files change.
build/%/build.ninja: CMakeLists.txt CMakePresets.json
	cmake --preset $* >/dev/null

build: deps build/release/build.ninja
	cmake --build --preset release -j $(JOBS)

build-asan: deps build/debug-asan/build.ninja
	cmake --build --preset debug-asan -j $(JOBS)

# The libFuzzer targets (fuzz/, clang): only the libraries they need.
build-fuzz: deps build/fuzz/build.ninja
	cmake --build --preset fuzz -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS, one at a time; new corpus entries go to build/fuzz/corpus.
FUZZ_SECONDS ?= 600
fuzz: build-fuzz
	fuzz/run.sh $(FUZZ_SECONDS)

# lmkit's main job: prepare the KJV demo corpus and run the demonstration.
run: build
	$(LMKIT) demo --data-dir data/kjv

test-release: build
	ctest --preset release -j $(JOBS)

test-asan: build-asan
	ctest --preset debug-asan -j $(JOBS)

# A bounded fuzz run for `make test`: 20 s per target from a fixed seed, so a pass here is no luck.
test-fuzz: build-fuzz
	fuzz/run.sh 20 --seed=1

# Every test in both builds, then the bounded fuzz run; CTest prints its summary for each build.
test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

bench: build
	bench/run-all

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
