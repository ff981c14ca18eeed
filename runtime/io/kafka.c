/*
 * kafka.c: the kafka("BROKERS", "TOPIC" [, group=] [, start=] [, meta=]
 * [, config=]) source, a Kafka consumer built on librdkafka.
 *
 * Each message is one record, whatever bytes it holds: the source hands
 * over framed blocks (frame.h), the value alone, or with meta=true a meta
 * record that becomes {key, value, partition, offset, timestamp}.
 *
 * It runs on the job's event loop, with no thread of its own: librdkafka
 * fetches on its threads into one queue (the consumer queue, where its
 * errors and rebalances go too), and writes a byte into a pipe when that
 * queue gets something; the loop watches the pipe and the source takes
 * what is there, a bounded amount per turn.  Backpressure and rate=
 * stop the reading of that queue, so librdkafka stops fetching when it
 * holds 4 MiB; a pause that lasts a second pauses the assigned partitions
 * (rd_kafka_pause_partitions) as well.  The broker keeps the rest.
 *
 * Without group=, every partition of the topic is read: the partitions are
 * looked up once a broker has answered (a lookup of one round trip), and
 * assigned from start= (or the restored position); nothing is committed.
 * With group=, the source is one member of the consumer group: Kafka
 * shares the partitions among the members, start= applies to partitions
 * the group has no committed offset for, and the offsets of the messages
 * handed over are committed when a batch closes (and when the job stops
 * or a partition is taken away) -- before the batch has run: a crash may
 * lose what was handed over but not yet processed.  Checkpoints will
 * commit the offsets of completed batches instead.
 *
 * Its position is, per partition, the offset after the last message
 * handed over (a restored source goes on from there).  Brokers that cannot
 * be reached are tried again by librdkafka; the source reports it (the
 * first failure, then at most every 30 s, and when messages come again).
 * config= is never shown: a setting it names that librdkafka does not
 * take is an error that names the setting, not its value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "runtime/codec.h"
#include "runtime/retry.h"
#include "frame.h"
#include "registry.h"
#include "source.h"
#include "lang/plan.h"
#include "stdlib/arena.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* A saved position: the kind's name and a version byte, then the topic,
 * the number of partitions and (partition, next offset) pairs. */
#define KAFKA_POS_MAGIC "kafka\001"

/* Messages taken from the queue at a time, and per turn of the loop. */
#define KAFKA_TAKE 512
#define KAFKA_TURN 20000

struct kafka_source {
	struct source *src;
	char *brokers, *topic, *group, *config;
	int earliest, meta;
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue;
	int pipe[2];
	struct event *readable;		/* the queue has something */
	struct event *lookup_ev;	/* no group: look the partitions up */
	struct event *pause_ev;		/* paused a while: pause the partitions */
	int parts_paused;		/* the partitions are paused */
	int assigned;			/* no group: the partitions are assigned */
	struct retry retry;		/* broker trouble, reported */
	int told_missing;		/* the topic is not there: said once */
	/* per partition, the offset after the last message handed over
	 * or restored (-1: none) */
	int64_t *next;
	int nparts;
	int uncommitted;		/* handed over since the last commit */
	struct strbuf block;
	int64_t records;		/* in block */
};

static void on_pause_lasts(evutil_socket_t, short, void *);

/* ---- reports ---- */

static void
note_failure(struct kafka_source *ks, const char *what)
{
	if (!retry_failed(&ks->retry))
		return;
	if (ks->retry.attempts > 1)
		source_report(ks->src, REPORT_RECONNECT, "%s; retrying (%d failures so far)", what,
		    ks->retry.attempts);
	else
		source_report(ks->src, REPORT_RECONNECT, "%s; retrying", what);
}

static void
note_working(struct kafka_source *ks)
{
	if (retry_recovered(&ks->retry))
		source_report(ks->src, REPORT_RECONNECT, "receiving messages again");
	if (ks->retry.failing)
		retry_reset(&ks->retry);
}

static void
note_missing(struct kafka_source *ks)
{
	if (ks->told_missing)
		return;
	ks->told_missing = 1;
	source_warn(ks->src, "topic %s does not exist (yet); waiting for it", ks->topic);
}

/* librdkafka's errors (served from the consumer queue, on the loop). */
static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *arg)
{
	struct kafka_source *ks = arg;
	char what[512];

	(void)rk;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[400];
		rd_kafka_fatal_error(ks->rk, why, sizeof why);
		snprintf(what, sizeof what, "%s: %s", ks->src->name, why);
		ks->src->host->fail(ks->src->host->arg, what);
		return;
	}
	snprintf(what, sizeof what, "%s", reason);
	note_failure(ks, what);
}

