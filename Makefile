# gridloop: thin wrapper over CMake. `make` builds build/gridloop; `make demo` and
# `make check` are the two commands the README promises work on a fresh Debian 12 machine.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTHON ?= /usr/bin/python3
DEMO_DB ?= var/demo.db
DEMO_PASSWORD ?= demo
DEMO_CASES ?= 300
# The real district `make demo` is built on (docs/grid.md section 8); empty: the synthetic 澜溪区.
DEMO_DISTRICT ?= 东城区
LISTEN ?= 127.0.0.1:8080

.PHONY: all build asan deps demo check check-sqlite-browser check-pg-fuzz check-asan check-cluster unit unit-build unit-asan api api-sqlite api-pg api-asan api-pg-asan browser web fuzz fuzz-build clean bench

all: build

build:
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

asan:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

deps:
	@scripts/deps.sh

# The web UI: npm ci + copy the app and its vendor files into build/web (what --web serves).
web:
	@web/build.sh build/web

demo: deps build web
	@mkdir -p var
	@test -f $(DEMO_DB) || build/gridloop init --db $(DEMO_DB) --demo --demo-password $(DEMO_PASSWORD) --demo-cases $(DEMO_CASES) $(if $(DEMO_DISTRICT),--district $(DEMO_DISTRICT))
	exec build/gridloop serve --db $(DEMO_DB) --listen $(LISTEN) --web build/web

# The unit tests of both builds at once: they mostly wait on their files (on two cores 45 s and
# 60 s one after the other, with 20 s and 45 s of CPU). -O: each one's output in one piece.
unit: build asan
	@$(MAKE) --no-print-directory -j2 -O unit-build unit-asan

unit-build: build
	build/unit_tests

unit-asan: asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/unit_tests

# The API suite: pytest with pytest-xdist, API_WORKERS processes, each test file whole on one
# worker (--dist loadfile: a file's module fixtures are its own server), every worker with its
# own shared demo server. The tests wait on their servers most of the time, so three workers
# on two cores take about half the serial time. API_WORKERS=0 runs serially.
API_WORKERS ?= 3
PYTEST = $(PYTHON) -m pytest -q -p no:cacheprovider $(if $(filter 0,$(API_WORKERS)),,-n $(API_WORKERS) --dist loadfile)

# The API suite on SQLite and, at the same time, on a throwaway PostgreSQL 15 (scripts/with-pg.sh),
# normal build: both mostly wait on their servers, and the PostgreSQL run's few long files
# (conftest.py's SLOW_FILES_FIRST) set its length. -O: each run's output in one piece.
api: build
	@$(MAKE) --no-print-directory -j2 -O api-sqlite api-pg

api-sqlite: build
	GRIDLOOP_BIN=$(CURDIR)/build/gridloop $(PYTEST) $(CURDIR)/tests/api

api-pg: build
	scripts/with-pg.sh env GRIDLOOP_BIN=$(CURDIR)/build/gridloop $(PYTEST) $(CURDIR)/tests/api

# The same suite against the ASan/UBSan build, on SQLite and on PostgreSQL: `make check-asan`,
# which CI runs after `make check` (together about 8 minutes on two cores).
api-asan: asan
	GRIDLOOP_BIN=$(CURDIR)/build-asan/gridloop $(PYTEST) $(CURDIR)/tests/api

api-pg-asan: deps asan
	scripts/with-pg.sh env GRIDLOOP_BIN=$(CURDIR)/build-asan/gridloop $(PYTEST) $(CURDIR)/tests/api

check-asan: deps asan
	@$(MAKE) --no-print-directory api-asan
	@$(MAKE) --no-print-directory api-pg-asan

# Browser tests: playwright-core driving Debian's chromium against the real server (build/gridloop).
# Every file starts its own server and browser, so two files run at once (BROWSER_JOBS). Three
# at once passed 101 of 101 twice under load but, on a quiet machine on 2026-12-06, took 11.2 min
# against 10.4 for two and lost a race in geocode.test.mjs (fixed): two it is. BROWSER_JOBS=1:
# one at a time.
# tests/browser/run.mjs runs the files through Node's test runner as `node --test` did, but the
# slowest first (node --test sorts by name, and the two longest began three quarters in) and with
# one `gridloop init --demo` per run copied for each server instead of one per server.
BROWSER_JOBS ?= 2
browser: build web
	BROWSER_JOBS=$(BROWSER_JOBS) node tests/browser/run.mjs

# 6 s per target, two targets at a time on two cores (FUZZ_JOBS): the 26 targets take about a
# minute and a half of `make check`; a longer hunt:
# FUZZ_SECONDS=300 make fuzz.
fuzz:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-6} scripts/fuzz.sh

# The fuzz targets' clang build alone (151 s of CPU, 170 s wall at load 8).
fuzz-build:
	scripts/fuzz.sh --build

# make check: the lint scripts, the unit tests of both builds, then two lanes side by side (-j2),
# because the stages mostly wait on their servers and browsers (one after the other, the two
# cores were about half busy for 20.5 min):
#   - the API suite on SQLite, then the browser tests;
#   - the API suite on PostgreSQL, then the fuzz targets one at a time (FUZZ_JOBS=1: each still
#     fuzzes its full FUZZ_SECONDS, on the core the browser tests leave).
# The lanes are about as long (the PostgreSQL half is the longer API run). The fuzz targets'
# clang build starts at nice 19 in the background before all this and takes only the CPU the
# stages leave; the PostgreSQL lane's fuzzing waits for it on a lock (flock), so that fuzz.sh's
# own build finds the targets built, and the build's output is shown if it fails. A shell job rather than make -j for that build: the -j2 sub-makes would
# warn that they reset a jobserver. A failed stage fails the target (after the build is waited
# for); -O prints each lane's output in one piece when it ends.
check: deps build asan
	@mkdir -p build-fuzz; nice -n 19 flock build-fuzz/.lock scripts/fuzz.sh --build >build-fuzz/build.log 2>&1 & fb=$$!; \
	tools/check-includes.sh && tools/check-format.sh && \
	$(MAKE) --no-print-directory unit && \
	$(MAKE) --no-print-directory -j2 -O check-sqlite-browser check-pg-fuzz; rc=$$?; \
	if ! wait $$fb; then echo "fuzz: the build failed:"; cat build-fuzz/build.log; exit 1; fi; exit $$rc

check-sqlite-browser: build web
	@$(MAKE) --no-print-directory api-sqlite
	@$(MAKE) --no-print-directory browser

check-pg-fuzz: deps build
	@$(MAKE) --no-print-directory api-pg
	@mkdir -p build-fuzz; FUZZ_JOBS=1 flock build-fuzz/.lock $(MAKE) --no-print-directory fuzz

# The failover tests (issue 10): deploy/cluster up (etcd, Patroni + PostgreSQL x2, HAProxy, two
# gridloop nodes on loopback), kill -9 of the database leader and of a node under load, no
# acknowledged case lost. About 3 minutes; figures printed at the end and in build/check-cluster.json.
check-cluster: deps build
	GRIDLOOP_BIN=$(CURDIR)/build/gridloop $(PYTHON) -m pytest -q -p no:cacheprovider tests/cluster

bench: deps build
	scripts/deps.sh --bench
	bench/run.sh

clean:
	rm -rf build build-asan build-fuzz
