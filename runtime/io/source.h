/*
 * source.h: the sources that read the world outside the job -- standard
 * input, a TCP server (socket), TCP clients (listen), a directory's new
 * files (files), a growing file (tail) -- on the job's event loop.
 *
 * A kind is a static descriptor (struct source_desc: name, capabilities,
 * callbacks), listed once in registry.c; a source of a running job is an
 * instance of it (struct source).  Each source turns what it reads into
 * blocks of complete lines (see lines.h), or of framed records (frame.h),
 * and hands them to its host (struct source_host: the job, through its
 * source set), which puts them in the batch being filled.  The job holds
 * its sources back when too much input waits, and the source set when a
 * source is past its rate=N (pause: no more reads, so a pipe fills and TCP
 * flow control slows the sender), and lets them go on later (resume).  A
 * source that ends (end of input; with --once, the end of what is there
 * now) tells its host.  Warnings and errors go to the host's reporter; a
 * source never prints.  docs/connectors.md says how to write a kind.
 *
 * Everything here runs on the event loop's thread.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/lines.h"
#include "runtime/report.h"

/* A source hands its complete lines over in blocks of about this much. */
#define SOURCE_BLOCK_BYTES (256 * 1024)

struct argval;
struct event;
struct event_base;
struct node;
struct source;
struct source_limit;
struct strbuf;

/* What a source asks of whoever runs it (the job).  arg is passed to each;
 * all are called on the event loop's thread. */
struct source_host {
	void *arg;
	/* Complete lines read by source s (data is the host's now). */
	void (*lines)(void *arg, struct source *s, char *data, size_t len);
	/* Framed records (frame.h) read by source s (data is the host's now). */
	void (*frames)(void *arg, struct source *s, char *data, size_t len);
	/* A line over the cap went by. */
	void (*line_dropped)(void *arg, struct source *s, size_t bytes);
	/* Source s has ended. */
	void (*ended)(void *arg, struct source *s);
	/* Should the sources hold back now? */
	int (*backlogged)(void *arg);
	/* Reading failed: the job fails with msg, after what was read. */
	void (*fail)(void *arg, const char *msg);
	const struct reporter *reporter;
};

/* Capabilities of a kind, which the engine and the planner ask instead of
 * naming kinds. */
#define SOURCE_REPLAYABLE	0x01	/* from a restored position it reads the
					 * same records again (a file, not a pipe) */
#define SOURCE_VIRTUAL_CLOCK	0x02	/* when every source of a job has it, the
					 * job runs on the virtual clock */
#define SOURCE_READS_STDIN	0x04	/* standard input: one stream however many
					 * pipelines read it, whatever its arguments */
#define SOURCE_READ_ONCE	0x08	/* the same source written twice (same
					 * arguments) is one source, read once */

/*
 * A kind of source: what it is called in the language, what it can do,
 * and its callbacks.  One static descriptor per kind, listed once in the
 * registry (registry.c); the language's catalog describes its arguments.
 * A kind without init (batches) has no instance: the engine makes its
 * blocks itself.
 */
struct source_desc {
	const char *name;			/* the catalog's word: "tail" */
	unsigned caps;				/* SOURCE_* */
	/* Set up s for the stage's arguments (the catalog's order): its
	 * impl and its name for messages.  Nothing is opened yet. */
	void (*init)(struct source *s, const struct argval *args);
	int (*start)(struct source *);		/* -1: could not start (said why) */
	void (*pause)(struct source *);
	void (*resume)(struct source *);
	void (*cut)(struct source *);		/* hand over the complete lines now */
	void (*stop)(struct source *);		/* the job reads no more */
	void (*free)(struct source *);		/* impl and what it holds */
	/* Its position as opaque bytes (NULL: the kind keeps none): what has
	 * been handed over, so a restored source goes on after it.  restore
	 * is called before start; -1 when the bytes are not a position of
	 * this kind (another kind's, another version, cut short). */
	void (*save)(struct source *, struct strbuf *);
	int (*restore)(struct source *, const char *data, size_t len);
	/* The block data that lay between two positions saved by this kind
	 * (from before to), read again now and appended to out: lines, or
	 * framed records, exactly as they were handed over, the lines cut
	 * as a live read cuts them (replay_lines).  s is init'ed, not
	 * started.  -1 with *err (the caller frees it) when they cannot be
	 * read again (a file gone, the bytes not this kind's positions).
	 * NULL: the kind cannot replay. */
	int (*replay)(struct source *s, const char *from, size_t fromlen, const char *to,
	    size_t tolen, struct strbuf *out, char **err);
	/* Is this instance replayable?  For a kind that is only sometimes
	 * (stdin: when it is a regular file, which its caps cannot say);
	 * NULL: SOURCE_REPLAYABLE in its caps decides. */
	int (*replayable)(const struct source *);
	/* A position saved by this kind, in words for --inspect ("file
	 * device 8 inode 12, lines to byte 4096"); -1 when the bytes are
	 * not this kind's.  May be NULL. */
	int (*describe)(const char *pos, size_t len, struct strbuf *out);
};

