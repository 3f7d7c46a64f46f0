# API tests against a real anasd: shell + curl + jq, TAP on stdout, each on a
# free loopback port with a temporary database (tests/api/lib.sh).
# Longest first (under valgrind), so that make -j ends with short ones.
#
# Under valgrind (--enable-valgrind-tests) the daemon runs about thirty
# times slower, so that configuration runs the tests whose daemon paths
# valgrind's own checks (uninitialised values) add most to: every codec's
# errors, a search and its store, kill -9 and resume, training, surrogate
# fits, event streams and tokens. The rest take the same paths with more
# work or are covered elsewhere under valgrind (the optimizers, budgets,
# pruning, analog specs, anasctl's parsers and the config file have unit
# or fuzz-replay tests there); ASan+UBSan runs every test, and
# ThreadSanitizer the ones where threads meet (tests/local.mk).
API_VALGRIND_TESTS = \
	tests/api/70-resume.sh \
	tests/api/92-surrogates.sh \
	tests/api/30-errors.sh \
	tests/api/80-train.sh \
	tests/api/40-auth.sh \
	tests/api/50-search-analytic.sh \
	tests/api/98-events.sh
API_TESTS = \
	tests/api/45-disk-full.sh \
	tests/api/46-bad-db.sh \
	tests/api/47-migrate.sh \
	tests/api/48-clock.sh \
	tests/api/93-pruning.sh \
	tests/api/75-anas-worker.sh \
	tests/api/74-leases.sh \
	tests/api/72-resume-optimizers.sh \
	$(API_VALGRIND_TESTS) \
	tests/api/99-anasctl.sh \
	tests/api/15-cli.sh \
	tests/api/94-cursor.sh \
	tests/api/65-multiobjective.sh \
	tests/api/41-sighup.sh \
	tests/api/95-metrics.sh \
	tests/api/10-health.sh \
	tests/api/66-budgets.sh \
	tests/api/85-analog-spec.sh \
	tests/api/88-train-search.sh \
	tests/api/67-optimizers.sh \
	tests/api/60-tutorial.sh \
	tests/api/99-anasctl-ci.sh \
	tests/api/90-defects.sh \
	tests/api/87-analog-run.sh \
	tests/api/89-analog-training.sh \
	tests/api/86-aihwkit-examples.sh \
	tests/api/97-www.sh \
	tests/api/91-model-in-use.sh \
	tests/api/96-export-rep.sh \
	tests/api/42-scopes.sh \
	tests/api/43-limits.sh \
	tests/api/20-architectures.sh \
	tests/api/31-run-text.sh

# make distcheck (--enable-smoke-tests) proves the tarball builds and
# installs, and builds the test programs; of the daemon it starts one, follows the
# README's tour and serves the dashboard: packaging/test has already run
# everything else three times.
API_SMOKE_TESTS = \
	tests/api/60-tutorial.sh \
	tests/api/97-www.sh \
	tests/api/10-health.sh

if SMOKE_TESTS
TESTS += $(API_SMOKE_TESTS)
else
if VALGRIND_TESTS
TESTS += $(API_VALGRIND_TESTS)
else
if TSAN_TESTS
TESTS += $(API_VALGRIND_TESTS)
else
TESTS += $(API_TESTS)
endif
endif
endif
EXTRA_DIST += \
	tests/api/lib.sh \
	tests/api/prom-check.awk \
	tests/api/sse.sh \
	tests/api/slow_clients.py \
	$(API_TESTS)

# A failed test is counted once, by its "not ok" line: the exit status is
# not counted again. An early end still shows (a missing or short plan), and
# the daemon's own failures at stop time are reported as "Bail out!".
AM_SH_LOG_DRIVER_FLAGS = --ignore-exit
