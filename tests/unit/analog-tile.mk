# tests for lib/analog: tiles and layers (io.c, layer.c)
UNIT_PROGS += tests/unit/analog-forward
UNIT_CHECKS += tests/unit/analog-forward
tests_unit_analog_forward_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/analog-layer
UNIT_CHECKS += tests/unit/analog-layer
tests_unit_analog_layer_LDADD = $(UNIT_LIBS)

# bench-tile times the analog forward against the plain sgemm of the same
# product (run by hand); built by make, never run by make check. (The first
# noinst program of the tree: whoever adds the next one should move this
# "=" into Makefile.am and make both "+=".)
noinst_PROGRAMS = tests/bench/bench-tile
tests_bench_bench_tile_LDADD = $(UNIT_LIBS)

# accumulating into Y = adding the written outputs, to the bit (io.c's
# columns layout writes Y from its ADC)
UNIT_PROGS += tests/unit/analog-accumulate
UNIT_CHECKS += tests/unit/analog-accumulate
tests_unit_analog_accumulate_LDADD = $(UNIT_LIBS)

# a layer's digital bias added as the tile writes its outputs = a pass
# after, to the bit (layer.c, io.c's anas__io_forward_bias)
UNIT_PROGS += tests/unit/analog-bias-fused
UNIT_CHECKS += tests/unit/analog-bias-fused
tests_unit_analog_bias_fused_LDADD = $(UNIT_LIBS)
