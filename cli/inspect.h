/*
 * inspect.h: --inspect DIR [SCRIPT] [--json], what a checkpoint holds.
 */
#ifndef INSPECT_H
#define INSPECT_H

#include <stddef.h>

struct job_options;

/* Print what the checkpoint in dir holds (as JSON with json); with a
 * script's text, also whether its stateful stages match.  Returns the
 * exit status: 0, 1 when dir holds no readable checkpoint, 2 when the
 * script does not compile or could not resume from it. */
int inspect_run(const char *dir, const char *script_name, const char *text, size_t len,
    const struct job_options *, int json);

#endif
