/*
 * sqlite.c: the sqlite("PATH", "TABLE") sink, which upserts a batch's
 * (key, value) pairs into an SQLite table, exactly once; and tables read
 * from an SQLite file, table T = sqlite("PATH", "SELECT ...").
 *
 * The sink keeps one connection (SQLite has one writer at a time, so
 * more would only wait for each other), in WAL journal mode so readers
 * never block it nor it them.  Each batch is one transaction: BEGIN
 * IMMEDIATE, one prepared upsert per pair, and the batch's time recorded
 * in streamjob_progress(sink, part, batch_time) for this sink (its id,
 * plan_sink_id) and part 0; COMMIT is the sink's commit.  After a restart
 * from a checkpoint (sink->recovering), a recomputed batch whose time is
 * at or before the recorded one is already in the file and is skipped.
 *
 * TABLE is created when absent, its key and value columns typed from the
 * first pair of the first batch: INTEGER, REAL, TEXT, BOOLEAN (stored as
 * 0 or 1) or JSON (lists, maps and tuples, stored as JSON text).  A value
 * that does not fit its column's type (2.5 for an INTEGER column) is a
 * record error; the rest of the batch is written.  An existing table
 * needs the columns key (its primary key, or unique) and value.
 *
 * Another connection holding the file (BEGIN EXCLUSIVE) makes a write
 * wait up to the busy timeout, then SINK_RETRY: the engine retries the
 * batch with backoff and the job holds back.  A file that cannot be
 * opened or written, or a table of another shape, is SINK_ERROR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "lang/plan.h"
#include "runtime/io/sink.h"
#include "runtime/table.h"
#include "stdlib/arena.h"
#include "stdlib/json.h"
#include "stdlib/strbuf.h"
#include "stdlib/xmalloc.h"

/* How long a statement waits for another connection's lock before the
 * batch is retried (the engine's backoff, and its reports, take over). */
#define SQ_BUSY_MS 1000
/* The page cache of the sink's connection, in KiB (an upper bound: pages
 * are allocated as used). */
#define SQ_CACHE_KIB "131072"
/* A table's read waits this long for a writer's lock, then fails. */
#define SQ_READ_BUSY_MS 2000

/* What a column takes. */
enum col { COL_NONE, COL_ANY, COL_INTEGER, COL_REAL, COL_TEXT, COL_BOOLEAN, COL_JSON };

static const char *const col_names[] = {
	[COL_NONE] = "?", [COL_ANY] = "untyped", [COL_INTEGER] = "INTEGER", [COL_REAL] = "REAL",
	[COL_TEXT] = "TEXT", [COL_BOOLEAN] = "BOOLEAN", [COL_JSON] = "JSON",
};

/* A pair to upsert, and its place in the batch. */
struct row {
	const struct value *e;
	size_t ord;
};

struct sq {
	const char *path, *table;
	char *id;			/* the sink's id, its progress row's */
	char *qtable;			/* TABLE quoted as an identifier */
	sqlite3 *db;
	sqlite3_stmt *upsert, *progress;
	int shaped;			/* the table's columns are known */
	enum col key, val;
	int in_tx;
	/* exactly-once */
	int64_t done;			/* the batch time the file holds */
	int have_done;
	int skipped;			/* the batch being written was */
	struct strbuf json;
	struct row *rows;		/* a batch's pairs, to sort; kept */
	size_t rows_cap;
};

static enum col
col_of_value(struct value v)
{
	switch (v.type) {
	case VT_INT: return COL_INTEGER;
	case VT_FLOAT: return COL_REAL;
	case VT_STR: return COL_TEXT;
	case VT_BOOL: return COL_BOOLEAN;
	case VT_NULL: return COL_NONE;
	default: return COL_JSON;
	}
}

/* The kind of a declared column type, by SQLite's own rules of affinity
 * with BOOLEAN and JSON told apart. */
static enum col
col_of_decl(const char *decl)
{
	if (decl == NULL || *decl == '\0')
		return COL_ANY;
	if (strcasestr(decl, "BOOL") != NULL)
		return COL_BOOLEAN;
	if (strcasestr(decl, "JSON") != NULL)
		return COL_JSON;
	if (strcasestr(decl, "INT") != NULL)
		return COL_INTEGER;
	if (strcasestr(decl, "CHAR") != NULL || strcasestr(decl, "CLOB") != NULL ||
	    strcasestr(decl, "TEXT") != NULL)
		return COL_TEXT;
	if (strcasestr(decl, "REAL") != NULL || strcasestr(decl, "FLOA") != NULL ||
	    strcasestr(decl, "DOUB") != NULL)
		return COL_REAL;
	return COL_ANY;
}

