/* layer.c - placeholder: being written. */
#include "config.h"

#include "analog/analog.h"
