/* gen.c: deterministic Zipf-distributed word generator for the word-count benchmark.
 *
 *   gen [BYTES [SEED]]      (BYTES defaults to 100000000, SEED to 42)
 *
 * Writes lines of 1-20 comma-separated words to stdout until the output has reached BYTES
 * (the line that reaches it is completed, so the output is at most one line longer).
 * The vocabulary is 100,000 distinct pseudo-words of 2-12 lowercase letters; word i (0-based
 * rank) is drawn with probability proportional to 1/(i+1)^s, s = 1.0 (Zipf), through a
 * precomputed CDF and a binary search. Everything comes from a splitmix64 PRNG with a fixed
 * seed, so the same arguments always give the same bytes, on every machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define VOCAB 100000
#define MINLEN 2
#define MAXLEN 12
#define ZIPF_S 1.0
#define MAXWORDS_PER_LINE 20

static uint64_t rng_state;

static uint64_t next64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n small: the bias of a multiply-shift is negligible and deterministic) */
static uint32_t below(uint32_t n)
{
	return (uint32_t)(((next64() >> 32) * (uint64_t)n) >> 32);
}

static char words[VOCAB][MAXLEN];
static unsigned char lens[VOCAB];
static double cdf[VOCAB];

/* a small set of the words made so far, to keep them distinct */
#define SETBITS 18
static int32_t set[1u << SETBITS];

static uint64_t hash_word(const char *w, int n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static void make_vocab(void)
{
	memset(set, -1, sizeof set);
	for (int i = 0; i < VOCAB; i++) {
		for (;;) {
			int n = MINLEN + (int)below(MAXLEN - MINLEN + 1);
			for (int k = 0; k < n; k++)
				words[i][k] = (char)('a' + below(26));
			uint32_t mask = (1u << SETBITS) - 1, j = (uint32_t)hash_word(words[i], n) & mask;
			int dup = 0;
			while (set[j] >= 0) {
				int o = set[j];
				if (lens[o] == n && memcmp(words[o], words[i], (size_t)n) == 0) {
					dup = 1;
					break;
				}
				j = (j + 1) & mask;
			}
			if (dup)
				continue; /* draw another word */
			set[j] = i;
			lens[i] = (unsigned char)n;
			break;
		}
	}
}

static void make_cdf(void)
{
	double sum = 0;
	for (int i = 0; i < VOCAB; i++) {
		sum += 1.0 / pow((double)(i + 1), ZIPF_S);
		cdf[i] = sum;
	}
	for (int i = 0; i < VOCAB; i++)
		cdf[i] /= sum;
	cdf[VOCAB - 1] = 1.0;
}

static int draw(void)
{
	double u = (double)(next64() >> 11) * 0x1.0p-53; /* [0, 1) */
	int lo = 0, hi = VOCAB - 1;                      /* first i with cdf[i] > u */
	while (lo < hi) {
		int mid = (lo + hi) >> 1;
		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int main(int argc, char **argv)
{
	unsigned long long target = 100000000ull, seed = 42;
	if (argc > 1)
		target = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 10);
	if (argc > 3 || target == 0) {
		fprintf(stderr, "usage: gen [BYTES [SEED]]\n");
		return 2;
	}
	rng_state = seed;
	make_vocab();
	make_cdf();

	enum { BUFSZ = 1 << 20 };
	static char buf[BUFSZ + 512];
	size_t used = 0;
	unsigned long long total = 0;
	while (total < target) {
		int nw = 1 + (int)below(MAXWORDS_PER_LINE);
		size_t start = used;
		for (int k = 0; k < nw; k++) {
			int w = draw();
			if (k)
				buf[used++] = ',';
			memcpy(buf + used, words[w], lens[w]);
			used += lens[w];
		}
		buf[used++] = '\n';
		total += used - start;
		if (used >= BUFSZ) {
			if (fwrite(buf, 1, used, stdout) != used)
				return 1;
			used = 0;
		}
	}
	if (used && fwrite(buf, 1, used, stdout) != used)
		return 1;
	return fflush(stdout) ? 1 : 0;
}
