# tests for lib/core
check_PROGRAMS += tests/unit/core-err
TESTS += tests/unit/core-err
tests_unit_core_err_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-alloc
TESTS += tests/unit/core-alloc
tests_unit_core_alloc_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-rng
TESTS += tests/unit/core-rng
tests_unit_core_rng_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-log
TESTS += tests/unit/core-log
tests_unit_core_log_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-hash
TESTS += tests/unit/core-hash
tests_unit_core_hash_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-fmt
TESTS += tests/unit/core-fmt
tests_unit_core_fmt_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/core-metrics
TESTS += tests/unit/core-metrics
tests_unit_core_metrics_LDADD = $(UNIT_LIBS)
