/*
 * record.c: the record-file format of record.h.
 *
 * Torn or damaged: a crash during an append leaves a file that is a
 * prefix of what was being written (the kernel's page cache keeps what
 * write(2) did; a failed write is cut back by the writer), so the only
 * tear is a last record that the end of the file cuts short.  Where the
 * caller allows a torn tail, such a record is dropped -- unless a whole
 * record with a good checksum follows inside the bytes it claims, which
 * means its length was damaged rather than cut short.  A checksum that
 * does not match is always damage: a crash does not change bytes that
 * were written.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "record.h"
#include "runtime/codec.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

static void
put_le32(unsigned char *b, uint32_t x)
{
	b[0] = (unsigned char)x;
	b[1] = (unsigned char)(x >> 8);
	b[2] = (unsigned char)(x >> 16);
	b[3] = (unsigned char)(x >> 24);
}

static uint32_t
get_le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void
file_header(unsigned char h[REC_FILE_HEADER], int file_type)
{
	memcpy(h, REC_MAGIC, 4);
	h[4] = REC_VERSION;
	h[5] = (unsigned char)file_type;
	h[6] = 0;
	h[7] = 0;
}

void
rec_begin_file(struct strbuf *sb, int file_type)
{
	unsigned char h[REC_FILE_HEADER];

	file_header(h, file_type);
	strbuf_add(sb, h, sizeof h);
}

void
rec_header(unsigned char out[REC_HEADER], int type, const struct iovec *iov, int n)
{
	unsigned char t = (unsigned char)type;
	uint32_t crc = crc32c(0, &t, 1);
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		crc = crc32c(crc, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	put_le32(out, (uint32_t)len);
	put_le32(out + 4, crc);
	out[8] = t;
}

void
rec_append(struct strbuf *sb, int type, const void *payload, size_t len)
{
	unsigned char h[REC_HEADER];
	struct iovec iov = { (void *)payload, len };

	rec_header(h, type, &iov, 1);
	strbuf_add(sb, h, sizeof h);
	if (len > 0)
		strbuf_add(sb, payload, len);
}

void
rec_put_u8(struct strbuf *sb, uint8_t x)
{
	strbuf_addc(sb, (char)x);
}

void
rec_put_u32(struct strbuf *sb, uint32_t x)
{
	unsigned char b[4];

	put_le32(b, x);
	strbuf_add(sb, b, 4);
}

void
rec_put_u64(struct strbuf *sb, uint64_t x)
{
	codec_put_u64(sb, x);
}

void
rec_put_blob(struct strbuf *sb, const void *p, size_t n)
{
	codec_put_u64(sb, n);
	if (n > 0)
		strbuf_add(sb, p, n);
}

void
rec_put_str(struct strbuf *sb, const char *s)
{
	rec_put_blob(sb, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* Writing to a file. */

void
rec_writer_init(struct rec_writer *w, int fd, uint64_t off)
{
	w->fd = fd;
	w->off = off;
}

int
rec_writev_all(int fd, const struct iovec *iov0, int n)
{
	struct iovec local[64];
	int i = 0;
	size_t skip = 0;	/* bytes of iov0[i] already written */

	while (i < n) {
		int k = 0;
		ssize_t w;

		for (int j = i; j < n && k < (int)(sizeof local / sizeof local[0]); j++) {
			size_t s = j == i ? skip : 0;
			if (iov0[j].iov_len - s == 0)
				continue;
			local[k].iov_base = (char *)iov0[j].iov_base + s;
			local[k].iov_len = iov0[j].iov_len - s;
			k++;
		}
		if (k == 0)
			return 0;
		w = writev(fd, local, k);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		/* Advance over what was written. */
		size_t left = (size_t)w;
		while (i < n && left >= iov0[i].iov_len - skip) {
			left -= iov0[i].iov_len - skip;
			skip = 0;
			i++;
		}
		skip += left;
	}
	return 0;
}

