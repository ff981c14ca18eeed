/*
 * postgres.c: the postgres("CONNINFO", "TABLE") sink, which upserts a
 * batch's (key, value) pairs into a PostgreSQL table, exactly once; and
 * tables read from a query, table T = postgres("CONNINFO", "SELECT ...").
 *
 * CONNINFO is what libpq takes: "host=h dbname=d user=u password=p" or a
 * postgresql://user:password@host:port/db URI.  Its password is never in
 * a message: they name the server by the string without it.
 *
 * Each worker has one connection (SINK_PER_WORKER), opened when there is
 * none and kept across batches, with a temporary staging table (the
 * table's key and value columns and a row number, emptied at each
 * COMMIT).  A worker writes each of its batch parts in one transaction,
 * sent as one query: BEGIN; COPY of the part's rows into the staging
 * table (text format); one statement that takes the last row of each key
 * (DISTINCT ON, by the key column's own equality), updates the keys the
 * table holds and inserts the others, in the key's order; under a
 * checkpoint the part's row of streamjob_progress(sink, part,
 * batch_time); COMMIT.  Measured against INSERT ... ON CONFLICT DO UPDATE
 * (multi-row, pipelined), it costs the server about half as much: no
 * speculative insertion per row, and the index filled in order
 * (docs/performance.md).  A key that another writer inserts while the
 * part is written fails the insert on the key's unique index: the part
 * is retried, and then updates it.
 *
 * Under a checkpoint the engine gives the sink a fixed number of parts
 * (sink.h: parts).  A part's progress row says which batch it holds; when
 * the job restarts from a checkpoint (sink->recovering), or a connection
 * was lost after a COMMIT it did not see answered, a recomputed batch a
 * part already holds is skipped for that part.  Without a checkpoint there are
 * no progress rows.
 *
 * TABLE may be "schema.name"; each part is quoted as an identifier.  It
 * is created when absent, its columns typed from the first batch: bigint,
 * double precision, text, boolean or jsonb (lists, maps and tuples).  An
 * existing table needs the columns key (its primary key, or unique) and
 * value, of those types or smallint, integer, real, numeric, character
 * varying, character or json.  A value that does not fit its column (2.5
 * for a bigint, a string for a bigint, a number out of an integer
 * column's range, a string longer than a varchar's length or not UTF-8)
 * is found before anything is sent: a record error, and the rest of the
 * part is written.
 *
 * Failures: a connection refused or lost, and a server that is starting,
 * stopping or short of resources, are SINK_RETRY: the engine retries the
 * batch with backoff and the job holds back.  A wrong password, a
 * database that does not exist, a table of another shape, a permission
 * denied are SINK_ERROR: the job fails with the reason.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "lang/plan.h"
#include "runtime/io/sink.h"
#include "runtime/table.h"
#include "stdlib/arena.h"
#include "stdlib/json.h"
#include "stdlib/number.h"
#include "stdlib/strbuf.h"
#include "stdlib/utf8.h"
#include "stdlib/xmalloc.h"

/* Bytes of rows made before they are sent (COPY data). */
#define PG_COPY_CHUNK 65536
/* Seconds a connection may take to be made. */
#define PG_CONNECT_TIMEOUT "5"

/* What a column takes. */
enum col { COL_INT, COL_REAL, COL_TEXT, COL_BOOL, COL_JSON };

struct column {
	enum col kind;
	char type[64];		/* as PostgreSQL writes it: bigint, character varying(8) */
	int64_t min, max;	/* COL_INT: its range */
	int real4;		/* COL_REAL: real (float4) */
	int maxchars;		/* COL_TEXT: varchar(n), char(n): n; 0 */
	int jsonb;		/* COL_JSON: jsonb (no \u0000) */
};

struct pgconn {
	PGconn *c;
	int staged;		/* it has the staging table */
};

struct pg {
	const char *conninfo;
	char *clean;		/* conninfo without its password */
	const char *table;	/* as written */
	char *qtable;		/* each part quoted */
	char *id;		/* the sink's id, its progress rows' */
	int shaped;		/* the columns are known */
	struct column key, val;
	/* exactly-once, under a checkpoint */
	int retried;		/* a write failed in this run */
	int64_t *done;		/* [s->parts]: the batch time each part holds */
	char *has_done;
	char *key_indexes;	/* the unique indexes of key alone, a line each */
	struct strbuf text;	/* a row's key and value, each NUL-terminated */
	struct strbuf copy;	/* rows as COPY takes them, not yet sent */
	struct strbuf sql;
};

/* ---- connections ---- */

