# tests for lib/core
UNIT_PROGS += tests/unit/core-err
UNIT_CHECKS += tests/unit/core-err
tests_unit_core_err_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-alloc
UNIT_CHECKS += tests/unit/core-alloc
tests_unit_core_alloc_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-rng
UNIT_CHECKS += tests/unit/core-rng
tests_unit_core_rng_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-log
UNIT_CHECKS += tests/unit/core-log
tests_unit_core_log_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-hash
UNIT_CHECKS += tests/unit/core-hash
tests_unit_core_hash_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-fmt
UNIT_CHECKS += tests/unit/core-fmt
tests_unit_core_fmt_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/core-metrics
UNIT_CHECKS += tests/unit/core-metrics
tests_unit_core_metrics_LDADD = $(UNIT_LIBS)
