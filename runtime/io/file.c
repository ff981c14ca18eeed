/*
 * file.c: the write and append sinks, which keep a batch's output on disk
 * once it is there (exactly-once: write stores, commit makes it durable).
 *
 * write "PREFIX" puts each batch in its own file PREFIX-<batch time>.<fmt>:
 * written under a temporary name starting with "." (which files() ignores,
 * so one job can watch the directory another writes into), flushed to
 * disk, renamed into place and the directory flushed, so a file is either
 * absent or whole (Spark's saveAsTextFiles).  append "PATH" adds each
 * batch to one file, opened once, and flushes it to disk before the batch
 * counts as done; the file's length after each batch is kept, which is
 * what a checkpoint will record to cut the file back on recovery.
 *
 * Every failure of write(2), fsync(2) or rename(2) fails the job: data
 * promised durable that did not reach the disk is not a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "runtime/codec.h"
#include "runtime/io/sink.h"
#include "stdlib/xmalloc.h"

struct file {
	const char *path;	/* the prefix (write) or the file (append) */
	const char *ext;	/* "tsv", "json", "csv" */
	/* write: the batch file being written */
	char *final, *tmp;
	int tmp_fd;
	/* append */
	int fd;
	int64_t length;		/* after the last batch committed */
	int known;		/* ... since the file was opened or restored */
	size_t pending;		/* written, not yet committed */
};

static enum sink_result
file_init(struct sink *s)
{
	struct file *f = xcalloc(1, sizeof *f);

	f->path = s->stage->args[0].s;
	f->ext = s->stage->format == FORMAT_JSON ? "json" :
	    s->stage->format == FORMAT_CSV ? "csv" : "tsv";
	f->tmp_fd = -1;
	f->fd = -1;
	s->ctx = f;
	return SINK_OK;
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

/* write: the batch's file is given up (a failure, or the end). */
static void
drop_pending(struct file *f)
{
	if (f->tmp_fd >= 0)
		close(f->tmp_fd);
	if (f->tmp != NULL)
		unlink(f->tmp);
	free(f->final);
	free(f->tmp);
	f->final = f->tmp = NULL;
	f->tmp_fd = -1;
}

static enum sink_result
write_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct file *f = s->ctx;
	size_t len;
	const char *data = sink_text(s, b, &len);

	(void)conn;
	(void)worker;
	drop_pending(f);
	f->final = xasprintf("%s-%lld.%s", f->path, (long long)b->time, f->ext);
	f->tmp = temp_name(f->final);
	f->tmp_fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->tmp_fd < 0) {
		sink_reason(s, SINK_ERROR, "write: cannot create %s: %s", f->final, strerror(errno));
		drop_pending(f);
		return SINK_ERROR;
	}
	if (write_all(f->tmp_fd, data, len) != 0) {
		sink_reason(s, SINK_ERROR, "write: writing %s: %s", f->final, strerror(errno));
		drop_pending(f);
		return SINK_ERROR;
	}
	return SINK_OK;
}

static enum sink_result
write_commit(struct sink *s, void *conn, int64_t batch_time)
{
	struct file *f = s->ctx;
	enum sink_result r = SINK_ERROR;
	int fd = f->tmp_fd;

	(void)conn;
	(void)batch_time;
	f->tmp_fd = -1;
	if (fsync(fd) != 0) {
		sink_reason(s, r, "write: writing %s: %s", f->final, strerror(errno));
		close(fd);
	} else if (close(fd) != 0) {
		sink_reason(s, r, "write: closing %s: %s", f->final, strerror(errno));
	} else if (rename(f->tmp, f->final) != 0 || sync_dir(f->final) != 0) {
		sink_reason(s, r, "write: renaming %s: %s", f->final, strerror(errno));
	} else {
		free(f->tmp);
		f->tmp = NULL;
		r = SINK_OK;
	}
	drop_pending(f);
	return r;
}

