# lmkit's front door. `make run` and `make test` are the two commands in the README.
SHELL := /bin/bash
.DEFAULT_GOAL := build
JOBS ?= $(shell nproc)
LMKIT := build/release/lmkit

.PHONY: deps build build-asan run test test-release test-asan bench format clean

deps:
	@scripts/install-deps

# Configure once per preset; reconfigure when the CMake files change.
build/%/build.ninja: CMakeLists.txt CMakePresets.json
	cmake --preset $* >/dev/null

build: deps build/release/build.ninja
	cmake --build --preset release -j $(JOBS)

build-asan: deps build/debug-asan/build.ninja
	cmake --build --preset debug-asan -j $(JOBS)

# lmkit's main job: prepare the KJV demo corpus and run the demonstration.
run: build
	$(LMKIT) demo --data-dir data/kjv

test-release: build
	ctest --preset release -j $(JOBS)

test-asan: build-asan
	ctest --preset debug-asan -j $(JOBS)

# Every test in both builds; CTest prints its summary for each.
test: deps
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan

bench: build
	bench/run-all

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf build
