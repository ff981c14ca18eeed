/*
 * socket.c: the socket(HOST, PORT) source, a TCP client reading lines
 * (Spark's socketTextStream).
 *
 * The connection is made without blocking, to each address HOST resolves
 * to in turn (localhost may be ::1 and 127.0.0.1, and a server may listen
 * on one of them only).  When every address refuses, or an open
 * connection ends, the source tries again after a delay that doubles from
 * 100 ms up to 5 s, with a random part so that many jobs do not come back
 * in step; a connection that lasted or carried data starts the delay
 * afresh.  A line the peer left unfinished when it closed is a line: the
 * next connection starts a new one, so no line is ever split or glued
 * across a reconnect.  The job keeps running all along and reports what
 * happens (REPORT_RECONNECT) -- once when it starts failing, then at most
 * every 30 seconds, and once when it is connected again.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "runtime/retry.h"
#include "registry.h"
#include "source.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

struct socket_source {
	struct source *src;
	char *host;
	char port[8];
	struct addrinfo *addrs, *next_addr;
	int fd;
	struct input in;
	int have_input;			/* connected: in reads fd */
	struct event *connect_ev;	/* the connection being made is writable */
	struct event *retry_ev;
	struct retry retry;
	int64_t connected_at;
};

static void try_connect(struct socket_source *);

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	try_connect(arg);
}

/* Say what went wrong, now and then. */
static void
note_failure(struct socket_source *ss, const char *what)
{
	if (!retry_failed(&ss->retry))
		return;
	if (ss->retry.attempts > 1)
		source_report(ss->src, REPORT_RECONNECT, "%s; retrying (%d attempts so far)", what,
		    ss->retry.attempts);
	else
		source_report(ss->src, REPORT_RECONNECT, "%s; retrying", what);
}

static void
schedule_retry(struct socket_source *ss)
{
	int64_t wait;
	struct timeval tv;

	if (ss->src->ended)
		return;
	wait = retry_wait(&ss->retry);
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(ss->retry_ev, &tv);
}

static void
close_conn(struct socket_source *ss)
{
	if (ss->have_input) {
		lines_end(&ss->in.lines);
		input_cut(&ss->in);
		input_release(&ss->in);
		ss->have_input = 0;
	}
	if (ss->connect_ev != NULL) {
		event_free(ss->connect_ev);
		ss->connect_ev = NULL;
	}
	if (ss->fd >= 0)
		close(ss->fd);
	ss->fd = -1;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct socket_source *ss = arg;
	int r;

	(void)fd;
	(void)what;
	if (ss->src->paused || ss->src->ended)
		return;
	r = input_read(&ss->in);
	if (r > 0)
		return;
	/* A connection that worked for a while starts the delays (and the
	 * messages) afresh; one that closes at once is one more failure. */
	if (ss->in.bytes > 0 || mono_ms() - ss->connected_at > 1000)
		retry_reset(&ss->retry);
	{
		char why[160];
		if (r < 0)
			snprintf(why, sizeof why, "reading: %s", strerror(errno));
		else
			snprintf(why, sizeof why, "the server closed the connection");
		close_conn(ss);
		note_failure(ss, why);
	}
	schedule_retry(ss);
}

/* Still failing until the connection proves good (on_readable): a server
 * that accepts and closes at once must not get two lines per attempt. */
static void
connected(struct socket_source *ss)
{
	if (retry_recovered(&ss->retry))
		source_report(ss->src, REPORT_RECONNECT, "connected");
	ss->connected_at = mono_ms();
	input_init(&ss->in, ss->src, ss->fd, 0, on_readable, ss);
	ss->have_input = 1;
	if (!ss->src->paused)
		input_watch(&ss->in, 1);
}

/* This address failed: the next one, or a while later from the first. */
static void
next_address(struct socket_source *ss, const char *why)
{
	close_conn(ss);
	if (ss->next_addr != NULL) {
		try_connect(ss);
		return;
	}
	note_failure(ss, why);
	schedule_retry(ss);
}

