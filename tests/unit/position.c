/*
 * position.c: the positions of the sources as bytes -- tail's file and
 * offset, files' names done and file being read, kafka's offsets -- saved,
 * restored and saved again through their descriptors, the first versions
 * still read, and bytes that are not a position refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang/catalog.h"
#include "lang/plan.h"
#include "runtime/codec.h"
#include "runtime/io/registry.h"
#include "runtime/io/source.h"
#include "stdlib/strbuf.h"
#include "tap.h"

/* An instance of kind d for a stage with these string arguments, not
 * started. */
static struct source *
make(const struct source_desc *d, const char *arg0)
{
	static const struct source_host host = { 0 };	/* no reporter: quiet */
	static struct stage st;
	static struct node n;

	memset(&st, 0, sizeof st);
	memset(&n, 0, sizeof n);
	st.desc = catalog_find(d->name, ROLE_SOURCE);
	st.args[0].present = 1;
	st.args[0].s = arg0;
	n.stage = &st;
	return source_new(d, &host, &n, 0);
}

static int
same(const struct strbuf *a, const struct strbuf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void
put_u64(struct strbuf *sb, uint64_t x)
{
	codec_put_u64(sb, x);
}

static void
tail_position(struct strbuf *sb, uint64_t dev, uint64_t ino, uint64_t off, uint64_t gen,
    uint64_t pdev, uint64_t pino, uint64_t pend)
{
	strbuf_add(sb, "tail\002", 5);
	put_u64(sb, dev);
	put_u64(sb, ino);
	put_u64(sb, off);
	put_u64(sb, gen);
	put_u64(sb, pdev);
	put_u64(sb, pino);
	put_u64(sb, pend);
}

static void
test_tail(void)
{
	struct source *s = make(source_find("tail"), "some.log");
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, bad = STRBUF_INIT, want = STRBUF_INIT;

	TAP_OK(s->desc->save != NULL && s->desc->restore != NULL, "tail keeps a position");
	TAP_OK(s->desc->caps & SOURCE_REPLAYABLE, "tail is replayable");
	TAP_OK(s->desc->replay != NULL && source_replayable(s), "tail replays");
	/* the first version: device, inode, offset */
	strbuf_add(&in, "tail\001", 5);
	put_u64(&in, 2049);
	put_u64(&in, 1234567);
	put_u64(&in, 987654321);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "tail: a version 1 position restores");
	s->desc->save(s, &out);
	tail_position(&want, 2049, 1234567, 987654321, 0, 0, 0, 0);
	TAP_OK(same(&want, &out), "tail: saved again as version 2, no switch yet (%zu)", out.len);

	/* version 2: and the switches, and the file left at the last one */
	strbuf_reset(&in);
	tail_position(&in, 2049, 1234567, 987654321, 3, 2049, 1234500, 4096);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "tail: a position restores");
	strbuf_reset(&out);
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "tail: saved again, the same bytes (%zu)", out.len);
	TAP_OK(out.len == 5 + 56, "tail: name, version byte, device, inode, offset, switches, "
	    "the file left and its end");

	/* another version */
	strbuf_add(&bad, in.data, in.len);
	bad.data[4] = 3;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: version 3 is refused");
	/* cut short, one byte over */
	TAP_OK(s->desc->restore(s, in.data, in.len - 1) < 0, "tail: cut short is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, in.data, in.len);
	strbuf_addc(&bad, 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: a byte left over is refused");
	/* version 1 with version 2's fields is a byte string too long */
	strbuf_reset(&bad);
	strbuf_add(&bad, in.data, in.len);
	bad.data[4] = 1;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: version 1 too long is refused");
	/* an offset past what a file can hold */
	strbuf_reset(&bad);
	tail_position(&bad, 1, 2, UINT64_MAX, 0, 0, 0, 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: a negative offset is refused");
	strbuf_reset(&bad);
	tail_position(&bad, 1, 2, 3, 1, 1, 1, UINT64_MAX);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0,
	    "tail: a negative end of the file left is refused");
	TAP_OK(s->desc->restore(s, NULL, 0) < 0, "tail: nothing is refused");
	/* the refusals changed nothing */
	strbuf_reset(&out);
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "tail: refused bytes leave the position as it was");
	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&bad);
	strbuf_release(&want);
	source_free(s);
}

