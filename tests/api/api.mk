# API tests against a real anasd: shell + curl + jq, TAP on stdout, each on a
# free loopback port with a temporary database (tests/api/lib.sh).
TESTS += \
	tests/api/10-health.sh \
	tests/api/15-cli.sh \
	tests/api/20-architectures.sh \
	tests/api/30-errors.sh \
	tests/api/40-auth.sh \
	tests/api/50-search-analytic.sh \
	tests/api/60-tutorial.sh \
	tests/api/65-multiobjective.sh \
	tests/api/66-budgets.sh \
	tests/api/67-optimizers.sh \
	tests/api/70-resume.sh \
	tests/api/72-resume-optimizers.sh \
	tests/api/80-train.sh \
	tests/api/85-analog-spec.sh \
	tests/api/87-analog-run.sh \
	tests/api/88-train-search.sh \
	tests/api/90-defects.sh \
	tests/api/91-model-in-use.sh \
	tests/api/92-surrogates.sh \
	tests/api/93-pruning.sh \
	tests/api/94-cursor.sh \
	tests/api/98-events.sh \
	tests/api/95-metrics.sh \
	tests/api/96-export-rep.sh \
	tests/api/97-www.sh

EXTRA_DIST += \
	tests/api/lib.sh \
	tests/api/prom-check.awk \
	tests/api/sse.sh \
	tests/api/10-health.sh \
	tests/api/15-cli.sh \
	tests/api/20-architectures.sh \
	tests/api/30-errors.sh \
	tests/api/40-auth.sh \
	tests/api/50-search-analytic.sh \
	tests/api/60-tutorial.sh \
	tests/api/65-multiobjective.sh \
	tests/api/66-budgets.sh \
	tests/api/67-optimizers.sh \
	tests/api/70-resume.sh \
	tests/api/72-resume-optimizers.sh \
	tests/api/80-train.sh \
	tests/api/85-analog-spec.sh \
	tests/api/87-analog-run.sh \
	tests/api/88-train-search.sh \
	tests/api/90-defects.sh \
	tests/api/91-model-in-use.sh \
	tests/api/92-surrogates.sh \
	tests/api/93-pruning.sh \
	tests/api/94-cursor.sh \
	tests/api/98-events.sh \
	tests/api/95-metrics.sh \
	tests/api/96-export-rep.sh \
	tests/api/97-www.sh

# A failed test is counted once, by its "not ok" line: the exit status is
# not counted again. An early end still shows (a missing or short plan), and
# the daemon's own failures at stop time are reported as "Bail out!".
AM_SH_LOG_DRIVER_FLAGS = --ignore-exit
