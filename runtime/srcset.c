/*
 * srcset.c: a job's sources, together (see srcset.h).
 */
#include <stdlib.h>

#include "source.h"
#include "srcset.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

struct srcset {
	struct source **sources;
	int n;
	int ended;			/* how many have ended */
};

struct srcset *
srcset_new(struct plan *plan, const struct source_host *host, int once)
{
	struct srcset *set = xcalloc(1, sizeof *set);

	for (int i = 0; i < plan->nnodes; i++) {
		struct source *s = source_new(host, plan->nodes[i], once);
		if (s == NULL)
			continue;
		set->sources = xreallocarray(set->sources, (size_t)set->n + 1, sizeof *set->sources);
		set->sources[set->n++] = s;
	}
	return set;
}

void
srcset_free(struct srcset *set)
{
	if (set == NULL)
		return;
	for (int i = 0; i < set->n; i++)
		source_free(set->sources[i]);
	free(set->sources);
	free(set);
}

int
srcset_count(const struct srcset *set)
{
	return set->n;
}

int
srcset_start(struct srcset *set, struct event_base *base)
{
	for (int i = 0; i < set->n; i++)
		set->sources[i]->base = base;
	for (int i = 0; i < set->n; i++) {
		if (set->sources[i]->ops->start(set->sources[i]) != 0) {
			set->sources[i]->ended = 1;
			return -1;
		}
	}
	return 0;
}

void
srcset_ended(struct srcset *set)
{
	set->ended++;
}

int
srcset_done(const struct srcset *set)
{
	return set->ended >= set->n;
}

void
srcset_cut(struct srcset *set)
{
	for (int i = 0; i < set->n; i++)
		if (!set->sources[i]->ended)
			set->sources[i]->ops->cut(set->sources[i]);
}

void
srcset_pause(struct srcset *set)
{
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		if (!s->ended && !s->paused) {
			s->paused = 1;
			s->ops->pause(s);
		}
	}
}

void
srcset_resume(struct srcset *set)
{
	for (int i = 0; i < set->n; i++) {
		struct source *s = set->sources[i];
		if (!s->ended && s->paused) {
			s->paused = 0;
			s->ops->resume(s);
		}
	}
}

void
srcset_stop(struct srcset *set)
{
	for (int i = 0; i < set->n; i++)
		if (!set->sources[i]->ended)
			set->sources[i]->ops->stop(set->sources[i]);
}
