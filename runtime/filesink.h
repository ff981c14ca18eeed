/*
 * filesink.h: the write and append sinks (SPEC 2.1), which keep a batch's
 * output on disk once it is there.
 *
 * write "PREFIX" puts each batch in its own file PREFIX-<batch time>.<fmt>:
 * written under a temporary name starting with "." (which files() ignores,
 * so one job can watch the directory another writes into), flushed to
 * disk, renamed into place and the directory flushed, so a file is either
 * absent or whole (Spark's saveAsTextFiles).  append "PATH" adds each batch to one file and flushes
 * it to disk before the batch counts as done; the file's length after each
 * batch is kept, which is what a checkpoint will record to cut the file
 * back on recovery.
 */
#ifndef FILESINK_H
#define FILESINK_H

#include <stddef.h>
#include <stdint.h>

struct filesink;

/* path: the prefix (write) or the file (append); ext: "tsv", "json", "csv". */
struct filesink *filesink_new(int append, const char *path, const char *ext);
void filesink_free(struct filesink *);

/*
 * Store one batch's text.  Returns 0, or -1 with a message in err (of
 * errsize bytes) naming the file and the reason.
 */
int filesink_put(struct filesink *, int64_t batch_time, const char *data, size_t len,
    char *err, size_t errsize);

/* append: the file's length after the last batch stored. */
int64_t filesink_length(const struct filesink *);

#endif