/* librdkafka's own log lines would go to stderr: they are dropped, what
 * matters comes as errors. */
static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk, (void)level, (void)fac, (void)buf;
}

/* ---- positions ---- */

static void
grow(struct kafka_source *ks, int32_t partition)
{
	int n = ks->nparts;

	if (partition < n)
		return;
	ks->nparts = partition + 1;
	ks->next = xreallocarray(ks->next, (size_t)ks->nparts, sizeof *ks->next);
	for (int i = n; i < ks->nparts; i++)
		ks->next[i] = -1;
}

/* The offsets handed over, as a list to commit (NULL: none). */
static rd_kafka_topic_partition_list_t *
handed_over(struct kafka_source *ks)
{
	rd_kafka_topic_partition_list_t *l = NULL;

	for (int p = 0; p < ks->nparts; p++) {
		if (ks->next[p] < 0)
			continue;
		if (l == NULL)
			l = rd_kafka_topic_partition_list_new(ks->nparts);
		rd_kafka_topic_partition_list_add(l, ks->topic, p)->offset = ks->next[p];
	}
	return l;
}

/* Commit what was handed over (group only); async unless sync. */
static void
commit(struct kafka_source *ks, int sync)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	if (ks->group == NULL || !ks->uncommitted)
		return;
	l = handed_over(ks);
	if (l == NULL)
		return;
	err = rd_kafka_commit(ks->rk, l, !sync);
	rd_kafka_topic_partition_list_destroy(l);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		ks->uncommitted = 0;
	else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		source_warn(ks->src, "committing offsets: %s", rd_kafka_err2str(err));
}

/* ---- reading ---- */

static void
hand_over(struct kafka_source *ks)
{
	size_t len = ks->block.len;

	if (len == 0)
		return;
	ks->records = 0;
	ks->src->host->frames(ks->src->host->arg, ks->src, strbuf_detach(&ks->block), len);
}

static void
take_message(struct kafka_source *ks, const rd_kafka_message_t *m)
{
	rd_kafka_timestamp_type_t tstype;
	int64_t ts = rd_kafka_message_timestamp(m, &tstype);
	const char *value = m->payload != NULL ? m->payload : "";
	int r;

	if (ts < 0)
		ts = FRAME_NO_TIME;
	if (ks->meta)
		r = frame_put_meta(&ks->block, m->key, m->key_len, value, m->len, ts, m->partition,
		    m->offset);
	else
		r = frame_put(&ks->block, NULL, 0, value, m->len, ts);
	if (r != 0)
		ks->src->host->line_dropped(ks->src->host->arg, ks->src, m->len + m->key_len);
	else
		ks->records++;
	grow(ks, m->partition);
	ks->next[m->partition] = m->offset + 1;
	ks->uncommitted = 1;
}

/* An event of the consumer queue that is not a message. */
static void
take_error(struct kafka_source *ks, const rd_kafka_message_t *m)
{
	switch (m->err) {
	case RD_KAFKA_RESP_ERR__PARTITION_EOF:
		return;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
		note_missing(ks);
		return;
	default:
		note_failure(ks, rd_kafka_message_errstr(m));
		return;
	}
}

/* The queue has something: take a bounded amount, hand it over in
 * blocks, and come back next turn if there may be more. */
static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct kafka_source *ks = arg;
	rd_kafka_message_t *msgs[KAFKA_TAKE];
	char drain[64];
	int taken = 0;
	ssize_t n = 0;

	(void)what;
	while (read(fd, drain, sizeof drain) > 0)
		;
	while (!ks->src->paused && !ks->src->ended && taken < KAFKA_TURN) {
		n = rd_kafka_consume_batch_queue(ks->queue, 0, msgs, KAFKA_TAKE);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (msgs[i]->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
				take_error(ks, msgs[i]);
			} else {
				note_working(ks);
				take_message(ks, msgs[i]);
			}
			rd_kafka_message_destroy(msgs[i]);
		}
		taken += (int)n;
		if (ks->block.len >= SOURCE_BLOCK_BYTES)
			hand_over(ks);
	}
	hand_over(ks);
	/* librdkafka signals a queue that becomes non-empty once, not for
	 * what it still holds: what was left is taken next turn. */
	if (n > 0 && !ks->src->paused && !ks->src->ended)
		event_active(ks->readable, EV_READ, 0);
}

/* ---- partitions ---- */

