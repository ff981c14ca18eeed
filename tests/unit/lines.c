/*
 * lines.c: lines_added fed streams cut at random places (down to one byte
 * at a time), with lines_take at random moments, against a plain splitter
 * that sees the whole stream at once.  The lines kept, the lines dropped
 * (and their sizes) and the bytes held must all agree with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lines.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct out {
	char *buf;
	size_t len, cap;
	size_t drops[64];
	int ndrops;
};

static void
out_add(struct out *o, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->buf = realloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
on_dropped(void *arg, size_t bytes)
{
	struct out *o = arg;

	if (o->ndrops < 64)
		o->drops[o->ndrops] = bytes;
	o->ndrops++;
}

/* What the lines of s are: each line ends in '\n', a last line without
 * one gets it, a line of more than LINES_MAX bytes (not counting its
 * newline) is dropped. */
static void
naive(const char *s, size_t n, struct out *o)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\n')
			continue;
		if (i == n && start == n)
			break;
		if (i - start > LINES_MAX)
			on_dropped(o, i - start);
		else {
			out_add(o, s + start, i - start);
			out_add(o, "\n", 1);
		}
		start = i + 1;
	}
}

static void
take(struct lines *l, struct out *o)
{
	size_t len;
	char *data = lines_take(l, &len);

	if (data != NULL) {
		out_add(o, data, len);
		free(data);
	}
}

/* Feed s in chunks of 1..maxchunk bytes; 0 or more takes between them. */
static int
feed(const char *s, size_t n, size_t maxchunk, struct out *o, size_t *held_max)
{
	struct lines l;
	size_t off = 0;

	lines_init(&l, on_dropped, o);
	*held_max = 0;
	while (off < n) {
		size_t k = 1 + (size_t)(rnd() % maxchunk);
		if (k > n - off)
			k = n - off;
		memcpy(lines_space(&l, k), s + off, k);
		lines_added(&l, k);
		off += k;
		if (lines_pending(&l) - lines_complete(&l) > *held_max)
			*held_max = lines_pending(&l) - lines_complete(&l);
		if (rnd() % 4 == 0)
			take(&l, o);
	}
	lines_end(&l);
	take(&l, o);
	lines_release(&l);
	return 0;
}

/* A stream of lines of the given lengths (filled with letters, a '\r' or
 * a NUL here and there), the last one with or without its newline. */
static char *
make_stream(const size_t *lens, int nlens, int last_nl, size_t *n)
{
	size_t total = 0, off = 0;
	char *s;

	for (int i = 0; i < nlens; i++)
		total += lens[i] + 1;
	s = malloc(total + 1);
	for (int i = 0; i < nlens; i++) {
		for (size_t k = 0; k < lens[i]; k++) {
			unsigned r = (unsigned)(rnd() % 64);
			s[off++] = r == 0 ? '\0' : r == 1 ? '\r' : (char)('a' + r % 26);
		}
		if (i < nlens - 1 || last_nl)
			s[off++] = '\n';
	}
	*n = off;
	return s;
}

static void
check(const char *what, const size_t *lens, int nlens, int last_nl, size_t maxchunk)
{
	size_t n, held_max;
	char *s = make_stream(lens, nlens, last_nl, &n);
	struct out want = { 0 }, got = { 0 };
	int same;

	naive(s, n, &want);
	feed(s, n, maxchunk, &got, &held_max);
	same = want.len == got.len && (want.len == 0 || memcmp(want.buf, got.buf, want.len) == 0) &&
	    want.ndrops == got.ndrops;
	for (int i = 0; same && i < want.ndrops && i < 64; i++)
		same = want.drops[i] == got.drops[i];
	TAP_OK(same, "%s, chunks up to %zu bytes", what, maxchunk);
	if (!same)
		printf("#   want %zu bytes, %d dropped; got %zu bytes, %d dropped\n", want.len,
		    want.ndrops, got.len, got.ndrops);
	/* A partial line is never held much past the cap. */
	TAP_OK(held_max <= LINES_MAX + maxchunk, "%s: at most %zu bytes of a partial line held",
	    what, held_max);
	free(want.buf);
	free(got.buf);
	free(s);
}

int
main(void)
{
	const size_t M = LINES_MAX;
	static const size_t chunks[] = { 1, 2, 7, 4096, 65536, 300000, 3 * 1024 * 1024 };
	struct {
		const char *what;
		size_t lens[8];
		int nlens;
	} cases[] = {
		{ "short and empty lines", { 3, 0, 0, 17, 1, 0, 250 }, 7 },
		{ "a line of exactly 1 MiB", { 5, M, 5 }, 3 },
		{ "a line of 1 MiB less one byte", { M - 1, 2 }, 2 },
		{ "a line of 1 MiB and one byte", { 4, M + 1, 4 }, 3 },
		{ "two long lines in a row", { M + 1, M + 7, 0, 9 }, 4 },
		{ "a line of 3 MiB between short ones", { 1, 3 * M, 1, 0 }, 4 },
		{ "lines at the cap on both sides of a long one", { M, 2 * M + 3, M }, 3 },
	};

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++)
			for (int last_nl = 0; last_nl <= 1; last_nl++) {
				/* One byte at a time through megabytes is slow: once. */
				if (chunks[k] == 1 && last_nl == 0 && c > 1)
					continue;
				char what[160];
				snprintf(what, sizeof what, "%s%s", cases[c].what,
				    last_nl ? "" : ", no last newline");
				check(what, cases[c].lens, cases[c].nlens, last_nl, chunks[k]);
			}
	/* Many random small streams, cut at random. */
	for (int round = 0; round < 200; round++) {
		size_t lens[8];
		int nlens = 1 + (int)(rnd() % 8);
		for (int i = 0; i < nlens; i++) {
			switch (rnd() % 5) {
			case 0: lens[i] = 0; break;
			case 1: lens[i] = M - 2 + (size_t)(rnd() % 5); break;
			default: lens[i] = (size_t)(rnd() % 100); break;
			}
		}
		char what[64];
		snprintf(what, sizeof what, "random stream %d", round);
		check(what, lens, nlens, (int)(rnd() % 2), 1 + (size_t)(rnd() % (2 * M)));
	}
	return tap_done();
}
