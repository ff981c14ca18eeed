/*
 * listen.c: the listen(PORT) / listen("ADDR:PORT") source, a TCP server
 * taking lines from any number of clients.
 *
 * It binds 127.0.0.1 unless an address is given.  Each client is an input
 * of its own, so lines of different clients never mix; a client's last
 * line without its newline is a line when the client closes.  Held back
 * by the job, the server stops reading its clients (their data waits in
 * the kernel, then TCP flow control slows the senders) and stops
 * accepting new ones (they wait in the listen backlog): nothing is
 * dropped.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "registry.h"
#include "source.h"
#include "lang/plan.h"
#include "stdlib/xmalloc.h"

struct client {
	struct client *next, **prevp;
	struct listen_source *ls;
	struct input in;
};

struct listen_source {
	struct source *src;
	char *addr;
	int port;
	struct evconnlistener *listener;
	struct client *clients;
	int nclients;
	struct event *again_ev;		/* accepting again after running out of fds */
};

static void
client_free(struct client *c)
{
	*c->prevp = c->next;
	if (c->next != NULL)
		c->next->prevp = c->prevp;
	c->ls->nclients--;
	input_release(&c->in);
	close(c->in.fd);
	free(c);
}

static void
on_client(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	struct source *s = c->ls->src;
	int r;

	(void)fd;
	(void)what;
	if (s->paused || s->ended)
		return;
	r = input_read(&c->in);
	if (r > 0)
		return;
	/* Closed (or reset): what it sent is complete, its last line too. */
	lines_end(&c->in.lines);
	input_cut(&c->in);
	client_free(c);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct listen_source *ls = arg;
	struct client *c = xcalloc(1, sizeof *c);

	(void)l;
	(void)sa;
	(void)salen;
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	c->ls = ls;
	input_init(&c->in, ls->src, fd, 0, on_client, c);
	c->next = ls->clients;
	if (c->next != NULL)
		c->next->prevp = &c->next;
	c->prevp = &ls->clients;
	ls->clients = c;
	ls->nclients++;
	if (!ls->src->paused)
		input_watch(&c->in, 1);
}

static void
on_again(evutil_socket_t fd, short what, void *arg)
{
	struct listen_source *ls = arg;

	(void)fd;
	(void)what;
	if (!ls->src->paused && !ls->src->ended)
		evconnlistener_enable(ls->listener);
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct listen_source *ls = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 1, 0 };

	/* Out of descriptors, most likely: wait a little, clients queue. */
	source_warn(ls->src, "accepting a client: %s", evutil_socket_error_to_string(err));
	evconnlistener_disable(l);
	evtimer_add(ls->again_ev, &tv);
}

static int
listen_start(struct source *s)
{
	struct listen_source *ls = s->impl;
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[8], host[256];
	size_t n = strlen(ls->addr);
	int rc;

	/* "[::1]" is an IPv6 address in brackets. */
	if (n >= 2 && ls->addr[0] == '[' && ls->addr[n - 1] == ']')
		snprintf(host, sizeof host, "%.*s", (int)(n - 2), ls->addr + 1);
	else
		snprintf(host, sizeof host, "%s", ls->addr);
	snprintf(port, sizeof port, "%d", ls->port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		source_error(s, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	ls->listener = evconnlistener_new_bind(s->base, on_accept, ls,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (ls->listener == NULL) {
		source_error(s, "cannot listen: %s", strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(ls->listener, on_accept_error);
	ls->again_ev = evtimer_new(s->base, on_again, ls);
	return 0;
}

static void
listen_pause(struct source *s)
{
	struct listen_source *ls = s->impl;

	if (ls->listener != NULL)
		evconnlistener_disable(ls->listener);
	for (struct client *c = ls->clients; c != NULL; c = c->next)
		input_watch(&c->in, 0);
}

static void
listen_resume(struct source *s)
{
	struct listen_source *ls = s->impl;

	if (ls->listener != NULL)
		evconnlistener_enable(ls->listener);
	for (struct client *c = ls->clients; c != NULL; c = c->next)
		input_watch(&c->in, 1);
}

static void
listen_cut(struct source *s)
{
	struct listen_source *ls = s->impl;

	for (struct client *c = ls->clients; c != NULL; c = c->next)
		input_cut(&c->in);
}

static void
listen_stop(struct source *s)
{
	struct listen_source *ls = s->impl;

	s->ended = 1;
	if (ls->listener != NULL)
		evconnlistener_free(ls->listener);
	ls->listener = NULL;
	while (ls->clients != NULL)
		client_free(ls->clients);
}

static void
listen_free(struct source *s)
{
	struct listen_source *ls = s->impl;

	listen_stop(s);
	if (ls->again_ev != NULL)
		event_free(ls->again_ev);
	free(ls->addr);
	free(ls);
}

static void
listen_init(struct source *s, const struct argval *a)
{
	struct listen_source *ls = xcalloc(1, sizeof *ls);

	ls->src = s;
	ls->addr = xstrdup(a[0].s != NULL ? a[0].s : "127.0.0.1");
	ls->port = (int)a[0].i;
	s->impl = ls;
	s->name = xasprintf("listen %s:%d", ls->addr, ls->port);
}

const struct source_desc source_listen = {
	.name = "listen",
	.caps = SOURCE_READ_ONCE,
	.init = listen_init,
	.start = listen_start,
	.pause = listen_pause,
	.resume = listen_resume,
	.cut = listen_cut,
	.stop = listen_stop,
	.free = listen_free,
};