static void
no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The first line of libpq's message, without "FATAL:  " and what ends it. */
static void
one_line(char *out, size_t size, const char *msg)
{
	size_t n = 0;

	if (msg == NULL || *msg == '\0')
		msg = "connection lost";
	while (*msg != '\0' && *msg != '\n' && n + 1 < size) {
		if (strncmp(msg, "FATAL:  ", 8) == 0 || strncmp(msg, "ERROR:  ", 8) == 0) {
			msg += 8;
			continue;
		}
		out[n++] = *msg++;
	}
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = '\0';
}

/*
 * A connection to conninfo, or NULL with why set and *transient saying if
 * trying again may help: the server could not be reached, or said it is
 * starting, stopping or full; not a password, user or database it refused.
 */
static PGconn *
pg_connect(const char *conninfo, char *why, size_t whysize, int *transient)
{
	/* Ours first: the connection string may set them otherwise.  A
	 * server that stops answering (not one that closes) is found by the
	 * keepalives and the TCP user timeout, so a write never waits on it
	 * forever. */
	const char *keys[] = { "connect_timeout", "application_name", "client_encoding",
		"keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
		"dbname", NULL };
	const char *vals[] = { PG_CONNECT_TIMEOUT, "streamjob", "UTF8", "30", "10", "3", "60000",
		conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	const char *msg;

	*transient = 0;
	if (c == NULL) {
		snprintf(why, whysize, "cannot connect: out of memory");
		*transient = 1;
		return NULL;
	}
	if (PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, no_notices, NULL);
		return c;
	}
	msg = PQerrorMessage(c);
	if (strstr(msg, "FATAL:") == NULL && strstr(msg, "fe_sendauth") == NULL &&
	    strstr(msg, "SCRAM") == NULL && strstr(msg, "invalid ") == NULL)
		*transient = 1;		/* not reached: refused, timed out, closed */
	else if (strstr(msg, "starting up") != NULL || strstr(msg, "shutting down") != NULL ||
	    strstr(msg, "recovery mode") != NULL || strstr(msg, "too many clients") != NULL ||
	    strstr(msg, "connection slots") != NULL || strstr(msg, "not yet accepting") != NULL)
		*transient = 1;
	snprintf(why, whysize, "cannot connect: ");
	one_line(why + strlen(why), whysize - strlen(why), msg);
	PQfinish(c);
	return NULL;
}

/* Can a statement that failed with SQLSTATE state work when tried again? */
static int
transient_state(const char *state)
{
	if (state == NULL)
		return 1;	/* no answer: the connection went */
	return strncmp(state, "08", 2) == 0 ||	/* connection exception */
	    strncmp(state, "40", 2) == 0 ||	/* serialization, deadlock */
	    strncmp(state, "53", 2) == 0 ||	/* insufficient resources */
	    strncmp(state, "57", 2) == 0 ||	/* shutdown, canceled */
	    strncmp(state, "58", 2) == 0 ||	/* system error (I/O) */
	    strcmp(state, "55P03") == 0 ||	/* lock not available */
	    strcmp(state, "55006") == 0;	/* object in use */
}

/* The result of a statement that failed (r may be NULL): retried when
 * the server or the connection may come back, the job's end otherwise. */
static enum sink_result
stmt_fail(struct sink *s, PGconn *c, PGresult *r, const char *what)
{
	struct pg *q = s->ctx;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];

	if (primary != NULL)
		snprintf(msg, sizeof msg, "%s", primary);
	else
		one_line(msg, sizeof msg, r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c));
	if (PQstatus(c) != CONNECTION_OK || transient_state(state))
		return sink_reason(s, SINK_RETRY, "%s: %s", what, msg);
	return sink_reason(s, SINK_ERROR, "postgres %s: %s: %s", q->clean, what, msg);
}

/* Run sql (no parameters, or params); SINK_OK when it did what it should. */
static enum sink_result
exec_params(struct sink *s, PGconn *c, const char *sql, int n, const char *const *params,
    const char *what, PGresult **out)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	enum sink_result res;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (out != NULL)
			*out = r;
		else
			PQclear(r);
		return SINK_OK;
	}
	res = stmt_fail(s, c, r, what);
	PQclear(r);
	return res;
}

/* ---- columns ---- */

static const char *
col_type_of_value(struct value v)
{
	switch (v.type) {
	case VT_INT: return "bigint";
	case VT_FLOAT: return "double precision";
	case VT_STR: return "text";
	case VT_BOOL: return "boolean";
	default: return "jsonb";
	}
}

