/*
 * rpu.c - AnalogNAS's RPU-configuration space (PR #6's RPUConfigSpace,
 * "rpu-like", analogainas/search_spaces/config_spaces/rpu_config_space.py):
 * not a network but the hardware a fixed trained network runs on. Its four
 * hyperparameters set the PCM model's g_max, the tile's input size, and the
 * DAC and ADC resolutions (inp_res = 1/dac, out_res = 1/adc) of a base
 * hardware configuration; the `rpu` evaluator (lib/eval) measures the
 * trained network on it. 10 * 6 * 7 * 7 = 2,940 configurations.
 */
#include "config.h"

#include "space/space_int.h"

static const double g_max_choices[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
static const double tile_choices[] = {64, 128, 256, 512, 1024, 2048};
static const double res_choices[] = {32, 64, 128, 256, 512, 1024, 2048};

static const struct anas_hp rpu_hps[] = {
    {"g_max", ANAS_HP_CHOICE, 1, 512, 10, g_max_choices, 1,
     "PCM maximum conductance (microsiemens)"},
    {"tile_size", ANAS_HP_CHOICE, 64, 2048, 6, tile_choices, 1,
     "tile inputs (mapping.max_input_size)"},
    {"dac_resolution", ANAS_HP_CHOICE, 32, 2048, 7, res_choices, 1,
     "DAC steps (forward.inp_res = 1/steps)"},
    {"adc_resolution", ANAS_HP_CHOICE, 32, 2048, 7, res_choices, 1,
     "ADC steps (forward.out_res = 1/steps)"},
};

const struct anas_space anas__space_rpu = {
    .name = "rpu",
    .description = "AnalogNAS's RPU-configuration space: g_max, tile size, DAC and ADC "
                   "resolution of the tiles a fixed trained network runs on",
    .n_hp = (int)(sizeof rpu_hps / sizeof rpu_hps[0]),
    .hp = rpu_hps,
    .default_shape = {.c = 1, .h = 28, .w = 28, .classes = 10},
    .features = anas__features_values,
};