static int
fits(enum col c, struct value v)
{
	switch (c) {
	case COL_INTEGER: return v.type == VT_INT;
	case COL_REAL: return v.type == VT_INT || v.type == VT_FLOAT;
	case COL_TEXT: return v.type == VT_STR;
	case COL_BOOLEAN: return v.type == VT_BOOL;
	default: return v.type != VT_REGEX;
	}
}

static char *
quote_ident(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addc(&sb, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			strbuf_addc(&sb, '"');
		strbuf_addc(&sb, *s);
	}
	strbuf_addc(&sb, '"');
	return strbuf_detach(&sb);
}

/* A failure of the database: retried when another connection holds it,
 * the job's end otherwise (then named with the file, as the job's last
 * words). */
static enum sink_result
db_fail(struct sink *s, int rc, const char *what)
{
	struct sq *q = s->ctx;
	const char *msg = q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		return sink_reason(s, SINK_RETRY, "%s: %s", what, msg);
	default:
		return sink_reason(s, SINK_ERROR, "sqlite %s: %s: %s", q->path, what, msg);
	}
}

static enum sink_result
exec_sql(struct sink *s, const char *sql, const char *what)
{
	struct sq *q = s->ctx;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SINK_OK : db_fail(s, rc, what);
}

static enum sink_result
sq_init(struct sink *s)
{
	struct sq *q = xcalloc(1, sizeof *q);

	q->path = s->stage->args[0].s;
	q->table = s->stage->args[1].s;
	q->id = plan_sink_id(s->node);
	q->qtable = quote_ident(q->table);
	q->json = (struct strbuf)STRBUF_INIT;
	s->ctx = q;
	s->label = xasprintf("sqlite %s", q->path);
	return SINK_OK;
}

static void
sq_close(struct sink *s, void *conn)
{
	struct sq *q = s->ctx;

	(void)conn;
	if (q->in_tx && q->db != NULL)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->in_tx = 0;
	sqlite3_finalize(q->upsert);
	sqlite3_finalize(q->progress);
	q->upsert = q->progress = NULL;
	sqlite3_close(q->db);
	q->db = NULL;
	q->shaped = 0;
}

/* The batch time the file holds for this sink, if it holds one. */
static enum sink_result
read_progress(struct sink *s)
{
	struct sq *q = s->ctx;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(q->db,
	    "SELECT batch_time FROM streamjob_progress WHERE sink = ?1 AND part = 0", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* No such table yet: nothing was written. */
		if ((rc & 0xff) == SQLITE_ERROR)
			return SINK_OK;
		return db_fail(s, rc, "reading its progress");
	}
	sqlite3_bind_text(st, 1, q->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		q->done = sqlite3_column_int64(st, 0);
		q->have_done = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, rc, "reading its progress");
	return SINK_OK;
}

