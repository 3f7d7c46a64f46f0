# tests for lib/analog
include tests/unit/analog-tile.mk
include tests/unit/analog-noise.mk
include tests/unit/analog-pulsed.mk

# whole networks on tiles (anet.c) and the analog evaluators
UNIT_PROGS += tests/unit/analog-net
UNIT_CHECKS += tests/unit/analog-net
tests_unit_analog_net_LDADD = $(UNIT_LIBS)

# the learned periphery: out scaling and input range (periph.c)
UNIT_PROGS += tests/unit/analog-periph
UNIT_CHECKS += tests/unit/analog-periph
tests_unit_analog_periph_LDADD = $(UNIT_LIBS)

# tests/bench/analog-overhead (run by hand) times bench-analog; make check
# builds it so that it keeps compiling.
UNIT_PROGS += tests/bench/bench-analog
tests_bench_bench_analog_LDADD = $(UNIT_LIBS)
EXTRA_DIST += tests/bench/analog-overhead tests/bench/hwa-robustness
