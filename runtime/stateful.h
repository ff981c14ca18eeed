/*
 * stateful.h: the stages that keep state across batches, behind one
 * interface a checkpoint walks (exec_stateful lists them).
 *
 * A state stage, a window (the windowed reducer after it, or a plain
 * window) and an event-time window each save themselves whole, or only
 * what changed since their last save -- so a large state can be
 * checkpointed incrementally: a full save now and then, the changes in
 * between -- and restore from either: a whole save replaces the state, a
 * save of changes is applied on top of the state it was taken from (as
 * restored), in order.  Lookup tables are not state: they are read again
 * from their definition.
 */
#ifndef STATEFUL_H
#define STATEFUL_H

#include <stddef.h>

struct eval;
struct node;
struct strbuf;

struct stateful_ops {
	const char *kind;		/* "state", "window", "event-time window" */
	/* Append the whole state to sb; 0, or -1 (nothing written) when it
	 * cannot be saved now.  Between two exec_finish_batch calls (before
	 * exec_batch_saved) every stage can: an event-time window holds the
	 * batches finished and leaves out blocks offered for later ones. */
	int (*save_full)(void *, struct strbuf *sb);
	/* Append what changed since the last save (whole or changes). */
	int (*save_changes)(void *, struct strbuf *sb);
	/* Nothing changed since the last save: no new save is needed (a
	 * stage that always changes has NULL). */
	int (*unchanged)(const void *);
	/* Restore from a whole save or apply a save of changes: 0, or -1
	 * and nothing changed when the bytes are not such a save. */
	int (*restore)(void *, struct eval *, const char *data, size_t len);
	size_t (*keys)(const void *);	/* keys (or elements) held */
	size_t (*bytes)(const void *);	/* memory they take */
	/* Up to n of its keys as JSON, ", " between them; may be NULL. */
	void (*sample)(const void *, int n, struct strbuf *sb);
};

struct stateful {
	const struct stateful_ops *ops;
	void *obj;
	const struct node *node;	/* the stage: its fingerprint names it */
};

extern const struct stateful_ops state_stateful;
extern const struct stateful_ops window_stateful;
extern const struct stateful_ops evtime_stateful;

#endif
