# SPDX-License-Identifier: MIT
# Two commands do everything on a fresh Debian 12 machine: `make demo` and `make test`.
# Both install missing packages first and build into build/ (Release).

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_GEN  := -G Ninja
CTEST_ARGS ?=
# CI builds with -Werror (house style); local builds only warn.
CMAKE_EXTRA ?= $(if $(CI),-DZAE_WERROR=ON)

.PHONY: all deps configure build demo test test-asan debug asan bench format clean \
        tsan test-tsan fuzz fuzz-smoke

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release $(CMAKE_EXTRA)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the embedded default store: a simulated LLM gateway under rate limits.
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target zae-limiter
	$(BUILD)/src/cli/zae-limiter demo

# Every test: unit, conformance (every available backend) and integration. DynamoDB Local
# (Amazon's, pinned in tools/dynamodb-local) runs for the duration, so the DynamoDB tests run for
# real; scripts/dynamodb-local.sh stops it whatever the outcome.
DDB_LOCAL := scripts/dynamodb-local.sh run --

test: build
	$(DDB_LOCAL) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	@$(MAKE) --no-print-directory fuzz-smoke

# Debug build in build-debug/.
debug: deps
	cmake -S . -B build-debug $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-debug -j $(JOBS)

# ASan + UBSan (no recovery) build of the tests in build-asan/, and its test run.
asan: deps
	cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DZAE_SANITIZE=ON -DZAE_BUILD_BENCH=OFF $(CMAKE_EXTRA)
	cmake --build build-asan -j $(JOBS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(DDB_LOCAL) ctest --test-dir build-asan --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# ThreadSanitizer build of the unit and conformance tests in build-tsan/ (target zae_unit_tests:
# every test labelled unit or conformance, nothing else), and their run on SQLite and DynamoDB
# Local. tests/tsan.supp names the third-party reports we cannot fix.
TSAN_RUN_OPTIONS := halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp
tsan: deps
	cmake -S . -B build-tsan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DZAE_TSAN=ON -DZAE_BUILD_BENCH=OFF $(CMAKE_EXTRA)
	cmake --build build-tsan -j $(JOBS) --target zae_unit_tests

test-tsan: tsan
	TSAN_OPTIONS=$(TSAN_RUN_OPTIONS) \
	  $(DDB_LOCAL) ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L 'unit|conformance' $(CTEST_ARGS)

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz/: only the parsers' libraries. fuzz-smoke
# runs each target for a few seconds from its seeds; docs/fuzzing.md has the longer runs.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZAE_FUZZ=ON $(CMAKE_EXTRA)
	cmake --build build-fuzz -j $(JOBS)

fuzz-smoke: fuzz
	ctest --test-dir build-fuzz --output-on-failure -j $(JOBS) -L fuzz

# Micro-benchmarks (Release).
bench: build
	$(BUILD)/bench/zae_bench

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) build-debug build-asan build-tsan build-fuzz
