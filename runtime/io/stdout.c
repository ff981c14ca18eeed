/*
 * stdout.c: the stdout [tsv|json|csv] sink -- every element, one line
 * each, on standard output, batches in order.
 *
 * When stdout follows a source's element stages directly (SINK_STREAM),
 * the executor formats each block's lines on the worker that ran it and
 * writes them in order as they are ready, so this write is not called.
 * Otherwise each partition goes out as it is formatted: a batch's text is
 * never all in memory at once.
 */
#include "runtime/io/sink.h"

static enum sink_result
stdout_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	(void)conn;
	(void)worker;
	for (int p = 0; p < b->nparts; p++) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < b->parts[p].n; i++)
			sink_format_value(&sb, s->stage->format, b->parts[p].v[i]);
		if (sb.len > 0)
			sink_output(s, b, sb.data, sb.len);
		strbuf_release(&sb);
	}
	return SINK_OK;
}

const struct sink_desc sink_stdout = {
	.name = "stdout",
	.flags = SINK_ORDERED | SINK_STREAM,
	.write = stdout_write,
};