/* The column of PostgreSQL type typname (typmod, format_type's text);
 * -1 for a type the sink cannot write. */
static int
column_of(struct column *c, const char *typname, int typmod, const char *formatted)
{
	memset(c, 0, sizeof *c);
	snprintf(c->type, sizeof c->type, "%s", formatted);
	if (strcmp(typname, "int2") == 0) {
		c->kind = COL_INT;
		c->min = -32768;
		c->max = 32767;
	} else if (strcmp(typname, "int4") == 0) {
		c->kind = COL_INT;
		c->min = INT32_MIN;
		c->max = INT32_MAX;
	} else if (strcmp(typname, "int8") == 0) {
		c->kind = COL_INT;
		c->min = INT64_MIN;
		c->max = INT64_MAX;
	} else if (strcmp(typname, "float4") == 0) {
		c->kind = COL_REAL;
		c->real4 = 1;
	} else if (strcmp(typname, "float8") == 0) {
		c->kind = COL_REAL;
	} else if (strcmp(typname, "numeric") == 0) {
		c->kind = COL_REAL;
	} else if (strcmp(typname, "text") == 0 || strcmp(typname, "varchar") == 0 ||
	    strcmp(typname, "bpchar") == 0) {
		c->kind = COL_TEXT;
		c->maxchars = typmod > 4 ? typmod - 4 : 0;
	} else if (strcmp(typname, "bool") == 0) {
		c->kind = COL_BOOL;
	} else if (strcmp(typname, "json") == 0 || strcmp(typname, "jsonb") == 0) {
		c->kind = COL_JSON;
		c->jsonb = strcmp(typname, "jsonb") == 0;
	} else
		return -1;
	return 0;
}

/* Is s[0..n) UTF-8, without NUL bytes?  *chars gets its characters. */
static int
utf8_ok(const char *s, size_t n, size_t *chars)
{
	size_t i = 0, k = 0;

	while (i < n) {
		uint32_t cp;
		int len;
		if ((unsigned char)s[i] < 0x80) {
			if (s[i] == '\0')
				return 0;
			i++;
			k++;
			continue;
		}
		len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (len <= 0)
			return 0;
		i += (size_t)len;
		k++;
	}
	*chars = k;
	return 1;
}

/* Does JSON text hold the escape \u0000 (which jsonb cannot take)? */
static int
json_has_nul(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n && memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
		i++;	/* the escaped character */
	}
	return 0;
}

/*
 * Add v as PostgreSQL's text of a value of column c (NUL-terminated) to
 * q->text: 0; or -1, adding nothing, when it does not fit, with *detail
 * saying why when the type alone does not.
 */
static int
add_text(struct pg *q, const struct column *c, struct value v, const char **detail)
{
	size_t start = q->text.len, chars;
	char num[64];

	*detail = "";
	switch (c->kind) {
	case COL_INT:
		if (v.type != VT_INT)
			return -1;
		if (v.u.i < c->min || v.u.i > c->max) {
			*detail = " (out of its range)";
			return -1;
		}
		snprintf(num, sizeof num, "%lld", (long long)v.u.i);
		strbuf_adds(&q->text, num);
		break;
	case COL_REAL:
		if (v.type == VT_INT)
			snprintf(num, sizeof num, "%lld", (long long)v.u.i);
		else if (v.type == VT_FLOAT) {
			double d = v.u.d;
			if (c->real4 && ((isinf((float)d) && !isinf(d)) || ((float)d == 0 && d != 0))) {
				*detail = " (out of its range)";
				return -1;
			}
			if (isnan(d))
				snprintf(num, sizeof num, "NaN");
			else if (isinf(d))
				snprintf(num, sizeof num, "%sInfinity", d < 0 ? "-" : "");
			else
				number_format_double(num, d);
		} else
			return -1;
		strbuf_adds(&q->text, num);
		break;
	case COL_TEXT:
		if (v.type != VT_STR)
			return -1;
		if (!utf8_ok(v.u.s, v.n, &chars)) {
			*detail = " (not UTF-8, or a NUL byte)";
			return -1;
		}
		if (c->maxchars > 0 && chars > (size_t)c->maxchars) {
			*detail = " (too long)";
			return -1;
		}
		strbuf_add(&q->text, v.u.s, v.n);
		break;
	case COL_BOOL:
		if (v.type != VT_BOOL)
			return -1;
		strbuf_adds(&q->text, v.u.i ? "t" : "f");
		break;
	case COL_JSON:
		if (v.type == VT_REGEX)
			return -1;
		/* JSON text is UTF-8 (bytes that are not come out as
		 * U+FFFD) with control characters escaped: jsonb refuses
		 * only the escape \u0000. */
		value_format_json(&q->text, v);
		if (c->jsonb && json_has_nul(q->text.data + start, q->text.len - start)) {
			q->text.len = start;
			*detail = " (a NUL character, which jsonb cannot hold)";
			return -1;
		}
		break;
	}
	strbuf_addc(&q->text, '\0');
	return 0;
}

