# tests for lib/eval/train.c and lib/eval/safetensors.c
check_PROGRAMS += tests/unit/train-synthetic
TESTS += tests/unit/train-synthetic
tests_unit_train_synthetic_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/train-safetensors
TESTS += tests/unit/train-safetensors
tests_unit_train_safetensors_LDADD = $(UNIT_LIBS)
