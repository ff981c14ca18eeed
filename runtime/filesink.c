/*
 * filesink.c: the write and append sinks of filesink.h.  Every failure of
 * write(2), fsync(2) or rename(2) is reported: data promised durable that
 * did not reach the disk is a failure of the job, not a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filesink.h"
#include "stdlib/xmalloc.h"

struct filesink {
	int append;
	char *path;
	char *ext;
	int fd;			/* append: the file, opened once */
	int64_t length;
};

struct filesink *
filesink_new(int append, const char *path, const char *ext)
{
	struct filesink *f = xcalloc(1, sizeof *f);

	f->append = append;
	f->path = xstrdup(path);
	f->ext = xstrdup(ext);
	f->fd = -1;
	return f;
}

void
filesink_free(struct filesink *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->ext);
	free(f);
}

int64_t
filesink_length(const struct filesink *f)
{
	return f->length;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Flush the directory holding path, so a rename in it is durable. */
static int
sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY), rc = -1;

	free(copy);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * The temporary name of final: in its directory (a rename does not cross
 * file systems), starting with "." -- the name writers use so that a
 * files() job watching the directory ignores the file until the rename.
 */
static char *
temp_name(const char *final)
{
	const char *slash = strrchr(final, '/');
	int dirlen = slash != NULL ? (int)(slash - final + 1) : 0;

	return xasprintf("%.*s.%s.tmp-%ld", dirlen, final, final + dirlen, (long)getpid());
}

int
filesink_put(struct filesink *f, int64_t batch_time, const char *data, size_t len,
    char *err, size_t errsize)
{
	char *final = NULL, *tmp = NULL;
	int fd = -1, rc = -1;

	if (f->append) {
		if (f->fd < 0) {
			f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (f->fd < 0) {
				snprintf(err, errsize, "append: cannot open %s: %s", f->path, strerror(errno));
				return -1;
			}
			f->length = lseek(f->fd, 0, SEEK_END);
		}
		if (write_all(f->fd, data, len) != 0 || fsync(f->fd) != 0) {
			snprintf(err, errsize, "append: writing %s: %s", f->path, strerror(errno));
			return -1;
		}
		f->length += (int64_t)len;
		return 0;
	}
	final = xasprintf("%s-%lld.%s", f->path, (long long)batch_time, f->ext);
	tmp = temp_name(final);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errsize, "write: cannot create %s: %s", final, strerror(errno));
		goto done;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errsize, "write: writing %s: %s", final, strerror(errno));
		goto done;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errsize, "write: closing %s: %s", final, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, final) != 0 || sync_dir(final) != 0) {
		snprintf(err, errsize, "write: renaming %s: %s", final, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp != NULL)
		unlink(tmp);
	free(final);
	free(tmp);
	return rc;
}