int
rec_putv(struct rec_writer *w, int type, const struct iovec *iov, int n)
{
	unsigned char h[REC_HEADER];
	struct iovec all[8];
	size_t len = 0;
	int saved;

	if (n > 7) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (len > REC_MAX_PAYLOAD) {
		errno = EFBIG;
		return -1;
	}
	rec_header(h, type, iov, n);
	all[0].iov_base = h;
	all[0].iov_len = sizeof h;
	memcpy(all + 1, iov, (size_t)n * sizeof *iov);
	if (rec_writev_all(w->fd, all, n + 1) < 0) {
		/* Never leave half a record: cut back to where it began. */
		saved = errno;
		if (ftruncate(w->fd, (off_t)w->off) == 0)
			lseek(w->fd, (off_t)w->off, SEEK_SET);
		errno = saved;
		return -1;
	}
	w->off += sizeof h + len;
	return 0;
}

int
rec_put(struct rec_writer *w, int type, const void *payload, size_t len)
{
	struct iovec iov = { (void *)payload, len };

	return rec_putv(w, type, &iov, 1);
}

/* Reading. */

char *
rec_damaged(const char *label, size_t off, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	char *what;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	strbuf_addf(&sb, "%s: damaged at offset %zu: %s", label, off, what != NULL ? what : fmt);
	free(what);
	return strbuf_detach(&sb);
}

static const char *
file_type_name(int t)
{
	switch (t) {
	case REC_FILE_MANIFEST: return "a manifest";
	case REC_FILE_STATE: return "a state file";
	case REC_FILE_WAL: return "a journal segment";
	default: return "no checkpoint file";
	}
}

int
rec_reader_init(struct rec_reader *r, const char *label, const void *data, size_t len,
    int file_type, int allow_torn, char **err)
{
	unsigned char h[REC_FILE_HEADER];

	memset(r, 0, sizeof *r);
	r->label = label;
	r->data = data;
	r->len = len;
	r->allow_torn = allow_torn;
	file_header(h, file_type);
	if (len < REC_FILE_HEADER) {
		if (allow_torn && (len == 0 || memcmp(data, h, len) == 0)) {
			r->done = 1;
			return REC_TORN;
		}
		*err = len == 0 ? rec_damaged(label, 0, "the file is empty") :
		    rec_damaged(label, 0, "the file ends inside its header");
		return REC_DAMAGED;
	}
	if (memcmp(data, REC_MAGIC, 4) != 0) {
		*err = rec_damaged(label, 0, "not a checkpoint file");
		return REC_DAMAGED;
	}
	if (r->data[4] != REC_VERSION) {
		*err = xasprintf("%s: format version %u is not supported (this streamjob reads "
		    "version %d)", label, r->data[4], REC_VERSION);
		return REC_DAMAGED;
	}
	if (r->data[5] != file_type) {
		*err = rec_damaged(label, 5, "the header says %s, not %s",
		    file_type_name(r->data[5]), file_type_name(file_type));
		return REC_DAMAGED;
	}
	if (r->data[6] != 0 || r->data[7] != 0) {
		*err = rec_damaged(label, 6, "reserved header bytes are not zero");
		return REC_DAMAGED;
	}
	r->off = REC_FILE_HEADER;
	r->file_type = file_type;
	switch (file_type) {
	case REC_FILE_MANIFEST:
		r->types = 1u << REC_HEAD | 1u << REC_STAGE | 1u << REC_SOURCE | 1u << REC_SINK |
		    1u << REC_END;
		break;
	case REC_FILE_STATE:
		r->types = 1u << REC_DATA | 1u << REC_END;
		break;
	case REC_FILE_WAL:
		r->types = 1u << REC_SOURCES | 1u << REC_BLOCK | 1u << REC_REF | 1u << REC_CUT;
		break;
	}
	return REC_OK;
}

static int
type_allowed(const struct rec_reader *r, unsigned t)
{
	return t < 32 && (r->types >> t & 1) != 0;
}

/* Does a whole record with a good checksum start somewhere in
 * data[from..len)?  Then what ends the file at a record that runs past it
 * is damage, not a tear. */
