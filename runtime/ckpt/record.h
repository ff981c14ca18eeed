/*
 * record.h: the record-file format every checkpoint file shares.
 *
 * A file is an 8-byte header -- "SJCK", the format version (1), the file
 * type (1 manifest, 2 state, 3 journal segment), two zero bytes -- and
 * then records, each
 *
 *     u32 payload length (LE) | u32 CRC32C of type byte + payload (LE)
 *     | u8 type | payload
 *
 * Writers build a whole file in a strbuf (rec_begin_file, rec_append) or
 * append records to an open file descriptor (struct rec_writer, one
 * write(2) per record).  The reader walks a whole file held in memory and
 * never reads outside it: it yields each record or says why it cannot --
 * the end, a torn tail (a last record cut short, what a crash during an
 * append leaves; allowed only where the caller says so) or damage,
 * described as "LABEL: damaged at offset N: WHAT", N being the start of
 * the record (0 for the header).
 */
#ifndef CKPT_RECORD_H
#define CKPT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct strbuf;

#define REC_MAGIC "SJCK"
#define REC_VERSION 1
#define REC_FILE_HEADER 8		/* bytes of the file header */
#define REC_HEADER 9			/* bytes before a record's payload */
#define REC_MAX_PAYLOAD (1u << 30)	/* a longer record is damage */

enum rec_file_type {
	REC_FILE_MANIFEST = 1,
	REC_FILE_STATE = 2,
	REC_FILE_WAL = 3,
};

/* Record types; each belongs to one kind of file (END to two). */
enum rec_type {
	REC_END = 1,		/* manifest, state: u64 records before it (+ state: u64 bytes) */
	REC_HEAD = 2,		/* manifest */
	REC_STAGE = 3,
	REC_SOURCE = 4,
	REC_SINK = 5,
	REC_DATA = 8,		/* state: a piece of a stage's saved bytes */
	REC_SOURCES = 16,	/* journal segment */
	REC_BLOCK = 17,
	REC_REF = 18,
	REC_CUT = 19,
};

/* Building a whole file in memory. */
void rec_begin_file(struct strbuf *, int file_type);
void rec_append(struct strbuf *, int type, const void *payload, size_t len);

/* Payload fields, little-endian; a blob or string is a u64 length and the
 * bytes. */
void rec_put_u8(struct strbuf *, uint8_t);
void rec_put_u32(struct strbuf *, uint32_t);
void rec_put_u64(struct strbuf *, uint64_t);
void rec_put_blob(struct strbuf *, const void *, size_t);
void rec_put_str(struct strbuf *, const char *);	/* NULL is "" */

/* The 9 header bytes of a record whose payload is the n pieces iov. */
void rec_header(unsigned char out[REC_HEADER], int type, const struct iovec *iov, int n);

/* Appending records to an open file, each with one writev(2).  A failed
 * or short write cuts the file back to where the record began (so the
 * file never keeps half a record) and returns -1 with errno set. */
struct rec_writer {
	int fd;
	uint64_t off;		/* bytes in the file: where the next record goes */
};

void rec_writer_init(struct rec_writer *, int fd, uint64_t off);
int rec_put(struct rec_writer *, int type, const void *payload, size_t len);
/* The payload in n <= 7 pieces (a BLOCK's fields and its data, uncopied). */
int rec_putv(struct rec_writer *, int type, const struct iovec *iov, int n);
/* Write all of iov (looping over short writes and IOV_MAX); -1 and errno. */
int rec_writev_all(int fd, const struct iovec *iov, int n);

/* Reading a file held in memory. */
enum rec_status {
	REC_DAMAGED = -1,	/* *err says where and what */
	REC_OK = 0,		/* *out is the next record */
	REC_EOF = 1,		/* no more records */
	REC_TORN = 2,		/* a torn last record: dropped; no more records */
};

struct rec {
	int type;
	const char *payload;	/* borrowed from the reader's data */
	size_t len;
	size_t off;		/* where the record starts in the file */
};

struct rec_reader {
	const char *label;	/* DIR/FILE, for messages (borrowed) */
	const unsigned char *data;
	size_t len, off;
	int allow_torn;
	int done;
	int file_type;
	uint32_t types;		/* bit t: type t belongs in this kind of file */
};

/* Check the file header; REC_OK, REC_DAMAGED (another type or version,
 * a bad magic), or REC_TORN when allow_torn and the file is a prefix of a
 * header (a segment a crash left before its first record). */
int rec_reader_init(struct rec_reader *, const char *label, const void *data, size_t len,
    int file_type, int allow_torn, char **err);
/* The next record (of a type that belongs in the file; its checksum good). */
int rec_next(struct rec_reader *, struct rec *out, char **err);

/* "LABEL: damaged at offset N: WHAT" (the caller frees it). */
char *rec_damaged(const char *label, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reading the fields of a payload: a read past its end, or a length past
 * it, makes the cursor bad and every later read give zero / NULL. */
struct rec_cur {
	const unsigned char *p, *end;
	int bad;
};

void rec_cur_init(struct rec_cur *, const struct rec *);
uint8_t rec_get_u8(struct rec_cur *);
uint32_t rec_get_u32(struct rec_cur *);
uint64_t rec_get_u64(struct rec_cur *);
/* A blob borrowed from the payload (NULL, 0 when bad). */
const char *rec_get_blob(struct rec_cur *, size_t *len);
/* A string, copied and NUL-terminated (the caller frees it; NULL when bad). */
char *rec_get_str(struct rec_cur *);
/* The rest of the payload, borrowed. */
const char *rec_get_rest(struct rec_cur *, size_t *len);
/* Read to the end exactly and nothing bad? */
int rec_cur_done(const struct rec_cur *);

#endif
