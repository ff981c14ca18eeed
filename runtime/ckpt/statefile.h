/*
 * statefile.h: a stateful stage's saved bytes as a checkpoint file.
 *
 * state-<stage#>-<gen>.full holds a whole save, state-<stage#>-<gen>.<k>.chg
 * the changes saved after it; both are the bytes of save_full or
 * save_changes, in DATA records of at most 64 MiB, and END (the count of
 * DATA records and the total bytes: a file without it is damaged).
 * Written atomically through ckpt_atomic_writev, without copying the
 * bytes.
 */
#ifndef CKPT_STATEFILE_H
#define CKPT_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

struct ckpt_dir;
struct strbuf;

#define STATEFILE_CHUNK ((size_t)64 << 20)

/* "state-<stage>-<gen>.full" when k is 0, else "state-<stage>-<gen>.<k>.chg",
 * into name (STATEFILE_NAME_MAX bytes). */
#define STATEFILE_NAME_MAX 80
void statefile_name(char *name, uint64_t stage, uint64_t gen, uint64_t k);

/* The size of DATA records from now on (tests; 0 restores
 * STATEFILE_CHUNK). */
void statefile_set_chunk(size_t);

/* 0, or -1 and *err. */
int statefile_write(struct ckpt_dir *, const char *name, const void *data, size_t len, char **err);
/* The saved bytes appended to out (an empty out gets the file's buffer,
 * without a copy): 0, or -1 and *err, out as it was (a missing file is
 * an error too: the manifest names it). */
int statefile_read(struct ckpt_dir *, const char *name, struct strbuf *out, char **err);

#endif