static const char *
article(const char *word)
{
	return strchr("aeiou", word[0]) != NULL ? "an" : "a";
}

static void
misfit(struct sink *s, const struct sink_batch *b, struct value e, const char *col,
    const struct column *c, struct value v, const char *detail)
{
	struct pg *q = s->ctx;
	char reason[512];
	const char *type = v.type == VT_NULL ? "null" : value_type_name(v);

	snprintf(reason, sizeof reason, "postgres %s: %s %s does not fit the %s column %s of table %s%s",
	    q->clean, article(type), type, c->type, col, q->table, detail);
	sink_record_error(s, b, reason, e);
}

/* ---- the sink ---- */

/* "a.b" quoted as "a"."b"; a name without a dot as "name". */
static char *
quote_table(const char *t)
{
	struct strbuf sb = STRBUF_INIT;
	const char *dot = strchr(t, '.');

	for (int part = 0; part < (dot != NULL ? 2 : 1); part++) {
		const char *p = part == 0 ? t : dot + 1;
		const char *end = part == 0 && dot != NULL ? dot : p + strlen(p);
		if (part > 0)
			strbuf_addc(&sb, '.');
		strbuf_addc(&sb, '"');
		for (; p < end; p++) {
			if (*p == '"')
				strbuf_addc(&sb, '"');
			strbuf_addc(&sb, *p);
		}
		strbuf_addc(&sb, '"');
	}
	return strbuf_detach(&sb);
}

static enum sink_result
pg_init(struct sink *s)
{
	struct pg *q = xcalloc(1, sizeof *q);
	char *err = NULL;
	PQconninfoOption *opts;

	s->ctx = q;
	q->conninfo = s->stage->args[0].s;
	q->table = s->stage->args[1].s;
	q->clean = plan_scrubbed(q->conninfo);
	q->qtable = quote_table(q->table);
	q->id = plan_sink_id(s->node);
	q->text = (struct strbuf)STRBUF_INIT;
	q->copy = (struct strbuf)STRBUF_INIT;
	q->sql = (struct strbuf)STRBUF_INIT;
	s->label = xasprintf("postgres %s", q->clean);
	opts = PQconninfoParse(q->conninfo, &err);
	if (opts == NULL) {
		/* libpq's message may quote a piece of the string: only an
		 * option's name is shown. */
		const char *why = err != NULL && strncmp(err, "invalid connection option", 25) == 0 ?
		    err : "not a connection string: key=value pairs or a postgresql:// URI";
		char line[256];
		one_line(line, sizeof line, why);
		PQfreemem(err);
		return sink_reason(s, SINK_ERROR, "postgres %s: %s", q->clean, line);
	}
	PQconninfoFree(opts);
	if (q->table[0] == '\0' || q->table[0] == '.' || q->table[strlen(q->table) - 1] == '.')
		return sink_reason(s, SINK_ERROR, "postgres %s: \"%s\" is not a table name: name or schema.name",
		    q->clean, q->table);
	return SINK_OK;
}

/* The batch times the store holds for this sink's parts. */
static enum sink_result
read_progress(struct sink *s, PGconn *c)
{
	struct pg *q = s->ctx;
	const char *params[1] = { q->id };
	PGresult *r = NULL;
	enum sink_result res;

	if (q->done == NULL) {
		q->done = xcalloc((size_t)s->parts, sizeof *q->done);
		q->has_done = xcalloc((size_t)s->parts, 1);
	}
	res = exec_params(s, c, "SELECT to_regclass('streamjob_progress') IS NOT NULL", 0, NULL,
	    "reading its progress", &r);
	if (res != SINK_OK)
		return res;
	int exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return SINK_OK;
	res = exec_params(s, c, "SELECT part, batch_time FROM streamjob_progress WHERE sink = $1",
	    1, params, "reading its progress", &r);
	if (res != SINK_OK)
		return res;
	for (int i = 0; i < PQntuples(r); i++) {
		long part = strtol(PQgetvalue(r, i, 0), NULL, 10);
		if (part < 0 || part >= s->parts)
			continue;
		q->done[part] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		q->has_done[part] = 1;
	}
	PQclear(r);
	return SINK_OK;
}

