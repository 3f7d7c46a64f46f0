/* api_presets.c - placeholder: being written. */
#include "config.h"

#include "api.h"
