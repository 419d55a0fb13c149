/* The header holds everything; this file gives the target a translation unit. */
#include "bifrost_atomics.h"
