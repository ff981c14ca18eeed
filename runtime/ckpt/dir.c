/*
 * dir.c: the checkpoint directory of dir.h.
 *
 * The lock is flock(2) on DIR/lock, held through an fd closed on exec, so
 * it goes away with the process however it ends; the pid written into
 * the file is only for the message a second job gets.  Durable writes
 * follow the classic order: temporary file, fsync, rename, fsync of the
 * directory -- the rename is the commit, the directory's fsync makes it
 * survive a power loss.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash.h"
#include "dir.h"
#include "record.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

struct ckpt_dir {
	char *path;
	int fd;			/* the directory */
	int lockfd;
};

const char *
ckpt_dir_path(const struct ckpt_dir *d)
{
	return d->path;
}

int
ckpt_dir_fd(const struct ckpt_dir *d)
{
	return d->fd;
}

char *
ckpt_dir_label(const struct ckpt_dir *d, const char *name)
{
	size_t n = strlen(d->path);

	return n > 0 && d->path[n - 1] == '/' ? xasprintf("%s%s", d->path, name) :
	    xasprintf("%s/%s", d->path, name);
}

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
has_suffix(const char *s, const char *x)
{
	size_t n = strlen(s), m = strlen(x);

	return n >= m && strcmp(s + n - m, x) == 0;
}

/* A temporary file of this format: ".NAME.tmp". */
static int
is_tmp(const char *name)
{
	return name[0] == '.' && strlen(name) > 5 && has_suffix(name, ".tmp");
}

/* One of the files a checkpoint is made of (not the lock). */
static int
is_ckpt_file(const char *name)
{
	return strcmp(name, "manifest") == 0 || has_prefix(name, "state-") ||
	    has_prefix(name, "wal-") || is_tmp(name);
}

