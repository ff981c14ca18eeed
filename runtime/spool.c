/*
 * spool.c: the spool of spool.h.  In memory it is one growing buffer; in
 * a file, the bytes up to flen are the spool's, and a failed write leaves
 * flen where it was, so whatever it wrote past flen is never read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* Bytes read back from the file at a time. */
#define DRAIN_PIECE (256 * 1024)

struct spool {
	struct strbuf mem;
	int fd;			/* the temporary file, or -1 while in memory */
	uint64_t flen;		/* bytes of the file that are the spool's */
};

struct spool *
spool_new(void)
{
	struct spool *s = xcalloc(1, sizeof *s);

	s->fd = -1;
	return s;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	strbuf_release(&s->mem);
	free(s);
}

size_t
spool_mem(const struct spool *s)
{
	return s->mem.len;
}

uint64_t
spool_size(const struct spool *s)
{
	return s->fd >= 0 ? s->flen : s->mem.len;
}

static int
pwrite_all(int fd, const char *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* A temporary file in $TMPDIR (or /tmp), removed from the directory at
 * once: nothing is left behind, even by a crash. */
static int
open_temp(char *err, size_t errsize)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	path = xasprintf("%s/streamjob-spool-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errsize, "cannot create a temporary file in %s: %s", dir,
		    strerror(errno));
	else
		unlink(path);
	free(path);
	return fd;
}

/* Move what is in memory to a new temporary file. */
static int
spill(struct spool *s, char *err, size_t errsize)
{
	int fd = open_temp(err, errsize);

	if (fd < 0)
		return -1;
	if (pwrite_all(fd, s->mem.data, s->mem.len, 0) != 0) {
		snprintf(err, errsize, "writing a temporary file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->flen = s->mem.len;
	strbuf_release(&s->mem);
	return 0;
}

int
spool_add(struct spool *s, const char *data, size_t len, size_t mem_room,
    char *err, size_t errsize)
{
	if (s->fd < 0 && len <= mem_room) {
		strbuf_add(&s->mem, data, len);
		return 0;
	}
	if (s->fd < 0 && spill(s, err, errsize) != 0)
		return -1;
	if (pwrite_all(s->fd, data, len, s->flen) != 0) {
		snprintf(err, errsize, "writing a temporary file: %s", strerror(errno));
		return -1;
	}
	s->flen += len;
	return 0;
}

int
spool_drain(struct spool *s, int (*put)(void *, const char *, size_t), void *arg,
    char *err, size_t errsize)
{
	char *buf;
	uint64_t off = 0;
	int rc = 0;

	if (s->fd < 0)
		return s->mem.len > 0 && put(arg, s->mem.data, s->mem.len) != 0 ? 1 : 0;
	buf = xmalloc(DRAIN_PIECE);
	while (off < s->flen && rc == 0) {
		size_t want = s->flen - off < DRAIN_PIECE ? (size_t)(s->flen - off) : DRAIN_PIECE;
		ssize_t n = pread(s->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errsize, "reading a temporary file: %s",
			    n < 0 ? strerror(errno) : "it is shorter than was written");
			rc = -1;
			break;
		}
		off += (uint64_t)n;
		if (put(arg, buf, (size_t)n) != 0)
			rc = 1;
	}
	free(buf);
	return rc;
}
