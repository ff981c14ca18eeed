/*
 * tcpsink.h: the tcp(HOST, PORT) sink (SPEC 2.1), lines sent to a TCP
 * server over one connection kept across batches.
 *
 * A batch's text is sent whole.  When the server cannot be reached or the
 * connection fails, the batch is sent again, whole, on a new connection,
 * after a delay that doubles from 100 ms up to 5 s: it is retried, never
 * dropped, and the job holds back meanwhile (the batches behind it wait,
 * and the sources pause).  A server that stops reading holds the batch the
 * same way, through TCP flow control.  Lines of a batch sent before a
 * failure may arrive twice: at-least-once.
 */
#ifndef TCPSINK_H
#define TCPSINK_H

#include <stddef.h>

struct tcpsink;

struct reporter;

/* Its connection failures and recoveries go to reporter. */
struct tcpsink *tcpsink_new(const char *host, int port, const struct reporter *);
void tcpsink_free(struct tcpsink *);

/* Send one batch's text; returns when the server has taken it. */
void tcpsink_put(struct tcpsink *, const char *data, size_t len);

#endif
