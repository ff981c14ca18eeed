/*
 * statefile.c: the state files of statefile.h.  The bytes are written
 * straight from the caller's buffer: an iovec per DATA record's header and
 * one per its piece of the bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "record.h"
#include "statefile.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

void
statefile_name(char *name, uint64_t stage, uint64_t gen, uint64_t k)
{
	if (k == 0)
		snprintf(name, STATEFILE_NAME_MAX, "state-%" PRIu64 "-%" PRIu64 ".full", stage, gen);
	else
		snprintf(name, STATEFILE_NAME_MAX, "state-%" PRIu64 "-%" PRIu64 ".%" PRIu64 ".chg",
		    stage, gen, k);
}

static size_t chunk = STATEFILE_CHUNK;

void
statefile_set_chunk(size_t n)
{
	chunk = n > 0 ? n : STATEFILE_CHUNK;
}

int
statefile_write(struct ckpt_dir *d, const char *name, const void *data, size_t len, char **err)
{
	size_t nchunks = (len + chunk - 1) / chunk;
	unsigned char file[REC_FILE_HEADER], (*heads)[REC_HEADER], endh[REC_HEADER];
	struct strbuf end = STRBUF_INIT, file_sb = STRBUF_INIT;
	struct iovec *iov = xcalloc(2 * nchunks + 3, sizeof *iov);
	struct iovec endv;
	int n = 0, rc;

	heads = xcalloc(nchunks + 1, sizeof *heads);
	rec_begin_file(&file_sb, REC_FILE_STATE);
	memcpy(file, file_sb.data, sizeof file);
	strbuf_release(&file_sb);
	iov[n].iov_base = file;
	iov[n++].iov_len = sizeof file;
	for (size_t i = 0; i < nchunks; i++) {
		size_t off = i * chunk;
		struct iovec piece = { (char *)data + off, len - off < chunk ? len - off : chunk };
		rec_header(heads[i], REC_DATA, &piece, 1);
		iov[n].iov_base = heads[i];
		iov[n++].iov_len = REC_HEADER;
		iov[n++] = piece;
	}
	rec_put_u64(&end, nchunks);
	rec_put_u64(&end, len);
	endv.iov_base = end.data;
	endv.iov_len = end.len;
	rec_header(endh, REC_END, &endv, 1);
	iov[n].iov_base = endh;
	iov[n++].iov_len = REC_HEADER;
	iov[n++] = endv;
	rc = ckpt_atomic_writev(d, name, iov, n, err);
	strbuf_release(&end);
	free(heads);
	free(iov);
	return rc;
}

int
statefile_read(struct ckpt_dir *d, const char *name, struct strbuf *out, char **err)
{
	char *data, *label = ckpt_dir_label(d, name);
	size_t len, total = 0, start = out->len;
	uint64_t ndata = 0;
	struct rec_reader r;
	struct rec rec;
	struct rec_cur c;
	int st, rc = -1;
	/* Into an empty strbuf the file's own buffer is handed over, the
	 * pieces moved to its front: no second copy of a large state. */
	int inplace = out->data == NULL;
	char *dst;

	st = ckpt_dir_read(d, name, &data, &len, err);
	if (st != 0) {
		if (st == 1)
			*err = xasprintf("%s: missing", label);
		free(label);
		return -1;
	}
	if (rec_reader_init(&r, label, data, len, REC_FILE_STATE, 0, err) != REC_OK)
		goto out;
	dst = data;
	while ((st = rec_next(&r, &rec, err)) == REC_OK) {
		if (rec.type == REC_DATA) {
			/* dst is before the payload; the reader reads only after it */
			if (inplace)
				memmove(dst, rec.payload, rec.len);
			else
				strbuf_add(out, rec.payload, rec.len);
			dst += rec.len;
			total += rec.len;
			ndata++;
			continue;
		}
		/* END */
		rec_cur_init(&c, &rec);
		uint64_t n = rec_get_u64(&c), bytes = rec_get_u64(&c);
		if (!rec_cur_done(&c))
			*err = rec_damaged(label, rec.off, "a record's fields do not fit its length");
		else if (n != ndata || bytes != total)
			*err = rec_damaged(label, rec.off, "END counts %llu records of %llu bytes, "
			    "not %llu of %zu", (unsigned long long)n, (unsigned long long)bytes,
			    (unsigned long long)ndata, total);
		else if (r.off != r.len)
			*err = rec_damaged(label, r.off, "data after the END record");
		else
			rc = 0;
		if (rc == 0 && inplace) {
			data[total] = '\0';
			out->data = data;
			out->len = total;
			out->cap = len + 1;
			data = NULL;
		}
		goto out;
	}
	if (st == REC_EOF)
		*err = rec_damaged(label, r.off, "the file ends before its END record");
out:
	if (rc != 0 && !inplace) {
		out->len = start;	/* nothing added */
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	free(data);
	free(label);
	return rc;
}
