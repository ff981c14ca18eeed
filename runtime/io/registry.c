/*
 * registry.c: the tables of connectors (see registry.h).
 *
 * Each source kind is a descriptor in a file of its own under runtime/io/,
 * named source_NAME, and each sink one named sink_NAME; its one line in
 * SOURCES or SINKS below both declares it and lists it, so adding a kind
 * is adding that file and one line here (and its arguments to the
 * language's catalog).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "runtime/io/registry.h"
#include "runtime/io/sink.h"
#include "runtime/io/source.h"
#include "lang/catalog.h"
#include "stdlib/strbuf.h"

/* Connectors of optional libraries (configure --without-...). */
#ifdef HAVE_HIREDIS
#define REDIS_SINK(X) X(redis)
#else
#define REDIS_SINK(X)
#endif
#ifdef HAVE_SQLITE
#define SQLITE_SINK(X) X(sqlite)
#else
#define SQLITE_SINK(X)
#endif

#ifdef HAVE_LIBPQ
#define POSTGRES_SINK(X) X(postgres)
#else
#define POSTGRES_SINK(X)
#endif

#define SINKS(X) \
	X(print) \
	X(stdout) \
	X(write) \
	X(append) \
	X(tcp) \
	X(pipe) \
	REDIS_SINK(X) \
	POSTGRES_SINK(X) \
	SQLITE_SINK(X) \
	/* the end of the list */

#define SINK_DECLARE(name) extern const struct sink_desc sink_##name;
#define SINK_ENTRY(name) { #name, &sink_##name },

SINKS(SINK_DECLARE)

/* Not const: a test may put a fake in a sink's place (under its name). */
static struct {
	const char *name;
	const struct sink_desc *desc;
} sinks[] = { SINKS(SINK_ENTRY) };

const struct sink_desc *
registry_sink(const char *name)
{
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++)
		if (strcmp(sinks[i].name, name) == 0)
			return sinks[i].desc;
	return NULL;
}

const struct sink_desc *
sink_registry_replace(const char *name, const struct sink_desc *desc)
{
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++) {
		if (strcmp(sinks[i].name, name) == 0) {
			const struct sink_desc *old = sinks[i].desc;
			sinks[i].desc = desc;
			return old;
		}
	}
	return NULL;
}

struct table *redis_table_read(const struct table_def *, char **err);
struct table *sqlite_table_read(const struct table_def *, char **err);
struct table *postgres_table_read(const struct table_def *, char **err);

table_reader_fn
registry_table_reader(const char *name)
{
#ifdef HAVE_HIREDIS
	if (strcmp(name, "redis") == 0)
		return redis_table_read;
#endif
#ifdef HAVE_SQLITE
	if (strcmp(name, "sqlite") == 0)
		return sqlite_table_read;
#endif
#ifdef HAVE_LIBPQ
	if (strcmp(name, "postgres") == 0)
		return postgres_table_read;
#endif
	(void)name;
	return NULL;
}

#define MAX_SOURCES 32

#define SOURCES(X) \
	X(stdin) \
	X(socket) \
	X(listen) \
	X(files) \
	X(tail) \
	X(kafka) \
	X(batches) \
	/* the end of the list */

#define SOURCE_DECLARE(name) extern const struct source_desc source_##name;
#define SOURCE_ENTRY(name) &source_##name,

SOURCES(SOURCE_DECLARE)

/* Each kind once.  Not const: a test may put a fake in a kind's place. */
static const struct source_desc *source_table[MAX_SOURCES] = { SOURCES(SOURCE_ENTRY) };

const struct source_desc *
source_find(const char *name)
{
	for (size_t i = 0; i < MAX_SOURCES && source_table[i] != NULL; i++)
		if (strcmp(source_table[i]->name, name) == 0)
			return source_table[i];
	return NULL;
}

const struct source_desc *
source_kind(const struct op_desc *d)
{
	return d != NULL && d->role == ROLE_SOURCE ? source_find(d->name) : NULL;
}

unsigned
source_caps(const char *name)
{
	const struct source_desc *d = source_find(name);

	return d != NULL ? d->caps : 0;
}

const struct source_desc *
source_registry_replace(const struct source_desc *d)
{
	size_t i;

	for (i = 0; i < MAX_SOURCES && source_table[i] != NULL; i++) {
		if (strcmp(source_table[i]->name, d->name) == 0) {
			const struct source_desc *old = source_table[i];
			source_table[i] = d;
			return old;
		}
	}
	if (i < MAX_SOURCES)
		source_table[i] = d;
	return NULL;
}

int
source_describe(const char *kind, const char *pos, size_t len, struct strbuf *out)
{
	const struct source_desc *d = source_find(kind);
	const char *before, *after;
	size_t blen, alen;
	int64_t n;
	int framed;

	if (d == NULL || d->describe == NULL)
		return -1;
	if (source_position_is_part(pos, len, &before, &blen, &after, &alen, &n, &framed)) {
		/* Inside a block rate=N let go in parts: the block's start,
		 * and how many of its records were handed over. */
		if (d->describe(before, blen, out) != 0)
			return -1;
		strbuf_addf(out, ", then %lld record%s of the next block", (long long)n,
		    n == 1 ? "" : "s");
		return 0;
	}
	return d->describe(pos, len, out);
}
