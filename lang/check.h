/*
 * check.h: the checker's entry point is check_program() in plan.h; the
 * one check made when a job starts rather than on the script is here.
 */
#ifndef CHECK_H
#define CHECK_H

#include "plan.h"

/*
 * guarantee exactly-once with a stdin that is not a regular file (a pipe,
 * a terminal): stdin cannot replay what it read, which only the running
 * job can tell.  An error in d at the stdin source and -1, or 0.
 */
int check_guarantee_stdin(const struct plan *, int stdin_is_regular, struct diags *);

#endif
