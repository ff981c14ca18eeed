/*
 * builtin.h: the table of built-in functions.
 *
 * Each entry gives a function's name, how many arguments it takes, what
 * kind of value it returns (so the checker can tell when elements are
 * lists of strings or pairs) and which argument may be a regex.  The
 * runtime fills in the implementations next to these entries.
 */
#ifndef BUILTIN_H
#define BUILTIN_H

enum builtin_result {
	RES_ANY,
	RES_NULL,
	RES_BOOL,
	RES_INT,
	RES_NUMBER,		/* int or double, or null */
	RES_STRING,
	RES_STRING_OR_NULL,
	RES_LIST_OF_STRING,
	RES_LIST,
	RES_MAP,
};

struct builtin {
	const char *name;
	int min_args;
	int max_args;
	enum builtin_result result;
	int regex_arg;		/* 1-based argument that takes a regex, or 0 */
	int regex_only;		/* that argument must be a regex (not a string) */
	const char *usage;	/* "split(s, sep)" */
	const char *summary;
};

const struct builtin *builtin_find(const char *name);
const struct builtin *builtin_all(int *n);

#endif