/* Pause or resume every partition assigned now. */
static void
pause_all(struct kafka_source *ks, int pause)
{
	rd_kafka_topic_partition_list_t *l = NULL;

	if (rd_kafka_assignment(ks->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR || l == NULL)
		return;
	if (l->cnt > 0) {
		if (pause)
			rd_kafka_pause_partitions(ks->rk, l);
		else
			rd_kafka_resume_partitions(ks->rk, l);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Where partition p starts: after what was handed over (or restored),
 * else def. */
static int64_t
start_offset(struct kafka_source *ks, int32_t p, int64_t def)
{
	return p < ks->nparts && ks->next[p] >= 0 ? ks->next[p] : def;
}

/* Group: partitions given and taken by the group's rebalances. */
static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
    void *arg)
{
	struct kafka_source *ks = arg;
	int cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (int i = 0; i < parts->cnt; i++)
			parts->elems[i].offset = start_offset(ks, parts->elems[i].partition,
			    RD_KAFKA_OFFSET_INVALID);
		if (cooperative)
			rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
		else
			rd_kafka_assign(rk, parts);
		if (ks->parts_paused && parts->cnt > 0)
			rd_kafka_pause_partitions(rk, parts);
		ks->told_missing = 0;
		return;
	}
	/* Taken away: what was handed over is committed first, so the next
	 * owner starts after it. */
	commit(ks, 1);
	for (int i = 0; i < parts->cnt; i++)
		if (parts->elems[i].partition < ks->nparts)
			ks->next[parts->elems[i].partition] = -1;
	if (cooperative)
		rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
	else
		rd_kafka_assign(rk, NULL);
}

static void
lookup_later(struct kafka_source *ks)
{
	int64_t wait = retry_wait(&ks->retry);
	struct timeval tv = { wait / 1000, (wait % 1000) * 1000 };

	if (wait > 1000 && ks->told_missing)
		tv.tv_sec = 1, tv.tv_usec = 0;
	evtimer_add(ks->lookup_ev, &tv);
}

/*
 * No group: look up the topic's partitions and assign them all.  The
 * lookup waits for one round trip, so it is made only once a broker has
 * answered librdkafka (the controller is known); until then, and while
 * the topic does not exist, it is tried again on a timer.
 */
static void
on_lookup(evutil_socket_t fd, short what, void *arg)
{
	struct kafka_source *ks = arg;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	(void)fd;
	(void)what;
	if (ks->src->ended || ks->assigned)
		return;
	if (rd_kafka_controllerid(ks->rk, 0) < 0) {
		lookup_later(ks);
		return;
	}
	rkt = rd_kafka_topic_new(ks->rk, ks->topic, NULL);
	err = rd_kafka_metadata(ks->rk, 0, rkt, &md, 2000);
	rd_kafka_topic_destroy(rkt);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
		note_failure(ks, err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(err) :
		    "no metadata");
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		lookup_later(ks);
		return;
	}
	if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topics[0].partition_cnt == 0) {
		note_missing(ks);
		rd_kafka_metadata_destroy(md);
		lookup_later(ks);
		return;
	}
	l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (int i = 0; i < md->topics[0].partition_cnt; i++) {
		int32_t p = md->topics[0].partitions[i].id;
		rd_kafka_topic_partition_list_add(l, ks->topic, p)->offset = start_offset(ks, p,
		    ks->earliest ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END);
	}
	rd_kafka_metadata_destroy(md);
	err = rd_kafka_assign(ks->rk, l);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		ks->assigned = 1;
		if (ks->told_missing)
			source_warn(ks->src, "topic %s is there now", ks->topic);
		if (ks->parts_paused)
			rd_kafka_pause_partitions(ks->rk, l);
		retry_reset(&ks->retry);
	} else {
		note_failure(ks, rd_kafka_err2str(err));
		lookup_later(ks);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- the descriptor ---- */

/* Set name to value; on a refusal, say which setting, never its value
 * (config= may hold a password). */
static int
set(struct kafka_source *ks, rd_kafka_conf_t *conf, const char *name, const char *value,
    int from_config)
{
	char err[512];
	rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, err, sizeof err);

	if (r == RD_KAFKA_CONF_OK)
		return 0;
	if (r == RD_KAFKA_CONF_UNKNOWN)
		source_error(ks->src, "config: no setting named '%s'", name);
	else if (from_config)
		source_error(ks->src, "config: the value of '%s' is not valid", name);
	else
		source_error(ks->src, "%s", err);
	return -1;
}

/* config="k=v,k=v": each setting in turn, after the source's own, so it
 * can change them. */
