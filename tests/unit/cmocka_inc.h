/* The includes cmocka needs, in the order it needs them. */
#ifndef CM_CMOCKA_INC_H
#define CM_CMOCKA_INC_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cm.h"
#endif
