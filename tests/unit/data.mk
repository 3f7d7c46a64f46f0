# tests for lib/data and lib/eval/train
UNIT_PROGS += tests/unit/data-idx
UNIT_CHECKS += tests/unit/data-idx
tests_unit_data_idx_CPPFLAGS = $(AM_CPPFLAGS) $(ZLIB_CFLAGS)
tests_unit_data_idx_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/data-cifar
UNIT_CHECKS += tests/unit/data-cifar
tests_unit_data_cifar_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/data-synth
UNIT_CHECKS += tests/unit/data-synth
tests_unit_data_synth_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/data-dataset
UNIT_CHECKS += tests/unit/data-dataset
tests_unit_data_dataset_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/data-loader
UNIT_CHECKS += tests/unit/data-loader
tests_unit_data_loader_LDADD = $(UNIT_LIBS)