static enum sink_result
open_db(struct sink *s)
{
	struct sq *q = s->ctx;
	int rc;

	rc = sqlite3_open_v2(q->path, &q->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		enum sink_result r = sink_reason(s, SINK_ERROR, "sqlite %s: cannot open: %s", q->path,
		    q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		sqlite3_close(q->db);
		q->db = NULL;
		return r;
	}
	if (sqlite3_db_readonly(q->db, "main") == 1)
		return sink_reason(s, SINK_ERROR, "sqlite %s: cannot write: the file is read-only",
		    q->path);
	sqlite3_busy_timeout(q->db, SQ_BUSY_MS);
	/* A batch of a million keys fits the page cache: pages are written
	 * once, at the commit, not spilled to the log during the batch. */
	sqlite3_exec(q->db, "PRAGMA cache_size=-" SQ_CACHE_KIB, NULL, NULL, NULL);
	if (exec_sql(s, "PRAGMA journal_mode=WAL", "setting WAL mode") != SINK_OK)
		return db_fail(s, sqlite3_extended_errcode(q->db), "setting WAL mode");
	return read_progress(s);
}

static enum sink_result
sq_open(struct sink *s, int worker, void **conn)
{
	struct sq *q = s->ctx;
	enum sink_result r = open_db(s);

	(void)worker;
	if (r != SINK_OK) {
		/* The engine closes a connection only once it opened. */
		sq_close(s, q);
		return r;
	}
	*conn = q;
	return SINK_OK;
}

/* The table's shape, inside the batch's transaction: created from the
 * batch's first pair when absent, checked when present. */
static enum sink_result
shape_table(struct sink *s, const struct sink_batch *b)
{
	struct sq *q = s->ctx;
	sqlite3_stmt *st = NULL;
	char *sql;
	int rc, has_key = 0, has_val = 0, key_pk = 0, ncols = 0;
	enum sink_result r = SINK_OK;

	sql = xasprintf("PRAGMA table_info(%s)", q->qtable);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "reading the table's columns");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *decl = (const char *)sqlite3_column_text(st, 2);
		ncols++;
		if (name != NULL && strcasecmp(name, "key") == 0) {
			has_key = 1;
			q->key = col_of_decl(decl);
			key_pk = sqlite3_column_int(st, 5) != 0;
		} else if (name != NULL && strcasecmp(name, "value") == 0) {
			has_val = 1;
			q->val = col_of_decl(decl);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, rc, "reading the table's columns");
	if (ncols > 0 && (!has_key || !has_val))
		return sink_reason(s, SINK_ERROR,
		    "sqlite %s: table %s exists without the columns key and value it needs", q->path,
		    q->table);
	if (ncols == 0) {
		enum col k = COL_NONE, v = COL_NONE;
		for (int p = 0; p < b->nparts && (k == COL_NONE || v == COL_NONE); p++)
			for (size_t i = 0; i < b->parts[p].n && (k == COL_NONE || v == COL_NONE); i++) {
				struct value e = b->parts[p].v[i];
				if (e.type != VT_TUPLE || e.n != 2)
					continue;
				if (k == COL_NONE)
					k = col_of_value(e.u.items[0]);
				if (v == COL_NONE)
					v = col_of_value(e.u.items[1]);
			}
		q->key = k == COL_NONE ? COL_TEXT : k;
		q->val = v == COL_NONE ? COL_TEXT : v;
		sql = xasprintf("CREATE TABLE %s (key %s PRIMARY KEY, value %s)", q->qtable,
		    col_names[q->key], col_names[q->val]);
		r = exec_sql(s, sql, "creating the table");
		free(sql);
		if (r != SINK_OK)
			return r;
		key_pk = 1;
	}
	(void)key_pk;	/* a unique index does as well; the upsert says if neither */
	sql = xasprintf("INSERT INTO %s (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", q->qtable);
	rc = sqlite3_prepare_v2(q->db, sql, -1, &q->upsert, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_ERROR)
			return sink_reason(s, SINK_ERROR,
			    "sqlite %s: table %s cannot take upserts: %s (its key column must be its primary key or unique)",
			    q->path, q->table, sqlite3_errmsg(q->db));
		return db_fail(s, rc, "preparing the upsert");
	}
	r = exec_sql(s, "CREATE TABLE IF NOT EXISTS streamjob_progress (sink TEXT NOT NULL, "
	    "part INTEGER NOT NULL, batch_time INTEGER NOT NULL, PRIMARY KEY (sink, part))",
	    "creating streamjob_progress");
	if (r != SINK_OK)
		return r;
	rc = sqlite3_prepare_v2(q->db, "INSERT INTO streamjob_progress (sink, part, batch_time) "
	    "VALUES (?1, 0, ?2) ON CONFLICT (sink, part) DO UPDATE SET batch_time = excluded.batch_time",
	    -1, &q->progress, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "preparing the progress record");
	q->shaped = 1;
	return SINK_OK;
}

