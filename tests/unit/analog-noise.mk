# tests for lib/analog: noise models, modifier, config (noise.c, modifier.c, config.c)
UNIT_PROGS += tests/unit/analog-config
UNIT_CHECKS += tests/unit/analog-config
tests_unit_analog_config_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/analog-noise
UNIT_CHECKS += tests/unit/analog-noise
tests_unit_analog_noise_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/analog-modifier
UNIT_CHECKS += tests/unit/analog-modifier
tests_unit_analog_modifier_LDADD = $(UNIT_LIBS)
