# tests for lib/space
check_PROGRAMS += tests/unit/space-resnet
TESTS += tests/unit/space-resnet
tests_unit_space_resnet_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-params
TESTS += tests/unit/space-params
tests_unit_space_params_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-build
TESTS += tests/unit/space-build
tests_unit_space_build_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-lenet
TESTS += tests/unit/space-lenet
tests_unit_space_lenet_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-mlp
TESTS += tests/unit/space-mlp
tests_unit_space_mlp_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-autoencoder
TESTS += tests/unit/space-autoencoder
tests_unit_space_autoencoder_LDADD = $(UNIT_LIBS)

EXTRA_DIST += tests/space-check.h tests/resnet-refs.h

check_PROGRAMS += tests/unit/space-compose
TESTS += tests/unit/space-compose
tests_unit_space_compose_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-ops
TESTS += tests/unit/space-ops
tests_unit_space_ops_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/space-metric-names
TESTS += tests/unit/space-metric-names
tests_unit_space_metric_names_LDADD = $(UNIT_LIBS)
check_PROGRAMS += tests/unit/space-encode
TESTS += tests/unit/space-encode
tests_unit_space_encode_LDADD = $(UNIT_LIBS)
