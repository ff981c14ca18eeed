/*
 * table.c: unit tests of file tables and their reloading, poll by poll,
 * with no clock: a changed file is read only at the second poll that sees
 * it unchanged; a version a batch holds outlives its replacement; invalid
 * and missing files keep the old version and are reported once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lang/plan.h"
#include "runtime/table.h"
#include "tap.h"

static char dir[512];
static char path[600];

/* Replace the file as writers should: a new file renamed over the old. */
static void
put_bytes(const char *data, size_t len)
{
	char tmp[600];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s/new", dir);
	f = fopen(tmp, "w");
	fwrite(data, 1, len, f);
	fclose(f);
	rename(tmp, path);
}

static void
put(const char *text)
{
	put_bytes(text, strlen(text));
}

static int
has(struct table *t, const char *key)
{
	return table_get(t, value_str(key, strlen(key)), NULL);
}

/* Poll; the message, or "" when none (static, overwritten). */
static const char *
poll_msg(struct table_slot *s, enum table_poll *r)
{
	static char buf[512];
	char *msg;

	*r = table_slot_poll(s, &msg);
	snprintf(buf, sizeof buf, "%s", msg != NULL ? msg : "");
	free(msg);
	return buf;
}

int
main(void)
{
	struct table_def def = { 0 };
	struct table_slot *s;
	struct table *held, *t;
	enum table_poll r;
	char *err = NULL;
	char want[1024];

	/* a scratch directory in $TMPDIR, or where the tests run */
	snprintf(dir, sizeof dir, "%s/streamjob-table-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : ".");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/t.tsv", dir);
	def.name = "t";
	def.path = path;
	put("a\nb\tx\n");
	s = table_slot_new(&def, 0, NULL, NULL, &err);
	TAP_OK(s != NULL && err == NULL, "a table file loads");
	TAP_OK(table_slot_watched(s), "and is watched");
	held = table_slot_current(s);
	TAP_OK(has(held, "a") && has(held, "b") && !has(held, "c"), "with its keys");
	TAP_STR(poll_msg(s, &r), "", "an unchanged file: no message");
	TAP_OK(r == TABLE_SAME, "and nothing to do");

	put("c\n");
	poll_msg(s, &r);
	TAP_OK(r == TABLE_SAME, "a changed file is not read at the first poll that sees it");
	snprintf(want, sizeof want, "table t: reloaded %s (1 entry)", path);
	TAP_STR(poll_msg(s, &r), want, "but at the next, when it has not changed since");
	TAP_OK(r == TABLE_RELOADED, "which reloads it");
	t = table_slot_current(s);
	TAP_OK(has(t, "c") && !has(t, "a"), "new batches get the new version");
	TAP_OK(has(held, "a") && has(held, "b"), "a batch holding the old one still reads it whole");
	table_unref(held);
	table_unref(t);

	put("d\n");
	poll_msg(s, &r);
	put("e,longer\n");
	poll_msg(s, &r);
	TAP_OK(r == TABLE_SAME, "a file that changed again between polls waits another poll");
	poll_msg(s, &r);
	TAP_OK(r == TABLE_RELOADED, "then it is read");
	t = table_slot_current(s);
	TAP_OK(has(t, "e,longer") && !has(t, "d"), "as it is at last");
	table_unref(t);

	put("ok\n\tno key\n");
	poll_msg(s, &r);
	snprintf(want, sizeof want, "table t: %s:2: an empty key before the tab; keeping the previous version", path);
	TAP_STR(poll_msg(s, &r), want, "an invalid file keeps the previous version, with its line");
	TAP_OK(r == TABLE_KEPT, "kept");
	TAP_STR(poll_msg(s, &r), "", "and says so once");
	t = table_slot_current(s);
	TAP_OK(has(t, "e,longer") && !has(t, "ok"), "the previous version stays in use");
	table_unref(t);

	unlink(path);
	snprintf(want, sizeof want,
	    "table t: cannot read %s: No such file or directory; keeping the previous version", path);
	TAP_STR(poll_msg(s, &r), want, "a file that has gone keeps the previous version");
	TAP_STR(poll_msg(s, &r), "", "and says so once");
	put("f\tg\th\n");
	poll_msg(s, &r);
	snprintf(want, sizeof want,
	    "table t: %s:1: more than one tab: a line is a key, or a key, a tab and a value; keeping the previous version", path);
	TAP_STR(poll_msg(s, &r), want, "a file that comes back is read again");
	put("f\t1.5\n");
	poll_msg(s, &r);
	poll_msg(s, &r);
	t = table_slot_current(s);
	{
		struct value v = value_null();
		TAP_OK(r == TABLE_RELOADED && table_get(t, value_str("f", 1), &v) &&
		    v.type == VT_FLOAT && v.u.d == 1.5, "and a valid one replaces the version, numbers as numbers");
	}
	table_unref(t);
	table_slot_free(s);

	/* At the start, an invalid file is an error with its line. */
	put_bytes("x\n\0y\n", 5);
	s = table_slot_new(&def, 0, NULL, NULL, &err);
	snprintf(want, sizeof want, "table t: %s:2: a NUL byte: not a text file", path);
	TAP_OK(s == NULL, "an invalid file does not load");
	TAP_STR(err, want, "and the error names the line");
	free(err);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
