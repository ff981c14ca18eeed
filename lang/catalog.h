/*
 * catalog.h: every word of the language that names a statement, source,
 * stage or sink, with what it takes.
 *
 * One table (catalog.c) lists them.  The checker validates a segment by its
 * descriptor alone: arguments by kind, clauses by word, flags for what the
 * element shapes must be; the planner turns the values into node
 * parameters.  Adding a stage is adding one entry here and its runtime.
 */
#ifndef CATALOG_H
#define CATALOG_H

enum op_role {
	ROLE_SETTING,		/* batch 2s: a statement of its own */
	ROLE_SOURCE,
	ROLE_STAGE,
	ROLE_SINK,
};

enum node_op {
	/* settings */
	OP_BATCH, OP_BLOCK, OP_CHECKPOINT, OP_PARALLELISM, OP_BUFFER,
	OP_GUARANTEE, OP_ON,
	/* sources */
	OP_STDIN, OP_SOCKET, OP_LISTEN, OP_FILES, OP_TAIL, OP_KAFKA_IN,
	OP_BATCHES, OP_UNION,
	/* element stages */
	OP_MAP, OP_FLATMAP, OP_FILTER, OP_MAPVALUES, OP_TIMESTAMP,
	/* batch stages */
	OP_REDUCEBYKEY, OP_GROUPBYKEY, OP_COUNTBYVALUE, OP_REDUCE, OP_COUNT,
	OP_DISTINCT, OP_SORT, OP_TOP, OP_JOIN, OP_LEFTJOIN, OP_EXCEPT,
	OP_WINDOW, OP_STATE,
	/* sinks */
	OP_PRINT, OP_STDOUT, OP_WRITE, OP_APPEND, OP_REDIS, OP_POSTGRES,
	OP_SQLITE, OP_KAFKA_OUT, OP_TCP,
	OP_SINK,	/* any other sink: nothing in the language depends on
			 * which; the runtime finds it by name (its registry) */
	OP__COUNT
};

enum arg_kind {
	ARG_NONE,
	ARG_DURATION,		/* a constant duration > 0 */
	ARG_SIZE,		/* a constant size > 0 */
	ARG_COUNT,		/* a constant integer >= 1 */
	ARG_STRING,		/* a constant string */
	ARG_SECRET,		/* a constant string never shown (settings that
				 * may hold a password): --explain and every
				 * message print "..." for it */
	ARG_BOOL,		/* a constant boolean */
	ARG_PORT,		/* a constant port 1-65535 */
	ARG_ENDPOINT,		/* a port, or "ADDR:PORT" */
	ARG_ELEMENT,		/* an expression of _, or a lambda of the element */
	ARG_REDUCER,		/* sum count min max avg first last, or (a, b) => */
	ARG_UPDATER,		/* a reducer name, or (values, old) => */
	ARG_LAMBDA2,		/* (a, b) => ...: an inverse */
	ARG_NAME,		/* a plain name: as NAME */
	ARG_CHOICE,		/* one word of a fixed list (a name or a string) */
	ARG_TABLE,		/* the name of a table or let stream */
	ARG_STREAMS,		/* let streams or sources: union(A, B) */
	ARG_BATCH_LISTS,	/* lists of constants: batches([..], [..]) */
};

struct arg_spec {
	const char *name;	/* NULL ends the list */
	enum arg_kind kind;
	int required;
	int named;		/* given as name=value */
	const char *choices;	/* ARG_CHOICE: "a|b|c" */
};

struct clause_spec {
	const char *word;	/* NULL ends the list */
	enum arg_kind kind;	/* ARG_NONE: the clause takes no argument */
	const char *choices;
};

/* The most arguments and clauses a descriptor has (kafka: 7 arguments). */
#define OP_MAX_ARGS	8
#define OP_MAX_CLAUSES	5

/* Flags of a descriptor. */
#define OPF_PAIRS	0x01	/* its input elements must be pairs */
#define OPF_STATEFUL	0x02	/* keeps state across batches */
#define OPF_NETWORK	0x04	/* a source that never ends: not with --once */
#define OPF_VARIADIC	0x08	/* the last positional argument repeats */
#define OPF_BATCH	0x10	/* sees a whole batch, not one element */
#define OPF_WINDOWED	0x20	/* computed incrementally right after window */
#define OPF_EXACTLY	0x40	/* a sink that gives exactly-once */
#define OPF_FORMAT	0x80	/* a sink that takes tsv, json or csv */
#define OPF_CALL	0x100	/* written as a call: socket("h", 9999) */

struct op_desc {
	const char *name;
	enum op_role role;
	enum node_op op;
	unsigned flags;
	struct arg_spec args[OP_MAX_ARGS];
	struct clause_spec clauses[OP_MAX_CLAUSES];
	const char *summary;	/* one line, for docs and --help */
};

/* The descriptor of name in role, or NULL. */
const struct op_desc *catalog_find(const char *name, enum op_role);
/* The descriptor of name in any role (the first found), or NULL. */
const struct op_desc *catalog_find_any(const char *name);
/* All descriptors, for listings; *n receives their number. */
const struct op_desc *catalog_all(int *n);

const char *catalog_role_name(enum op_role);

/* Reducers by name: sum count min max avg first last. */
enum reducer_kind {
	REDUCER_NONE, REDUCER_SUM, REDUCER_COUNT, REDUCER_MIN, REDUCER_MAX,
	REDUCER_AVG, REDUCER_FIRST, REDUCER_LAST, REDUCER_LAMBDA,
};
enum reducer_kind catalog_reducer(const char *name);
const char *catalog_reducer_name(enum reducer_kind);
/* Whether a built-in reducer can subtract a value (a window's inverse). */
int catalog_reducer_invertible(enum reducer_kind);

#endif
