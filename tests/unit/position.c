/*
 * position.c: the positions of the sources as bytes -- tail's
 * file and offset, files' names done -- saved, restored and saved again
 * through their descriptors, and bytes that are not a position refused.
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
test_tail(void)
{
	struct source *s = make(source_find("tail"), "some.log");
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, bad = STRBUF_INIT;

	TAP_OK(s->desc->save != NULL && s->desc->restore != NULL, "tail keeps a position");
	TAP_OK(s->desc->caps & SOURCE_REPLAYABLE, "tail is replayable");
	strbuf_add(&in, "tail\001", 5);
	put_u64(&in, 2049);
	put_u64(&in, 1234567);
	put_u64(&in, 987654321);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "tail: a position restores");
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "tail: saved again, the same bytes (%zu)", out.len);
	TAP_OK(out.len == 5 + 24, "tail: name, version byte, device, inode, offset");

	/* another version */
	strbuf_add(&bad, in.data, in.len);
	bad.data[4] = 2;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: version 2 is refused");
	/* cut short, one byte over */
	TAP_OK(s->desc->restore(s, in.data, in.len - 1) < 0, "tail: cut short is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, in.data, in.len);
	strbuf_addc(&bad, 0);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: a byte left over is refused");
	/* an offset past what a file can hold */
	strbuf_reset(&bad);
	strbuf_add(&bad, "tail\001", 5);
	put_u64(&bad, 1);
	put_u64(&bad, 2);
	put_u64(&bad, UINT64_MAX);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "tail: a negative offset is refused");
	TAP_OK(s->desc->restore(s, NULL, 0) < 0, "tail: nothing is refused");
	/* the refusals changed nothing */
	strbuf_reset(&out);
	s->desc->save(s, &out);
	TAP_OK(same(&in, &out), "tail: refused bytes leave the position as it was");
	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&bad);
	source_free(s);
}

static void
files_position(struct strbuf *sb, const char *const *names, int n)
{
	strbuf_add(sb, "files\001", 6);
	put_u64(sb, (uint64_t)n);
	for (int i = 0; i < n; i++)
		codec_put_value(sb, value_str(names[i], strlen(names[i])));
}

static void
test_files(void)
{
	struct source *s = make(source_find("files"), "some/dir");
	struct source *t;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT, bad = STRBUF_INIT;
	const char *shuffled[] = { "b.txt", "a.txt", "2024-01-01.log", "a.tx" };
	const char *sorted[] = { "2024-01-01.log", "a.tx", "a.txt", "b.txt" };

	TAP_OK(s->desc->save != NULL && s->desc->restore != NULL, "files keeps a position");
	TAP_OK(s->desc->caps & SOURCE_REPLAYABLE, "files is replayable");
	s->desc->save(s, &out);
	files_position(&want, NULL, 0);
	TAP_OK(same(&out, &want), "files: nothing done yet saves as an empty set");

	files_position(&in, shuffled, 4);
	TAP_OK(s->desc->restore(s, in.data, in.len) == 0, "files: a set of names restores");
	strbuf_reset(&out);
	s->desc->save(s, &out);
	strbuf_reset(&want);
	files_position(&want, sorted, 4);
	TAP_OK(same(&out, &want), "files: saved again, the same names in byte order");

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
	bad.data[5] = 2;
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: version 2 is refused");
	TAP_OK(s->desc->restore(s, out.data, out.len - 1) < 0, "files: cut short is refused");
	strbuf_reset(&bad);
	strbuf_add(&bad, "files\001", 6);
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
	strbuf_add(&bad, "tail\001", 5);
	put_u64(&bad, 1);
	put_u64(&bad, 2);
	put_u64(&bad, 3);
	TAP_OK(s->desc->restore(s, bad.data, bad.len) < 0, "files: a tail position is refused");
	/* nothing of a refused position was taken (not even new.txt) */
	strbuf_reset(&in);
	s->desc->save(s, &in);
	TAP_OK(same(&in, &want), "files: refused bytes leave the set as it was");

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
	TAP_OK(source_find("stdin")->save == NULL && source_find("socket")->save == NULL &&
	    source_find("listen")->save == NULL, "stdin, socket and listen keep no position");
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