/* An instance: one source of a running job. */
struct source {
	const struct source_desc *desc;
	const struct source_host *host;
	struct node *node;
	struct event_base *base;
	char *name;			/* for messages: "socket localhost:9999" */
	int once;			/* read what is there now, then end */
	int paused;			/* held back, by backpressure or its rate */
	int ended;
	int failed;			/* could not start: the job fails */
	int64_t rate;			/* rate=N: at most N records a second; 0: any */
	struct source_limit *limit;	/* its source set's, enforcing rate */
	void *impl;
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

/* A source of kind d for plan node n (d has init); its base is set
 * before it starts. */
struct source *source_new(const struct source_desc *d, const struct source_host *,
    struct node *n, int once);
void source_free(struct source *);

/* Does this source read the same records again from a restored position
 * (its kind's replayable callback, else SOURCE_REPLAYABLE; it must keep a
 * position)? */
int source_replayable(const struct source *);
/* A position saved by the kind named kind, in words (a position inside a
 * block says so); -1 when the kind cannot say.  (In registry.c, which
 * finds the kind.) */
int source_describe(const char *kind, const char *pos, size_t len, struct strbuf *out);

/*
 * The block data between two positions of source s, appended to out
 * (see source_desc.replay).  The positions are the kind's, or the parts
 * the source set makes when rate=N lets a block go in pieces
 * (source_position_part); the records of such a part are cut out of the
 * block the kind replays.  -1 with *err "NAME: cannot replay: ..." (the
 * caller frees it): not replayable, or the records cannot be read again.
 */
int source_replay(struct source *s, const char *from, size_t fromlen, const char *to,
    size_t tolen, struct strbuf *out, char **err);

/* The position inside a block: after its first n records (lines, or
 * framed records), where before and after are the kind's positions
 * around the whole block. */
void source_position_part(struct strbuf *out, const char *before, size_t beforelen,
    const char *after, size_t afterlen, int64_t n, int framed);
/* Is pos such a part?  Then its pieces, pointing into pos. */
int source_position_is_part(const char *pos, size_t len, const char **before,
    size_t *beforelen, const char **after, size_t *afterlen, int64_t *n, int *framed);

/* Where the first n records of data[off..len) end; *got: how many there
 * were (fewer when the block ends first; a framed block's bad rest counts
 * as one, the rest going as it is). */
size_t source_records_end(const char *data, size_t off, size_t len, int framed, int64_t n,
    int64_t *got);

/*
 * For a kind's replay: the lines of fd's bytes [from, to) (to < 0: up to
 * its end) appended to out, cut by lines.c as a live read cuts them (a
 * line over the cap dropped the same way), and the unfinished last line
 * made a line as lines_end makes it -- a position never falls inside a
 * line unless the live source ended that line there.  Read with pread:
 * the descriptor's offset is not moved.  -1 on a read error (errno); -2
 * when the bytes end before to (the file is shorter than when it was read:
 * truncated since).
 */
int replay_lines(int fd, int64_t from, int64_t to, struct strbuf *out);

/* For the kinds: set up an input on fd (pollable or pumped), read it. */
void input_init(struct input *, struct source *, int fd, int pumped,
    void (*cb)(int, short, void *), void *arg);
void input_release(struct input *);
/* Read what is there (a few reads at most, then back to the loop so other
 * inputs have their turn): 1 more may come, 0 at the end, -1 on an error
 * (errno says which). */
int input_read(struct input *);
/* Hand the complete lines to the host. */
void input_cut(struct input *);
void input_watch(struct input *, int on);

/* Report "NAME: ..." as kind: a warning (the source goes on), an error
 * (it cannot start), a reconnection.  Not limited here: a caller that may
 * repeat itself (a reconnect loop) keeps its own count and clock. */
void source_report(struct source *, enum report_kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define source_warn(s, ...) source_report((s), REPORT_WARNING, __VA_ARGS__)
#define source_error(s, ...) source_report((s), REPORT_ERROR, __VA_ARGS__)

#endif
