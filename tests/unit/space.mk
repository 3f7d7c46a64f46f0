# tests for lib/space
UNIT_PROGS += tests/unit/space-resnet
UNIT_CHECKS += tests/unit/space-resnet
tests_unit_space_resnet_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-params
UNIT_CHECKS += tests/unit/space-params
tests_unit_space_params_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-build
UNIT_CHECKS += tests/unit/space-build
tests_unit_space_build_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-lenet
UNIT_CHECKS += tests/unit/space-lenet
tests_unit_space_lenet_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-mlp
UNIT_CHECKS += tests/unit/space-mlp
tests_unit_space_mlp_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-autoencoder
UNIT_CHECKS += tests/unit/space-autoencoder
tests_unit_space_autoencoder_LDADD = $(UNIT_LIBS)

EXTRA_DIST += tests/space-check.h tests/resnet-refs.h

UNIT_PROGS += tests/unit/space-compose
UNIT_CHECKS += tests/unit/space-compose
tests_unit_space_compose_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/space-ops
UNIT_CHECKS += tests/unit/space-ops
tests_unit_space_ops_LDADD = $(UNIT_LIBS)
UNIT_PROGS += tests/unit/space-metric-names
UNIT_CHECKS += tests/unit/space-metric-names
tests_unit_space_metric_names_LDADD = $(UNIT_LIBS)
UNIT_PROGS += tests/unit/space-encode
UNIT_CHECKS += tests/unit/space-encode
tests_unit_space_encode_LDADD = $(UNIT_LIBS)
UNIT_PROGS += tests/unit/space-analytic
UNIT_CHECKS += tests/unit/space-analytic
tests_unit_space_analytic_LDADD = $(UNIT_LIBS)
