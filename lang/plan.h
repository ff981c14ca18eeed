/*
 * plan.h: a checked script, and the operator DAG the runtime executes.
 *
 * check_program() (check.c) resolves every segment of the syntax tree
 * against the catalog into a struct stage: its descriptor, its constant
 * arguments evaluated, its expressions checked, the shape of the elements
 * going in and out.  plan_build() (plan.c) wires the stages into nodes:
 * one node per source however often it is named (stdin) or per let stream
 * however many pipelines read it, edges both ways, and the marks the
 * runtime needs (a reducer right after a window is incremental).
 *
 * Everything lives in the plan's arena, with the syntax tree.
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdint.h>

#include "ast.h"
#include "catalog.h"

struct arena;
struct diags;

/* What the checker knows of a value: enough to tell pairs from the rest. */
enum shape_kind {
	SHAPE_ANY,		/* not known until run time */
	SHAPE_NULL,
	SHAPE_BOOL,
	SHAPE_INT,
	SHAPE_FLOAT,
	SHAPE_NUMBER,		/* int or float */
	SHAPE_STRING,
	SHAPE_TUPLE,		/* n items */
	SHAPE_LIST,		/* of elem */
	SHAPE_MAP,
};

struct shape {
	enum shape_kind kind;
	int n;
	struct shape **items;	/* TUPLE */
	struct shape *elem;	/* LIST */
};

/* Is the shape known not to be a (key, value) pair? */
int shape_not_pair(const struct shape *);
/* "strings", "pairs", "tuples of 3", ... */
const char *shape_describe(const struct shape *, char *buf, size_t size);

/* One argument or clause of a stage, evaluated where it is constant. */
struct argval {
	int present;
	struct span span;
	int64_t i;		/* durations (ms), sizes, counts, ports, bools */
	const char *s;		/* strings, names, choices */
	struct expr *e;		/* element expressions and lambdas */
	enum reducer_kind reducer;
	struct expr **items;	/* batches: one list per batch */
	int nitems;
	struct stage **streams;	/* union: the streams merged */
	int nstreams;
};

enum sink_format { FORMAT_TSV, FORMAT_JSON, FORMAT_CSV };
enum emit_mode { EMIT_ALL, EMIT_CHANGED, EMIT_FINAL };

struct table_def;

struct stage {
	const struct op_desc *desc;	/* NULL: a reference to a let stream */
	const char *ref;		/* the let stream's name */
	struct segment *seg;
	struct span span;
	struct shape *in, *out;
	struct argval args[OP_MAX_ARGS];	/* by the descriptor's args */
	struct argval clauses[OP_MAX_CLAUSES];	/* by the descriptor's clauses */
	enum sink_format format;
	enum emit_mode emit;
	int descending;
	struct table_def *table;	/* join, leftJoin, except: a table ... */
	const char *stream;		/* ... or a let stream */
	/* What the checker knows of the order of the output elements: */
	struct stage *event_time;	/* the timestamp stage upstream, if any */
	struct stage *unordered;	/* a batch stage upstream (this one too),
					 * whose output has no arrival order */
	struct stage *evt_window;	/* an event-time window upstream */
};

struct table_def {
	const char *name;
	struct span span;
	const char *path;		/* file("PATH"), or NULL */
	struct expr *list;		/* [...], or NULL */
	int is_map;			/* entries are (key, value) pairs */
};

enum pipeline_kind { PIPELINE_OUTPUT, PIPELINE_LET };

struct pipeline {
	enum pipeline_kind kind;
	const char *name;		/* PIPELINE_LET */
	struct span span;
	struct stage **stages;		/* source (or reference), stages, sink */
	int nstages;
	int used;			/* a let stream read by another pipeline */
};

enum guarantee { GUARANTEE_NONE, GUARANTEE_EXACTLY_ONCE, GUARANTEE_AT_LEAST_ONCE,
	GUARANTEE_AT_MOST_ONCE };
enum on_error { ON_ERROR_SKIP, ON_ERROR_FAIL, ON_ERROR_WRITE };

struct settings {
	int64_t batch_ms;
	int64_t block_ms;
	const char *checkpoint;		/* NULL: none */
	int64_t checkpoint_every_ms;	/* 0: every batch */
	int64_t parallelism;
	int parallelism_set;		/* by the script or -j, not the CPU count */
	int64_t buffer_bytes;
	enum guarantee guarantee;
	enum on_error on_error;
	const char *error_path;
};

