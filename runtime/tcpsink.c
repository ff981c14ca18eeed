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

#include "tcpsink.h"
#include "stdlib/xmalloc.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define WARN_EVERY_MS 30000
#define CONNECT_TIMEOUT_MS 5000

struct tcpsink {
	char *host;
	char port[8];
	int fd;
	int quiet;
	int failing;
	int attempts;
	int64_t last_warn;
	unsigned rng;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct tcpsink *
tcpsink_new(const char *host, int port, int quiet)
{
	struct tcpsink *t = xcalloc(1, sizeof *t);

	t->host = xstrdup(host);
	snprintf(t->port, sizeof t->port, "%d", port);
	t->fd = -1;
	t->quiet = quiet;
	t->rng = (unsigned)getpid() * 2654435761u ^ (unsigned)mono_ms();
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
	int64_t now = mono_ms();

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->attempts++;
	if (!t->quiet && (!t->failing || now - t->last_warn >= WARN_EVERY_MS)) {
		fprintf(stderr, "streamjob: tcp %s:%s: %s; retrying the batch", t->host, t->port,
		    what);
		if (t->attempts > 1)
			fprintf(stderr, " (%d attempts so far)", t->attempts);
		fputc('\n', stderr);
		t->last_warn = now;
	}
	t->failing = 1;
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
	int64_t backoff = BACKOFF_FIRST_MS;
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
			if (t->failing && t->attempts > 0 && !t->quiet)
				fprintf(stderr, "streamjob: tcp %s:%s: connected; batch sent\n",
				    t->host, t->port);
			t->failing = 0;
			t->attempts = 0;
			return;
		}
		/* A random part, from half the delay to all of it. */
		t->rng = t->rng * 1103515245u + 12345u;
		int64_t wait = backoff / 2 + (int64_t)((t->rng >> 8) % (unsigned)(backoff / 2 + 1));
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		backoff *= 2;
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
	}
}
