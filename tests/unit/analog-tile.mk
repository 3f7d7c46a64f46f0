# tests for lib/analog: tiles and layers (io.c, layer.c)