/* Version 1: names only. */
static void
files_position_1(struct strbuf *sb, const char *const *names, int n)
{
	strbuf_add(sb, "files\001", 6);
	put_u64(sb, (uint64_t)n);
	for (int i = 0; i < n; i++)
		codec_put_value(sb, value_str(names[i], strlen(names[i])));
}

/* Version 2: names in the order done, each read or not, then the file
 * being read and the offset in it. */
static void
files_position(struct strbuf *sb, const char *const *names, const int *read, int n,
    const char *current, uint64_t offset)
{
	strbuf_add(sb, "files\002", 6);
	put_u64(sb, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		codec_put_value(sb, value_str(names[i], strlen(names[i])));
		put_u64(sb, read != NULL ? (uint64_t)read[i] : 0);
	}
	codec_put_value(sb, value_str(current, strlen(current)));
	put_u64(sb, offset);
}

static void
test_files(void)
{
	struct source *s = make(source_find("files"), "some/dir");
	struct source *t;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT, bad = STRBUF_INIT;
	const char *shuffled[] = { "b.txt", "a.txt", "2024-01-01.log", "a.tx" };
	const int read[] = { 1, 0, 1, 1 };

	TAP_OK(s->desc->save != NULL && s->desc->restore != NULL, "files keeps a position");
	TAP_OK(s->desc->caps & SOURCE_REPLAYABLE, "files is replayable");
	TAP_OK(s->desc->replay != NULL && source_replayable(s), "files replays");
	s->desc->save(s, &out);
	files_position(&want, NULL, NULL, 0, "", 0);
	TAP_OK(same(&out, &want), "files: nothing done yet saves as no names, no file");

	/* version 1: the names are done, none of them read */
	files_position_1(&in, shuffled, 4);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "files: a version 1 set restores");
	strbuf_reset(&out);
	s->desc->save(s, &out);
	strbuf_reset(&want);
	files_position(&want, shuffled, NULL, 4, "", 0);
	TAP_OK(same(&out, &want), "files: saved again as version 2, in the same order");
	source_free(s);

	/* version 2, with a file being read */
	s = make(source_find("files"), "some/dir");
	strbuf_reset(&in);
	files_position(&in, shuffled, read, 4, "c.txt", 12345);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "files: a position restores");
	strbuf_reset(&out);
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "files: saved again, the same bytes (%zu)", out.len);

	/* a second instance restored from the saved bytes saves the same */
	t = make(source_find("files"), "some/dir");
	TAP_OK(t->desc->restore(t, out.data, out.len) == 0, "files: the saved bytes restore");
	strbuf_reset(&in);
	t->desc->save(t, &in);
	TAP_OK(same(&in, &out), "files: and save as the same bytes");
	/* restoring what is already done adds nothing */
	TAP_OK(t->desc->restore(t, out.data, out.len) == 0, "files: restored twice");
	strbuf_reset(&in);
	t->desc->save(t, &in);
	TAP_OK(same(&in, &out), "files: a name done twice is one name");
	source_free(t);

	/* not positions */
	strbuf_add(&bad, out.data, out.len);
	bad.data[5] = 3;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: version 3 is refused");
	TAP_OK(s->desc->restore(s, out.data, out.len - 1) < 0, "files: cut short is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, "files\002", 6);
	put_u64(&bad, 1000000);
	codec_put_value(&bad, value_str("x", 1));
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a count past the end is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, "files\001", 6);
	put_u64(&bad, 1);
	codec_put_value(&bad, value_int(7));
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a name that is no string is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, "files\001", 6);
	put_u64(&bad, 2);
	codec_put_value(&bad, value_str("new.txt", 7));
	codec_put_value(&bad, value_str("a\0b", 3));
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a name with a NUL is refused");
	strbuf_reset(&bad);
	files_position(&bad, (const char *const[]){ "new.txt" }, (const int[]){ 2 }, 1, "", 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: read neither 0 nor 1 is refused");
	strbuf_reset(&bad);
	files_position(&bad, (const char *const[]){ "" }, NULL, 1, "", 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: an empty name is refused");
	strbuf_reset(&bad);
	files_position(&bad, NULL, NULL, 0, "new.txt", UINT64_MAX);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a negative offset is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, "tail\001", 5);
	put_u64(&bad, 1);
	put_u64(&bad, 2);
	put_u64(&bad, 3);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a tail position is refused");
	/* nothing of a refused position was taken (not even new.txt) */
	strbuf_reset(&in);
	s->desc->save(s, &in);
	TAP_OK(same(&in, &out), "files: refused bytes leave the position as it was");

	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&want);
	strbuf_release(&bad);
	source_free(s);
}