static void
bind_value(struct sq *q, sqlite3_stmt *st, int i, enum col c, struct value v)
{
	switch (v.type) {
	case VT_NULL:
		sqlite3_bind_null(st, i);
		return;
	case VT_INT:
		if (c != COL_JSON) {
			sqlite3_bind_int64(st, i, v.u.i);
			return;
		}
		break;
	case VT_FLOAT:
		if (c != COL_JSON) {
			sqlite3_bind_double(st, i, v.u.d);
			return;
		}
		break;
	case VT_BOOL:
		if (c != COL_JSON) {
			sqlite3_bind_int(st, i, v.u.i != 0);
			return;
		}
		break;
	case VT_STR:
		if (c != COL_JSON) {
			sqlite3_bind_text(st, i, v.n > 0 ? v.u.s : "", (int)v.n, SQLITE_STATIC);
			return;
		}
		break;
	default:
		break;
	}
	strbuf_reset(&q->json);
	value_format_json(&q->json, v);
	sqlite3_bind_text(st, i, strbuf_str(&q->json), (int)q->json.len, SQLITE_TRANSIENT);
}

static void
misfit(struct sink *s, const struct sink_batch *b, struct value e, const char *col, enum col c,
    struct value v)
{
	struct sq *q = s->ctx;
	char reason[256];
	const char *type = value_type_name(v);

	snprintf(reason, sizeof reason, "sqlite %s: %s %s does not fit the %s column %s of table %s",
	    q->path, strchr("aeiou", type[0]) != NULL ? "an" : "a", type, col_names[c], col, q->table);
	sink_record_error(s, b, reason, e);
}

/* The order of the table's key index (SQLite's: integers before text,
 * text by its bytes), then the batch's: rows go in key order, so the
 * B-tree is filled page after page instead of all over (1,000,000 keys:
 * about twice as fast), and a key's last value in the batch still goes
 * last.  Keys of other types keep the batch's order, after these. */
static int
key_rank(const struct value *k)
{
	return k->type == VT_INT ? 0 : k->type == VT_STR ? 1 : 2;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	const struct value *p = &x->e->u.items[0], *q = &y->e->u.items[0];
	int rp = key_rank(p), rq = key_rank(q), c = (rp > rq) - (rp < rq);

	if (c == 0 && rp == 0)
		c = (p->u.i > q->u.i) - (p->u.i < q->u.i);
	else if (c == 0 && rp == 1) {
		c = memcmp(p->u.s, q->u.s, p->n < q->n ? p->n : q->n);
		if (c == 0)
			c = (p->n > q->n) - (p->n < q->n);
	}
	return c != 0 ? c : (x->ord > y->ord) - (x->ord < y->ord);
}

static enum sink_result
sq_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	struct sq *q = conn;
	enum sink_result r;
	size_t nrows = 0, total = 0;
	int rc;

	(void)worker;
	q->skipped = 0;
	if (s->recovering && q->have_done && b->time <= q->done) {
		/* Recomputed after a crash: the file has it already. */
		q->skipped = 1;
		return SINK_OK;
	}
	rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "beginning a transaction");
	q->in_tx = 1;
	if (!q->shaped && (r = shape_table(s, b)) != SINK_OK)
		return r;
	for (int p = 0; p < b->nparts; p++)
		total += b->parts[p].n;
	if (total > q->rows_cap) {
		free(q->rows);
		q->rows = xreallocarray(NULL, total, sizeof *q->rows);
		q->rows_cap = total;
	}
	for (int p = 0; p < b->nparts; p++)
		for (size_t i = 0; i < b->parts[p].n; i++) {
			const struct value *e = &b->parts[p].v[i];
			struct value k, v;
			if (e->type != VT_TUPLE || e->n != 2) {
				char reason[256];
				snprintf(reason, sizeof reason, "sqlite %s: not a (key, value) pair",
				    q->path);
				sink_record_error(s, b, reason, *e);
				continue;
			}
			k = e->u.items[0];
			v = e->u.items[1];
			if (k.type == VT_NULL || !fits(q->key, k)) {
				misfit(s, b, *e, "key", q->key, k);
				continue;
			}
			if (v.type != VT_NULL && !fits(q->val, v)) {
				misfit(s, b, *e, "value", q->val, v);
				continue;
			}
			q->rows[nrows].e = e;
			q->rows[nrows].ord = nrows;
			nrows++;
		}
	if (nrows > 1)
		qsort(q->rows, nrows, sizeof *q->rows, row_cmp);
	for (size_t i = 0; i < nrows; i++) {
		const struct value *e = q->rows[i].e;
		bind_value(q, q->upsert, 1, q->key, e->u.items[0]);
		bind_value(q, q->upsert, 2, q->val, e->u.items[1]);
		rc = sqlite3_step(q->upsert);
		sqlite3_reset(q->upsert);
		if (rc == SQLITE_DONE)
			continue;
		if ((rc & 0xff) == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_MISMATCH ||
		    (rc & 0xff) == SQLITE_TOOBIG) {
			char reason[512];
			snprintf(reason, sizeof reason, "sqlite %s: %s", q->path,
			    sqlite3_errmsg(q->db));
			sink_record_error(s, b, reason, *e);
			continue;
		}
		return db_fail(s, rc, "writing the batch");
	}
	sqlite3_bind_text(q->progress, 1, q->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q->progress, 2, b->time);
	rc = sqlite3_step(q->progress);
	sqlite3_reset(q->progress);
	if (rc != SQLITE_DONE)
		return db_fail(s, rc, "recording its progress");
	return SINK_OK;
}

