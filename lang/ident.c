/*
 * ident.c: the identities a checkpoint keys its contents by -- stateful
 * stages, sources, sinks, the script -- and the matching of a checkpoint's
 * stages with an edited script (plan.h says what each is).
 *
 * An identity is script text, printed from the checked tree rather than
 * taken from the file, so that how a script is laid out (spacing, comments,
 * line breaks, parentheses the precedence makes redundant) never counts,
 * and names that only label things (a let stream's name, rate=) do not
 * either.  Stage texts are built per node from its inputs' texts, in the
 * plan's topological order; an input's text that has grown past TEXT_MAX
 * (a pipeline of a thousand stages, or let streams read twice by unions of
 * unions, which double at each level) stands as its hash in the texts
 * after it, so no script makes them grow without bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "plan.h"
#include "stdlib/number.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

#define TEXT_MAX (16 * 1024)

/* ---- stage labels ---- */

static void
quote_n(struct strbuf *sb, const char *s, size_t n)
{
	struct expr e = { 0 };

	e.kind = EXPR_STRING;
	e.s = (char *)s;
	e.slen = n;
	expr_print(sb, &e);
}

static void
quote(struct strbuf *sb, const char *s)
{
	quote_n(sb, s, strlen(s));
}

/* Does s start with a URL scheme and "://"?  The length of "scheme://". */
static size_t
url_scheme(const char *s)
{
	size_t i = 0;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

/* Is s[0..n) the word password (a conninfo keyword or a query name)? */
static int
is_password_word(const char *s, size_t n)
{
	return n == 8 && strncmp(s, "password", 8) == 0;
}

/*
 * A URL without its password: scheme://user:pw@host/... becomes
 * scheme://user@host/..., scheme://:pw@host/... becomes scheme://host/...,
 * and a password=... in its query is left out.
 */
static void
scrub_url(struct strbuf *sb, const char *s, size_t scheme)
{
	const char *auth = s + scheme, *end = auth + strcspn(auth, "/?#"), *at = NULL;
	const char *q;

	strbuf_add(sb, s, scheme);
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t user = colon != NULL ? (size_t)(colon - auth) : (size_t)(at - auth);
		if (user > 0) {
			strbuf_add(sb, auth, user);
			strbuf_addc(sb, '@');
		}
		auth = at + 1;
	}
	q = strchr(end, '?');
	if (q == NULL) {
		strbuf_adds(sb, auth);
		return;
	}
	strbuf_add(sb, auth, (size_t)(q - auth));
	/* the query: name=value pairs joined by & (a fragment ends it) */
	{
		const char *p = q + 1, *qend = p + strcspn(p, "#");
		int first = 1;
		while (p < qend) {
			const char *amp = memchr(p, '&', (size_t)(qend - p));
			const char *pe = amp != NULL ? amp : qend;
			const char *eq = memchr(p, '=', (size_t)(pe - p));
			size_t name = eq != NULL ? (size_t)(eq - p) : (size_t)(pe - p);
			if (!is_password_word(p, name)) {
				strbuf_addc(sb, first ? '?' : '&');
				strbuf_add(sb, p, (size_t)(pe - p));
				first = 0;
			}
			p = amp != NULL ? amp + 1 : qend;
		}
		strbuf_adds(sb, qend);
	}
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * A libpq conninfo ("host=h password='x y' dbname=d") without its
 * password=... pair: the other pairs as written.  *ok is 0 when s does not
 * read as a conninfo (then nothing is added).
 */
static void
scrub_conninfo(struct strbuf *sb, const char *s, int *ok)
{
	const char *p = s;
	struct strbuf out = STRBUF_INIT;
	int found = 0;

	*ok = 0;
	while (*p != '\0') {
		const char *start, *key, *keyend;
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		start = key = p;
		while (*p != '\0' && *p != '=' && !is_space(*p))
			p++;
		keyend = p;
		while (is_space(*p))
			p++;
		if (*p != '=' || keyend == key)
			goto fail;
		p++;
		while (is_space(*p))
			p++;
		if (*p == '\'') {
			for (p++; *p != '\0' && *p != '\''; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p != '\'')
				goto fail;
			p++;
		} else {
			while (*p != '\0' && !is_space(*p))
				p++;
		}
		if (is_password_word(key, (size_t)(keyend - key))) {
			found = 1;
			continue;
		}
		if (out.len > 0)
			strbuf_addc(&out, ' ');
		strbuf_add(&out, start, (size_t)(p - start));
	}
	*ok = 1;
	/* unchanged but for the password: the rest as it was written */
	if (found)
		strbuf_adds(sb, strbuf_str(&out));
	else
		strbuf_adds(sb, s);
fail:
	strbuf_release(&out);
}

char *
plan_scrubbed(const char *s)
{
	struct strbuf t = STRBUF_INIT;
	size_t scheme = url_scheme(s);
	int ok = 0;

	if (scheme > 0) {
		scrub_url(&t, s, scheme);
		ok = 1;
	} else if (strchr(s, '=') != NULL)
		scrub_conninfo(&t, s, &ok);
	if (!ok) {
		strbuf_reset(&t);
		strbuf_adds(&t, s);
	}
	return strbuf_detach(&t);
}

/* A string argument of a source or sink, quoted, without what is secret
 * in it. */
void
plan_print_scrubbed(struct strbuf *sb, const char *s)
{
	char *t = plan_scrubbed(s);

	quote(sb, t);
	free(t);
}

int
plan_string_secret(const char *s)
{
	char *t = plan_scrubbed(s);
	int secret = strcmp(t, s) != 0;

	free(t);
	return secret;
}

char *
plan_scrub_script(const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = text, *end = text + len;

	while (p < end) {
		if (*p == '#') {		/* a comment: to the end of its line */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *stop = nl != NULL ? nl : end;
			strbuf_add(&sb, p, (size_t)(stop - p));
			p = stop;
			continue;
		}
		if (*p != '"') {
			strbuf_addc(&sb, *p++);
			continue;
		}
		const char *q = p + 1;
		while (q < end && *q != '"' && *q != '\n') {
			if (*q == '\\' && q + 1 < end)
				q++;
			q++;
		}
		if (q < end && *q == '"') {
			char *lit = xstrndup(p + 1, (size_t)(q - p - 1));
			if (plan_string_secret(lit))
				plan_print_scrubbed(&sb, lit);
			else
				strbuf_add(&sb, p, (size_t)(q + 1 - p));
			free(lit);
			p = q + 1;
		} else {
			strbuf_add(&sb, p, (size_t)(q - p));
			p = q;
		}
	}
	return strbuf_detach(&sb);
}

/* One argument or clause value, as script text, resolved. */
static void
argval_print(struct strbuf *sb, const struct plan *plan, enum arg_kind kind,
    const struct argval *v, int quote_choice, unsigned flags)
{
	const struct params *ps = (flags & LABEL_PARAMS) && plan != NULL ? &plan->params : NULL;
	char buf[32];

	switch (kind) {
	case ARG_NONE:
		break;
	case ARG_DURATION:
		number_format_duration(buf, sizeof buf, v->i);
		strbuf_adds(sb, buf);
		break;
	case ARG_SIZE:
		number_format_size(buf, sizeof buf, v->i);
		strbuf_adds(sb, buf);
		break;
	case ARG_COUNT: case ARG_PORT:
		strbuf_addf(sb, "%lld", (long long)v->i);
		break;
	case ARG_BOOL:
		strbuf_adds(sb, v->i ? "true" : "false");
		break;
	case ARG_STRING:
		/* a URL's or conninfo's password is never shown */
		plan_print_scrubbed(sb, v->s != NULL ? v->s : "");
		break;
	case ARG_SECRET:
		strbuf_adds(sb, "...");	/* never shown, nor part of an identity */
		break;
	case ARG_ENDPOINT:
		strbuf_addf(sb, "\"%s:%lld\"", v->s, (long long)v->i);
		break;
	case ARG_NAME: case ARG_TABLE:
		strbuf_adds(sb, v->s != NULL ? v->s : "?");
		break;
	case ARG_CHOICE:
		if (quote_choice)
			quote(sb, v->s != NULL ? v->s : "");
		else
			strbuf_adds(sb, v->s != NULL ? v->s : "?");
		break;
	case ARG_ELEMENT: case ARG_REDUCER: case ARG_UPDATER: case ARG_LAMBDA2:
		if (v->e != NULL)
			expr_print_params(sb, v->e, ps);
		break;
	case ARG_STREAMS:
		for (int i = 0; i < v->nstreams; i++) {
			if (i > 0)
				strbuf_adds(sb, ", ");
			plan_stage_label(sb, plan, v->streams[i], flags);
		}
		break;
	case ARG_BATCH_LISTS:
		for (int i = 0; i < v->nitems; i++) {
			if (i > 0)
				strbuf_adds(sb, ", ");
			expr_print_params(sb, v->items[i], ps);
		}
		break;
	}
}

/* Is argument or clause word w of a stage left out of its label? */
static int
label_skips(const char *w, unsigned flags)
{
	if ((flags & LABEL_ID) && (strcmp(w, "rate") == 0 || strcmp(w, "as") == 0))
		return 1;
	return (flags & LABEL_SECRETS) && strcmp(w, "config") == 0;
}

/*
 * A stage as script text with its parameters resolved: "socket("h",
 * 9999)" for socket($host ?? "h", $port), "print 10" for print.  --explain
 * shows it and identities are made of it.
 */
void
plan_stage_label(struct strbuf *sb, const struct plan *plan, const struct stage *st, unsigned flags)
{
	const struct op_desc *d = st->desc;
	int i, first = 1, call;

	if (d == NULL) {
		strbuf_adds(sb, st->ref);
		return;
	}
	call = (d->flags & OPF_CALL) != 0;
	strbuf_adds(sb, d->name);
	strbuf_adds(sb, call ? "(" : "");
	for (i = 0; i < OP_MAX_ARGS && d->args[i].name != NULL; i++) {
		const struct argval *v = &st->args[i];
		if (!v->present && !(d->op == OP_PRINT && i == 0))
			continue;
		if (label_skips(d->args[i].name, flags))
			continue;
		strbuf_adds(sb, first ? (call ? "" : " ") : ", ");
		first = 0;
		if (d->args[i].named)
			strbuf_addf(sb, "%s=", d->args[i].name);
		if (d->op == OP_PRINT && !v->present)
			strbuf_adds(sb, "10");
		else
			argval_print(sb, plan, d->args[i].kind, v, d->args[i].named, flags);
	}
	strbuf_adds(sb, call ? ")" : "");
	for (i = 0; i < OP_MAX_CLAUSES && d->clauses[i].word != NULL; i++) {
		const struct argval *v = &st->clauses[i];
		if (!v->present || (d->flags & OPF_FORMAT) || label_skips(d->clauses[i].word, flags))
			continue;
		strbuf_addf(sb, " %s", d->clauses[i].word);
		if (d->clauses[i].kind != ARG_NONE) {
			strbuf_addc(sb, ' ');
			argval_print(sb, plan, d->clauses[i].kind, v, 0, flags);
		}
	}
	if ((d->flags & OPF_FORMAT) && !(flags & LABEL_NO_FORMAT))
		strbuf_adds(sb, st->format == FORMAT_JSON ? " json" :
		    st->format == FORMAT_CSV ? " csv" : " tsv");
}

/* ---- FNV-1a and SHA-256 ---- */

static uint64_t
fnv1a64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct sha256 {
	uint32_t h[8];
	unsigned char buf[64];
	size_t nbuf;
	uint64_t bytes;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror32(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void
sha256_block(struct sha256 *c, const unsigned char *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + s1 + ch + sha256_k[i] + w[i];
		uint32_t s0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
		uint32_t maj = (a & b) ^ (a & cc) ^ (b & cc);
		uint32_t t2 = s0 + maj;
		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static void
sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, iv, sizeof iv);
	c->nbuf = 0;
	c->bytes = 0;
}

static void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->bytes += n;
	while (n > 0) {
		size_t k = 64 - c->nbuf < n ? 64 - c->nbuf : n;
		memcpy(c->buf + c->nbuf, p, k);
		c->nbuf += k;
		p += k;
		n -= k;
		if (c->nbuf == 64) {
			sha256_block(c, c->buf);
			c->nbuf = 0;
		}
	}
}

/* The digest as 64 lowercase hex digits and a NUL, in hex. */
static void
sha256_hex(struct sha256 *c, char hex[65])
{
	uint64_t bits = c->bytes * 8;
	unsigned char len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, "\x80", 1);
	while (c->nbuf != 56)
		sha256_update(c, "", 1);
	sha256_update(c, len, 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", (unsigned)c->h[i]);
}

char *
ident_sha256_hex(const void *data, size_t n)
{
	struct sha256 c;
	char hex[65];

	sha256_init(&c);
	sha256_update(&c, data, n);
	sha256_hex(&c, hex);
	return xstrdup(hex);
}

/* ---- stateful stages ---- */

/* Which unit of state node n holds, as runtime/exec.c decides. */
enum unit_kind { UNIT_NONE, UNIT_STATE, UNIT_WINDOW, UNIT_EVTIME };

static enum unit_kind
unit_of(const struct node *n)
{
	const struct node *wn;

	if (n->op == OP_STATE)
		return UNIT_STATE;
	/* exec.c: a reducer right after a window keeps the window's store; a
	 * window with anything else after it keeps its batches. */
	wn = n->window != NULL ? n->window :
	    n->op == OP_WINDOW && !(n->noutputs == 1 && n->outputs[0]->window == n) ? n : NULL;
	if (wn != NULL && wn->event_time == NULL)
		return UNIT_WINDOW;
	/* exec.c's evt_setup: the event-time window, or the reducer right
	 * after it when it is the window's one output. */
	if (n->op == OP_WINDOW && n->event_time != NULL &&
	    !(n->noutputs == 1 && n->outputs[0]->window == n))
		return UNIT_EVTIME;
	if (n->window != NULL && n->window->event_time != NULL &&
	    n->window->noutputs == 1 && n->window->outputs[0] == n)
		return UNIT_EVTIME;
	return UNIT_NONE;
}

/* The window of a window unit, or NULL. */
static const struct node *
unit_window(const struct node *n)
{
	enum unit_kind k = unit_of(n);

	if (k != UNIT_WINDOW && k != UNIT_EVTIME)
		return NULL;
	return n->window != NULL ? n->window : n;
}

int
plan_stateful_nodes(const struct plan *plan, const struct node **out, int max)
{
	int n = 0;

	for (int i = 0; i < plan->nnodes; i++) {
		if (unit_of(plan->nodes[i]) == UNIT_NONE)
			continue;
		if (n < max)
			out[n] = plan->nodes[i];
		n++;
	}
	return n;
}

const char *
plan_stage_kind(const struct plan *plan, const struct node *n)
{
	(void)plan;
	switch (unit_of(n)) {
	case UNIT_STATE: return "state";
	case UNIT_WINDOW: return "window";
	case UNIT_EVTIME: return "event-time window";
	default: return NULL;
	}
}

static const char *
stage_name(const struct stage *st)
{
	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, "as") == 0 && st->clauses[j].present)
			return st->clauses[j].s;
	return NULL;
}

