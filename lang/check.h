/*
 * check.h: the checker's entry point is check_program() in plan.h; this
 * header exists so check.c has its own, as every module does.
 */
#ifndef CHECK_H
#define CHECK_H

#include "plan.h"

#endif