static enum sink_result
sq_commit(struct sink *s, void *conn, int64_t batch_time)
{
	struct sq *q = conn;
	int rc;

	if (q->skipped)
		return SINK_OK;
	rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "committing the batch");
	q->in_tx = 0;
	q->done = batch_time;
	q->have_done = 1;
	return SINK_OK;
}

static void
sq_free(struct sink *s)
{
	struct sq *q = s->ctx;

	if (q == NULL)
		return;
	if (q->db != NULL)
		sq_close(s, q);
	strbuf_release(&q->json);
	free(q->rows);
	free(q->id);
	free(q->qtable);
	free(q);
}

const struct sink_desc sink_sqlite = {
	.name = "sqlite",
	.flags = SINK_EXACTLY_ONCE,
	.recovered = "the batch went through",
	.init = sq_init,
	.open = sq_open,
	.write = sq_write,
	.commit = sq_commit,
	.close = sq_close,
	.free = sq_free,
};

/* ---- tables ---- */

static struct value
column_value(struct arena *a, sqlite3_stmt *st, int i)
{
	const char *decl;
	const char *text;
	struct value v;
	int n;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return value_int(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return value_float(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return value_null();
	case SQLITE_TEXT:
		text = (const char *)sqlite3_column_text(st, i);
		n = sqlite3_column_bytes(st, i);
		decl = sqlite3_column_decltype(st, i);
		if (decl != NULL && strcasestr(decl, "JSON") != NULL &&
		    json_decode(a, text, (size_t)n, &v) == 0)
			return v;
		return value_str_copy(a, text, (size_t)n);
	default:
		text = sqlite3_column_blob(st, i);
		n = sqlite3_column_bytes(st, i);
		return value_str_copy(a, text != NULL ? text : "", (size_t)n);
	}
}

/* Run a table's query, whole, into a new version (registry.h). */
struct table *sqlite_table_read(const struct table_def *, char **err);

struct table *
sqlite_table_read(const struct table_def *def, char **err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct table *t = NULL;
	const char *tail = NULL;
	char *store;
	int rc, ncols;

	rc = sqlite3_open_v2(def->target, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*err = xasprintf("table %s: sqlite %s: cannot open: %s", def->name, def->target,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(db, SQ_READ_BUSY_MS);
	rc = sqlite3_prepare_v2(db, def->query, -1, &st, &tail);
	if (rc != SQLITE_OK || st == NULL) {
		*err = xasprintf("table %s: sqlite %s: %s", def->name, def->target,
		    st == NULL && rc == SQLITE_OK ? "the query is empty" : sqlite3_errmsg(db));
		goto out;
	}
	if (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0') {
		*err = xasprintf("table %s: sqlite %s: the query is more than one statement", def->name,
		    def->target);
		goto out;
	}
	ncols = sqlite3_column_count(st);
	store = xasprintf("sqlite %s", def->target);
	t = table_version_of_query(def->name, store, ncols, err);
	free(store);
	if (t == NULL)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct value k = column_value(t->arena, st, 0);
		struct value v = ncols == 2 ? column_value(t->arena, st, 1) : value_bool(1);
		table_version_put(t, k, v);
	}
	if (rc != SQLITE_DONE) {
		*err = xasprintf("table %s: sqlite %s: %s", def->name, def->target, sqlite3_errmsg(db));
		table_unref(t);
		t = NULL;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}
