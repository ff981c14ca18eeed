/*
 * registry.h: every kind of connector the runtime has, found by the name
 * the language gives it.  registry.c names each kind once.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

struct sink_desc;

/* The sink named name ("stdout", "tcp", ...), or NULL: the language knows
 * it (catalog.c) but this build cannot run it. */
const struct sink_desc *registry_sink(const char *name);

#endif
