# tests for lib/data and lib/eval/train
check_PROGRAMS += tests/unit/data-idx
TESTS += tests/unit/data-idx
tests_unit_data_idx_CPPFLAGS = $(AM_CPPFLAGS) $(ZLIB_CFLAGS)
tests_unit_data_idx_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/data-cifar
TESTS += tests/unit/data-cifar
tests_unit_data_cifar_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/data-synth
TESTS += tests/unit/data-synth
tests_unit_data_synth_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/data-dataset
TESTS += tests/unit/data-dataset
tests_unit_data_dataset_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/data-loader
TESTS += tests/unit/data-loader
tests_unit_data_loader_LDADD = $(UNIT_LIBS)