static enum sink_result
append_open(struct sink *s, int worker, void **conn)
{
	struct file *f = s->ctx;

	(void)worker;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return sink_reason(s, SINK_ERROR, "append: cannot open %s: %s", f->path,
		    strerror(errno));
	f->length = lseek(f->fd, 0, SEEK_END);
	f->known = 1;
	*conn = f;
	return SINK_OK;
}

static enum sink_result
append_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct file *f = conn;
	size_t len;
	const char *data = sink_text(s, b, &len);

	(void)worker;
	f->pending = len;
	if (write_all(f->fd, data, len) != 0)
		return sink_reason(s, SINK_ERROR, "append: writing %s: %s", f->path, strerror(errno));
	return SINK_OK;
}

static enum sink_result
append_commit(struct sink *s, void *conn, int64_t batch_time)
{
	struct file *f = conn;

	(void)batch_time;
	if (fsync(f->fd) != 0)
		return sink_reason(s, SINK_ERROR, "append: writing %s: %s", f->path, strerror(errno));
	f->length += (int64_t)f->pending;
	f->pending = 0;
	return SINK_OK;
}

#define APPEND_MAGIC "streamjob-append-1\n"

static void
append_save(struct sink *s, struct strbuf *sb)
{
	struct file *f = s->ctx;
	int64_t length = f->length;
	struct stat st;

	if (!f->known)
		length = stat(f->path, &st) == 0 ? (int64_t)st.st_size : 0;
	strbuf_adds(sb, APPEND_MAGIC);
	codec_put_u64(sb, (uint64_t)length);
}

/* Cut the file back to its length at the checkpoint: what a batch after
 * it appended is appended again when the batch is recomputed. */
static int
append_restore(struct sink *s, const char *data, size_t len, char **err)
{
	struct file *f = s->ctx;
	struct codec_reader r;
	struct stat st;
	int64_t length;

	codec_reader_init(&r, data, len, APPEND_MAGIC, NULL);
	length = (int64_t)codec_get_u64(&r);
	if (!codec_done(&r) || length < 0) {
		*err = xstrdup("append: the checkpoint's record of the file is not one this version reads");
		return -1;
	}
	if (stat(f->path, &st) != 0) {
		if (errno == ENOENT && length == 0)
			return 0;
		*err = xasprintf("append: %s: %s (it held %lld bytes at the checkpoint)", f->path,
		    strerror(errno), (long long)length);
		return -1;
	}
	if ((int64_t)st.st_size < length) {
		*err = xasprintf("append: %s is shorter (%lld bytes) than at the checkpoint (%lld bytes)",
		    f->path, (long long)st.st_size, (long long)length);
		return -1;
	}
	if ((int64_t)st.st_size > length && truncate(f->path, length) != 0) {
		*err = xasprintf("append: cannot cut %s back to %lld bytes: %s", f->path,
		    (long long)length, strerror(errno));
		return -1;
	}
	f->length = length;
	f->known = 1;
	return 0;
}

static void
append_close(struct sink *s, void *conn)
{
	struct file *f = conn;

	(void)s;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void
file_free(struct sink *s)
{
	struct file *f = s->ctx;

	if (f == NULL)
		return;
	drop_pending(f);
	free(f);
}

const struct sink_desc sink_write = {
	.name = "write",
	.flags = SINK_EXACTLY_ONCE | SINK_ORDERED | SINK_EMPTY,
	.init = file_init,
	.write = write_write,
	.commit = write_commit,
	.free = file_free,
};

const struct sink_desc sink_append = {
	.name = "append",
	.flags = SINK_EXACTLY_ONCE | SINK_ORDERED | SINK_EMPTY,
	.init = file_init,
	.open = append_open,
	.write = append_write,
	.commit = append_commit,
	.save = append_save,
	.restore = append_restore,
	.close = append_close,
	.free = file_free,
};
