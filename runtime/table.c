/*
 * table.c: lookup tables, from literal lists, files or stores.
 *
 * A version's entries live in its own arena and keymap, built before any
 * batch sees it and only read afterwards.  A file table's slot remembers
 * the file's signature (device, inode, size, modification time) as it was
 * read; table_slot_poll() compares it with the file's now, waits for a
 * changed signature to hold still for one more poll, reads the file
 * whole, checks that it did not change while it was read, and only then
 * swaps the slot's version.  The swap is a pointer under the slot's
 * mutex, taken once per batch when the batch opens, never per record.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "table.h"
#include "io/registry.h"
#include "stdlib/arena.h"
#include "stdlib/xmalloc.h"

/* A table file's line longer than this is an invalid line. */
#define TABLE_LINE_CAP (1024 * 1024)

/* What a file looked like: equal signatures are taken as equal contents. */
struct file_sig {
	int present;		/* stat() worked */
	int err;		/* its errno when it did not */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct table_slot {
	const struct table_def *def;
	int index;
	pthread_mutex_t lock;		/* guards cur */
	struct table *cur;
	struct file_sig seen;		/* the file as last read or reported */
	struct file_sig pending;	/* a change seen at the last poll */
	int have_pending;
	/* a store table: its reader, on a thread of its own */
	table_reader_fn reader;
	pthread_t thread;
	int started;
	int stop;			/* under lock: the thread ends */
	pthread_cond_t wake;
	int failing;			/* the thread's: its last read failed */
	char *news;			/* under lock: to say at the next poll */
	enum table_poll news_kind;
};

static void
sig_of(struct file_sig *sig, const struct stat *st)
{
	memset(sig, 0, sizeof *sig);
	sig->present = 1;
	sig->dev = st->st_dev;
	sig->ino = st->st_ino;
	sig->size = st->st_size;
	sig->mtime = st->st_mtim;
}

static int
sig_equal(const struct file_sig *a, const struct file_sig *b)
{
	if (a->present != b->present)
		return 0;
	if (!a->present)
		return a->err == b->err;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

struct table *
table_version_new(const char *name)
{
	struct table *t = xcalloc(1, sizeof *t);

	t->name = name;
	t->arena = arena_new(0);
	keymap_init(&t->map, t->arena, 1);
	atomic_init(&t->refs, 1);
	return t;
}

struct table *
table_version_of_query(const char *name, const char *store, int ncols, char **err)
{
	struct table *t;

	if (ncols != 1 && ncols != 2) {
		*err = xasprintf("table %s: %s: the query gives %d columns; a table takes 1 (a set) or 2 (keys and values)",
		    name, store, ncols);
		return NULL;
	}
	t = table_version_new(name);
	t->is_map = ncols == 2;
	return t;
}

struct table *
table_ref(struct table *t)
{
	if (t != NULL)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void
table_unref(struct table *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	keymap_release(&t->map);
	arena_free(t->arena);
	free(t);
}

void
table_version_put(struct table *t, struct value key, struct value val)
{
	int created;
	struct kentry *e = keymap_upsert(&t->map, key, value_hash(key), &created);

	e->val = val;
	if (created)
		t->entries++;
}

/* A value from a table file or a store's text: a number when the text
 * reads as one. */
struct value
table_text_value(struct arena *a, const char *s, size_t n)
{
	char *end;

	if (n > 0 && strspn(s, "0123456789+-.eE") == n) {
		errno = 0;
		long long i = strtoll(s, &end, 10);
		if (end == s + n && errno == 0)
			return value_int(i);
		double d = strtod(s, &end);
		if (end == s + n)
			return value_float(d);
	}
	return value_str_copy(a, s, n);
}

/*
 * Read a line of f into *buf (NUL-terminated, without its '\n'): its
 * length, -1 at the end of the file, or -2 as soon as it is longer than
 * the cap -- a file with no line ends is never held whole.
 */
static ssize_t
read_line(FILE *f, char **buf, size_t *cap)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n > TABLE_LINE_CAP)		/* one more for a CR */
			return -2;
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return -1;
	if (*cap == 0) {
		*cap = 256;
		*buf = xrealloc(*buf, *cap);
	}
	(*buf)[n] = '\0';
	return (ssize_t)n;
}

/* Open a table file: a regular file only, so a FIFO or a device put
 * there can never block the loop or feed it forever. */
static FILE *
open_table(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	*why = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	return f;
}

/* Why a line of a table file is not an entry, or NULL when it is one. */
static const char *
line_invalid(const char *line, size_t len)
{
	const char *tab;

	if (len > TABLE_LINE_CAP)
		return "a line longer than 1 MiB";
	if (memchr(line, '\0', len) != NULL)
		return "a NUL byte: not a text file";
	tab = memchr(line, '\t', len);
	if (tab == NULL)
		return NULL;
	if (tab == line)
		return "an empty key before the tab";
	if (memchr(tab + 1, '\t', len - (size_t)(tab + 1 - line)) != NULL)
		return "more than one tab: a line is a key, or a key, a tab and a value";
	return NULL;
}

/*
 * Read a table file (SPEC 2.5) into a new version: one entry a line; a
 * line with a tab is a key and a value, other lines are keys of a set.
 * Empty lines are skipped, a trailing CR is dropped.  Any invalid line
 * (line_invalid) makes the whole file invalid: a table is used whole or
 * not at all.  *sig gets the signature of what was read, as it was when
 * the reading ended.
 */
static struct table *
load_file(const struct table_def *def, struct file_sig *sig, char **err)
{
	const char *why;
	FILE *f = open_table(def->path, &why);
	struct table *t;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;

	if (f == NULL) {
		*err = xasprintf("table %s: cannot read %s: %s", def->name, def->path,
		    why != NULL ? why : strerror(errno));
		return NULL;
	}
	t = table_version_new(def->name);
	while ((len = read_line(f, &line, &cap)) != -1) {
		const char *tab;

		lineno++;
		if (len == -2) {
			*err = xasprintf("table %s: %s:%ld: a line longer than 1 MiB", def->name,
			    def->path, lineno);
			goto fail;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((why = line_invalid(line, (size_t)len)) != NULL) {
			*err = xasprintf("table %s: %s:%ld: %s", def->name, def->path, lineno, why);
			goto fail;
		}
		tab = memchr(line, '\t', (size_t)len);
		if (tab != NULL) {
			table_version_put(t, value_str(line, (size_t)(tab - line)),
			    table_text_value(t->arena, tab + 1, (size_t)(line + len - tab - 1)));
			t->is_map = 1;
		} else
			table_version_put(t, value_str(line, (size_t)len), value_bool(1));
	}
	if (ferror(f) || fstat(fileno(f), &st) != 0) {
		*err = xasprintf("table %s: cannot read %s: %s", def->name, def->path,
		    strerror(errno));
		goto fail;
	}
	sig_of(sig, &st);
	free(line);
	fclose(f);
	return t;
fail:
	free(line);
	fclose(f);
	table_unref(t);
	return NULL;
}

/* A literal list, its entries evaluated once. */
static struct table *
load_list(const struct table_def *def, table_eval_fn eval, void *arg, char **err)
{
	struct table *t = table_version_new(def->name);

	t->is_map = def->is_map;
	for (int i = 0; i < def->list->nitems; i++) {
		struct value v;
		const char *why = NULL;

		if (eval(arg, def->list->items[i], &v, &why) != 0) {
			*err = xasprintf("%s", why);
			table_unref(t);
			return NULL;
		}
		if (t->is_map && v.type == VT_TUPLE && v.n == 2)
			table_version_put(t, v.u.items[0], value_copy(t->arena, v.u.items[1]));
		else
			table_version_put(t, v, value_bool(1));
	}
	return t;
}

/* A store table's thread: read the store every `every`, swap in what was
 * read; keep the old version when a read fails, and say so once. */
static void *
store_thread(void *arg)
{
	struct table_slot *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct timespec until;
		struct table *t, *old = NULL;
		char *err = NULL;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += s->def->every_ms / 1000;
		until.tv_nsec += (s->def->every_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		t = s->reader(s->def, &err);
		pthread_mutex_lock(&s->lock);
		if (t != NULL) {
			old = s->cur;
			s->cur = t;
			if (s->failing) {
				free(s->news);
				s->news = xasprintf("table %s: read again (%zu entr%s)", s->def->name,
				    t->entries, t->entries == 1 ? "y" : "ies");
				s->news_kind = TABLE_RELOADED;
			}
			s->failing = 0;
		} else if (!s->failing) {
			free(s->news);
			s->news = xasprintf("%s; keeping the previous version", err);
			s->news_kind = TABLE_KEPT;
			s->failing = 1;
		}
		free(err);
		if (old != NULL) {
			pthread_mutex_unlock(&s->lock);
			table_unref(old);
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static struct table *
load_store(struct table_slot *s, char **err)
{
	struct table *t;

	s->reader = registry_table_reader(s->def->store);
	if (s->reader == NULL) {
		*err = xasprintf("table %s: %s is not available in this version", s->def->name,
		    s->def->store);
		return NULL;
	}
	if ((t = s->reader(s->def, err)) == NULL)
		return NULL;
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, store_thread, s) != 0) {
		*err = xasprintf("table %s: cannot start its reader: %s", s->def->name,
		    strerror(errno));
		pthread_cond_destroy(&s->wake);
		table_unref(t);
		return NULL;
	}
	s->started = 1;
	return t;
}

struct table_slot *
table_slot_new(const struct table_def *def, int index, table_eval_fn eval, void *eval_arg,
    char **err)
{
	struct table_slot *s = xcalloc(1, sizeof *s);

	s->def = def;
	s->index = index;
	pthread_mutex_init(&s->lock, NULL);
	*err = NULL;
	if (def->list != NULL)
		s->cur = load_list(def, eval, eval_arg, err);
	else if (def->store != NULL)
		s->cur = load_store(s, err);
	else
		s->cur = load_file(def, &s->seen, err);
	if (s->cur == NULL) {
		table_slot_free(s);
		return NULL;
	}
	return s;
}

void
table_slot_free(struct table_slot *s)
{
	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->wake);
	}
	free(s->news);
	table_unref(s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *
table_slot_name(const struct table_slot *s)
{
	return s->def->name;
}

int
table_slot_index(const struct table_slot *s)
{
	return s->index;
}

int
table_slot_watched(const struct table_slot *s)
{
	return s->def->path != NULL || s->def->store != NULL;
}

struct table *
table_slot_current(struct table_slot *s)
{
	struct table *t;

	pthread_mutex_lock(&s->lock);
	t = table_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	return t;
}

enum table_poll
table_slot_poll(struct table_slot *s, char **msg)
{
	struct file_sig now, read;
	struct stat st;
	struct table *t, *old;
	char *err = NULL;

	*msg = NULL;
	if (s->def->store != NULL) {
		enum table_poll r = TABLE_SAME;
		pthread_mutex_lock(&s->lock);
		if (s->news != NULL) {
			*msg = s->news;
			r = s->news_kind;
			s->news = NULL;
		}
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	if (s->def->path == NULL)
		return TABLE_SAME;
	if (stat(s->def->path, &st) == 0)
		sig_of(&now, &st);
	else {
		memset(&now, 0, sizeof now);
		now.err = errno;
	}
	if (sig_equal(&now, &s->seen)) {
		s->have_pending = 0;
		return TABLE_SAME;
	}
	if (!now.present) {
		/* Gone (or unreachable): say so once, keep what we have. */
		s->seen = now;
		s->have_pending = 0;
		*msg = xasprintf("table %s: cannot read %s: %s; keeping the previous version",
		    s->def->name, s->def->path, strerror(now.err));
		return TABLE_KEPT;
	}
	if (!s->have_pending || !sig_equal(&now, &s->pending)) {
		/* Changed since the last look: it may still be being written. */
		s->pending = now;
		s->have_pending = 1;
		return TABLE_SAME;
	}
	s->have_pending = 0;
	t = load_file(s->def, &read, &err);
	if (t == NULL) {
		s->seen = now;
		*msg = xasprintf("%s; keeping the previous version", err);
		free(err);
		return TABLE_KEPT;
	}
	if (!sig_equal(&read, &now)) {
		/* Written to while we read it: wait for it to settle again. */
		table_unref(t);
		s->pending = read;
		s->have_pending = 1;
		return TABLE_SAME;
	}
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = t;
	pthread_mutex_unlock(&s->lock);
	table_unref(old);
	s->seen = now;
	*msg = xasprintf("table %s: reloaded %s (%zu entr%s)", s->def->name, s->def->path,
	    t->entries, t->entries == 1 ? "y" : "ies");
	return TABLE_RELOADED;
}

int
table_get(const struct table *t, struct value key, struct value *val)
{
	const struct kentry *e = keymap_find(&t->map, key, value_hash(key));

	if (e == NULL)
		return 0;
	if (val != NULL)
		*val = e->val;
	return 1;
}
