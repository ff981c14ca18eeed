/*
 * manifest.h: the commit point of a checkpoint.
 *
 * The manifest names everything that belongs to the checkpoint -- the
 * script, the last completed batch, each stateful stage's files, each
 * source's position, each sink's progress -- and is replaced atomically,
 * so the checkpoint on disk is always the last one whose manifest became
 * durable.  Records: HEAD, one STAGE per stateful stage, one SOURCE per
 * source, one SINK per sink, and END (the count of records before it: a
 * manifest without it is damaged).
 */
#ifndef CKPT_MANIFEST_H
#define CKPT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct ckpt_dir;
struct strbuf;

#define MANIFEST_NAME "manifest"
#define MANIFEST_NO_BATCH UINT64_MAX	/* last_seq when no batch completed */

struct ckpt_blob {
	char *data;		/* NUL-terminated for convenience */
	size_t len;
};

struct ckpt_stage_rec {
	char *id;		/* `as NAME`, or the normalized pipeline text */
	char *definition;	/* the stage's text, to say what changed */
	char *kind;		/* "state", "window", ... */
	char *location;		/* "file:line:col" */
	uint64_t keys, bytes;
	char *sample;		/* a few keys, printed */
	char **files;		/* state-<stage#>-<gen>.full, then its .<k>.chg */
	size_t nfiles;
};

struct ckpt_source_rec {
	char *id, *kind;
	struct ckpt_blob position;
};

struct ckpt_sink_rec {
	char *id, *kind;
	struct ckpt_blob progress;
};

/* Every pointer is owned by the manifest (manifest_free frees them). */
struct ckpt_manifest {
	uint64_t version;	/* format version in HEAD: 1 */
	char *fingerprint;	/* of the normalized script */
	struct ckpt_blob script;
	uint64_t batch_ms;
	uint64_t parts;
	uint64_t last_seq;	/* MANIFEST_NO_BATCH when none */
	int64_t last_time_ms;	/* that batch's time */
	int64_t written_ms;	/* wall clock when written */
	struct ckpt_stage_rec *stages;
	size_t nstages;
	struct ckpt_source_rec *sources;
	size_t nsources;
	struct ckpt_sink_rec *sinks;
	size_t nsinks;
};

/* Replace DIR/manifest atomically (crash points "before manifest", the
 * atomic write's, "after manifest").  0, or -1 and *err. */
int manifest_write(struct ckpt_dir *, const struct ckpt_manifest *, char **err);
/* 0 and *out filled, 1 when there is no manifest, -1 and *err ("DIR/
 * manifest: damaged at offset N: ..."); *out is zeroed in every case. */
int manifest_read(struct ckpt_dir *, struct ckpt_manifest *out, char **err);
void manifest_free(struct ckpt_manifest *);

/* The manifest as bytes, and back (label names it in messages): what
 * manifest_write and manifest_read use. */
void manifest_encode(const struct ckpt_manifest *, struct strbuf *);
int manifest_decode(const char *label, const char *data, size_t len, struct ckpt_manifest *out,
    char **err);

#endif