char **
ckpt_dir_names(struct ckpt_dir *d, char **err)
{
	int fd = dup(d->fd);
	DIR *dp;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	if (fd < 0 || (dp = fdopendir(fd)) == NULL) {
		*err = xasprintf("%s: cannot list: %s", d->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(dp);
	while ((errno = 0, e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = xstrdup(e->d_name);
	}
	if (errno != 0) {
		*err = xasprintf("%s: cannot list: %s", d->path, strerror(errno));
		closedir(dp);
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return NULL;
	}
	closedir(dp);
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	return v;
}

void
ckpt_dir_names_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static int
remove_name(struct ckpt_dir *d, const char *name, char **err)
{
	if (unlinkat(d->fd, name, 0) < 0 && errno != ENOENT) {
		char *l = ckpt_dir_label(d, name);
		*err = xasprintf("%s: cannot remove: %s", l, strerror(errno));
		free(l);
		return -1;
	}
	return 0;
}

int
ckpt_dir_sync(struct ckpt_dir *d, char **err)
{
	if (fsync(d->fd) < 0) {
		*err = xasprintf("%s: fsync: %s", d->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The parent's fsync makes a directory just created survive a power
 * loss; a parent that cannot be opened (no read permission) is let be. */
static int
sync_parent(const char *path, char **err)
{
	char *copy = xstrdup(path);
	const char *parent = dirname(copy);
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL) {
			*err = xasprintf("checkpoint directory %s: fsync of %s: %s", path, parent,
			    strerror(errno));
			rc = -1;
		}
		close(fd);
	}
	free(copy);
	return rc;
}

static int
take_lock(struct ckpt_dir *d, char **err)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;

	d->lockfd = openat(d->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0) {
		*err = xasprintf("checkpoint directory %s: cannot open its lock: %s", d->path,
		    strerror(errno));
		return -1;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			*err = xasprintf("checkpoint directory %s: cannot lock: %s", d->path,
			    strerror(errno));
			return -1;
		}
		n = pread(d->lockfd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, &end, 10);
		if (n > 0 && end != buf && pid > 0)
			*err = xasprintf("checkpoint directory %s is in use by another job (pid %ld)",
			    d->path, pid);
		else
			*err = xasprintf("checkpoint directory %s is in use by another job", d->path);
		return -1;
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(d->lockfd, 0) < 0 || pwrite(d->lockfd, buf, (size_t)n, 0) != n) {
		*err = xasprintf("checkpoint directory %s: cannot write its lock: %s", d->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove leftover temporary files, and with fresh the whole checkpoint. */
static int
clean(struct ckpt_dir *d, int fresh, char **err)
{
	char **names = ckpt_dir_names(d, err);
	int removed = 0, rc = 0;

	if (names == NULL)
		return -1;
	for (char **p = names; *p != NULL && rc == 0; p++) {
		if (is_tmp(*p) || (fresh && is_ckpt_file(*p))) {
			rc = remove_name(d, *p, err);
			removed = 1;
		}
	}
	ckpt_dir_names_free(names);
	if (rc == 0 && removed)
		rc = ckpt_dir_sync(d, err);
	return rc;
}

/* Create the directories above path that are missing, 0700 each (as
 * mkdir -p); 0, or -1 with errno. */
static int
make_parents(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *q = p + 1; *q != '\0'; q++) {
		char *next;
		if (*q != '/')
			continue;
		next = q + 1;
		while (*next == '/')
			next++;
		if (*next == '\0')
			break;		/* a trailing slash: path itself is last */
		*q = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*q = '/';
		if (rc != 0)
			break;
	}
	free(p);
	if (rc == 0)
		errno = 0;
	return rc;
}

struct ckpt_dir *
ckpt_dir_open(const char *path, int fresh, char **err)
{
	struct ckpt_dir *d = xcalloc(1, sizeof *d);
	int created = 0;

	d->path = xstrdup(path);
	d->fd = d->lockfd = -1;
	if (mkdir(path, 0700) == 0) {
		created = 1;
	} else if (errno == ENOENT && make_parents(path) == 0 && mkdir(path, 0700) == 0) {
		created = 1;	/* as mkdir -p: ckpt/totals with no ckpt/ yet */
	} else if (errno != EEXIST) {
		*err = xasprintf("checkpoint directory %s cannot be created: %s", path,
		    strerror(errno));
		goto fail;
	}
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		*err = errno == ENOTDIR ?
		    xasprintf("checkpoint directory %s: not a directory", path) :
		    xasprintf("checkpoint directory %s: %s", path, strerror(errno));
		goto fail;
	}
	if (created && sync_parent(path, err) < 0)
		goto fail;
	if (take_lock(d, err) < 0)
		goto fail;
	if (clean(d, fresh, err) < 0)
		goto fail;
	return d;
fail:
	ckpt_dir_close(d);
	return NULL;
}

struct ckpt_dir *
ckpt_dir_open_readonly(const char *path, char **err)
{
	struct ckpt_dir *d = xcalloc(1, sizeof *d);

	d->path = xstrdup(path);
	d->lockfd = -1;
	d->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		*err = errno == ENOENT ? xasprintf("checkpoint directory %s does not exist", path) :
		    errno == ENOTDIR ? xasprintf("checkpoint directory %s: not a directory", path) :
		    xasprintf("checkpoint directory %s: %s", path, strerror(errno));
		ckpt_dir_close(d);
		return NULL;
	}
	return d;
}

void
ckpt_dir_close(struct ckpt_dir *d)
{
	if (d == NULL)
		return;
	if (d->lockfd >= 0)
		close(d->lockfd);	/* releases the flock */
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
}

int
ckpt_dir_empty(struct ckpt_dir *d)
{
	char *err = NULL;
	char **names = ckpt_dir_names(d, &err);
	int empty = 1;

	if (names == NULL) {
		free(err);
		return 0;	/* unreadable: not empty; reading it says why */
	}
	for (char **p = names; *p != NULL; p++)
		if (strcmp(*p, "manifest") == 0 || has_prefix(*p, "wal-"))
			empty = 0;
	ckpt_dir_names_free(names);
	return empty;
}

int
ckpt_dir_remove_unnamed(struct ckpt_dir *d, const char *const *keep, size_t nkeep, char **err)
{
	char **names = ckpt_dir_names(d, err);
	int rc = 0;

	if (names == NULL)
		return -1;
	for (char **p = names; *p != NULL && rc == 0; p++) {
		int named = 0;
		if (has_prefix(*p, "state-")) {
			for (size_t i = 0; i < nkeep && !named; i++)
				named = strcmp(*p, keep[i]) == 0;
		} else if (!(is_tmp(*p) && (has_prefix(*p, ".state-") ||
		    strcmp(*p, ".manifest.tmp") == 0))) {
			continue;
		}
		if (!named)
			rc = remove_name(d, *p, err);
	}
	ckpt_dir_names_free(names);
	if (rc == 0)
		ckpt_step("remove old files");
	return rc;
}

/* "DIR/NAME: WHAT: strerror" into *err. */
static int
fail_errno(struct ckpt_dir *d, const char *name, const char *what, char **err)
{
	int e = errno;
	char *l = ckpt_dir_label(d, name);

	*err = xasprintf("%s: %s: %s", l, what, strerror(e));
	free(l);
	return -1;
}

int
ckpt_atomic_writev(struct ckpt_dir *d, const char *name, const struct iovec *iov, int n,
    char **err)
{
	char *tmp = xasprintf(".%s.tmp", name);
	char step[300];
	int fd, rc = -1;

	fd = openat(d->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail_errno(d, tmp, "cannot create", err);
		goto out;
	}
	if (rec_writev_all(fd, iov, n) < 0) {
		fail_errno(d, tmp, "write", err);
		goto out;
	}
	snprintf(step, sizeof step, "write %s", tmp);
	ckpt_step(step);
	if (fsync(fd) < 0) {
		fail_errno(d, tmp, "fsync", err);
		goto out;
	}
	snprintf(step, sizeof step, "fsync %s", tmp);
	ckpt_step(step);
	if (close(fd) < 0) {
		fd = -1;
		fail_errno(d, tmp, "close", err);
		goto out;
	}
	fd = -1;
	if (renameat(d->fd, tmp, d->fd, name) < 0) {
		fail_errno(d, name, "rename", err);
		goto out;
	}
	snprintf(step, sizeof step, "rename %s", name);
	ckpt_step(step);
	if (ckpt_dir_sync(d, err) < 0)
		goto done;	/* renamed: nothing to remove */
	snprintf(step, sizeof step, "fsync directory after %s", name);
	ckpt_step(step);
	rc = 0;
	goto done;
out:
	if (fd >= 0)
		close(fd);
	unlinkat(d->fd, tmp, 0);
done:
	free(tmp);
	return rc;
}

int
ckpt_atomic_write(struct ckpt_dir *d, const char *name, const struct strbuf *sb, char **err)
{
	struct iovec iov = { sb->data, sb->len };

	return ckpt_atomic_writev(d, name, &iov, 1, err);
}

int
ckpt_dir_read(struct ckpt_dir *d, const char *name, char **data, size_t *len, char **err)
{
	int fd = openat(d->fd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	*data = NULL;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return fail_errno(d, name, "cannot open", err);
	}
	if (fstat(fd, &st) < 0) {
		fail_errno(d, name, "cannot stat", err);
		close(fd);
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;
		if (n + 1 == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail_errno(d, name, "read", err);
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}