static enum sink_result
pg_open(struct sink *s, int worker, void **conn)
{
	struct pg *q = s->ctx;
	struct pgconn *pc;
	char why[512];
	int transient;
	PGconn *c;
	enum sink_result r;

	(void)worker;
	c = pg_connect(q->conninfo, why, sizeof why, &transient);
	if (c == NULL) {
		if (transient)
			return sink_reason(s, SINK_RETRY, "%s", why);
		return sink_reason(s, SINK_ERROR, "postgres %s: %s", q->clean, why);
	}
	if (s->parts > 0 && (r = read_progress(s, c)) != SINK_OK) {
		PQfinish(c);
		return r;
	}
	pc = xcalloc(1, sizeof *pc);
	pc->c = c;
	*conn = pc;
	return SINK_OK;
}

static void
pg_close(struct sink *s, void *conn)
{
	struct pgconn *pc = conn;

	(void)s;
	if (pc == NULL)
		return;
	PQfinish(pc->c);
	free(pc);
}

/* The first key and the first value that is not null, of every pair of
 * the batch: the types of a new table's columns. */
static void
first_types(const struct sink_batch *b, const char **k, const char **v)
{
	*k = *v = NULL;
	for (int p = 0; p < b->nparts && (*k == NULL || *v == NULL); p++)
		for (size_t i = 0; i < b->parts[p].n && (*k == NULL || *v == NULL); i++) {
			struct value e = b->parts[p].v[i];
			if (e.type != VT_TUPLE || e.n != 2)
				continue;
			if (*k == NULL && e.u.items[0].type != VT_NULL)
				*k = col_type_of_value(e.u.items[0]);
			if (*v == NULL && e.u.items[1].type != VT_NULL)
				*v = col_type_of_value(e.u.items[1]);
		}
	if (*k == NULL)
		*k = "text";
	if (*v == NULL)
		*v = "text";
}

/* The table's columns, in a transaction of their own: created from the
 * batch's first pair when absent, checked when present; and, under a
 * checkpoint, streamjob_progress created when absent. */
static enum sink_result
shape_table(struct sink *s, PGconn *c, const struct sink_batch *b)
{
	struct pg *q = s->ctx;
	const char *params[1] = { q->qtable };
	PGresult *r = NULL;
	enum sink_result res;
	int has_key = 0, has_val = 0, created = 0, n;
	char *sql;

	if ((res = exec_params(s, c, "BEGIN", 0, NULL, "beginning a transaction", NULL)) != SINK_OK)
		return res;
	/* Two jobs creating the same table wait for each other. */
	res = exec_params(s, c, "SELECT pg_advisory_xact_lock(hashtext('streamjob ' || $1))", 1,
	    params, "locking the table's creation", NULL);
	if (res != SINK_OK)
		goto fail;
read:
	res = exec_params(s, c,
	    "SELECT a.attname, t.typname, a.atttypmod, format_type(a.atttypid, a.atttypmod), "
	    "(SELECT string_agg(c.relname, E'\\n') FROM pg_index i "
	    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = a.attrelid "
	    "AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum "
	    "AND i.indpred IS NULL AND i.indexprs IS NULL) "
	    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
	    "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
	    1, params, "reading the table's columns", &r);
	if (res != SINK_OK)
		goto fail;
	n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		const char *name = PQgetvalue(r, i, 0);
		int is_key = strcmp(name, "key") == 0;
		if (!is_key && strcmp(name, "value") != 0)
			continue;
		struct column *col = is_key ? &q->key : &q->val;
		if (column_of(col, PQgetvalue(r, i, 1), atoi(PQgetvalue(r, i, 2)),
		    PQgetvalue(r, i, 3)) != 0) {
			res = sink_reason(s, SINK_ERROR,
			    "postgres %s: table %s has a %s column %s; the sink writes bigint, integer, smallint, double precision, real, numeric, text, character varying, boolean, json or jsonb",
			    q->clean, q->table, PQgetvalue(r, i, 3), name);
			goto fail;
		}
		if (is_key) {
			has_key = 1;
			free(q->key_indexes);
			q->key_indexes = PQgetisnull(r, i, 4) ? NULL : xstrdup(PQgetvalue(r, i, 4));
		} else
			has_val = 1;
	}
	PQclear(r);
	r = NULL;
	if ((n > 0 || created) && (!has_key || !has_val)) {
		res = sink_reason(s, SINK_ERROR,
		    "postgres %s: table %s exists without the columns key and value it needs",
		    q->clean, q->table);
		goto fail;
	}
	if (n > 0 && q->key_indexes == NULL) {
		res = sink_reason(s, SINK_ERROR,
		    "postgres %s: table %s cannot take upserts: its key column must be its primary key or unique",
		    q->clean, q->table);
		goto fail;
	}
	if (n == 0 && !created) {
		const char *k, *v;
		first_types(b, &k, &v);
		sql = xasprintf("CREATE TABLE %s (key %s PRIMARY KEY, value %s)", q->qtable, k, v);
		res = exec_params(s, c, sql, 0, NULL, "creating the table", NULL);
		free(sql);
		if (res != SINK_OK)
			goto fail;
		created = 1;
		goto read;	/* its columns and index as the server has them */
	}
	if (s->parts > 0) {
		res = exec_params(s, c, "CREATE TABLE IF NOT EXISTS streamjob_progress ("
		    "sink text NOT NULL, part integer NOT NULL, batch_time bigint NOT NULL, "
		    "PRIMARY KEY (sink, part))", 0, NULL, "creating streamjob_progress", NULL);
		if (res != SINK_OK)
			goto fail;
	}
	if ((res = exec_params(s, c, "COMMIT", 0, NULL, "committing the table", NULL)) != SINK_OK)
		return res;
	q->shaped = 1;
	return SINK_OK;