static void
on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct socket_source *ss = arg;
	int err = 0;
	socklen_t len = sizeof err;

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	event_free(ss->connect_ev);
	ss->connect_ev = NULL;
	if (err != 0) {
		char why[160];
		snprintf(why, sizeof why, "%s", strerror(err));
		next_address(ss, why);
		return;
	}
	connected(ss);
}

static void
try_connect(struct socket_source *ss)
{
	struct addrinfo *ai;

	if (ss->src->ended)
		return;
	if (ss->next_addr == NULL) {
		struct addrinfo hints = { 0 };
		int rc;

		if (ss->addrs != NULL)
			freeaddrinfo(ss->addrs);
		ss->addrs = NULL;
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		/* Looked up again each round: the name may move. */
		rc = getaddrinfo(ss->host, ss->port, &hints, &ss->addrs);
		if (rc != 0) {
			char why[200];
			snprintf(why, sizeof why, "cannot resolve %s: %s", ss->host,
			    gai_strerror(rc));
			note_failure(ss, why);
			schedule_retry(ss);
			return;
		}
		ss->next_addr = ss->addrs;
	}
	ai = ss->next_addr;
	ss->next_addr = ai->ai_next;
	ss->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (ss->fd < 0) {
		next_address(ss, strerror(errno));
		return;
	}
	if (connect(ss->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		connected(ss);
		return;
	}
	if (errno != EINPROGRESS) {
		next_address(ss, strerror(errno));
		return;
	}
	ss->connect_ev = event_new(ss->src->base, ss->fd, EV_WRITE, on_connect, ss);
	event_add(ss->connect_ev, NULL);
}

static int
socket_start(struct source *s)
{
	struct socket_source *ss = s->impl;

	ss->retry_ev = evtimer_new(s->base, on_retry, ss);
	try_connect(ss);
	return 0;
}

static void
socket_pause(struct source *s)
{
	struct socket_source *ss = s->impl;

	if (ss->have_input)
		input_watch(&ss->in, 0);
}

static void
socket_resume(struct source *s)
{
	struct socket_source *ss = s->impl;

	if (ss->have_input)
		input_watch(&ss->in, 1);
}

static void
socket_cut(struct source *s)
{
	struct socket_source *ss = s->impl;

	if (ss->have_input)
		input_cut(&ss->in);
}

static void
socket_stop(struct source *s)
{
	struct socket_source *ss = s->impl;

	s->ended = 1;
	if (ss->retry_ev != NULL)
		evtimer_del(ss->retry_ev);
	if (ss->have_input) {
		input_watch(&ss->in, 0);
		input_release(&ss->in);
		ss->have_input = 0;
	}
	close_conn(ss);
}

static void
socket_free(struct source *s)
{
	struct socket_source *ss = s->impl;

	close_conn(ss);
	if (ss->retry_ev != NULL)
		event_free(ss->retry_ev);
	if (ss->addrs != NULL)
		freeaddrinfo(ss->addrs);
	free(ss->host);
	free(ss);
}

static void
socket_init(struct source *s, const struct argval *a)
{
	struct socket_source *ss = xcalloc(1, sizeof *ss);

	ss->src = s;
	ss->host = xstrdup(a[0].s);
	snprintf(ss->port, sizeof ss->port, "%d", (int)a[1].i);
	ss->fd = -1;
	retry_init(&ss->retry);
	s->impl = ss;
	s->name = xasprintf("socket %s:%d", ss->host, (int)a[1].i);
}

const struct source_desc source_socket = {
	.name = "socket",
	.caps = SOURCE_READ_ONCE,
	.init = socket_init,
	.start = socket_start,
	.pause = socket_pause,
	.resume = socket_resume,
	.cut = socket_cut,
	.stop = socket_stop,
	.free = socket_free,
};
