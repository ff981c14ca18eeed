/*
 * registry.c: the table of connectors (see registry.h).
 *
 * Each sink is a descriptor in a file of its own under runtime/io/,
 * named sink_NAME; its one line below both declares it and lists it, so
 * adding a sink is adding that file and one line here (and its
 * arguments to the language's catalog).
 */
#include <stddef.h>
#include <string.h>

#include "runtime/io/registry.h"
#include "runtime/io/sink.h"

#define SINKS(X) \
	X(print) \
	X(stdout) \
	X(write) \
	X(append) \
	X(tcp) \
	X(pipe) \
	/* the end of the list */

#define SINK_DECLARE(name) extern const struct sink_desc sink_##name;
#define SINK_ENTRY(name) &sink_##name,

SINKS(SINK_DECLARE)

static const struct sink_desc *const sinks[] = { SINKS(SINK_ENTRY) };

const struct sink_desc *
registry_sink(const char *name)
{
	for (size_t i = 0; i < sizeof sinks / sizeof sinks[0]; i++)
		if (strcmp(sinks[i]->name, name) == 0)
			return sinks[i];
	return NULL;
}