fail:
	PQclear(r);
	if (PQstatus(c) == CONNECTION_OK)
		PQclear(PQexec(c, "ROLLBACK"));
	return res;
}

/* The connection's staging table, pg_temp.streamjob_rows (n, key, value):
 * the table's key and value columns (their types and collations) and each
 * row's place in its part; emptied at every COMMIT. */
static enum sink_result
stage(struct sink *s, struct pgconn *pc)
{
	struct pg *q = s->ctx;
	char *sql = xasprintf("CREATE TEMPORARY TABLE streamjob_rows ON COMMIT DELETE ROWS AS "
	    "SELECT 0::bigint AS n, key, value FROM %s WITH NO DATA", q->qtable);
	enum sink_result res = exec_params(s, pc->c, sql, 0, NULL, "writing", NULL);

	free(sql);
	if (res == SINK_OK)
		pc->staged = 1;
	return res;
}

/* s[0..n) as a field of COPY's text format. */
static void
copy_field(struct strbuf *out, const char *s, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i < n; i++) {
		char esc;
		switch (s[i]) {
		case '\\': esc = '\\'; break;
		case '\t': esc = 't'; break;
		case '\n': esc = 'n'; break;
		case '\r': esc = 'r'; break;
		default: continue;
		}
		strbuf_add(out, s + from, i - from);
		strbuf_addc(out, '\\');
		strbuf_addc(out, esc);
		from = i + 1;
	}
	strbuf_add(out, s + from, n - from);
}

/*
 * The part's statements after its rows are copied: the rows upserted from
 * the staging table, the last of a key winning (DISTINCT ON, by the key's
 * own equality), in the key's order (the index is then filled in order);
 * the part's progress row; COMMIT.  One statement updates the keys the
 * table holds and inserts the others, both from one snapshot; a key that
 * another writer inserts meanwhile is a unique violation, retried.
 */
static const char *
part_sql(struct sink *s, PGconn *c, int p, int64_t time)
{
	struct pg *q = s->ctx;

	strbuf_reset(&q->sql);
	strbuf_addf(&q->sql,
	    "BEGIN; COPY pg_temp.streamjob_rows (n, key, value) FROM STDIN; "
	    "WITH src AS (SELECT DISTINCT ON (key) key, value FROM pg_temp.streamjob_rows "
	    "ORDER BY key, n DESC), "
	    "upd AS (UPDATE %s AS t SET value = src.value FROM src WHERE t.key = src.key "
	    "RETURNING t.key) "
	    "INSERT INTO %s (key, value) SELECT key, value FROM src "
	    "WHERE NOT EXISTS (SELECT 1 FROM upd WHERE upd.key = src.key); ",
	    q->qtable, q->qtable);
	if (s->parts > 0) {
		char *id = PQescapeLiteral(c, q->id, strlen(q->id));
		if (id == NULL)
			return NULL;
		strbuf_addf(&q->sql, "INSERT INTO streamjob_progress (sink, part, batch_time) "
		    "VALUES (%s, %d, %lld) ON CONFLICT (sink, part) DO UPDATE SET batch_time = "
		    "excluded.batch_time; ", id, p, (long long)time);
		PQfreemem(id);
	}
	strbuf_adds(&q->sql, "COMMIT");
	return strbuf_str(&q->sql);
}

