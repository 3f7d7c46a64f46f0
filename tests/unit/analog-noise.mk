# tests for lib/analog: noise models, modifier, config (noise.c, modifier.c, config.c)
check_PROGRAMS += tests/unit/analog-config
TESTS += tests/unit/analog-config
tests_unit_analog_config_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/analog-noise
TESTS += tests/unit/analog-noise
tests_unit_analog_noise_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/analog-modifier
TESTS += tests/unit/analog-modifier
tests_unit_analog_modifier_LDADD = $(UNIT_LIBS)
