/*
 * workers.c: a fixed pool of threads taking tasks from one FIFO queue.
 *
 * The queue is a linked list under one mutex: tasks are coarse (a block of
 * about a megabyte of input, a partition of a merge), so contention on it
 * is negligible next to the work.
 */
#include <pthread.h>
#include <stdlib.h>

#include "workers.h"
#include "stdlib/regex.h"
#include "stdlib/xmalloc.h"

struct task {
	struct task *next;
	task_fn fn;
	void *arg;
	struct task_group *group;
};

struct task_group {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int pending;
};

struct worker_arg {
	struct workers *pool;
	int index;
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct task *head, *tail;
	int stopping;
	int n;
	pthread_t *threads;
	struct worker_arg *args;
};

static void *
worker_main(void *p)
{
	struct worker_arg *wa = p;
	struct workers *w = wa->pool;

	for (;;) {
		struct task *t;

		pthread_mutex_lock(&w->lock);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->ready, &w->lock);
		if (w->head == NULL) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		t = w->head;
		w->head = t->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		t->fn(t->arg, wa->index);

		pthread_mutex_lock(&t->group->lock);
		if (--t->group->pending == 0)
			pthread_cond_broadcast(&t->group->done);
		pthread_mutex_unlock(&t->group->lock);
		free(t);
	}
	regex_thread_done();
	return NULL;
}

struct workers *
workers_new(int n)
{
	struct workers *w = xcalloc(1, sizeof *w);

	if (n < 1)
		n = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->n = n;
	w->threads = xcalloc((size_t)n, sizeof *w->threads);
	w->args = xcalloc((size_t)n, sizeof *w->args);
	for (int i = 0; i < n; i++) {
		w->args[i].pool = w;
		w->args[i].index = i;
		if (pthread_create(&w->threads[i], NULL, worker_main, &w->args[i]) != 0)
			abort();
	}
	return w;
}

void
workers_free(struct workers *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->ready);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->ready);
	free(w->threads);
	free(w->args);
	free(w);
}

int
workers_count(const struct workers *w)
{
	return w->n;
}

struct task_group *
task_group_new(void)
{
	struct task_group *g = xcalloc(1, sizeof *g);

	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->done, NULL);
	return g;
}

void
task_group_free(struct task_group *g)
{
	if (g == NULL)
		return;
	task_group_wait(g);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->done);
	free(g);
}

void
workers_submit(struct workers *w, struct task_group *g, task_fn fn, void *arg)
{
	struct task *t = xmalloc(sizeof *t);

	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
	t->group = g;
	pthread_mutex_lock(&g->lock);
	g->pending++;
	pthread_mutex_unlock(&g->lock);
	pthread_mutex_lock(&w->lock);
	if (w->tail != NULL)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	pthread_cond_signal(&w->ready);
	pthread_mutex_unlock(&w->lock);
}

void
task_group_wait(struct task_group *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->pending > 0)
		pthread_cond_wait(&g->done, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

