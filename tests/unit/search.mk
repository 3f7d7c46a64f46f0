# tests for lib/surrogate, lib/eval and lib/search
UNIT_PROGS += tests/unit/surrogate-golden
UNIT_CHECKS += tests/unit/surrogate-golden
tests_unit_surrogate_golden_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/surrogate-errors
UNIT_CHECKS += tests/unit/surrogate-errors
tests_unit_surrogate_errors_CPPFLAGS = $(AM_CPPFLAGS) $(XGBOOST_CFLAGS)
tests_unit_surrogate_errors_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/surrogate-check
UNIT_CHECKS += tests/unit/surrogate-check
tests_unit_surrogate_check_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/surrogate-threads
UNIT_CHECKS += tests/unit/surrogate-threads
tests_unit_surrogate_threads_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/eval-surrogate
UNIT_CHECKS += tests/unit/eval-surrogate
tests_unit_eval_surrogate_CPPFLAGS = $(AM_CPPFLAGS) $(XGBOOST_CFLAGS)
tests_unit_eval_surrogate_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-judge
UNIT_CHECKS += tests/unit/search-judge
tests_unit_search_judge_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-random
UNIT_CHECKS += tests/unit/search-random
tests_unit_search_random_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-ea-analognas
UNIT_CHECKS += tests/unit/search-ea-analognas
tests_unit_search_ea_analognas_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-pareto
UNIT_CHECKS += tests/unit/search-pareto
tests_unit_search_pareto_LDADD = $(UNIT_LIBS)

# tests/bench/search-quality (run by hand, not by make check) compares the
# optimizers on AnalogNAS's surrogates; make check builds its program so
# that it keeps compiling (or: make tests/bench/search-quality).
UNIT_PROGS += tests/bench/search-quality
tests_bench_search_quality_LDADD = $(UNIT_LIBS)
EXTRA_DIST += tests/bench/search-quality tests/bench/bench-search.h

# tests/bench/search-efficiency (run by hand) runs anasd's optimizers against
# Optuna's samplers on the same surrogates; its program is built here too.
UNIT_PROGS += tests/bench/search-efficiency
tests_bench_search_efficiency_LDADD = $(UNIT_LIBS)
EXTRA_DIST += tests/bench/search-efficiency tests/bench/search_efficiency.py
EXTRA_DIST += tests/search-drive.h

UNIT_PROGS += tests/unit/search-ea
UNIT_CHECKS += tests/unit/search-ea
tests_unit_search_ea_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-regevo
UNIT_CHECKS += tests/unit/search-regevo
tests_unit_search_regevo_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-grid
UNIT_CHECKS += tests/unit/search-grid
tests_unit_search_grid_LDADD = $(UNIT_LIBS)
UNIT_PROGS += tests/unit/search-nsga2
UNIT_CHECKS += tests/unit/search-nsga2
tests_unit_search_nsga2_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-gp
UNIT_CHECKS += tests/unit/search-gp
tests_unit_search_gp_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/search-bo
UNIT_CHECKS += tests/unit/search-bo
tests_unit_search_bo_LDADD = $(UNIT_LIBS)
UNIT_PROGS += tests/unit/search-linas
UNIT_CHECKS += tests/unit/search-linas
tests_unit_search_linas_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/surrogate-fit
UNIT_CHECKS += tests/unit/surrogate-fit
tests_unit_surrogate_fit_LDADD = $(UNIT_LIBS)

# anas_surrogate_fit against Python's xgboost (tests/golden/xgb_ref.py;
# skips without Debian's python3-xgboost)
UNIT_PROGS += tests/unit/surrogate-xgb-py
UNIT_CHECKS += tests/unit/surrogate-xgb-py
tests_unit_surrogate_xgb_py_CPPFLAGS = $(AM_CPPFLAGS) -DANAS_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_surrogate_xgb_py_LDADD = $(UNIT_LIBS)
EXTRA_DIST += tests/golden/xgb_ref.py

# tests/bench/worker-utilisation (run by hand): how busy the scheduler keeps
# two workers in a training search.
EXTRA_DIST += tests/bench/worker-utilisation

UNIT_PROGS += tests/unit/search-prune
UNIT_CHECKS += tests/unit/search-prune
tests_unit_search_prune_LDADD = $(UNIT_LIBS)

# tests/bench/demo-pareto (run by hand): the main job's model-based search
# against random search with the same trainings.
EXTRA_DIST += tests/bench/demo-pareto

# tests/bench/sse-load (run by hand): GET /api/v1/runs/{id} with and
# without 100 event streams following a live search.
EXTRA_DIST += tests/bench/sse-load