static int
set_config(struct kafka_source *ks, rd_kafka_conf_t *conf)
{
	char *copy = xstrdup(ks->config), *item, *save = NULL;
	int n = 0, rc = 0;

	for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *name = item, *end;
		n++;
		if (eq == NULL || eq == item) {
			source_error(ks->src, "config: setting %d is not NAME=VALUE", n);
			rc = -1;
			break;
		}
		*eq = '\0';
		while (*name == ' ')
			name++;
		end = eq;
		while (end > name && end[-1] == ' ')
			*--end = '\0';
		rc = set(ks, conf, name, eq + 1, 1);
	}
	free(copy);
	return rc;
}

static int
kafka_start(struct source *s)
{
	struct kafka_source *ks = s->impl;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];

	/* librdkafka needs a group for assign(); without group= it is only
	 * a name: nothing joins or commits under it. */
	if (set(ks, conf, "bootstrap.servers", ks->brokers, 0) != 0 ||
	    set(ks, conf, "group.id", ks->group != NULL ? ks->group : "streamjob", 0) != 0 ||
	    set(ks, conf, "enable.auto.commit", "false", 0) != 0 ||
	    set(ks, conf, "enable.auto.offset.store", "false", 0) != 0 ||
	    set(ks, conf, "auto.offset.reset", ks->earliest ? "earliest" : "latest", 0) != 0 ||
	    set(ks, conf, "queued.max.messages.kbytes", "4096", 0) != 0 ||
	    set(ks, conf, "queued.min.messages", "10000", 0) != 0 ||
	    set(ks, conf, "client.id", "streamjob", 0) != 0 ||
	    (ks->config != NULL && set_config(ks, conf) != 0)) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_opaque(conf, ks);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	if (ks->group != NULL)
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (ks->rk == NULL) {
		/* conf is still ours; the message names settings only */
		rd_kafka_conf_destroy(conf);
		source_error(s, "%s", err);
		return -1;
	}
	/* Errors and rebalances come through the consumer queue, which is
	 * served on the loop. */
	rd_kafka_poll_set_consumer(ks->rk);
	ks->queue = rd_kafka_queue_get_consumer(ks->rk);
	if (pipe2(ks->pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
		source_error(s, "pipe: %s", strerror(errno));
		return -1;
	}
	rd_kafka_queue_io_event_enable(ks->queue, ks->pipe[1], "!", 1);
	ks->readable = event_new(s->base, ks->pipe[0], EV_READ | EV_PERSIST, on_readable, ks);
	ks->pause_ev = evtimer_new(s->base, on_pause_lasts, ks);
	event_add(ks->readable, NULL);
	if (ks->group != NULL) {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_resp_err_t e;
		rd_kafka_topic_partition_list_add(l, ks->topic, RD_KAFKA_PARTITION_UA);
		e = rd_kafka_subscribe(ks->rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			source_error(s, "subscribing: %s", rd_kafka_err2str(e));
			return -1;
		}
	} else {
		ks->lookup_ev = evtimer_new(s->base, on_lookup, ks);
		event_active(ks->lookup_ev, EV_TIMEOUT, 0);
	}
	/* Anything already queued is read on the next turn. */
	event_active(ks->readable, EV_READ, 0);
	return 0;
}

/* Paused for a while: the partitions are paused too. */
static void
on_pause_lasts(evutil_socket_t fd, short what, void *arg)
{
	struct kafka_source *ks = arg;

	(void)fd;
	(void)what;
	if (!ks->src->paused || ks->parts_paused || ks->src->ended)
		return;
	pause_all(ks, 1);
	ks->parts_paused = 1;
}

/*
 * Held back: the queue is not read from now on, so librdkafka stops
 * fetching once it holds queued.max.messages.kbytes.  A pause that lasts
 * (a stalled sink) pauses the partitions, which also lets go of what was
 * fetched; a short one (backpressure between two batches) does not, as
 * a paused partition drops its fetched messages and fetching them again
 * takes most of a second.
 */
static void
kafka_pause(struct source *s)
{
	struct kafka_source *ks = s->impl;
	struct timeval tv = { 1, 0 };

	if (ks->rk != NULL && ks->pause_ev != NULL)
		evtimer_add(ks->pause_ev, &tv);
}

static void
kafka_resume(struct source *s)
{
	struct kafka_source *ks = s->impl;

	if (ks->rk == NULL)
		return;
	evtimer_del(ks->pause_ev);
	if (ks->parts_paused)
		pause_all(ks, 0);
	ks->parts_paused = 0;
	event_active(ks->readable, EV_READ, 0);
}

/* A batch closes: all is handed over already; the group's offsets are
 * committed. */
static void
kafka_cut(struct source *s)
{
	struct kafka_source *ks = s->impl;

	if (ks->rk == NULL)
		return;
	hand_over(ks);
	commit(ks, 0);
}

