/*
 * frame.c: framed records -- built and read back, bad bytes refused --
 * and a whole job fed framed blocks by a fake source put in the place of
 * stdin in the registry: each record is its value as a string, or the
 * pair (key, value) when it has a key, newlines and all, or a map when
 * it says where it was read (a meta record).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/io/frame.h"
#include "runtime/io/registry.h"
#include "runtime/io/source.h"
#include "runtime/job.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"
#include "tap.h"
#include "util.h"

static void
test_codec(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct frame f;
	const char *p, *end;

	TAP_OK(frame_put(&sb, "k", 1, "v1", 2, 1700000000000) == 0, "a keyed record");
	TAP_OK(frame_put(&sb, NULL, 0, "a\nb", 3, FRAME_NO_TIME) == 0, "a record without key");
	TAP_OK(frame_put(&sb, "", 0, "", 0, 0) == 0, "an empty key and value");
	TAP_OK(sb.len == 3 * FRAME_HEADER + 3 + 3 + 0, "headers and bytes, nothing else");
	p = sb.data;
	end = sb.data + sb.len;
	TAP_OK(frame_next(&p, end, &f) == 1 && f.key != NULL && f.klen == 1 &&
	    memcmp(f.key, "k", 1) == 0 && f.vlen == 2 && memcmp(f.value, "v1", 2) == 0 &&
	    f.time == 1700000000000, "read back: key, value, time");
	TAP_OK(frame_next(&p, end, &f) == 1 && f.key == NULL && f.vlen == 3 &&
	    memcmp(f.value, "a\nb", 3) == 0 && f.time == FRAME_NO_TIME,
	    "read back: no key, a newline in the value, no time");
	TAP_OK(frame_next(&p, end, &f) == 1 && f.key != NULL && f.klen == 0 && f.vlen == 0,
	    "read back: an empty key is a key");
	TAP_OK(frame_next(&p, end, &f) == 0, "then the end");
	TAP_OK(frame_count(sb.data, sb.len) == 3, "three records");
	for (size_t cut = 1; cut < FRAME_HEADER + 3; cut++) {
		p = sb.data;
		if (frame_next(&p, sb.data + cut, &f) != -1) {
			TAP_OK(0, "a record cut after %zu bytes is refused", cut);
			break;
		}
		if (cut == FRAME_HEADER + 2)
			TAP_OK(1, "a record cut anywhere is refused");
	}
	/* a value length past FRAME_MAX */
	sb.data[4] = sb.data[5] = sb.data[6] = sb.data[7] = (char)0x7f;
	p = sb.data;
	TAP_OK(frame_next(&p, end, &f) == -1, "a length past the end is refused");
	TAP_OK(frame_count(sb.data, sb.len) == 0, "and nothing is counted after it");
	strbuf_reset(&sb);
	TAP_OK(frame_put(&sb, NULL, 0, "x", (size_t)FRAME_MAX + 1, 0) == -1 && sb.len == 0,
	    "a value over FRAME_MAX is not framed");

	/* meta records: where each was read, too */
	TAP_OK(frame_put_meta(&sb, "k", 1, "v\n", 2, 5, 3, (int64_t)1 << 40) == 0 &&
	    frame_put(&sb, NULL, 0, "plain", 5, 6) == 0 &&
	    frame_put_meta(&sb, NULL, 0, "", 0, FRAME_NO_TIME, 2147483647, 0) == 0,
	    "meta records among plain ones");
	TAP_OK(sb.len == 2 * FRAME_META_HEADER + FRAME_HEADER + 1 + 2 + 5,
	    "a meta header is 12 bytes longer");
	p = sb.data;
	end = sb.data + sb.len;
	TAP_OK(frame_next(&p, end, &f) == 1 && f.meta && f.partition == 3 &&
	    f.offset == (int64_t)1 << 40 && f.klen == 1 && f.vlen == 2 &&
	    memcmp(f.value, "v\n", 2) == 0 && f.time == 5, "read back: partition and offset");
	TAP_OK(frame_next(&p, end, &f) == 1 && !f.meta && f.vlen == 5 && f.time == 6,
	    "a plain record after it is plain");
	TAP_OK(frame_next(&p, end, &f) == 1 && f.meta && f.partition == 2147483647 &&
	    f.offset == 0 && f.key == NULL && f.vlen == 0, "the largest partition, no key");
	TAP_OK(frame_next(&p, end, &f) == 0, "then the end");
	p = sb.data;
	TAP_OK(frame_next(&p, sb.data + FRAME_HEADER + 4, &f) == -1,
	    "a meta header cut short is refused");
	strbuf_release(&sb);
}

/* ---- a fake source of framed blocks ---- */