/* The unit's "as NAME", or NULL: a state's, a window's, or that of the
 * distinct that is all a plain window feeds (the language lets it name
 * the window it reads). */
static const char *
unit_name(const struct node *u)
{
	const struct node *w = unit_window(u);
	const char *name;

	if (w == NULL)
		return stage_name(u->stage);
	name = stage_name(w->stage);
	if (name == NULL && w == u && u->noutputs == 1 && u->outputs[0]->op == OP_DISTINCT)
		name = stage_name(u->outputs[0]->stage);
	return name;
}

struct span
plan_stage_span(const struct node *u)
{
	const struct node *w = unit_window(u);

	return (w != NULL ? w : u)->stage->seg->head_span;
}

/* The plan's stateful units; *n of them.  Caller frees. */
static const struct node **
units_of(const struct plan *plan, int *n)
{
	const struct node **v;

	*n = plan_stateful_nodes(plan, NULL, 0);
	v = xcalloc((size_t)*n + 1, sizeof *v);
	plan_stateful_nodes(plan, v, *n);
	return v;
}

/* The index in u of the unit that node (as given to plan_stage_id) stands
 * for: a unit's node, or a window unit's window; -1 for none. */
static int
unit_index(const struct node **u, int n, const struct node *node)
{
	for (int i = 0; i < n; i++)
		if (u[i] == node)
			return i;
	for (int i = 0; i < n; i++)
		if (unit_window(u[i]) == node)
			return i;
	return -1;
}