/*
 * A NAME=VALUE of the command line.  The value is a number when
 * number_read reads all of it as one, else a string; the command line has
 * already refused a number that a script could not write as a literal
 * (an integer beyond int64, a double beyond its range).
 */
struct param {
	const char *name;
	const char *value;
};

/* What the command line adds to a script. */
struct job_options {
	int64_t batch_ms;		/* -b; 0: the script's */
	const char *checkpoint;		/* -c; NULL: the script's */
	int64_t parallelism;		/* -j; 0: the script's */
	int once;			/* --once */
	int quiet;			/* -q: no warnings */
	int ncpus;			/* the default parallelism */
	const struct param *params;
	int nparams;
};

enum window_plan {
	WPLAN_NONE,
	WPLAN_INVERSE,		/* add the new batch, subtract the one that left */
	WPLAN_PARTIALS,		/* combine per-batch partial results, none taken out */
};

/*
 * How a source's chain of element stages ends: a block's records go
 * through the chain on a worker as the block is read (phase A) and end in
 * one of these.  plan_build decides; the runtime follows.
 */
enum chain_end {
	END_NONE,	/* inside a chain, or no chain: no output of its own */
	END_COMBINE,	/* a partial aggregate of the keyed stage after it, per block */
	END_STDOUT,	/* lines for the stdout sink after it */
	END_PRINT,	/* a sample for the print sink after it */
	END_KEEP,	/* kept for the stages after it */
	END_EVTIME,	/* offered to the event-time window after it, in order */
};

/* Stages done as one, decided from the script, never per record. */
enum fusion {
	FUSE_NONE,
	FUSE_KV,	/* map (K, V) right before reduceByKey: key and value are
			 * handed over as they are, no pair built */
	FUSE_KV_COUNT,	/* map (_, N) before reduceByKey sum (or count): a string
			 * is counted by key, nothing evaluated */
};

struct node {
	int id;				/* 1, 2, ... in topological order */
	enum node_op op;
	struct stage *stage;
	struct node **inputs;
	int ninputs;
	struct node **outputs;
	int noutputs;
	const char *let_name;		/* the let stream this node ends */
	struct node *window;		/* an incremental reducer: its window */
	struct node *event_time;	/* the timestamp stage upstream, if any */
	enum window_plan wplan;
	uint64_t fingerprint;		/* stateful stages: their identity */
	const char *state_name;		/* as NAME, or NULL */
	/* Chains (sources but union): the element stages with one input
	 * each that follow, and how they end. */
	struct node **chain;
	int nchain;
	enum chain_end end;
	struct node *target;		/* END_COMBINE, END_STDOUT, END_PRINT;
					 * END_EVTIME: the node with the windows */
	struct node *chain_last;	/* the chain's last node (or the source) */
	int in_chain;			/* run by a source's chain in phase A */
	int fed;			/* a keyed stage or sink a chain feeds */
	int evt_fed;			/* an event-time window a chain offers to */
	/* Fusions: */
	enum fusion fuse;		/* a chain's last map */
	int64_t fuse_n;			/* FUSE_KV_COUNT: what each record adds */
	int split_count;		/* a source whose chain is flatMap
					 * _.split("c") | map (_, N) before
					 * reduceByKey sum: one loop per block */
	char split_char;		/* ... that c */
	const char *split_sep;		/* flatMap _.split("SEP"), SEP a literal:
					 * pieces cut in place, no list built */
	size_t split_len;		/* its length; 0: not such a flatMap */
};

struct plan {
	struct arena *arena;
	struct program *prog;
	struct settings settings;
	struct table_def **tables;
	int ntables;
	struct pipeline **pipelines;
	int npipelines;
	struct node **nodes;		/* topological order */
	int nnodes;
	void **regexes;			/* compiled at check time; freed with the plan */
	int nregexes;
};

/*
 * Parse, check and plan a script.  Returns the plan, or NULL when the
 * script has errors, all of which are in diags.
 */
struct plan *plan_compile(const char *text, size_t len,
    const struct job_options *, struct diags *);
void plan_free(struct plan *);

/* The passes plan_compile chains. */
int check_program(struct plan *, const struct job_options *, struct diags *);
void plan_build(struct plan *);

/* --explain: the DAG as text, or as Graphviz dot.  Caller frees. */
char *plan_explain_text(const struct plan *);
char *plan_explain_dot(const struct plan *);

#endif
