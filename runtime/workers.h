/*
 * workers.h: the pool of worker threads that run the CPU work of batches.
 *
 * Work is handed out as tasks; a task group counts the tasks of one step
 * (the blocks of a batch, the partitions of a merge) so the driver can
 * wait for exactly those.  Each worker has an index, 0..n-1, so per-worker
 * data (arenas, partial aggregates) needs no locks.
 */
#ifndef WORKERS_H
#define WORKERS_H

struct workers;
struct task_group;

typedef void (*task_fn)(void *arg, int worker);

struct workers *workers_new(int n);
void workers_free(struct workers *);	/* waits for queued tasks */
int workers_count(const struct workers *);

struct task_group *task_group_new(void);
void task_group_free(struct task_group *);
void workers_submit(struct workers *, struct task_group *, task_fn, void *arg);
/* Wait until every task submitted to the group has run. */
void task_group_wait(struct task_group *);

#endif
