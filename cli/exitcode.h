/*
 * exitcode.h: streamjob's exit statuses (SPEC section 3).
 */
#ifndef EXITCODE_H
#define EXITCODE_H

#define EXIT_OK		0	/* the job ended: its sources ended or it was stopped */
#define EXIT_RUNTIME	1	/* the job failed while running */
#define EXIT_USAGE	2	/* a usage error, or a script that fails its check */

#endif