/* kafka: per partition, the offset after the last message handed over. */
static void
test_kafka(void)
{
	static const struct source_host host = { 0 };
	static struct stage st;
	static struct node n;
	struct source *s;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, bad = STRBUF_INIT;

	st.desc = catalog_find("kafka", ROLE_SOURCE);
	st.args[0].present = st.args[1].present = 1;
	st.args[0].s = "b:9092";
	st.args[1].s = "events";
	n.stage = &st;
	s = source_new(source_find("kafka"), &host, &n, 0);
	TAP_OK(s->desc->save != NULL && s->desc->restore != NULL, "kafka keeps a position");
	TAP_OK(!(s->desc->caps & SOURCE_REPLAYABLE), "kafka is not marked replayable yet");
	s->desc->save(s, &out);
	strbuf_add(&in, "kafka\001", 6);
	codec_put_value(&in, value_str("events", 6));
	put_u64(&in, 0);
	TAP_OK(same(&in, &out), "kafka: nothing handed over saves no partition");
	strbuf_release(&in);
	strbuf_release(&out);

	strbuf_add(&in, "kafka\001", 6);
	codec_put_value(&in, value_str("events", 6));
	put_u64(&in, 2);
	put_u64(&in, 0);
	put_u64(&in, 1234);
	put_u64(&in, 7);
	put_u64(&in, (uint64_t)1 << 40);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "kafka: a position restores");
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "kafka: and saves as the same bytes");

	strbuf_add(&bad, in.data, in.len - 1);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) == -1, "kafka: cut short, refused");
	strbuf_release(&bad);
	strbuf_add(&bad, in.data, in.len);
	strbuf_addc(&bad, 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) == -1, "kafka: bytes left over, refused");
	strbuf_release(&bad);
	strbuf_add(&bad, in.data, in.len);
	bad.data[5] = 2;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) == -1, "kafka: another version, refused");
	strbuf_release(&bad);
	strbuf_add(&bad, "kafka\001", 6);
	codec_put_value(&bad, value_str("other", 5));
	put_u64(&bad, 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) == -1, "kafka: another topic's, refused");
	strbuf_release(&bad);
	strbuf_add(&bad, "kafka\001", 6);
	codec_put_value(&bad, value_str("events", 6));
	put_u64(&bad, (uint64_t)1 << 60);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) == -1, "kafka: a count past the bytes, refused");
	strbuf_release(&bad);
	strbuf_release(&out);
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "kafka: refused bytes leave the position as it was");
	strbuf_release(&in);
	strbuf_release(&out);
	source_free(s);
}

static void
test_registry(void)
{
	TAP_OK(source_find("stdin") != NULL && strcmp(source_find("stdin")->name, "stdin") == 0,
	    "the registry finds stdin");
	TAP_OK(source_find("union") == NULL, "union is no kind of source");
	TAP_OK(source_caps("stdin") == SOURCE_READS_STDIN, "stdin reads standard input");
	TAP_OK((source_caps("batches") & SOURCE_VIRTUAL_CLOCK) && source_find("batches")->init == NULL,
	    "batches runs on the virtual clock, fed by the job");
	TAP_OK(source_find("socket")->save == NULL && source_find("listen")->save == NULL &&
	    source_find("socket")->replay == NULL && source_find("listen")->replay == NULL,
	    "socket and listen keep no position");
	TAP_OK(source_find("stdin")->save != NULL && source_find("stdin")->replay != NULL &&
	    !(source_find("stdin")->caps & SOURCE_REPLAYABLE) &&
	    source_find("stdin")->replayable != NULL,
	    "stdin keeps a position, replayable as an instance (a file), not as a kind");
	for (const char *const *k = (const char *const[]){ "stdin", "socket", "listen", "files",
	    "tail", "kafka", NULL }; *k != NULL; k++) {
		const struct source_desc *d = source_find(*k);
		TAP_OK(d != NULL && d->init != NULL && d->start != NULL && d->pause != NULL &&
		    d->resume != NULL && d->cut != NULL && d->stop != NULL && d->free != NULL &&
		    !(d->caps & SOURCE_VIRTUAL_CLOCK), "%s has every callback, on the real clock", *k);
	}
}

int
main(void)
{
	test_registry();
	test_tail();
	test_files();
	test_kafka();
	return tap_done();
}
