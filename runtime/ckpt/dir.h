/*
 * dir.h: a checkpoint directory, created and locked, and the durable
 * writes made in it.
 *
 * ckpt_dir_open creates DIR (mode 0700; its parent must exist) if absent
 * and holds an exclusive flock on DIR/lock, with the holder's pid written
 * in it, until ckpt_dir_close, so one job at a time uses a directory.  A
 * whole file is replaced atomically: written to ".NAME.tmp", fsynced,
 * renamed over NAME, and the directory fsynced; a crash at any instant
 * leaves either the old file or the new one.
 *
 * Messages: ckpt_dir_open's are sentences ("checkpoint directory DIR is
 * in use by another job (pid N)"); the others name the file ("DIR/NAME:
 * fsync: Input/output error") and the caller says they are about a
 * checkpoint.  All are allocated; the caller frees them.
 */
#ifndef CKPT_DIR_H
#define CKPT_DIR_H

#include <stddef.h>
#include <sys/uio.h>

struct strbuf;
struct ckpt_dir;

/* Open (and create) DIR and lock it; fresh removes the checkpoint files
 * in it first (manifest, state-*, wal-*, .*.tmp).  Leftover temporary
 * files of a crash are removed in any case.  NULL and *err on failure. */
struct ckpt_dir *ckpt_dir_open(const char *path, int fresh, char **err);
/* Open DIR to read it only (--inspect): nothing is created, locked or
 * removed, so it works while a job uses DIR (every file there is replaced
 * whole by a rename).  NULL and *err when DIR cannot be opened. */
struct ckpt_dir *ckpt_dir_open_readonly(const char *path, char **err);
/* Unlock and free (NULL is fine). */
void ckpt_dir_close(struct ckpt_dir *);

const char *ckpt_dir_path(const struct ckpt_dir *);	/* as given to open */
int ckpt_dir_fd(const struct ckpt_dir *);		/* an O_DIRECTORY fd */
/* "DIR/NAME", for messages (the caller frees it). */
char *ckpt_dir_label(const struct ckpt_dir *, const char *name);

/* The names of the entries of DIR but . and .., NULL-terminated (free
 * with ckpt_dir_names_free): NULL and *err when it cannot be read. */
char **ckpt_dir_names(struct ckpt_dir *, char **err);
void ckpt_dir_names_free(char **);

/* No manifest and no journal segment: a new checkpoint. */
int ckpt_dir_empty(struct ckpt_dir *);

/* fsync the directory (names created, renamed or removed in it). */
int ckpt_dir_sync(struct ckpt_dir *, char **err);

/* Remove the state-* files not among names[0..n), and temporary files
 * of state and manifest writes that a crash left.  0, or -1 and *err. */
int ckpt_dir_remove_unnamed(struct ckpt_dir *, const char *const *names, size_t n, char **err);

/* Replace NAME with the bytes of sb atomically (tmp, fsync, rename, fsync
 * DIR); a crash point after each step.  0, or -1 and *err (the temporary
 * file is removed; NAME is untouched). */
int ckpt_atomic_write(struct ckpt_dir *, const char *name, const struct strbuf *sb, char **err);
int ckpt_atomic_writev(struct ckpt_dir *, const char *name, const struct iovec *iov, int n,
    char **err);

/* The whole of NAME in *data (NUL-terminated; the caller frees it):
 * 0, 1 when NAME does not exist, -1 and *err. */
int ckpt_dir_read(struct ckpt_dir *, const char *name, char **data, size_t *len, char **err);

#endif
