# tests for lib/analog: pulsed devices and the pulsed update (device.c, pulsed.c, pconfig.c)
check_PROGRAMS += tests/unit/analog-pulsed-device
TESTS += tests/unit/analog-pulsed-device
tests_unit_analog_pulsed_device_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/analog-pulsed-update
TESTS += tests/unit/analog-pulsed-update
tests_unit_analog_pulsed_update_LDADD = $(UNIT_LIBS)