/* An input's text as it goes into another's: itself, or its hash when it
 * has grown too long to repeat. */
static void
add_input(struct strbuf *sb, const char *text)
{
	size_t len = strlen(text);

	if (len <= TEXT_MAX)
		strbuf_add(sb, text, len);
	else
		strbuf_addf(sb, "{%016llx}", (unsigned long long)fnv1a64(text, len));
}

#define IDFLAGS (LABEL_PARAMS | LABEL_ID | LABEL_SECRETS)

/* Every node's pipeline text, by node id - 1.  Free with free_texts. */
static char **
node_texts(const struct plan *plan)
{
	char **t = xcalloc((size_t)plan->nnodes + 1, sizeof *t);

	for (int i = 0; i < plan->nnodes; i++) {
		const struct node *n = plan->nodes[i];
		struct strbuf sb = STRBUF_INIT;

		if (n->op == OP_UNION) {
			strbuf_adds(&sb, "union(");
			for (int j = 0; j < n->ninputs; j++) {
				if (j > 0)
					strbuf_adds(&sb, ", ");
				add_input(&sb, t[n->inputs[j]->id - 1]);
			}
			strbuf_addc(&sb, ')');
		} else if (n->ninputs == 0) {
			plan_stage_label(&sb, plan, n->stage, IDFLAGS);
		} else {
			add_input(&sb, t[n->inputs[0]->id - 1]);
			strbuf_adds(&sb, " | ");
			if (n->stage->stream != NULL && n->ninputs == 2) {
				/* a join with a let stream: its text, not its name */
				strbuf_addf(&sb, "%s (", n->stage->desc->name);
				add_input(&sb, t[n->inputs[1]->id - 1]);
				strbuf_addc(&sb, ')');
			} else
				plan_stage_label(&sb, plan, n->stage, IDFLAGS);
		}
		t[i] = strbuf_detach(&sb);
	}
	return t;
}

