# tests for lib/analog
include tests/unit/analog-tile.mk
include tests/unit/analog-noise.mk
