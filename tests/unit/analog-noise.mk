# tests for lib/analog: noise models, modifier, config (noise.c, modifier.c, config.c)
