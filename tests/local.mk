# Tests: TAP programs (tests/unit) and shell API tests (tests/api), all run
# by automake's harness through tap-driver.sh.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)

VALGRIND_CMD = $(VALGRIND) -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --suppressions=$(abs_top_srcdir)/tests/valgrind.supp
if VALGRIND_TESTS
LOG_COMPILER = $(VALGRIND_CMD)
ANASD_WRAPPER = $(VALGRIND_CMD)
# Unit tests that drive whole searches take fewer seeds under valgrind.
VALGRIND_ENV = ANAS_VALGRIND=1; export ANAS_VALGRIND;
else
ANASD_WRAPPER =
VALGRIND_ENV =
endif

# Under ThreadSanitizer the first race ends the process (exit 66), so a
# daemon test fails at its stop with the report in its log; the daemon's
# waits are doubled, as it runs several times slower.
if TSAN_TESTS
TSAN_ENV = TSAN_OPTIONS='halt_on_error=1 exitcode=66 second_deadlock_stack=1 \
	suppressions=$(abs_top_srcdir)/tests/tsan.supp'; export TSAN_OPTIONS; \
	ANAS_TIMEOUT_SCALE=3; export ANAS_TIMEOUT_SCALE; ANAS_VALGRIND=1; export ANAS_VALGRIND;
else
TSAN_ENV =
endif

# ANAS_SHARED: the project's shared/ folder (reference data); tests that need
# it skip cleanly when it is absent.
AM_TESTS_ENVIRONMENT = \
	ANASD='$(abs_top_builddir)/daemon/anasd'; export ANASD; \
	ANASCTL='$(abs_top_builddir)/clients/anasctl/anasctl'; export ANASCTL; \
	ANAS_WORKER='$(abs_top_builddir)/clients/anas-worker/anas-worker'; export ANAS_WORKER; \
	ANASD_WRAPPER='$(ANASD_WRAPPER)'; export ANASD_WRAPPER; \
	ANAS_SRCDIR='$(abs_top_srcdir)'; export ANAS_SRCDIR; \
	: "$${ANAS_SHARED:=$(abs_top_srcdir)/../shared}"; export ANAS_SHARED; \
	OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS; \
	OMP_NUM_THREADS=1; export OMP_NUM_THREADS; \
	MALLOC_PERTURB_=165; export MALLOC_PERTURB_; \
	$(VALGRIND_ENV) $(TSAN_ENV)

EXTRA_DIST += tests/tap.h tests/valgrind.supp tests/tsan.supp

# packaging/test's ThreadSanitizer stage (make check-tsan in a build
# configured with --enable-tsan): where threads meet - thread teams, the
# surrogate fits and their cancellation, the HTTP loop, a search on the
# pool, training, fits on the pool, event streams, resume - rather than the
# single-threaded numerics every other configuration runs. make check
# there runs everything.
TSAN_CHECKS = tests/unit/tensor-team tests/unit/surrogate-threads tests/unit/surrogate-fit \
	tests/unit/train-synthetic tests/unit/daemon-http tests/unit/space-compose \
	tests/api/70-resume.sh tests/api/92-surrogates.sh tests/api/80-train.sh \
	tests/api/50-search-analytic.sh tests/api/98-events.sh tests/api/43-limits.sh
check-tsan:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(TSAN_CHECKS)'
.PHONY: check-tsan

# What a --enable-valgrind-tests build's make check runs (the unit tests,
# the fuzz replays, API_VALGRIND_TESTS, all under valgrind), in any
# ordinary build: packaging/test's valgrind stage runs it in build-test,
# whose objects are the same, instead of compiling the tree once more. The
# per-test logs replace those of the last make check there.
check-valgrind:
	@test -n '$(VALGRIND)' || { echo 'check-valgrind: apt-get install valgrind' >&2; exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) check LOG_COMPILER='$(VALGRIND_CMD)' \
		ANASD_WRAPPER='$(VALGRIND_CMD)' VALGRIND_ENV='ANAS_VALGRIND=1; export ANAS_VALGRIND;' \
		TESTS='$(UNIT_CHECKS) $(API_VALGRIND_TESTS)'
.PHONY: check-valgrind

UNIT_LIBS = $(LIBANAS_LIBS)

include tests/pkg/pkg.mk
include tests/slurm/slurm.mk
include tests/unit/core.mk
include tests/unit/nn.mk
include tests/unit/space.mk
include tests/unit/search.mk
include tests/unit/daemon.mk
include tests/unit/data.mk
include tests/unit/train.mk
include tests/unit/torch.mk
include tests/unit/analog.mk
include tests/api/api.mk
include tests/fuzz/fuzz.mk
include tests/www/www.mk
