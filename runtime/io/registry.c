/*
 * registry.c: the table of connector kinds; see registry.h.
 */
#include <stddef.h>
#include <string.h>

#include "registry.h"
#include "source.h"
#include "lang/catalog.h"

#define MAX_SOURCES 32

/* Each kind once.  Not const: a test may put a fake in a kind's place. */
static const struct source_desc *source_table[MAX_SOURCES] = {
	&source_stdin,
	&source_socket,
	&source_listen,
	&source_files,
	&source_tail,
	&source_batches,
};

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
