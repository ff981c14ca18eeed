/*
 * source.h: the sources that read the world outside the job -- standard
 * input, a TCP server (socket), TCP clients (listen), a directory's new
 * files (files), a growing file (tail) -- on the job's event loop.
 *
 * Each source turns what it reads into blocks of complete lines (see
 * lines.h) and hands them to the job (job_lines), which puts them in the
 * batch being filled.  The job holds its sources back when too much input
 * waits (source_pause: no more reads, so a pipe fills and TCP flow
 * control slows the sender) and lets them go on when the backlog has
 * drained (source_resume).  A source that ends (end of input; with
 * --once, the end of what is there now) tells the job.
 *
 * Everything here runs on the event loop's thread.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lines.h"

/* A source hands its complete lines over in blocks of about this much. */
#define SOURCE_BLOCK_BYTES (256 * 1024)

struct event;
struct event_base;
struct job;
struct node;
struct source;

struct source_ops {
	int (*start)(struct source *);		/* -1: could not start (said why) */
	void (*pause)(struct source *);
	void (*resume)(struct source *);
	void (*cut)(struct source *);		/* hand over the complete lines now */
	void (*stop)(struct source *);		/* the job reads no more */
	void (*free)(struct source *);
};

struct source {
	const struct source_ops *ops;
	struct job *job;
	struct node *node;
	struct event_base *base;
	char *name;			/* for messages: "socket localhost:9999" */
	int once;			/* read what is there now, then end */
	int quiet;			/* -q: no warnings */
	int paused;
	int ended;
	int failed;			/* could not start: the job fails */
	void *impl;
	/* Positions a checkpoint will keep (tail: which file, how far). */
	dev_t pos_dev;
	ino_t pos_ino;
	int64_t pos_offset;
};

/* One stream of bytes read into lines: standard input, one connection, one
 * file.  A pollable descriptor is read when the loop says it is readable;
 * a regular file is read in slices from an idle callback. */
struct input {
	struct source *src;
	int fd;
	struct event *ev;		/* readable, or the idle pump */
	int pumped;			/* ev is the pump, not a read event */
	struct lines lines;
	int64_t bytes;			/* read so far */
};

/* A source for plan node n (stdin, socket, listen, files or tail). */
struct source *source_new(struct job *, struct event_base *, struct node *n, int once,
    int quiet);
void source_free(struct source *);

/* For the kinds: set up an input on fd (pollable or pumped), read it. */
void input_init(struct input *, struct source *, int fd, int pumped,
    void (*cb)(int, short, void *), void *arg);
void input_release(struct input *);
/* Read what is there (a few reads at most, then back to the loop so other
 * inputs have their turn): 1 more may come, 0 at the end, -1 on an error
 * (errno says which). */
int input_read(struct input *);
/* Hand the complete lines to the job. */
void input_cut(struct input *);
void input_watch(struct input *, int on);

/* Constructors of the kinds. */
struct source *stdin_source_new(void);
struct source *socket_source_new(const char *host, int port);
struct source *listen_source_new(const char *addr, int port);
struct source *files_source_new(const char *dir, const char *glob, int existing);
struct source *tail_source_new(const char *path, int from_start);

/* A warning on stderr, "streamjob: NAME: ...", unless -q.  It is not
 * limited here: a caller that may repeat itself (a reconnect loop) keeps
 * its own count and clock. */
void source_warn(struct source *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The job's side (job.c). */
/* Complete lines read by source s (data is the caller's no more). */
void job_lines(struct job *, struct source *s, char *data, size_t len);
/* A line over the cap went by. */
void job_line_dropped(struct job *, struct source *s, size_t bytes);
/* Source s has ended. */
void job_source_ended(struct job *, struct source *s);
/* Should the sources hold back now? */
int job_backlogged(struct job *);

#endif
