/*
 * tap.h: a few macros for unit tests that print TAP, one line per check,
 * and the plan at the end.
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...) do {						\
	int tap_c = !!(cond);	/* once: a condition may do the work */	\
	tap_n++;							\
	if (tap_c) {							\
		printf("ok %d - ", tap_n);				\
	} else {							\
		tap_failed++;						\
		printf("not ok %d - ", tap_n);				\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_c)							\
		printf("#   failed at %s:%d\n", __FILE__, __LINE__);	\
} while (0)

/* Compare two C strings, showing both when they differ. */
#define TAP_STR(got, want, ...) do {					\
	const char *tap_g = (got), *tap_w = (want);			\
	int tap_same = tap_g != NULL && strcmp(tap_g, tap_w) == 0;	\
	TAP_OK(tap_same, __VA_ARGS__);					\
	if (!tap_same)							\
		printf("#   got  '%s'\n#   want '%s'\n",		\
		    tap_g != NULL ? tap_g : "(null)", tap_w);		\
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return 0;
}

#endif
