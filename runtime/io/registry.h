/*
 * registry.h: every kind of connector, named once.
 *
 * The table in registry.c lists each source kind's descriptor; the engine
 * and the planner find a kind by its name (the catalog's word) and ask its
 * capabilities, so adding a kind is one file and one line there.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

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

/* The kinds. */
extern const struct source_desc source_stdin, source_socket, source_listen, source_files,
    source_tail, source_batches;

#endif
