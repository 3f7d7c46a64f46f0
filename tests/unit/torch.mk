# The training engine against PyTorch: tests/unit/nn-torch compares forward,
# gradients and optimizer steps with tests/golden/torch_ref.py on the same
# weights (skips without Debian's python3-torch); tests/bench/train-vs-torch
# (run by hand, not by make check) times both engines with bench-train,
# which make check builds so that it keeps compiling.
UNIT_PROGS += tests/unit/nn-torch
UNIT_CHECKS += tests/unit/nn-torch
tests_unit_nn_torch_CPPFLAGS = $(AM_CPPFLAGS) -DANAS_TOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_nn_torch_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/bench/bench-train
tests_bench_bench_train_LDADD = $(UNIT_LIBS)

EXTRA_DIST += tests/golden/torch_ref.py tests/golden/torch_models.py \
	tests/bench/train-vs-torch tests/bench/torch_bench.py
