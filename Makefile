# cloudmix: build, test, bench, sanitize, demo. GNU Make, C11, pkg-config.
#
#   make          build build/cloudmix
#   make demo     install missing Debian packages, build, compare policies on the UAV flight
#   make figures  install missing packages, build, regenerate every seed figure into build/figures/
#   make test     deps + unit tests + integration tests + style check
#   make test-slurm  the Slurm sweep test (a one-node Slurm on loopback; root)
#   make test-testbed  the multi-host testbed test (nodes and clients in network namespaces; root)
#   make testbed  a Fig. 10-like run on the testbed: load ramped, nodes added (root; build/testbed/)
#   make bench    the benchmarks in tests/bench (figures on stdout); make bench NAME... only those
#   make sanitize the whole test suite under ASan + UBSan (build-san/)
#   make check-ct Sphinx under valgrind memcheck with secrets marked undefined

PKGS      := glib-2.0 gsl libsodium sqlite3 cmocka libcurl libsoup-3.0 hiredis
# Debian packages behind PKGS, plus programs the tests and plots run.
DEB_PKGS  := libglib2.0-dev libgsl-dev libsodium-dev libsqlite3-dev libcmocka-dev \
             libcurl4-openssl-dev libsoup-3.0-dev libglpk-dev pkg-config gnuplot-nox sqlite3 python3-simpy wrk nghttp2-proxy \
             libhiredis-dev redis-server redis-tools parallel iproute2
# npm peers of the storage tests (tests/integration/peers_lib.sh), kept outside the clone
CLOUDMIX_NPM ?= $(HOME)/.cache/cloudmix/npm
NPM_PKGS  := s3rver@3 azurite@3

