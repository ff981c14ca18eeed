/*
 * catalog.c: the table of statements, sources, stages and sinks.
 * The order within a role is the order docs and messages list them in.
 */
#include <string.h>

#include "catalog.h"

#define FMT_CLAUSES \
	{ "tsv", ARG_NONE, NULL }, { "json", ARG_NONE, NULL }, { "csv", ARG_NONE, NULL }

static const struct op_desc catalog[] = {
	/* Statements. */
	{ "batch", ROLE_SETTING, OP_BATCH, 0,
	  { { "interval", ARG_DURATION, 1, 0, NULL } }, { { NULL, 0, NULL } },
	  "the batch interval" },
	{ "block", ROLE_SETTING, OP_BLOCK, 0,
	  { { "interval", ARG_DURATION, 1, 0, NULL } }, { { NULL, 0, NULL } },
	  "the block interval: the unit of parallel work and of the log" },
	{ "checkpoint", ROLE_SETTING, OP_CHECKPOINT, 0,
	  { { "dir", ARG_STRING, 1, 0, NULL } },
	  { { "every", ARG_DURATION, NULL } },
	  "keep state, positions and a log in a directory, resume from it" },
	{ "parallelism", ROLE_SETTING, OP_PARALLELISM, 0,
	  { { "workers", ARG_COUNT, 1, 0, NULL } }, { { NULL, 0, NULL } },
	  "the number of worker threads" },
	{ "buffer", ROLE_SETTING, OP_BUFFER, 0,
	  { { "size", ARG_SIZE, 1, 0, NULL } }, { { NULL, 0, NULL } },
	  "the most input held before sources pause" },
	{ "guarantee", ROLE_SETTING, OP_GUARANTEE, 0,
	  { { "level", ARG_CHOICE, 1, 0, "exactly-once|at-least-once|at-most-once" } },
	  { { NULL, 0, NULL } },
	  "the delivery guarantee the job must give" },
	{ "on", ROLE_SETTING, OP_ON, 0,
	  { { "event", ARG_CHOICE, 1, 0, "error" } },
	  { { "skip", ARG_NONE, NULL }, { "fail", ARG_NONE, NULL },
	    { "write", ARG_STRING, NULL } },
	  "what a record whose evaluation fails gets" },

	/* Sources. */
	{ "stdin", ROLE_SOURCE, OP_STDIN, 0, { { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "lines of standard input" },
	{ "socket", ROLE_SOURCE, OP_SOCKET, OPF_NETWORK | OPF_CALL,
	  { { "host", ARG_STRING, 1, 0, NULL }, { "port", ARG_PORT, 1, 0, NULL },
	    { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "lines read from a TCP server" },
	{ "listen", ROLE_SOURCE, OP_LISTEN, OPF_NETWORK | OPF_CALL,
	  { { "port", ARG_ENDPOINT, 1, 0, NULL }, { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "lines from any number of TCP clients" },
	{ "files", ROLE_SOURCE, OP_FILES, OPF_CALL,
	  { { "dir", ARG_STRING, 1, 0, NULL }, { "glob", ARG_STRING, 0, 1, NULL },
	    { "existing", ARG_BOOL, 0, 1, NULL }, { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "lines of each new file in a directory" },
	{ "tail", ROLE_SOURCE, OP_TAIL, OPF_CALL,
	  { { "path", ARG_STRING, 1, 0, NULL },
	    { "from", ARG_CHOICE, 0, 1, "end|start" }, { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "lines appended to a growing file" },
	{ "kafka", ROLE_SOURCE, OP_KAFKA_IN, OPF_NETWORK | OPF_CALL,
	  { { "brokers", ARG_STRING, 1, 0, NULL }, { "topic", ARG_STRING, 1, 0, NULL },
	    { "group", ARG_STRING, 0, 1, NULL },
	    { "start", ARG_CHOICE, 0, 1, "latest|earliest" }, { "meta", ARG_BOOL, 0, 1, NULL },
	    { "config", ARG_SECRET, 0, 1, NULL }, { "rate", ARG_COUNT, 0, 1, NULL } },
	  { { NULL, 0, NULL } }, "message values of a Kafka topic" },
	{ "batches", ROLE_SOURCE, OP_BATCHES, OPF_VARIADIC | OPF_CALL,
	  { { "batch", ARG_BATCH_LISTS, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "each list is one batch (for tests and examples)" },
	{ "union", ROLE_SOURCE, OP_UNION, OPF_VARIADIC | OPF_CALL,
	  { { "stream", ARG_STREAMS, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "the records of several sources or let streams" },

	/* Element stages. */
	{ "map", ROLE_STAGE, OP_MAP, 0, { { "expr", ARG_ELEMENT, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "each element becomes EXPR" },
	{ "flatMap", ROLE_STAGE, OP_FLATMAP, 0, { { "expr", ARG_ELEMENT, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "each item of the list EXPR becomes an element" },
	{ "filter", ROLE_STAGE, OP_FILTER, 0, { { "expr", ARG_ELEMENT, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "keeps the elements for which EXPR is true" },
	{ "mapValues", ROLE_STAGE, OP_MAPVALUES, OPF_PAIRS,
	  { { "expr", ARG_ELEMENT, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "(k, v) becomes (k, EXPR) with _ bound to v" },
	{ "timestamp", ROLE_STAGE, OP_TIMESTAMP, 0,
	  { { "expr", ARG_ELEMENT, 1, 0, NULL } },
	  { { "lateness", ARG_DURATION, NULL } },
	  "declares event time (epoch ms); later windows go by it" },

	/* Batch stages. */
	{ "reduceByKey", ROLE_STAGE, OP_REDUCEBYKEY, OPF_PAIRS | OPF_BATCH | OPF_WINDOWED,
	  { { "reducer", ARG_REDUCER, 1, 0, NULL } },
	  { { "inverse", ARG_LAMBDA2, NULL } },
	  "one (k, R(v1, v2, ...)) per key" },
	{ "groupByKey", ROLE_STAGE, OP_GROUPBYKEY, OPF_PAIRS | OPF_BATCH,
	  { { NULL, 0, 0, 0, NULL } }, { { NULL, 0, NULL } },
	  "one (k, [v1, v2, ...]) per key" },
	{ "countByValue", ROLE_STAGE, OP_COUNTBYVALUE, OPF_BATCH | OPF_WINDOWED,
	  { { NULL, 0, 0, 0, NULL } }, { { NULL, 0, NULL } },
	  "one (element, count) per distinct element" },
	{ "reduce", ROLE_STAGE, OP_REDUCE, OPF_BATCH | OPF_WINDOWED,
	  { { "reducer", ARG_REDUCER, 1, 0, NULL } },
	  { { "inverse", ARG_LAMBDA2, NULL } },
	  "the whole batch to one element" },
	{ "count", ROLE_STAGE, OP_COUNT, OPF_BATCH | OPF_WINDOWED,
	  { { NULL, 0, 0, 0, NULL } }, { { NULL, 0, NULL } },
	  "the number of elements of the batch" },
	{ "distinct", ROLE_STAGE, OP_DISTINCT, OPF_BATCH,
	  { { NULL, 0, 0, 0, NULL } }, { { "as", ARG_NAME, NULL } },
	  "each distinct element once" },
	{ "sort", ROLE_STAGE, OP_SORT, OPF_BATCH, { { NULL, 0, 0, 0, NULL } },
	  { { "by", ARG_ELEMENT, NULL }, { "desc", ARG_NONE, NULL }, { "asc", ARG_NONE, NULL } },
	  "orders the batch" },
	{ "top", ROLE_STAGE, OP_TOP, OPF_BATCH, { { "n", ARG_COUNT, 1, 0, NULL } },
	  { { "by", ARG_ELEMENT, NULL } },
	  "keeps the batch's N largest (pairs rank by value)" },
	{ "join", ROLE_STAGE, OP_JOIN, OPF_BATCH, { { "table", ARG_TABLE, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "(k, v) becomes (k, (v, t)) for matching keys" },
	{ "leftJoin", ROLE_STAGE, OP_LEFTJOIN, OPF_BATCH,
	  { { "table", ARG_TABLE, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "(k, (v, t)), t null where nothing matches" },
	{ "except", ROLE_STAGE, OP_EXCEPT, OPF_BATCH, { { "table", ARG_TABLE, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "drops the elements whose key is in T" },
	{ "window", ROLE_STAGE, OP_WINDOW, OPF_BATCH | OPF_STATEFUL,
	  { { "length", ARG_DURATION, 1, 0, NULL } },
	  { { "slide", ARG_DURATION, NULL }, { "as", ARG_NAME, NULL } },
	  "the last LEN of batches, every S" },
	{ "state", ROLE_STAGE, OP_STATE, OPF_PAIRS | OPF_BATCH | OPF_STATEFUL,
	  { { "update", ARG_UPDATER, 1, 0, NULL } },
	  { { "timeout", ARG_DURATION, NULL }, { "emit", ARG_CHOICE, "all|changed|final" },
	    { "as", ARG_NAME, NULL } },
	  "one value per key across batches" },

	/* Sinks. */
	{ "print", ROLE_SINK, OP_PRINT, 0, { { "n", ARG_COUNT, 0, 0, NULL } },
	  { { NULL, 0, NULL } }, "Spark's banner and the first N elements of each batch" },
	{ "stdout", ROLE_SINK, OP_STDOUT, OPF_FORMAT, { { NULL, 0, 0, 0, NULL } },
	  { FMT_CLAUSES }, "every element, one line each" },
	{ "write", ROLE_SINK, OP_WRITE, OPF_FORMAT | OPF_EXACTLY,
	  { { "prefix", ARG_STRING, 1, 0, NULL } },
	  { FMT_CLAUSES }, "each batch into its own file PREFIX-<time>.<format>" },
	{ "append", ROLE_SINK, OP_APPEND, OPF_FORMAT | OPF_EXACTLY,
	  { { "path", ARG_STRING, 1, 0, NULL } },
	  { FMT_CLAUSES }, "every batch appended to one file" },
	{ "redis", ROLE_SINK, OP_REDIS, OPF_PAIRS | OPF_EXACTLY | OPF_CALL,
	  { { "url", ARG_STRING, 1, 0, NULL }, { "key", ARG_STRING, 1, 0, NULL },
	    { "mode", ARG_CHOICE, 0, 1, "set|incr" } },
	  { { NULL, 0, NULL } }, "pairs into a Redis hash" },
	{ "postgres", ROLE_SINK, OP_POSTGRES, OPF_PAIRS | OPF_EXACTLY | OPF_CALL,
	  { { "conninfo", ARG_STRING, 1, 0, NULL }, { "table", ARG_STRING, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "upserts pairs into TABLE(key, value)" },
	{ "sqlite", ROLE_SINK, OP_SINK, OPF_PAIRS | OPF_EXACTLY | OPF_CALL,
	  { { "path", ARG_STRING, 1, 0, NULL }, { "table", ARG_STRING, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "upserts pairs into an SQLite table" },
	{ "kafka", ROLE_SINK, OP_KAFKA_OUT, OPF_CALL,
	  { { "brokers", ARG_STRING, 1, 0, NULL }, { "topic", ARG_STRING, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "produces each element; a pair's key is the message key" },
	{ "tcp", ROLE_SINK, OP_TCP, OPF_CALL,
	  { { "host", ARG_STRING, 1, 0, NULL }, { "port", ARG_PORT, 1, 0, NULL } },
	  { { NULL, 0, NULL } }, "sends lines to a TCP server" },
	{ "pipe", ROLE_SINK, OP_SINK, OPF_FORMAT,
	  { { "command", ARG_STRING, 1, 0, NULL } },
	  { FMT_CLAUSES }, "runs sh -c COMMAND per batch, the batch on its standard input" },
};

#define CATALOG_N ((int)(sizeof catalog / sizeof catalog[0]))

const struct op_desc *
catalog_find(const char *name, enum op_role role)
{
	int i;

	for (i = 0; i < CATALOG_N; i++)
		if (catalog[i].role == role && strcmp(catalog[i].name, name) == 0)
			return &catalog[i];
	return NULL;
}

const struct op_desc *
catalog_find_any(const char *name)
{
	int i;

	for (i = 0; i < CATALOG_N; i++)
		if (strcmp(catalog[i].name, name) == 0)
			return &catalog[i];
	return NULL;
}


const struct op_desc *
catalog_all(int *n)
{
	*n = CATALOG_N;
	return catalog;
}

const char *
catalog_role_name(enum op_role role)
{
	switch (role) {
	case ROLE_SETTING: return "statement";
	case ROLE_SOURCE: return "source";
	case ROLE_STAGE: return "stage";
	case ROLE_SINK: return "sink";
	}
	return "?";
}

static const char *const reducer_names[] = {
	[REDUCER_NONE] = "none", [REDUCER_SUM] = "sum", [REDUCER_COUNT] = "count",
	[REDUCER_MIN] = "min", [REDUCER_MAX] = "max", [REDUCER_AVG] = "avg",
	[REDUCER_FIRST] = "first", [REDUCER_LAST] = "last", [REDUCER_LAMBDA] = "lambda",
};

enum reducer_kind
catalog_reducer(const char *name)
{
	int i;

	for (i = REDUCER_SUM; i < REDUCER_LAMBDA; i++)
		if (strcmp(reducer_names[i], name) == 0)
			return (enum reducer_kind)i;
	return REDUCER_NONE;
}

const char *
catalog_reducer_name(enum reducer_kind r)
{
	return reducer_names[r];
}

int
catalog_reducer_invertible(enum reducer_kind r)
{
	/* Counts are integers, taken out exactly.  sum and avg may hold
	 * doubles, which a subtraction cannot take out exactly (inf stays inf),
	 * so their windows combine partials instead. */
	return r == REDUCER_COUNT;
}
