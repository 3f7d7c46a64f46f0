/* codec_analog.c - placeholder: being written. */
#include "config.h"

#include "codec_int.h"