/* Is name a line of list? */
static int
name_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* A failed statement of a part: a unique violation of the key's index is
 * another writer's row inserted meanwhile, and retried. */
static enum sink_result
part_fail(struct sink *s, PGconn *c, PGresult *r)
{
	struct pg *q = s->ctx;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *index = r != NULL ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *primary = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state != NULL && strcmp(state, "23505") == 0 && index != NULL && primary != NULL &&
	    q->key_indexes != NULL && name_listed(q->key_indexes, index))
		return sink_reason(s, SINK_RETRY, "writing: %s (another writer inserted a key of the batch)",
		    primary);
	return stmt_fail(s, c, r, "writing");
}

/* Send q->copy's rows, and empty it. */
static int
copy_out(struct pg *q, PGconn *c)
{
	int ok = q->copy.len == 0 || PQputCopyData(c, q->copy.data, (int)q->copy.len) == 1;

	strbuf_reset(&q->copy);
	return ok;
}

/*
 * One part of a batch in one transaction, as one query: BEGIN, its rows
 * copied into the staging table (COPY's text format, sent as they are
 * made), the upsert from it, its progress row, COMMIT.  After a failure
 * the engine closes the connection: the transaction left open goes with
 * it.
 */
static enum sink_result
write_part(struct sink *s, struct pgconn *pc, struct sink_batch *b, int p)
{
	struct pg *q = s->ctx;
	const struct sink_part *part = &b->parts[p];
	PGconn *c = pc->c;
	enum sink_result res = SINK_OK;
	const char *detail, *sql;
	PGresult *r;
	char num[32];

	if ((sql = part_sql(s, c, p, b->time)) == NULL || !PQsendQuery(c, sql))
		return stmt_fail(s, c, NULL, "writing");
	/* BEGIN's result, then COPY's call for rows. */
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COPY_IN) {
			PQclear(r);
			break;
		}
		if (st != PGRES_COMMAND_OK) {
			res = stmt_fail(s, c, r, "writing");
			PQclear(r);
			while ((r = PQgetResult(c)) != NULL)
				PQclear(r);
			return res;
		}
		PQclear(r);
	}
	if (r == NULL)
		return stmt_fail(s, c, NULL, "writing");
	strbuf_reset(&q->copy);
	for (size_t i = 0; i < part->n; i++) {
		struct value e = part->v[i], k, v;
		size_t vstart;
		if (e.type != VT_TUPLE || e.n != 2) {
			char reason[300];
			snprintf(reason, sizeof reason, "postgres %s: not a (key, value) pair", q->clean);
			sink_record_error(s, b, reason, e);
			continue;
		}
		k = e.u.items[0];
		v = e.u.items[1];
		strbuf_reset(&q->text);
		if (k.type == VT_NULL || add_text(q, &q->key, k, &detail) != 0) {
			misfit(s, b, e, "key", &q->key, k, k.type == VT_NULL ? "" : detail);
			continue;
		}
		vstart = q->text.len;
		if (v.type != VT_NULL && add_text(q, &q->val, v, &detail) != 0) {
			misfit(s, b, e, "value", &q->val, v, detail);
			continue;
		}
		snprintf(num, sizeof num, "%zu\t", i);
		strbuf_adds(&q->copy, num);
		copy_field(&q->copy, q->text.data, vstart - 1);
		strbuf_addc(&q->copy, '\t');
		if (v.type == VT_NULL)
			strbuf_adds(&q->copy, "\\N");
		else
			copy_field(&q->copy, q->text.data + vstart, q->text.len - vstart - 1);
		strbuf_addc(&q->copy, '\n');
		if (q->copy.len >= PG_COPY_CHUNK && !copy_out(q, c))
			return stmt_fail(s, c, NULL, "writing");
	}
	if (!copy_out(q, c) || PQputCopyEnd(c, NULL) != 1)
		return stmt_fail(s, c, NULL, "writing");
	/* The results of COPY, the upsert, the progress row and COMMIT;
	 * the first failure decides. */
	while ((r = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (res == SINK_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			res = part_fail(s, c, r);
		PQclear(r);
	}
	if (res == SINK_OK && PQstatus(c) != CONNECTION_OK)
		res = stmt_fail(s, c, NULL, "writing");
	if (res != SINK_OK)
		return res;
	if (s->parts > 0) {
		q->done[p] = b->time;
		q->has_done[p] = 1;
	}
	return SINK_OK;
}

static enum sink_result
pg_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct pg *q = s->ctx;
	struct pgconn *pc = conn;
	enum sink_result res;

	if (!q->shaped && (res = shape_table(s, pc->c, b)) != SINK_OK)
		goto out;
	if (!pc->staged && (res = stage(s, pc)) != SINK_OK)
		goto out;
	res = SINK_OK;
	for (int p = worker; p < b->nparts; p += s->nconns) {
		if (b->parts[p].n == 0)
			continue;
		/* Stored before a crash, or before a connection was lost
		 * with the COMMIT's answer: not again. */
		if (s->parts > 0 && q->has_done[p] && b->time <= q->done[p] &&
		    (s->recovering || q->retried))
			continue;
		if ((res = write_part(s, pc, b, p)) != SINK_OK)
			break;
	}
out:
	if (res == SINK_RETRY)
		q->retried = 1;
	return res;
}

