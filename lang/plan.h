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
	/* A table read from a store, sqlite("PATH", "SELECT ...", every=10s)
	 * or redis("URL", "KEY", every=10s): */
	const char *store;		/* its kind ("sqlite", "redis"), or NULL */
	const char *target;		/* the database: a path, a URL */
	const char *query;		/* what gives the entries: a query, a key */
	int64_t every_ms;		/* read again this often */
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
	struct params params;		/* the NAME=VALUEs checked against (a copy) */
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

/*
 * Identities (ident.c): what a checkpoint keys its contents by, so that a
 * restart with an edited script finds what is still the same.
 *
 * The stateful stages are the units that keep state across batches, one
 * per node that holds it: a state stage; a window, which is one unit with
 * the reducer right after it when it has one (the node is then the
 * reducer); an event-time window likewise.  plan_stateful_nodes lists them
 * in the order runtime/exec.c's exec_stateful lists its struct stateful:
 * by node, a node holding state, a window or an event-time window -- the
 * two must stay in step.  It returns their number and fills out with at
 * most max of them (out may be NULL when max is 0).
 */
int plan_stateful_nodes(const struct plan *, const struct node **out, int max);

/* "state", "window" or "event-time window"; NULL for another node. */
const char *plan_stage_kind(const struct plan *, const struct node *);

/*
 * A stateful stage's identity; caller frees.  With "as NAME" (on the state
 * stage, on the window of a window unit, or on a distinct that is all a
 * plain window feeds) the name; else the text of its
 * pipeline from the source up to and including the stage, normalized: one
 * space around "|", expressions as the printer writes them (spacing,
 * comments, line breaks and redundant parentheses do not count),
 * parameters substituted, a let stream's pipeline in place of its name,
 * union(A, B) with each input's text, rate= left out.  Windows add the
 * batch interval: " [batch 2s]".  A unit whose text is the same as an
 * earlier unit's gets " #2", " #3", ...  The node may be a unit's node or
 * the window of a window unit; NULL for a node that holds no state.
 */
char *plan_stage_id(const struct plan *, const struct node *);

/*
 * The stage's own text, for messages and for plan_match_stages: "state sum
 * timeout 10m", "window 6s slide 4s | reduceByKey sum [batch 2s]" (a
 * window's with its reducer and the batch interval); without "as NAME".
 * Caller frees; NULL for a node that holds no state.
 */
char *plan_stage_def(const struct plan *, const struct node *);

/* The span messages about a stateful stage point at: the state stage, or
 * the window of a window unit. */
struct span plan_stage_span(const struct node *);

/*
 * A source's identity: its kind and arguments as script text, rate= left
 * out: tail("x.log"), stdin, socket("h", 9999).  A sink's: its kind and its
 * own arguments, output format and secrets left out: append "out.txt",
 * redis("redis://h:6379/0", "counts") -- a URL's password, a conninfo's
 * password=... and any config="..." are not in it.  Caller frees.
 */
char *plan_source_id(const struct node *);
char *plan_sink_id(const struct node *);
/* Does s hold a password (a URL's user info, a conninfo's password=)? */
int plan_string_secret(const char *s);
/* Script text with the passwords in its string literals left out
 * (malloc'd): what --inspect shows of the script a checkpoint keeps. */
char *plan_scrub_script(const char *text, size_t len);
/* s quoted as script text, without its password. */
void plan_print_scrubbed(struct strbuf *, const char *s);
/* s as it is written, without its password, for messages (malloc'd). */
char *plan_scrubbed(const char *s);

/* The hex SHA-256 of the whole script, normalized as the identities are
 * (parameters substituted); 64 characters.  Caller frees. */
char *plan_fingerprint(const struct plan *);
/* The hex SHA-256 of n bytes (64 characters); caller frees. */
char *ident_sha256_hex(const void *, size_t n);

/*
 * Match the stateful stages of the plan with a checkpoint's (old_ids and
 * old_defs: what plan_stage_id and plan_stage_def gave when it was
 * written, nold of them).  new_to_old gets, for each stateful stage of the
 * plan in plan_stateful_nodes order, the index of its old stage, or -1: a
 * new stage, which starts empty.
 *
 * A named stage matches the old stage of that name, or else (a name given
 * since) an old unnamed stage with its text; an unnamed stage matches an
 * old stage with the same identity.  A named window also needs the same
 * definition (its length, slide, reducer and the batch interval): its
 * state cannot follow a change of them.  Old stages left over (removed
 * from the script) are fine: their state is dropped.  But a new stage left
 * unmatched while some old stage is left too is a changed stage: an error
 * in d at the stage, saying what changed, and a hint.  Returns 0 when the
 * job may start, -1 when it must not (exit status 2).
 */
int plan_match_stages(const struct plan *, const char *const *old_ids,
    const char *const *old_defs, int nold, int *new_to_old, struct diags *);

/* Shared by plan.c and ident.c: a stage as script text, arguments
 * resolved ("print 10", "socket("h", 9999)" for socket($h ?? "h", 9999)). */
#define LABEL_PARAMS	0x01	/* $NAME in expressions printed as its value */
#define LABEL_ID	0x02	/* for an identity: no rate=, no as NAME */
#define LABEL_SECRETS	0x04	/* config= left out (passwords always are) */
#define LABEL_NO_FORMAT	0x08	/* no sink format */
struct strbuf;
void plan_stage_label(struct strbuf *, const struct plan *, const struct stage *, unsigned flags);
/* plan_build: each stateful stage's fingerprint (a window's, its unit's)
 * becomes the 64-bit FNV-1a hash of its identity. */
void ident_fingerprints(struct plan *);

#endif