BUILD     ?= build
AGREE_TIMING ?= 1 # 0: the sim/real agreement test skips its timing verdict
AGREE_SKIP ?= 0   # 1 (make sanitize, to keep CI within 20 minutes): agreement.sh is not run
# the real storage scan's sizes in workflow_real.sh; make sanitize leaves out
# 64 MiB (under ASan it adds minutes; stores*.sh move 64 MiB objects there)
SCAN_SIZES ?= 1B,1K,64K,1M,64M
RSS_CHECK ?= 1    # 0: stores.sh skips its peak-RSS bounds (make sanitize: ASan's shadow memory and quarantine)
CC        ?= cc
# compile jobs of make test and make sanitize (the tests themselves run one at a time)
NPROC     := $(shell nproc 2>/dev/null || echo 1)
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Werror
CFLAGS    += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Isim -Imodels -Ireal -Ianalysis -Itraces -Icli
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS    += $(PKG_LIBS) -lglpk -lm  # GLPK ships no pkg-config file
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# Library sources: everything in the code folders except program entry points.
LIB_SRC   := $(wildcard sim/*.c) $(wildcard models/*/*.c) $(wildcard real/*.c) $(wildcard analysis/*.c) $(wildcard traces/*.c)
CLI_SRC   := $(wildcard cli/*.c) $(wildcard tests/bench/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps demo demo-real figures test test-slurm test-testbed testbed unit unit-bins integration bench sanitize sanitize-build fuzz check-style check-ct clean
all: $(BUILD)/cloudmix

# Install what pkg-config (or PATH) misses; do nothing when all is present.
deps:
	@missing=""; \
	for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	[ -f /usr/include/glpk.h ] || missing="$$missing glpk"; \
	command -v gnuplot >/dev/null || missing="$$missing gnuplot"; \
	command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	command -v ip >/dev/null && command -v tc >/dev/null || missing="$$missing iproute2"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v nghttpx >/dev/null || [ -x /usr/sbin/nghttpx ] || missing="$$missing nghttpx"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v redis-benchmark >/dev/null || missing="$$missing redis-benchmark"; \
	parallel --version 2>/dev/null | grep -q 'GNU parallel' || missing="$$missing parallel"; \
	/usr/bin/python3 -c 'import simpy' 2>/dev/null || /usr/bin/python3 -c 'import SimPy' 2>/dev/null || missing="$$missing simpy"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing; installing Debian packages: $(DEB_PKGS)"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(DEB_PKGS) >/dev/null || \
	  { echo "deps: apt-get install failed; install by hand: $(DEB_PKGS)" >&2; exit 1; }; \
	fi
	@if [ ! -x "$(CLOUDMIX_NPM)/node_modules/.bin/s3rver" ] || [ ! -x "$(CLOUDMIX_NPM)/node_modules/.bin/azurite-blob" ]; then \
	  echo "deps: installing npm packages $(NPM_PKGS) into $(CLOUDMIX_NPM)"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  command -v npm >/dev/null || { $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null; } || \
	    { echo "deps: npm is missing and apt-get install npm failed" >&2; exit 1; }; \
	  mkdir -p "$(CLOUDMIX_NPM)" && npm install --prefix "$(CLOUDMIX_NPM)" --no-audit --no-fund --silent $(NPM_PKGS) >/dev/null || \
	  { echo "deps: npm install failed; install by hand: npm install --prefix $(CLOUDMIX_NPM) $(NPM_PKGS)" >&2; exit 1; }; \
	fi

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# version.c is rewritten only when `git describe` changes, so a rebuild
# relinks only then.
$(BUILD)/version.c: FORCE
	@mkdir -p $(dir $@)
	@printf 'const char cm_version[] = "%s";\n' "$(VERSION)" > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
$(BUILD)/obj/sim/version.o: $(BUILD)/version.c
	@mkdir -p $(dir $@)
	@$(CC) $(CFLAGS) -c $< -o $@
FORCE:

$(BUILD)/libcloudmix.a: $(LIB_OBJ) $(BUILD)/obj/sim/version.o
	@rm -f $@
	@$(AR) rcs $@ $^

$(BUILD)/cloudmix: $(CLI_OBJ) $(BUILD)/libcloudmix.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcloudmix.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit $< $(BUILD)/libcloudmix.a $(LDFLAGS) $(LDLIBS) -o $@

# The default UAV scenario: a 30-minute flight, every live policy and the
# single-provider baselines over 10 seeds, as a table with 95% CIs; then one
# flight's figure.
DEMO_POLICIES := loi,cost,latency,mix,random,only:edge-openfaas,only:wavelength-openfaas,only:aws-lambda,only:gcp-cloudrun,only:azr-functions
demo: deps
	@$(MAKE) --no-print-directory all
	@rm -f $(BUILD)/uav-flight.db $(BUILD)/uav-flight-compare.db
	$(BUILD)/cloudmix compare scenarios/cloudless/uav-flight.ini --seeds 10 --policies $(DEMO_POLICIES) --out $(BUILD)/uav-flight-compare.db
	$(BUILD)/cloudmix run scenarios/cloudless/uav-flight.ini --out $(BUILD)/uav-flight.db
	$(BUILD)/cloudmix plot $(BUILD)/uav-flight-compare.db --out $(BUILD)/uav-flight-compare.png
	$(BUILD)/cloudmix plot $(BUILD)/uav-flight.db --out $(BUILD)/uav-flight.png

# Every seed figure and table cloudmix reproduces (Cloudless Fig. 5, 6, 8, 9,
# Table 1, section 6.5 and the abstract's headline on the UAV flight;
# Mixclaves Fig. 1, 8, 9 and Table 1), run from scratch into
# $(BUILD)/figures/: PNG and PDF each (the PDF's gnuplot script and data
# kept beside it), the results files in db/, and index.html setting each
# beside the seed's number and caption, with the commands that made it.
# FIGURES_SEEDS: seeds per policy of the UAV comparison (the other runs use
# their scenario's seed). Time on the 2-core development machine
# (2026-12-03, `time make -j2 figures` in a fresh clone, the packages
# already installed): 78 s in all, of which 25 s for the runs and plots
# after the build (FIGURES_SEEDS=10; 19 s of CPU: a later run took 46 s
# while other jobs shared the two cores).
FIGURES_SEEDS ?= 10
figures: deps
	@$(MAKE) --no-print-directory all
	@sh analysis/figures.sh $(BUILD)/cloudmix $(BUILD)/figures $(FIGURES_SEEDS)

# Real mode on loopback: the provider emulator serves the scenario's providers
# from the simulator's platform models; a shortened UAV flight runs through it
# with live HTTP invocations, then in simulation, side by side.
demo-real: deps
	@$(MAKE) --no-print-directory all
	@sh scenarios/real/demo-real.sh $(BUILD)/cloudmix $(BUILD)/demo-real

# the unit tests' programs, built (in parallel under make -j) but not run
unit-bins: $(UNIT_BIN)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; CLOUDMIX=$(abspath $(BUILD)/cloudmix) $$t || fail=1; done; \
	exit $$fail

integration: $(BUILD)/cloudmix
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) BUILD=$(abspath $(BUILD)) sh tests/integration/run.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/cloudless.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/fleet.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/mixclaves.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/mixclaves_anon.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/mixclaves_elastic.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/realmode.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/realcloud.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/security.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/epoch_rejoin.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/ctrl_real.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/updater_real.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/http2.sh
	@if [ "$(AGREE_SKIP)" = 1 ]; then echo "agreement.sh: not run (AGREE_SKIP=1, make sanitize: a sim/real timing comparison; the real path runs under the sanitizers in emulate.sh, realcloud.sh and workflow_real.sh)"; \
	else CLOUDMIX=$(abspath $(BUILD)/cloudmix) AGREE_TIMING=$(AGREE_TIMING) sh tests/integration/agreement.sh; fi
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/emulate.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/replay.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) RSS_CHECK=$(RSS_CHECK) sh tests/integration/stores.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/stores_http.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) SCAN_SIZES=$(SCAN_SIZES) sh tests/integration/workflow_real.sh
	@sh tests/integration/plot.sh $(abspath $(BUILD)/cloudmix)
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/didyoumean.sh
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/sweep.sh

# `cloudmix sweep --runner slurm --submit` on a one-node Slurm the test
# starts on loopback (munged, slurmctld, slurmd; about 10 s). Not part of
# `make integration`: it runs daemons as root and installs slurm-wlm and
# munge with apt-get when they are missing. .ci/run runs it.
test-slurm: $(BUILD)/cloudmix
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/slurm.sh

# The testbed (tests/testbed/README.md): network namespaces, so root, and
# iproute2 (deps). test-testbed is CI's (about 50 s); testbed the bigger
# Fig. 10-like run (TB_NODES_MAX, TB_STEP_S; a few minutes), its series in
# build/testbed/elasticity.csv and the plot beside it.
test-testbed: $(BUILD)/cloudmix
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) sh tests/integration/testbed.sh
testbed: deps $(BUILD)/cloudmix
	@CLOUDMIX=$(abspath $(BUILD)/cloudmix) OUT=$(abspath $(BUILD)/testbed) sh tests/testbed/fig10.sh

test: deps
	@$(MAKE) --no-print-directory check-style
	@$(MAKE) --no-print-directory -j$(NPROC) all unit-bins
	@$(MAKE) --no-print-directory unit integration
	@$(MAKE) --no-print-directory check-ct

# `make bench NAME...` runs only the named benchmarks (cloudmix bench --help).
ifeq (bench,$(firstword $(MAKECMDGOALS)))
BENCH_NAMES := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
$(eval $(BENCH_NAMES):;@:)
endif
bench: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/cloudmix bench $(BENCH_NAMES)

SAN_BUILD = BUILD=build-san OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"
# sanitize-build: the instrumented build alone (CI builds it on every core
# before it starts the fuzz pass beside the tests).
sanitize-build: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(SAN_BUILD) all unit-bins

sanitize: sanitize-build
	@$(MAKE) --no-print-directory $(SAN_BUILD) AGREE_SKIP=1 RSS_CHECK=0 SCAN_SIZES=1B,1K,64K,1M unit integration

# libFuzzer targets (clang), each built with -fsanitize=fuzzer,address,undefined
# against a clang-built copy of the library (build/fuzz/lib, instrumented with
# fuzzer-no-link) and run for FUZZ_SECONDS on a copy of its corpus in
# build/fuzz/run/ (the tree is never written): fuzz_scenario on the scenario
# files of the tree, the others on tests/fuzz/corpus/<target>/. Each run's
# libFuzzer "Done N runs in S second(s)" line is printed; any finding (crash,
# leak, sanitizer report, timeout) is shown with the log's tail, leaves its
# reproducer in build/fuzz/artifacts/ and makes the run exit non-zero. Not part of `make test`: a fuzz run is
# open-ended. `make fuzz-ci` is the short CI pass; `make fuzz-corpus`
# regenerates the checked-in corpora (tests/fuzz/make_corpus.c).
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# The provider adapters' response parsers (real/provider*.c): one target per
# kind, and the two parsers they share.
FUZZ_PROVIDER_TARGETS := fuzz_provider_lambda fuzz_provider_lambda_url fuzz_provider_azure \
                         fuzz_provider_cloudrun fuzz_provider_openfaas fuzz_provider_fission \
                         fuzz_lambda_report fuzz_self_report
# The storage clients' reply handling and readers of error bodies and
# listings (real/store_*.c).
FUZZ_STORE_TARGETS := fuzz_store_redis_reply fuzz_store_s3_error fuzz_store_azure_error
# The public traces' importers (tests/fuzz/fuzz_trace.h): the input's parts as a day's files.
FUZZ_TRACE_TARGETS := fuzz_trace_azure2019 fuzz_trace_azure2021 fuzz_trace_huawei2023
FUZZ_TARGETS := fuzz_scenario fuzz_sphinx_unwrap fuzz_codec fuzz_node fuzz_ctrl $(FUZZ_PROVIDER_TARGETS) $(FUZZ_STORE_TARGETS) \
                $(FUZZ_TRACE_TARGETS)
FUZZ_MAXLEN_fuzz_scenario      := 4096
FUZZ_MAXLEN_fuzz_sphinx_unwrap := 2500
FUZZ_MAXLEN_fuzz_codec         := 2500
FUZZ_MAXLEN_fuzz_node          := 25000
FUZZ_MAXLEN_fuzz_ctrl          := 2100
$(foreach t,$(FUZZ_PROVIDER_TARGETS) $(FUZZ_STORE_TARGETS) $(FUZZ_TRACE_TARGETS),$(eval FUZZ_MAXLEN_$(t) := 8192))
# Seconds per target: FUZZ_SECONDS_<target> when set, else FUZZ_SECONDS.
# As shell case arms: "target) max=...; secs=...;;".
rp := )
FUZZ_CASES = $(foreach t,$(FUZZ_TARGETS),$(t)$(rp) max=$(FUZZ_MAXLEN_$(t)); secs=$(or $(FUZZ_SECONDS_$(t)),$(FUZZ_SECONDS));;)
FUZZ_COMMON  := tests/fuzz/fuzz_common.c
.PHONY: fuzz-build fuzz-ci fuzz-corpus

fuzz-build: deps
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' | \
	  clang -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null || \
	  { echo "fuzz: needs clang with libFuzzer (apt-get install clang libclang-rt-dev)" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR)/lib CC=clang \
	  OPT="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  $(FUZZ_DIR)/lib/libcloudmix.a
	@for t in $(FUZZ_TARGETS); do \
	  extra=""; [ $$t = fuzz_scenario ] || extra="$(FUZZ_COMMON)"; \
	  echo "  FUZZ    $(FUZZ_DIR)/$$t"; \
	  clang -std=c11 -D_GNU_SOURCE $(FUZZ_FLAGS) $(WARN) -Isim -Imodels -Ireal -Itraces -Itests/fuzz $(PKG_CFLAGS) \
	    tests/fuzz/$$t.c $$extra $(FUZZ_DIR)/lib/libcloudmix.a $(LDLIBS) -o $(FUZZ_DIR)/$$t || exit 1; \
	done

fuzz: fuzz-build
	@fail=0; total=0; for t in $(FUZZ_TARGETS); do \
	  run=$(FUZZ_DIR)/run/$$t; rm -rf $$run; mkdir -p $$run $(FUZZ_DIR)/artifacts; \
	  if [ $$t = fuzz_scenario ]; then cp scenarios/*.ini tests/data/scenarios/*.ini $$run/; \
	  else cp tests/fuzz/corpus/$$t/* $$run/; fi; \
	  case $$t in $(FUZZ_CASES) esac; \
	  echo "== $$t for $$secs s (log: $(FUZZ_DIR)/$$t.log)"; \
	  ./$(FUZZ_DIR)/$$t -max_total_time=$$secs -max_len=$$max -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$t- $$run > $(FUZZ_DIR)/$$t.log 2>&1; rc=$$?; \
	  done_line=$$(grep -E '^Done [0-9]+ runs in' $(FUZZ_DIR)/$$t.log | tail -1); \
	  if [ $$rc -ne 0 ] || [ -z "$$done_line" ]; then \
	    echo "$$t: FINDING (exit $$rc); last lines of $(FUZZ_DIR)/$$t.log:"; tail -40 $(FUZZ_DIR)/$$t.log; fail=1; \
	  else echo "$$t: $$done_line"; total=$$((total + $$(echo "$$done_line" | cut -d' ' -f2))); fi; \
	done; \
	echo "fuzz: $$total runs in all"; exit $$fail

# CI: the short pass, 20 s per target and 6 s per response parser and trace importer (about
# 3 minutes in all, to keep CI within its 20 minutes).
fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20 \
	  $(foreach t,$(FUZZ_PROVIDER_TARGETS) $(FUZZ_STORE_TARGETS) $(FUZZ_TRACE_TARGETS),FUZZ_SECONDS_$(t)=6)

# Regenerate tests/fuzz/corpus/ (valid packets under the targets' fixed keys,
# plus malformed ones); deterministic.
fuzz-corpus: $(BUILD)/libcloudmix.a
	@mkdir -p $(BUILD)/fuzz
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/fuzz tests/fuzz/make_corpus.c $(FUZZ_COMMON) $(BUILD)/libcloudmix.a \
	  $(LDFLAGS) $(LDLIBS) -o $(BUILD)/fuzz/make_corpus
	$(BUILD)/fuzz/make_corpus tests/fuzz/corpus

# Model code reaches the world only through env: no clocks, sockets, files,
# libc randomness or backend switches under models/; and cli/ defines no
# results tables.
check-style:
	@bad=$$(grep -rnE '\b(clock_gettime|gettimeofday|g_get_monotonic_time|g_get_real_time|time\(|rand\(|srand|random\(|socket\(|sendto|recvfrom|fopen|open\(|getenv)|#\s*if(n?def)?\s.*\bSIM\b' --include='*.c' --include='*.h' models/ || true); \
	if [ -n "$$bad" ]; then echo "check-style: model code reaches past the seam:"; echo "$$bad"; exit 1; fi; \
	echo "check-style: ok (models/ uses only env)"
	@# cli/ holds no table definitions: each table's SQL lives in its one
	@# owner under analysis/ (analysis/SCHEMA.md names it).
	@bad=$$(grep -rnE 'CREATE (TABLE|INDEX)|INSERT INTO' --include='*.c' --include='*.h' cli/ || true); \
	if [ -n "$$bad" ]; then echo "check-style: SQL table definitions in cli/ (their owner is in analysis/):"; echo "$$bad"; exit 1; fi; \
	echo "check-style: ok (no table definitions in cli/)"

# Constant-time check, ctgrind style (about 5 s): tests/ct/ct_sphinx.c marks
# Sphinx secrets undefined, so memcheck reports every branch or memory index
# that depends on them; declassification points are in mixclaves/ct.h.
CT_BIN := $(BUILD)/tests/ct_sphinx
$(CT_BIN): tests/ct/ct_sphinx.c $(BUILD)/libcloudmix.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $< $(BUILD)/libcloudmix.a $(LDFLAGS) $(LDLIBS) -o $@
check-ct: $(CT_BIN)
	@command -v valgrind >/dev/null || { echo "check-ct: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
	valgrind -q --error-exitcode=1 --track-origins=yes --suppressions=tests/ct/ct.supp $(CT_BIN)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
