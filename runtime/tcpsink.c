/*
 * tcpsink.c: the tcp(HOST, PORT) sink; see tcpsink.h.  It runs on the
 * thread that finishes batches, which it may block: that is how a slow or
 * absent server holds the job back.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "retry.h"
#include "report.h"
#include "tcpsink.h"
#include "stdlib/xmalloc.h"

#define CONNECT_TIMEOUT_MS 5000

struct tcpsink {
	char *host;
	char port[8];
	int fd;
	const struct reporter *reporter;
	struct retry retry;
};

struct tcpsink *
tcpsink_new(const char *host, int port, const struct reporter *reporter)
{
	struct tcpsink *t = xcalloc(1, sizeof *t);

	t->host = xstrdup(host);
	snprintf(t->port, sizeof t->port, "%d", port);
	t->fd = -1;
	t->reporter = reporter;
	retry_init(&t->retry);
	return t;
}

void
tcpsink_free(struct tcpsink *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->host);
	free(t);
}

static void
failure(struct tcpsink *t, const char *what)
{
	char more[48] = "";

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (!retry_failed(&t->retry))
		return;
	if (t->retry.attempts > 1)
		snprintf(more, sizeof more, " (%d attempts so far)", t->retry.attempts);
	report_text(t->reporter, REPORT_RECONNECT, "tcp %s:%s: %s; retrying the batch%s",
	    t->host, t->port, what, more);
}

/* Connect to one of HOST's addresses, waiting at most a few seconds. */
static int
connect_any(struct tcpsink *t, char *why, size_t whysize)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whysize, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return -1;
	}
	snprintf(why, whysize, "no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		struct pollfd pfd;
		int err = 0;
		socklen_t len = sizeof err;

		if (fd < 0) {
			snprintf(why, whysize, "%s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			if (errno != EINPROGRESS) {
				snprintf(why, whysize, "%s", strerror(errno));
				close(fd);
				continue;
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
			if (rc <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
			    err != 0) {
				snprintf(why, whysize, "%s", rc == 0 ? "connection timed out" :
				    strerror(err != 0 ? err : errno));
				close(fd);
				continue;
			}
		}
		t->fd = fd;
		freeaddrinfo(res);
		return 0;
	}
	freeaddrinfo(res);
	return -1;
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

static int
send_all(struct tcpsink *t, const char *data, size_t len, char *why, size_t whysize)
{
	while (len > 0) {
		ssize_t n = send(t->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd pfd = { t->fd, POLLOUT, 0 };
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				snprintf(why, whysize, "%s", strerror(errno));
				return -1;
			}
			/* The server is slow: wait as long as it takes. */
			if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
				snprintf(why, whysize, "%s", strerror(errno));
				return -1;
			}
			if (pfd.revents & (POLLERR | POLLHUP)) {
				snprintf(why, whysize, "the connection failed");
				return -1;
			}
			continue;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void
tcpsink_put(struct tcpsink *t, const char *data, size_t len)
{
	char why[256];

	for (;;) {
		if (t->fd >= 0 && peer_closed(t->fd)) {
			close(t->fd);
			t->fd = -1;
		}
		if (t->fd < 0 && connect_any(t, why, sizeof why) != 0) {
			failure(t, why);
		} else if (send_all(t, data, len, why, sizeof why) != 0) {
			failure(t, why);
		} else {
			if (retry_recovered(&t->retry))
				report_text(t->reporter, REPORT_RECONNECT,
				    "tcp %s:%s: connected; batch sent", t->host, t->port);
			retry_reset(&t->retry);
			return;
		}
		int64_t wait = retry_wait(&t->retry);
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}
