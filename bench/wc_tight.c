/* wc_tight.c: the practical limit for the word-count benchmark — a tight single-threaded word
 * count in plain C.
 *
 *   wc_tight < input > counts
 *
 * Reads stdin in 1 MiB chunks (a word cut by a chunk boundary is carried over to the next one),
 * splits on ',' and '\n' (a '\r' before the '\n' is dropped; empty words are skipped), counts the
 * words in an open-addressing hash table (power-of-two size, linear probing, grows at 50% load)
 * keyed by the word's bytes (words of up to 16 bytes are stored in the slot itself), and prints
 * `word<TAB>count` lines, unsorted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define CHUNK (1u << 20)

/* A slot is 32 bytes: a word of up to 16 bytes is stored in the slot itself (the common case,
 * one cache line touched per lookup), a longer one in the arena. len == 0 marks an empty slot. */
typedef struct {
	uint64_t count;
	uint32_t len;
	uint32_t tag; /* the hash's high 32 bits: most mismatches are rejected without the key */
	union {
		unsigned char b[16];
		uint64_t w[2];
		uint64_t off; /* len > 16: the key's offset in the arena */
	} key;
} entry;

static entry *tab;
static size_t cap, nused;
static unsigned char *arena;
static size_t arena_len, arena_cap;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("wc_tight");
		exit(1);
	}
	return p;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* the first n (1..8) bytes at p as a little-endian number, the rest zero; p may be read up to 8
 * bytes past its end (the input buffer has that much padding) */
static inline uint64_t loadn(const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return n >= 8 ? load64(p) : load64(p) & ((1ull << (8 * n)) - 1);
#else
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
#endif
}

static inline uint64_t mix(uint64_t h)
{
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 31);
}

/* 8 bytes a step, multiply-xorshift mixing, splitmix64's finaliser at the end */
static inline uint64_t hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
	while (n > 8) {
		h = mix(h ^ load64(p));
		p += 8;
		n -= 8;
	}
	h = mix(h ^ loadn(p, n));
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ull;
	h ^= h >> 29;
	return h;
}

static inline const unsigned char *key_of(const entry *e)
{
	return e->len <= 16 ? e->key.b : arena + e->key.off;
}

static void grow(void)
{
	size_t ncap = cap ? cap * 2 : 1u << 16;
	entry *nt = calloc(ncap, sizeof *nt);
	if (!nt) {
		perror("wc_tight");
		exit(1);
	}
	for (size_t i = 0; i < cap; i++) {
		if (!tab[i].len)
			continue;
		size_t j = hash_bytes(key_of(&tab[i]), tab[i].len) & (ncap - 1);
		while (nt[j].len)
			j = (j + 1) & (ncap - 1);
		nt[j] = tab[i];
	}
	free(tab);
	tab = nt;
	cap = ncap;
}

static inline int same_key(const entry *e, const unsigned char *w, size_t n)
{
	if (n <= 8)
		return e->key.w[0] == loadn(w, n);
	if (n <= 16)
		return e->key.w[0] == load64(w) && e->key.w[1] == loadn(w + 8, n - 8);
	return memcmp(arena + e->key.off, w, n) == 0;
}

static inline void count_word(const unsigned char *w, size_t n)
{
	uint64_t h = hash_bytes(w, n);
	uint32_t tag = (uint32_t)(h >> 32);
	size_t mask = cap - 1, j = h & mask;
	for (;;) {
		entry *e = &tab[j];
		if (e->tag == tag && e->len == n && same_key(e, w, n)) {
			e->count++;
			return;
		}
		if (!e->len)
			break;
		j = (j + 1) & mask;
	}
	/* a new word */
	entry *e = &tab[j];
	e->count = 1;
	e->len = (uint32_t)n;
	e->tag = tag;
	if (n <= 16) {
		memcpy(e->key.b, w, n); /* the rest of the key stays zero, as same_key expects */
	} else {
		if (arena_len + n > arena_cap) {
			arena_cap = arena_cap ? arena_cap * 2 : 1u << 20;
			while (arena_len + n > arena_cap)
				arena_cap *= 2;
			arena = xrealloc(arena, arena_cap);
		}
		memcpy(arena + arena_len, w, n);
		e->key.off = arena_len;
		arena_len += n;
	}
	if (++nused * 2 > cap)
		grow();
}

int main(void)
{
	size_t bufcap = 2 * CHUNK;
	unsigned char *buf = xrealloc(NULL, bufcap + 16); /* padding: see loadn */
	size_t carry = 0; /* bytes of an unfinished word at the start of buf */
	grow();

	for (;;) {
		if (bufcap - carry < CHUNK) { /* a very long word: make room for a full chunk */
			while (bufcap - carry < CHUNK)
				bufcap *= 2;
			buf = xrealloc(buf, bufcap + 16);
		}
		ssize_t r = read(0, buf + carry, CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("wc_tight: read");
			return 1;
		}
		size_t end = carry + (size_t)r;
		int eof = r == 0;
		const unsigned char *p = buf, *lim = buf + end, *w = buf;
		while (p < lim) {
			unsigned char c = *p;
			if (c == ',' || c == '\n') {
				const unsigned char *we = p;
				if (c == '\n' && we > w && we[-1] == '\r')
					we--;
				if (we > w)
					count_word(w, (size_t)(we - w));
				w = p + 1;
			}
			p++;
		}
		carry = (size_t)(lim - w);
		if (eof) {
			if (carry) { /* last line without a newline */
				const unsigned char *we = lim;
				if (we[-1] == '\r')
					we--;
				if (we > w)
					count_word(w, (size_t)(we - w));
			}
			break;
		}
		if (carry && w != buf)
			memmove(buf, w, carry);
	}

	/* print word<TAB>count */
	size_t ocap = 1u << 20, olen = 0;
	char *out = xrealloc(NULL, ocap);
	for (size_t i = 0; i < cap; i++) {
		entry *e = &tab[i];
		if (!e->len)
			continue;
		if (olen + e->len + 32 > ocap) {
			if (fwrite(out, 1, olen, stdout) != olen)
				return 1;
			olen = 0;
			if (e->len + 32 > ocap) {
				ocap = e->len + 32;
				out = xrealloc(out, ocap);
			}
		}
		memcpy(out + olen, key_of(e), e->len);
		olen += e->len;
		out[olen++] = '\t';
		char tmp[24];
		int k = 0;
		uint64_t v = e->count;
		do
			tmp[k++] = (char)('0' + v % 10);
		while ((v /= 10));
		while (k)
			out[olen++] = tmp[--k];
		out[olen++] = '\n';
	}
	if (olen && fwrite(out, 1, olen, stdout) != olen)
		return 1;
	free(out);
	free(buf);
	free(tab);
	free(arena);
	return fflush(stdout) ? 1 : 0;
}
