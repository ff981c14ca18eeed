/*
 * print.c: the print [N] sink -- per batch, Spark's banner and the first
 * N elements (10 unless given), then "..." when there were more.
 *
 * It only needs the first N + 1 elements and a count (SINK_SAMPLE): the
 * executor keeps just those, as blocks arrive, when print follows them.
 */
#include "runtime/io/sink.h"

#define PRINT_DEFAULT 10

static enum sink_result
print_init(struct sink *s)
{
	s->sample = s->stage->args[0].present ? s->stage->args[0].i : PRINT_DEFAULT;
	return SINK_OK;
}

static enum sink_result
print_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct strbuf sb = STRBUF_INIT;
	int64_t shown = 0;

	(void)conn;
	(void)worker;
	strbuf_addf(&sb, "-------------------------------------------\n"
	    "Time: %lld ms\n-------------------------------------------\n", (long long)b->time);
	for (int p = 0; p < b->nparts && shown < s->sample; p++) {
		for (size_t i = 0; i < b->parts[p].n && shown < s->sample; i++, shown++) {
			value_format_print(&sb, b->parts[p].v[i]);
			strbuf_addc(&sb, '\n');
		}
	}
	if (b->total > s->sample)
		strbuf_adds(&sb, "...\n");
	strbuf_addc(&sb, '\n');
	sink_output(s, b, sb.data, sb.len);
	strbuf_release(&sb);
	return SINK_OK;
}

const struct sink_desc sink_print = {
	.name = "print",
	.flags = SINK_ORDERED | SINK_SAMPLE | SINK_EMPTY,
	.init = print_init,
	.write = print_write,
};
