/*
 * wal.h: the journal, one segment per batch.
 *
 * Segment wal-<seq> (seq as 20 digits) holds what batch seq is made of:
 * SOURCES first (the ids of the job's sources; a record names a source by
 * its index there), then a BLOCK (the data itself) for each block of a
 * source that cannot be read again, or a REF (the source's position
 * before and after the block) for one that can, and last the CUT: the
 * batch's seq and time, whether it is the last batch, and each source's
 * position where the batch's input ends.  A batch is recomputed from its
 * segment exactly when the segment has its CUT.
 *
 * Appends are one write(2) each; wal_sync makes them durable (fsync when
 * anything was appended since the last sync, and the directory after the
 * first sync of a new segment, for its name): the loop calls it once per
 * block interval and at each cut.  A failed append or sync returns -1;
 * the writer then refuses everything (the job must fail) and wal_error,
 * wal_sync and wal_close give the reason.
 */
#ifndef CKPT_WAL_H
#define CKPT_WAL_H

#include <stddef.h>
#include <stdint.h>

struct ckpt_dir;
struct wal;

/* A source's position: a source number and its saved bytes (borrowed). */
struct wal_pos {
	uint32_t src;
	const char *data;
	size_t len;
};

/* A BLOCK or REF record as read (pointing into the segment's bytes), or
 * to write with wal_rewrite (borrowed). */
struct wal_record {
	int type;		/* REC_BLOCK or REC_REF */
	uint32_t src;
	int framed;
	const char *data;	/* BLOCK: the block's bytes */
	size_t len;
	const char *from;	/* REF: positions before and after the block */
	size_t fromlen;
	const char *to;
	size_t tolen;
};

struct wal_cut {
	uint64_t seq;
	int64_t time_ms;
	int last;
	struct wal_pos *pos;	/* owned by the segment */
	size_t npos;
};

struct wal_segment {
	uint64_t seq;
	char **sources;		/* the SOURCES record's ids */
	size_t nsources;
	struct wal_record *records;	/* BLOCKs and REFs, in order */
	size_t nrecords;
	int has_cut;
	struct wal_cut cut;
	int torn;		/* a torn last record was dropped */
	char *buf;		/* the file's bytes: records point into it */
	size_t buflen;
};

/* "wal-<seq as 20 digits>" into name (at least 25 bytes). */
void wal_name(char *name, uint64_t seq);

/* Create wal-<seq> (it must not exist) and append SOURCES.  NULL and
 * *err on failure. */
struct wal *wal_create(struct ckpt_dir *, uint64_t seq, const char *const *source_ids, int n,
    char **err);
/* Append a BLOCK / REF / the CUT: 0, or -1 (see wal_error). */
int wal_block(struct wal *, uint32_t src, int framed, const void *data, size_t len);
int wal_ref(struct wal *, uint32_t src, int framed, const void *from, size_t fromlen,
    const void *to, size_t tolen);
int wal_cut(struct wal *, uint64_t seq, int64_t time_ms, int last, const struct wal_pos *pos,
    size_t n);
/* fsync if anything was appended since the last sync (and DIR after the
 * first): 0, or -1 and *err. */
int wal_sync(struct wal *, char **err);
/* wal_sync, then close and free (NULL is fine): 0, or -1 and *err (freed
 * in any case). */
int wal_close(struct wal *, char **err);
/* Close and free without a sync (a job that failed). */
void wal_free(struct wal *);
/* Why the writer failed, or NULL. */
const char *wal_error(const struct wal *);
uint64_t wal_seq(const struct wal *);

/* Read wal-<seq>: 0 and *out, 1 when it does not exist, -1 and *err
 * ("DIR/wal-...: damaged at offset N: ..."). */
int wal_read(struct ckpt_dir *, uint64_t seq, struct wal_segment *out, char **err);
void wal_segment_free(struct wal_segment *);

/* The segments in DIR, by seq (*seqs freed by the caller): 0, or -1 and
 * *err. */
int wal_list(struct ckpt_dir *, uint64_t **seqs, size_t *n, char **err);
/* Remove the segments <= seq: 0, or -1 and *err. */
int wal_remove_upto(struct ckpt_dir *, uint64_t seq, char **err);

/* Replace wal-<seq> atomically (".wal-<seq>.tmp", fsync, rename, fsync
 * DIR) by SOURCES and recs, and return it open for appending (as
 * wal_create would have); NULL and *err on failure, the old segment then
 * untouched.  Recovery re-logs a segment without CUT this way. */
struct wal *wal_rewrite(struct ckpt_dir *, uint64_t seq, const char *const *source_ids, int n,
    const struct wal_record *recs, size_t nrecs, char **err);

#endif