static void
free_texts(const struct plan *plan, char **t)
{
	for (int i = 0; i < plan->nnodes; i++)
		free(t[i]);
	free(t);
}

static void
add_batch(struct strbuf *sb, const struct plan *plan)
{
	char buf[32];

	number_format_duration(buf, sizeof buf, plan->settings.batch_ms);
	strbuf_addf(sb, " [batch %s]", buf);
}

/* An event-time window's lateness, from its timestamp stage: its open
 * windows belong to it as they do to the window's length and slide. */
static void
add_lateness(struct strbuf *sb, const struct node *ts)
{
	const struct stage *st = ts->stage;
	char buf[32];

	for (int j = 0; j < OP_MAX_CLAUSES && st->desc->clauses[j].word != NULL; j++)
		if (strcmp(st->desc->clauses[j].word, "lateness") == 0 && st->clauses[j].present) {
			number_format_duration(buf, sizeof buf, st->clauses[j].i);
			strbuf_addf(sb, " [lateness %s]", buf);
		}
}

/*
 * The identities of all units: names, or texts.  A text the same as an
 * earlier unit's (named or not) gets " #k", before a window's batch
 * interval.  texts (when not NULL) gets every unit's text, named or not:
 * what a stage named since the checkpoint is looked for under.
 */
static char **
unit_ids(const struct plan *plan, const struct node **u, int n, char ***texts)
{
	char **ids = xcalloc((size_t)n + 1, sizeof *ids);
	char **txt = xcalloc((size_t)n + 1, sizeof *txt);
	char **nt = node_texts(plan);

	for (int i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *base = nt[u[i]->id - 1];
		const char *name = unit_name(u[i]);
		int k = 1;

		for (int j = 0; j < i; j++)
			k += strcmp(nt[u[j]->id - 1], base) == 0;
		strbuf_adds(&sb, base);
		if (k > 1)
			strbuf_addf(&sb, " #%d", k);
		if (unit_window(u[i]) != NULL)
			add_batch(&sb, plan);
		txt[i] = strbuf_detach(&sb);
		ids[i] = xstrdup(name != NULL ? name : txt[i]);
	}
	free_texts(plan, nt);
	if (texts != NULL)
		*texts = txt;
	else {
		for (int i = 0; i < n; i++)
			free(txt[i]);
		free(txt);
	}
	return ids;
}

