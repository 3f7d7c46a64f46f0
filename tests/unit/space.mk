# tests for lib/space
check_PROGRAMS += tests/unit/space-resnet
TESTS += tests/unit/space-resnet
tests_unit_space_resnet_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/space-params
TESTS += tests/unit/space-params
tests_unit_space_params_LDADD = $(UNIT_LIBS)
