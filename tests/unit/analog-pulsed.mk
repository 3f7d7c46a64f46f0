# tests for lib/analog: pulsed devices and the pulsed update (device.c, pulsed.c, pconfig.c)
UNIT_PROGS += tests/unit/analog-pulsed-device
UNIT_CHECKS += tests/unit/analog-pulsed-device
tests_unit_analog_pulsed_device_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/analog-pulsed-update
UNIT_CHECKS += tests/unit/analog-pulsed-update
tests_unit_analog_pulsed_update_LDADD = $(UNIT_LIBS)

# tests/bench/aihwkit-examples (run by hand) runs bench-aihwkit; make check
# builds it so that it keeps compiling.
UNIT_PROGS += tests/bench/bench-aihwkit
tests_bench_bench_aihwkit_LDADD = $(UNIT_LIBS)
EXTRA_DIST += tests/bench/aihwkit-examples tests/bench/aihwkit-speed