static void
free_strings(char **v, int n)
{
	if (v == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
ident_fingerprints(struct plan *plan)
{
	int n;
	const struct node **u = units_of(plan, &n);
	char **ids;

	if (n == 0) {
		free(u);
		return;
	}
	ids = unit_ids(plan, u, n, NULL);
	/* a window, its reducer's; then every unit its own (a window read by
	 * two stages is one, and the window of the first) */
	for (int i = 0; i < n; i++) {
		const struct node *w = unit_window(u[i]);
		if (w != NULL)
			plan->nodes[w->id - 1]->fingerprint = fnv1a64(ids[i], strlen(ids[i]));
	}
	for (int i = 0; i < n; i++)
		plan->nodes[u[i]->id - 1]->fingerprint = fnv1a64(ids[i], strlen(ids[i]));
	free_strings(ids, n);
	free(u);
}

char *
plan_stage_id(const struct plan *plan, const struct node *node)
{
	int n, i;
	const struct node **u = units_of(plan, &n);
	char **ids, *id;

	i = unit_index(u, n, node);
	if (i < 0) {
		free(u);
		return NULL;
	}
	ids = unit_ids(plan, u, n, NULL);
	id = ids[i];
	ids[i] = NULL;
	free_strings(ids, n);
	free(u);
	return id;
}

/* A unit's own text: its stage, a window with its reducer. */
static char *
unit_def(const struct plan *plan, const struct node *u)
{
	struct strbuf sb = STRBUF_INIT;
	const struct node *w = unit_window(u);

	if (w != NULL) {
		plan_stage_label(&sb, plan, w->stage, IDFLAGS);
		if (w != u) {
			strbuf_adds(&sb, " | ");
			plan_stage_label(&sb, plan, u->stage, IDFLAGS);
		}
		if (w->event_time != NULL)
			add_lateness(&sb, w->event_time);
		add_batch(&sb, plan);
	} else
		plan_stage_label(&sb, plan, u->stage, IDFLAGS);
	return strbuf_detach(&sb);
}

char *
plan_stage_def(const struct plan *plan, const struct node *node)
{
	int n, i;
	const struct node **u = units_of(plan, &n);
	char *def = NULL;

	i = unit_index(u, n, node);
	if (i >= 0)
		def = unit_def(plan, u[i]);
	free(u);
	return def;
}

/* ---- sources, sinks, the script ---- */

char *
plan_source_id(const struct node *n)
{
	struct strbuf sb = STRBUF_INIT;

	if (n->op == OP_UNION)
		return NULL;	/* it merges sources; it reads nothing itself */
	/* No parameters are needed: a source's arguments are constants. */
	plan_stage_label(&sb, NULL, n->stage, LABEL_ID | LABEL_SECRETS);
	return strbuf_detach(&sb);
}

char *
plan_sink_id(const struct node *n)
{
	struct strbuf sb = STRBUF_INIT;

	plan_stage_label(&sb, NULL, n->stage, LABEL_ID | LABEL_SECRETS | LABEL_NO_FORMAT);
	return strbuf_detach(&sb);
}

/*
 * The script as the printer writes it: one statement a line, segments
 * joined by " | ", parameters substituted.  A statement that assigns
 * (let, table) reads "let NAME = ...".
 */
static void
script_text(struct strbuf *sb, const struct plan *plan)
{
	const struct program *prog = plan->prog;

	for (int i = 0; i < prog->nstmts; i++) {
		const struct stmt *st = prog->stmts[i];
		if (st->kind == STMT_ASSIGN)
			strbuf_addf(sb, "%s %s = ", st->head, st->name);
		for (int j = 0; j < st->nsegs; j++) {
			if (j > 0)
				strbuf_adds(sb, " | ");
			segment_print_params(sb, st->segs[j], &plan->params);
		}
		strbuf_addc(sb, '\n');
	}
}

char *
plan_fingerprint(const struct plan *plan)
{
	struct strbuf sb = STRBUF_INIT;
	char *hex;

	script_text(&sb, plan);
	hex = ident_sha256_hex(strbuf_str(&sb), sb.len);
	strbuf_release(&sb);
	return hex;
}

/* ---- matching a checkpoint ---- */

/* A name (as NAME) rather than a text: no space in it. */
static int
is_name_id(const char *id)
{
	return strchr(id, ' ') == NULL;
}

/* The kind a definition's first word tells: "state", "window", or "". */
static const char *
def_kind(const char *def)
{
	if (strncmp(def, "state ", 6) == 0)
		return "state";
	if (strncmp(def, "window ", 7) == 0)
		return "window";
	return "";
}

/* Split " [batch D]" off the end of a text: its length without it, and D
 * (or NULL). */
static size_t
split_batch(const char *s, const char **batch, size_t *blen)
{
	size_t n = strlen(s);
	const char *b;

	*batch = NULL;
	*blen = 0;
	if (n == 0 || s[n - 1] != ']')
		return n;
	b = s + n;
	while (b > s && b[-1] != '[')
		b--;
	if (b == s || b - s < 2 || b[-2] != ' ' || strncmp(b, "batch ", 6) != 0)
		return n;
	*batch = b + 6;
	*blen = (size_t)(s + n - 1 - *batch);
	return (size_t)(b - 2 - s);
}

/* The length of an id shown in a message: without " #k" at its end. */
static size_t
shown_len(const char *id, size_t n)
{
	size_t i = n;

	while (i > 0 && id[i - 1] >= '0' && id[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && id[i - 1] == '#' && id[i - 2] == ' ')
		return i - 2;
	return n;
}

/* What changed from the old stage to the new one, for the message. */
static void
describe_change(struct strbuf *sb, const char *old_id, const char *old_def,
    const char *new_id, const char *new_def, const char *new_name)
{
	const char *ob, *nb, *oib, *nib;
	size_t obl, nbl, oibl, nibl;
	size_t odl = split_batch(old_def, &ob, &obl), ndl = split_batch(new_def, &nb, &nbl);
	size_t oil = split_batch(old_id, &oib, &oibl), nil = split_batch(new_id, &nib, &nibl);
	int said = 0;

	strbuf_adds(sb, "stateful stage changed since the checkpoint: ");
	if (is_name_id(old_id) && new_name != NULL && strcmp(old_id, new_name) != 0) {
		strbuf_addf(sb, "it was named %s, now %s", old_id, new_name);
		said = 1;
	} else if (is_name_id(old_id) && new_name == NULL) {
		strbuf_addf(sb, "it was named %s, now it has no name", old_id);
		said = 1;
	}
	if (odl != ndl || strncmp(old_def, new_def, odl) != 0) {
		strbuf_adds(sb, said ? "; " : "");
		strbuf_adds(sb, "it was ");
		quote_n(sb, old_def, odl);
		strbuf_adds(sb, ", now ");
		quote_n(sb, new_def, ndl);
		said = 1;
	} else if (!is_name_id(old_id) && !is_name_id(new_id) &&
	    (oil != nil || strncmp(old_id, new_id, oil) != 0)) {
		size_t os = shown_len(old_id, oil), ns = shown_len(new_id, nil);
		if (os == ns && strncmp(old_id, new_id, os) == 0) {
			os = oil;	/* only the " #k" differs: show it */
			ns = nil;
		}
		strbuf_adds(sb, said ? "; " : "");
		strbuf_adds(sb, "its input changed: it was ");
		quote_n(sb, old_id, os);
		strbuf_adds(sb, ", now ");
		quote_n(sb, new_id, ns);
		said = 1;
	}
	if (ob != NULL && nb != NULL && (obl != nbl || strncmp(ob, nb, obl) != 0)) {
		strbuf_adds(sb, said ? "; " : "");
		strbuf_addf(sb, "the batch interval changed from %.*s to %.*s",
		    (int)obl, ob, (int)nbl, nb);
		said = 1;
	}
	if (!said) {
		strbuf_adds(sb, "it was ");
		quote(sb, old_id);
		strbuf_adds(sb, ", now ");
		quote(sb, new_id);
	}
}

/*
 * The old stage left unmatched most like new stage i (kind kind): at the
 * same position and of its kind, else the nearest of its kind, else the
 * nearest; those not yet named in a message first.  -1 when none is left.
 */
static int
most_similar(const char *kind, int i, const int *old_taken, const int *old_said,
    const char *const *old_defs, int nold)
{
	int best = -1, best_score = -1;

	for (int j = 0; j < nold; j++) {
		int score, dist;
		if (old_taken[j])
			continue;
		dist = j > i ? j - i : i - j;
		score = (old_said[j] ? 0 : 4) +
		    (strcmp(def_kind(old_defs[j] != NULL ? old_defs[j] : ""), kind) == 0 ? 2 : 0) +
		    (dist == 0 ? 1 : 0);
		/* the first best wins: ties go to the nearest, then the earliest */
		if (score > best_score || (score == best_score && best >= 0 &&
		    dist < (best > i ? best - i : i - best))) {
			best = j;
			best_score = score;
		}
	}
	return best;
}

int
plan_match_stages(const struct plan *plan, const char *const *old_ids,
    const char *const *old_defs, int nold, int *new_to_old, struct diags *d)
{
	int n, refused = 0, unnamed_refused = 0, left_old = 0;
	const struct node **u = units_of(plan, &n);
	char **texts = NULL, **ids = unit_ids(plan, u, n, &texts);
	char **defs = xcalloc((size_t)n + 1, sizeof *defs);
	int *taken = xcalloc((size_t)nold + 1, sizeof *taken);
	int *said = xcalloc((size_t)nold + 1, sizeof *said);
	int *bad = xcalloc((size_t)n + 1, sizeof *bad);

	for (int i = 0; i < n; i++) {
		defs[i] = unit_def(plan, u[i]);
		new_to_old[i] = -1;
	}
	/* names first, then texts (an unnamed stage, or one named since) */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			const char *name = unit_name(u[i]);
			const char *want = pass == 0 ? name : texts[i];
			if (new_to_old[i] >= 0 || want == NULL)
				continue;
			for (int j = 0; j < nold; j++) {
				if (taken[j] || old_ids[j] == NULL || strcmp(old_ids[j], want) != 0)
					continue;
				new_to_old[i] = j;
				taken[j] = 1;
				/* a window's state cannot follow a change of its
				 * definition, named or not; nor a stage's a change
				 * of its kind */
				const char *od = old_defs[j] != NULL ? old_defs[j] : "";
				if ((unit_window(u[i]) != NULL && strcmp(od, defs[i]) != 0) ||
				    strcmp(def_kind(od), def_kind(defs[i])) != 0)
					bad[i] = j + 1;
				break;
			}
		}
	}
	for (int j = 0; j < nold; j++)
		left_old += !taken[j];
	for (int i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *kind = def_kind(defs[i]);
		int j;

		if (bad[i] > 0)
			j = bad[i] - 1;
		else if (new_to_old[i] < 0 && left_old > 0)
			j = most_similar(kind, i, taken, said, old_defs, nold);
		else
			continue;
		said[j] = 1;
		describe_change(&sb, old_ids[j] != NULL ? old_ids[j] : "",
		    old_defs[j] != NULL ? old_defs[j] : "", ids[i], defs[i], unit_name(u[i]));
		diag_error(d, plan_stage_span(u[i]), "%s", strbuf_str(&sb));
		strbuf_release(&sb);
		refused++;
		unnamed_refused += unit_name(u[i]) == NULL;
	}
	if (unnamed_refused > 0)
		diag_hint(d, "name the stage with \"as NAME\" to keep its state across edits, "
		    "or start again with --fresh");
	else if (refused > 0)
		diag_hint(d, "a window's state cannot follow a change of its definition or of the "
		    "batch interval: start again with --fresh");
	free_strings(ids, n);
	free_strings(texts, n);
	free_strings(defs, n);
	free(taken);
	free(said);
	free(bad);
	free(u);
	return refused > 0 ? -1 : 0;
}