static void
pg_free(struct sink *s)
{
	struct pg *q = s->ctx;

	if (q == NULL)
		return;
	strbuf_release(&q->text);
	strbuf_release(&q->sql);
	strbuf_release(&q->copy);
	free(q->key_indexes);
	free(q->done);
	free(q->has_done);
	free(q->clean);
	free(q->qtable);
	free(q->id);
	free(q);
}

const struct sink_desc sink_postgres = {
	.name = "postgres",
	.flags = SINK_EXACTLY_ONCE | SINK_PER_WORKER,
	.recovered = "connected; batch stored",
	.init = pg_init,
	.open = pg_open,
	.write = pg_write,
	.close = pg_close,
	.free = pg_free,
};

/* ---- tables: table NAME = postgres("CONNINFO", "SELECT ..." [, every=10s]) ---- */

/* PostgreSQL's type OIDs (pg_type.dat), which never change. */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700
#define OID_JSONB 3802

static struct value
field_value(struct arena *a, PGresult *r, int row, int col)
{
	const char *text;
	size_t n;
	struct value v;
	char *end;

	if (PQgetisnull(r, row, col))
		return value_null();
	text = PQgetvalue(r, row, col);
	n = (size_t)PQgetlength(r, row, col);
	switch (PQftype(r, col)) {
	case OID_INT2: case OID_INT4: case OID_INT8:
		return value_int(strtoll(text, NULL, 10));
	case OID_FLOAT4: case OID_FLOAT8:
		return value_float(strtod(text, NULL));
	case OID_NUMERIC: {
		/* an integer when it has no fraction and fits, else a double */
		long long i;
		if (strchr(text, '.') == NULL && strchr(text, 'N') == NULL &&
		    strchr(text, 'I') == NULL) {
			errno = 0;
			i = strtoll(text, &end, 10);
			if (errno == 0 && *end == '\0')
				return value_int(i);
		}
		return value_float(strtod(text, NULL));
	}
	case OID_BOOL:
		return value_bool(text[0] == 't');
	case OID_JSON: case OID_JSONB:
		if (json_decode(a, text, n, &v) == 0)
			return v;
		break;
	default:
		break;
	}
	return value_str_copy(a, text, n);
}

/* Run a table's query, whole, into a new version (registry.h). */
struct table *postgres_table_read(const struct table_def *, char **err);

struct table *
postgres_table_read(const struct table_def *def, char **err)
{
	char *clean = plan_scrubbed(def->target), *store;
	char why[512], msg[400];
	int transient, ncols;
	struct table *t = NULL;
	PGresult *r = NULL;
	PGconn *c;

	c = pg_connect(def->target, why, sizeof why, &transient);
	if (c == NULL) {
		*err = xasprintf("table %s: postgres %s: %s", def->name, clean, why);
		goto out;
	}
	/* Read only: the query is a read, nothing else. */
	PQclear(PQexec(c, "SET default_transaction_read_only = on"));
	r = PQexecParams(c, def->query, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		if (primary != NULL)
			snprintf(msg, sizeof msg, "%s", primary);
		else if (PQresultStatus(r) == PGRES_COMMAND_OK)
			snprintf(msg, sizeof msg, "the query gives no rows: a table takes a SELECT");
		else
			one_line(msg, sizeof msg, PQerrorMessage(c));
		*err = xasprintf("table %s: postgres %s: %s", def->name, clean, msg);
		goto out;
	}
	ncols = PQnfields(r);
	store = xasprintf("postgres %s", clean);
	t = table_version_of_query(def->name, store, ncols, err);
	free(store);
	if (t == NULL)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		struct value k = field_value(t->arena, r, i, 0);
		struct value v = ncols == 2 ? field_value(t->arena, r, i, 1) : value_bool(1);
		table_version_put(t, k, v);
	}
out:
	PQclear(r);
	PQfinish(c);
	free(clean);
	return t;
}
