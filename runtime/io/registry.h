/*
 * registry.h: every kind of connector the runtime has, found by the name
 * the language gives it (the catalog's word).  registry.c names each
 * source and each sink kind once, so adding a kind is one file and one
 * line there; the engine and the planner ask a kind's capabilities here.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

struct sink_desc;

/* The sink named name ("stdout", "tcp", ...), or NULL: the language knows
 * it (catalog.c) but this build cannot run it. */
const struct sink_desc *registry_sink(const char *name);
/* For tests: put desc in the place of the sink called name, and return
 * what was there (NULL, changing nothing, when there is no such sink), to
 * be put back the same way.  desc keeps its own name for messages; the
 * job finds it under name. */
const struct sink_desc *sink_registry_replace(const char *name, const struct sink_desc *desc);

struct table;
struct table_def;

/* Reads a table from a store, whole: a new version (table.h), or NULL and
 * a malloc'd message in *err. */
typedef struct table *(*table_reader_fn)(const struct table_def *, char **err);
/* The reader of tables from the store called name ("sqlite", "redis"), or NULL:
 * this build cannot read them. */
table_reader_fn registry_table_reader(const char *name);

struct op_desc;
struct source_desc;

/* The source kind called name, or NULL. */
const struct source_desc *source_find(const char *name);
/* The kind of a stage's descriptor, or NULL when it is no source kind
 * (a stage, a sink, union, a source not built). */
const struct source_desc *source_kind(const struct op_desc *);
/* Its capabilities (SOURCE_* in source.h), 0 for no kind. */
unsigned source_caps(const char *name);

/* For tests: put d in the place of the kind of the same name (or add it)
 * and return what was there, to be put back the same way. */
const struct source_desc *source_registry_replace(const struct source_desc *d);

#endif