static void
kafka_stop(struct source *s)
{
	struct kafka_source *ks = s->impl;

	s->ended = 1;
	if (ks->readable != NULL)
		event_del(ks->readable);
	if (ks->lookup_ev != NULL)
		evtimer_del(ks->lookup_ev);
	if (ks->pause_ev != NULL)
		evtimer_del(ks->pause_ev);
	if (ks->rk == NULL)
		return;
	hand_over(ks);
	commit(ks, 1);
	rd_kafka_consumer_close(ks->rk);
}

static void
kafka_free(struct source *s)
{
	struct kafka_source *ks = s->impl;

	if (ks->readable != NULL)
		event_free(ks->readable);
	if (ks->lookup_ev != NULL)
		event_free(ks->lookup_ev);
	if (ks->pause_ev != NULL)
		event_free(ks->pause_ev);
	if (ks->queue != NULL)
		rd_kafka_queue_destroy(ks->queue);
	if (ks->rk != NULL)
		rd_kafka_destroy(ks->rk);
	if (ks->pipe[0] >= 0)
		close(ks->pipe[0]);
	if (ks->pipe[1] >= 0)
		close(ks->pipe[1]);
	strbuf_release(&ks->block);
	free(ks->next);
	free(ks->brokers);
	free(ks->topic);
	free(ks->group);
	free(ks->config);
	free(ks);
}

static void
kafka_save(struct source *s, struct strbuf *sb)
{
	struct kafka_source *ks = s->impl;
	uint64_t n = 0;

	for (int p = 0; p < ks->nparts; p++)
		n += ks->next[p] >= 0;
	strbuf_adds(sb, KAFKA_POS_MAGIC);
	codec_put_value(sb, value_str(ks->topic, strlen(ks->topic)));
	codec_put_u64(sb, n);
	for (int p = 0; p < ks->nparts; p++) {
		if (ks->next[p] < 0)
			continue;
		codec_put_u64(sb, (uint64_t)p);
		codec_put_u64(sb, (uint64_t)ks->next[p]);
	}
}

/* A position of another topic is refused: its offsets mean nothing
 * here. */
static int
kafka_restore(struct source *s, const char *data, size_t len)
{
	struct kafka_source *ks = s->impl;
	struct arena *a = arena_new(0);
	struct codec_reader r;
	struct value topic;
	uint64_t n, *pairs;
	int ok;

	codec_reader_init(&r, data, len, KAFKA_POS_MAGIC, a);
	topic = codec_get_value(&r);
	n = codec_get_u64(&r);
	ok = !r.bad && topic.type == VT_STR && topic.n == strlen(ks->topic) &&
	    memcmp(topic.u.s, ks->topic, topic.n) == 0 && n <= (uint64_t)(r.end - r.p) / 16;
	arena_free(a);
	if (!ok)
		return -1;
	pairs = xcalloc((size_t)n + 1, 2 * sizeof *pairs);
	for (uint64_t i = 0; i < n; i++) {
		pairs[2 * i] = codec_get_u64(&r);
		pairs[2 * i + 1] = codec_get_u64(&r);
		if (pairs[2 * i] > INT32_MAX || pairs[2 * i + 1] > INT64_MAX)
			r.bad = 1;
	}
	ok = codec_done(&r);
	for (uint64_t i = 0; ok && i < n; i++) {
		int32_t p = (int32_t)pairs[2 * i];
		grow(ks, p);
		ks->next[p] = (int64_t)pairs[2 * i + 1];
	}
	free(pairs);
	return ok ? 0 : -1;
}

static void
kafka_init(struct source *s, const struct argval *a)
{
	struct kafka_source *ks = xcalloc(1, sizeof *ks);

	ks->src = s;
	ks->brokers = xstrdup(a[0].s);
	ks->topic = xstrdup(a[1].s);
	ks->group = a[2].present ? xstrdup(a[2].s) : NULL;
	ks->earliest = a[3].present && strcmp(a[3].s, "earliest") == 0;
	ks->meta = a[4].present && a[4].i;
	ks->config = a[5].present ? xstrdup(a[5].s) : NULL;
	ks->pipe[0] = ks->pipe[1] = -1;
	retry_init(&ks->retry);
	s->impl = ks;
	s->name = xasprintf("kafka %s", ks->topic);
}

const struct source_desc source_kafka = {
	.name = "kafka",
	.caps = SOURCE_READ_ONCE,
	.init = kafka_init,
	.start = kafka_start,
	.pause = kafka_pause,
	.resume = kafka_resume,
	.cut = kafka_cut,
	.stop = kafka_stop,
	.free = kafka_free,
	.save = kafka_save,
	.restore = kafka_restore,
};