static int
good_record_after(const struct rec_reader *r, size_t from)
{
	const unsigned char *data = r->data;
	size_t len = r->len;

	for (size_t p = from; p + REC_HEADER <= len; p++) {
		uint32_t n = get_le32(data + p);
		unsigned char t = data[p + 8];
		if (n > len - p - REC_HEADER || !type_allowed(r, t))
			continue;
		uint32_t crc = crc32c(crc32c(0, &t, 1), data + p + REC_HEADER, n);
		if (crc == get_le32(data + p + 4))
			return 1;
	}
	return 0;
}

int
rec_next(struct rec_reader *r, struct rec *out, char **err)
{
	size_t off = r->off, left;
	uint32_t n, crc;
	unsigned char t;

	if (r->done)
		return REC_EOF;
	left = r->len - off;
	if (left == 0) {
		r->done = 1;
		return REC_EOF;
	}
	if (left < REC_HEADER) {
		if (r->allow_torn) {
			r->done = 1;
			return REC_TORN;
		}
		*err = rec_damaged(r->label, off, "the file ends inside a record's header");
		return REC_DAMAGED;
	}
	n = get_le32(r->data + off);
	if (n > REC_MAX_PAYLOAD) {
		*err = rec_damaged(r->label, off, "a record length of %" PRIu32 " bytes is too large",
		    n);
		return REC_DAMAGED;
	}
	if (n > left - REC_HEADER) {
		if (r->allow_torn && !good_record_after(r, off + REC_HEADER)) {
			r->done = 1;
			return REC_TORN;
		}
		*err = rec_damaged(r->label, off, "the record runs past the end of the file");
		return REC_DAMAGED;
	}
	t = r->data[off + 8];
	crc = crc32c(crc32c(0, &t, 1), r->data + off + REC_HEADER, n);
	if (crc != get_le32(r->data + off + 4)) {
		*err = rec_damaged(r->label, off, "checksum mismatch");
		return REC_DAMAGED;
	}
	if (!type_allowed(r, t)) {
		*err = rec_damaged(r->label, off, "a record of type %u does not belong in %s", t,
		    file_type_name(r->file_type));
		return REC_DAMAGED;
	}
	out->type = t;
	out->payload = (const char *)r->data + off + REC_HEADER;
	out->len = n;
	out->off = off;
	r->off = off + REC_HEADER + n;
	return REC_OK;
}

/* Payload fields. */

void
rec_cur_init(struct rec_cur *c, const struct rec *r)
{
	c->p = (const unsigned char *)r->payload;
	c->end = c->p + r->len;
	c->bad = 0;
}

static const unsigned char *
take(struct rec_cur *c, size_t n)
{
	const unsigned char *p = c->p;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	return p;
}

uint8_t
rec_get_u8(struct rec_cur *c)
{
	const unsigned char *p = take(c, 1);

	return p != NULL ? *p : 0;
}

uint32_t
rec_get_u32(struct rec_cur *c)
{
	const unsigned char *p = take(c, 4);

	return p != NULL ? get_le32(p) : 0;
}

uint64_t
rec_get_u64(struct rec_cur *c)
{
	const unsigned char *p = take(c, 8);

	return p != NULL ? (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32 : 0;
}

const char *
rec_get_blob(struct rec_cur *c, size_t *len)
{
	uint64_t n = rec_get_u64(c);
	const unsigned char *p;

	*len = 0;
	if (c->bad || n > (uint64_t)(c->end - c->p)) {
		c->bad = 1;
		return NULL;
	}
	p = take(c, (size_t)n);
	*len = (size_t)n;
	return (const char *)p;
}

char *
rec_get_str(struct rec_cur *c)
{
	size_t n;
	const char *p = rec_get_blob(c, &n);

	return p != NULL ? xstrndup(p, n) : NULL;
}

const char *
rec_get_rest(struct rec_cur *c, size_t *len)
{
	const unsigned char *p = c->p;

	*len = c->bad ? 0 : (size_t)(c->end - c->p);
	if (c->bad)
		return NULL;
	c->p = c->end;
	return (const char *)p;
}

int
rec_cur_done(const struct rec_cur *c)
{
	return !c->bad && c->p == c->end;
}
