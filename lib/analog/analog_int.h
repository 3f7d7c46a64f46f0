/*
 * analog_int.h - what the files of lib/analog share.
 */
#ifndef ANAS_ANALOG_INT_H
#define ANAS_ANALOG_INT_H

#include "analog/analog.h"

#endif
