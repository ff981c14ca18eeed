/*
 * tcp.c: the tcp(HOST, PORT) sink -- lines sent to a TCP server over one
 * connection kept across batches.
 *
 * A batch's text is sent whole.  When the server cannot be reached or the
 * connection fails, the write says SINK_RETRY: the engine sends the batch
 * again, whole, on a new connection, after a delay; it is retried, never
 * dropped, and the job holds back meanwhile.  A server that stops reading
 * holds the batch the same way, through TCP flow control.  Lines of a
 * batch sent before a failure may arrive twice: at-least-once.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/io/sink.h"
#include "stdlib/xmalloc.h"

#define CONNECT_TIMEOUT_MS 5000

struct tcp {
	const char *host;
	char port[8];
	int fd;
};

static enum sink_result
tcp_init(struct sink *s)
{
	struct tcp *t = xcalloc(1, sizeof *t);

	t->host = s->stage->args[0].s;
	snprintf(t->port, sizeof t->port, "%d", (int)s->stage->args[1].i);
	t->fd = -1;
	s->ctx = t;
	s->label = xasprintf("tcp %s:%s", t->host, t->port);
	return SINK_OK;
}

/* Connect to one of HOST's addresses, waiting at most a few seconds. */
static enum sink_result
connect_any(struct sink *s, struct tcp *t)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc != 0)
		return sink_reason(s, SINK_RETRY, "cannot resolve %s: %s", t->host, gai_strerror(rc));
	sink_reason(s, SINK_RETRY, "no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		struct pollfd pfd;
		int err = 0;
		socklen_t len = sizeof err;

		if (fd < 0) {
			sink_reason(s, SINK_RETRY, "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				sink_reason(s, SINK_RETRY, "%s", strerror(errno));
				close(fd);
				continue;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
			if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
			    err != 0) {
				sink_reason(s, SINK_RETRY, "%s", rc == 0 ? "connection timed out" :
				    strerror(err != 0 ? err : errno));
				close(fd);
				continue;
			}
		}
		t->fd = fd;
		freeaddrinfo(res);
		return SINK_OK;
	}
	freeaddrinfo(res);
	return SINK_RETRY;
}

static enum sink_result
tcp_open(struct sink *s, int worker, void **conn)
{
	struct tcp *t = s->ctx;
	enum sink_result r = connect_any(s, t);

	(void)worker;
	if (r == SINK_OK)
		*conn = t;
	return r;
}

static void
tcp_close(struct sink *s, void *conn)
{
	struct tcp *t = conn;

	(void)s;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Has the server closed the connection since the last batch? */
static int
peer_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	/* Anything the server says is not read; only its end matters. */
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static enum sink_result
tcp_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct tcp *t = conn;
	size_t len;
	const char *data = sink_text(s, b, &len);

	(void)worker;
	/* A server gone between batches is not a failure: connect again. */
	if (peer_closed(t->fd)) {
		tcp_close(s, t);
		if (connect_any(s, t) != SINK_OK)
			return SINK_RETRY;
	}
	while (len > 0) {
		ssize_t n = send(t->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd pfd = { t->fd, POLLOUT, 0 };
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return sink_reason(s, SINK_RETRY, "%s", strerror(errno));
			/* The server is slow: wait as long as it takes. */
			if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
				return sink_reason(s, SINK_RETRY, "%s", strerror(errno));
			if (pfd.revents & (POLLERR | POLLHUP))
				return sink_reason(s, SINK_RETRY, "the connection failed");
			continue;
		}
		data += n;
		len -= (size_t)n;
	}
	return SINK_OK;
}

static void
tcp_free(struct sink *s)
{
	free(s->ctx);
}

const struct sink_desc sink_tcp = {
	.name = "tcp",
	.flags = SINK_ORDERED,
	.recovered = "connected; batch sent",
	.init = tcp_init,
	.open = tcp_open,
	.write = tcp_write,
	.close = tcp_close,
	.free = tcp_free,
};