static int fake_bad;	/* end with a malformed record */
static int fake_meta;	/* give meta records only */

static void
fake_init(struct source *s, const struct argval *a)
{
	(void)a;
	s->impl = xstrdup("fake");
	s->name = xstrdup("fake");
}

static int
fake_start(struct source *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;

	if (fake_meta) {
		frame_put_meta(&sb, "user1", 5, "a\nb", 3, 1000, 2, 41);
		frame_put_meta(&sb, NULL, 0, "", 0, FRAME_NO_TIME, 0, 0);
		len = sb.len;
		s->host->frames(s->host->arg, s, strbuf_detach(&sb), len);
		s->ended = 1;
		s->host->ended(s->host->arg, s);
		return 0;
	}
	frame_put(&sb, "user1", 5, "clicked", 7, 1000);
	frame_put(&sb, NULL, 0, "two\nlines", 9, FRAME_NO_TIME);
	len = sb.len;
	s->host->frames(s->host->arg, s, strbuf_detach(&sb), len);
	frame_put(&sb, "user2", 5, "", 0, 2000);
	frame_put(&sb, NULL, 0, "tab\there", 8, FRAME_NO_TIME);
	if (fake_bad)
		strbuf_add(&sb, "\001\000\000", 3);
	len = sb.len;
	s->host->frames(s->host->arg, s, strbuf_detach(&sb), len);
	s->ended = 1;
	s->host->ended(s->host->arg, s);
	return 0;
}

static void fake_nothing(struct source *s) { (void)s; }

static void
fake_free(struct source *s)
{
	free(s->impl);
}

static const struct source_desc fake_desc = {
	.name = "stdin",
	.caps = SOURCE_READS_STDIN,
	.init = fake_init,
	.start = fake_start,
	.pause = fake_nothing,
	.resume = fake_nothing,
	.cut = fake_nothing,
	.stop = fake_nothing,
	.free = fake_free,
};

/* Run script with the fake in stdin's place: its status, and what it
 * wrote on standard output in *out. */
static int
run(const char *script, char **out)
{
	struct plan *plan = unit_compile(script);
	struct job_options jo = { 0 };
	struct run_options ro = { 0 };
	char path[] = "/tmp/unit-frame-XXXXXX";
	int fd = mkstemp(path), saved, status;
	const struct source_desc *old;
	FILE *f;
	long n;

	if (plan == NULL || fd < 0) {
		*out = xstrdup("(no plan)");
		return -1;
	}
	jo.ncpus = 1;
	jo.once = 1;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	old = source_registry_replace(&fake_desc);
	status = job_run(plan, &jo, &ro, NULL);	/* no reporter: quiet */
	source_registry_replace(old);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = xcalloc((size_t)n + 1, 1);
	if (fread(*out, 1, (size_t)n, f) != (size_t)n)
		(*out)[0] = '\0';
	fclose(f);
	unlink(path);
	plan_free(plan);
	return status;
}

static void
test_job(void)
{
	char *out;
	int status;

	status = run("stdin | stdout json", &out);
	TAP_OK(status == 0, "a job of framed blocks ends well");
	TAP_STR(out, "[\"user1\",\"clicked\"]\n\"two\\nlines\"\n[\"user2\",\"\"]\n\"tab\\there\"\n",
	    "keyed records are pairs, the others strings, in order");
	free(out);

	/* the pairs count 2 each (len of a tuple), the strings their characters */
	status = run("stdin | map len(_) | reduce sum | stdout", &out);
	TAP_STR(out, "21\n", "a newline inside a value does not cut it in two");
	free(out);

	fake_meta = 1;
	status = run("stdin | stdout json", &out);
	TAP_OK(status == 0, "a job of meta records ends well");
	TAP_STR(out, "{\"key\":\"user1\",\"value\":\"a\\nb\",\"partition\":2,\"offset\":41,"
	    "\"timestamp\":1000}\n"
	    "{\"key\":null,\"value\":\"\",\"partition\":0,\"offset\":0,\"timestamp\":null}\n",
	    "each is the map {key, value, partition, offset, timestamp}");
	free(out);
	status = run("stdin | map _.partition * 100 + _.offset | stdout", &out);
	TAP_STR(out, "241\n0\n", "whose fields the language reads");
	free(out);
	fake_meta = 0;

	fake_bad = 1;
	status = run("on error fail\nstdin | count | stdout", &out);
	TAP_OK(status == 1, "a malformed framed record is a record error (on error fail: status 1)");
	TAP_STR(out, "", "and the batch writes nothing");
	free(out);
	fake_bad = 0;
}

int
main(void)
{
	test_codec();
	test_job();
	return tap_done();
}
