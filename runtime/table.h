/*
 * table.h: the lookup tables of a script (table NAME = [...] or
 * file("PATH")), as the runtime holds them: a set, or a map from keys to
 * values.
 *
 * A struct table is one version of a table's contents: built once, never
 * changed after, and counted by references, so worker threads read it
 * with no lock.  A struct table_slot is a table of the script: the version
 * new batches get, and for a file table what the file looked like when it
 * was read.  Each batch takes a reference to every slot's version when it
 * opens and drops it when it is freed, so a batch sees one version from
 * its first record to its last, and a replaced version goes when the last
 * batch that uses it does (SPEC 2.5: reloaded when the file changes).
 */
#ifndef TABLE_H
#define TABLE_H

#include <stdatomic.h>
#include <stddef.h>

#include "keymap.h"
#include "lang/plan.h"
#include "stdlib/value.h"

struct expr;
struct table_slot;

struct table {
	const char *name;
	int is_map;
	struct keymap map;
	struct arena *arena;
	size_t entries;
	atomic_int refs;
};

/* Another reference to t; table_unref(NULL) is fine.  Any thread. */
struct table *table_ref(struct table *);
void table_unref(struct table *);

/* For readers of stores (registry.h): an empty version of table name,
 * and an entry put in it (key and val in its arena, t->arena). */
struct table *table_version_new(const char *name);
void table_version_put(struct table *, struct value key, struct value val);
/* An empty version for a query's rows, which have ncols columns: a set
 * (1) or a map (2); NULL with *err for any other number.  store names
 * where the query ran in the message ("sqlite counts.db"). */
struct table *table_version_of_query(const char *name, const char *store, int ncols,
    char **err);
/* Text as a table file's value is read: a number when it reads as one,
 * else a string copied into a. */
struct value table_text_value(struct arena *a, const char *s, size_t n);

/* Is key in t?  When val is not NULL, *val gets its value (true in a set). */
int table_get(const struct table *, struct value key, struct value *val);

/*
 * The slot of a table definition, with its first version: the literal
 * list evaluated (each entry by eval, which the caller gives so that
 * tables need not know the evaluator), or the file read (strictly: see table.c).  NULL and a
 * malloc'd message in *err when an entry fails to evaluate or the file
 * cannot be read or has an invalid line.
 */
typedef int (*table_eval_fn)(void *arg, const struct expr *, struct value *out,
    const char **err);
struct table_slot *table_slot_new(const struct table_def *, int index, table_eval_fn,
    void *eval_arg, char **err);
void table_slot_free(struct table_slot *);

const char *table_slot_name(const struct table_slot *);
/* Where the slot's versions are found in a batch's array of them. */
int table_slot_index(const struct table_slot *);
/* Is this a file or store table, to be watched (table_slot_poll)? */
int table_slot_watched(const struct table_slot *);

/* A reference to the version new batches get.  Any thread. */
struct table *table_slot_current(struct table_slot *);

enum table_poll {
	TABLE_SAME,		/* nothing to do */
	TABLE_RELOADED,		/* a new version replaced the old one */
	TABLE_KEPT,		/* the file changed but could not be used */
};

/*
 * Look at a file table's file (call every few hundred ms, from one
 * thread).  A file whose size, time and inode differ from the version's is
 * read only once they have stayed the same over two calls in a row, so a
 * file being written is not read half-way; a complete, valid file then
 * replaces the version.  A file that has gone or is invalid keeps the old
 * version.  *msg (malloc'd) says what happened, once per change of the
 * file, for TABLE_RELOADED and TABLE_KEPT; NULL otherwise.
 */
enum table_poll table_slot_poll(struct table_slot *, char **msg);
/*
 * A store table (sqlite(...), redis(...)) is read again every `every` by a thread of
 * its own, off the event loop, and swapped in whole; table_slot_poll then
 * gives what happened that is worth saying: a failed read (once, until a
 * read works again: TABLE_KEPT) and the read that works after it
 * (TABLE_RELOADED).  Reads that work in a row are not said.
 */

#endif
