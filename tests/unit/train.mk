# tests for lib/eval/train.c and lib/eval/safetensors.c
UNIT_PROGS += tests/unit/train-synthetic
UNIT_CHECKS += tests/unit/train-synthetic
tests_unit_train_synthetic_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/train-safetensors
UNIT_CHECKS += tests/unit/train-safetensors
tests_unit_train_safetensors_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/eval-threads
UNIT_CHECKS += tests/unit/eval-threads
tests_unit_eval_threads_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/tensor-blas-team
UNIT_CHECKS += tests/unit/tensor-blas-team
tests_unit_tensor_blas_team_LDADD = $(UNIT_LIBS)
