/*
 * redis.c: the redis sink -- a batch's pairs into the fields of one Redis
 * hash: HSET (mode "set", the default) or HINCRBY / HINCRBYFLOAT (mode
 * "incr").
 *
 * Each worker has one connection (SINK_PER_WORKER), opened by the engine
 * when there is none and kept across batches; everything a worker writes
 * for a batch is sent at once and the replies read after (a pipeline: one
 * round trip per batch part, not per pair).
 *
 * Under a checkpoint the engine gives the sink a fixed number of parts
 * (sink.h: parts), and each part is written by one Lua script, loaded
 * once per connection and run by EVALSHA, which first reads the field
 * "<sink>:<part>" of the hash "{KEY}:streamjob_progress": when it holds
 * the batch's time or a later one, the part was stored before a crash and
 * is skipped; else the script applies the pairs and sets the field to the
 * batch's time.  A script runs alone in Redis, so the data and the
 * progress are stored together or not at all, and parts never abort each
 * other (no WATCH).  Without a checkpoint nothing but the pairs is
 * written.
 *
 * Failures: a connection that cannot be made or is lost, and the replies
 * that say the server is busy or starting (LOADING, BUSY, ...), are
 * retried by the engine; a wrong password, a KEY holding something else
 * than a hash, an unknown command fail the job.  The URL's password is
 * never in a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "runtime/io/sink.h"
#include "runtime/table.h"
#include "stdlib/xmalloc.h"

/* A connection that does not answer in this long is lost (a part of a
 * million pairs takes about a second in the script). */
#define REDIS_TIMEOUT_S 60
#define REDIS_CONNECT_TIMEOUT_S 5
/* Pairs per HSET: each a command of its own, so no argument list grows
 * without bound. */
#define REDIS_SET_CHUNK 1000

/*
 * KEYS[1] the hash, KEYS[2] the progress hash; ARGV[1] the progress
 * field, ARGV[2] the batch time, ARGV[3] "s" (set) or one letter a pair,
 * "i" (HINCRBY) or "f" (HINCRBYFLOAT); then fields and values.  A field
 * that holds a float takes an integer increment by HINCRBYFLOAT.
 */
static const char redis_script[] =
    "local done = redis.call('HGET', KEYS[2], ARGV[1])\n"
    "if done and tonumber(done) >= tonumber(ARGV[2]) then return 0 end\n"
    "local t = redis.call('TYPE', KEYS[1])['ok']\n"
    "if t ~= 'hash' and t ~= 'none' then\n"
    "  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')\n"
    "end\n"
    "local k, ops, n = KEYS[1], ARGV[3], #ARGV\n"
    "if ops == 's' then\n"
    "  local i = 4\n"
    "  while i <= n do\n"
    "    local j = math.min(i + 999, n)\n"
    "    redis.call('HSET', k, unpack(ARGV, i, j))\n"
    "    i = j + 1\n"
    "  end\n"
    "else\n"
    "  local o = 1\n"
    "  for i = 4, n, 2 do\n"
    "    if string.byte(ops, o) == 105 then\n"
    "      local r = redis.pcall('HINCRBY', k, ARGV[i], ARGV[i + 1])\n"
    "      if type(r) == 'table' and r.err then redis.call('HINCRBYFLOAT', k, ARGV[i], ARGV[i + 1]) end\n"
    "    else\n"
    "      redis.call('HINCRBYFLOAT', k, ARGV[i], ARGV[i + 1])\n"
    "    end\n"
    "    o = o + 1\n"
    "  end\n"
    "end\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
    "return 1\n";

struct redis {
	int incr;
	char *host;		/* NULL: a unix socket */
	int port;
	char *path;		/* the unix socket */
	char *user, *password;	/* NULL when absent */
	int db;
	const char *key;
	char *progress_key;	/* {KEY}:streamjob_progress */
	char *id;		/* the sink's id, without its password */
	char sha[41];		/* the script's, once loaded */
	/* a batch's commands, rebuilt for each write */
	struct strbuf text;
	size_t *off;		/* [nargs]: where each argument starts in text */
	size_t *len;
	size_t nargs, cap;
	const char **argv;
	size_t argv_cap;
};

static void
arg_reset(struct redis *r)
{
	strbuf_reset(&r->text);
	r->nargs = 0;
}

/* Start the next argument at the end of the text. */
static void
arg_begin(struct redis *r)
{
	if (r->nargs == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->off = xreallocarray(r->off, r->cap, sizeof *r->off);
		r->len = xreallocarray(r->len, r->cap, sizeof *r->len);
	}
	r->off[r->nargs] = r->text.len;
}

static void
arg_end(struct redis *r)
{
	r->len[r->nargs] = r->text.len - r->off[r->nargs];
	r->nargs++;
}

static void
arg_add(struct redis *r, const char *s, size_t n)
{
	arg_begin(r);
	strbuf_add(&r->text, s, n);
	arg_end(r);
}

static void
arg_adds(struct redis *r, const char *s)
{
	arg_add(r, s, strlen(s));
}

/* Append the command made of arguments [from, to) to the connection's
 * output. */
static void
append_command(struct redis *r, redisContext *c, size_t from, size_t to)
{
	size_t n = to - from;

	if (n > r->argv_cap) {
		r->argv_cap = n;
		r->argv = xreallocarray(r->argv, n, sizeof *r->argv);
	}
	for (size_t i = 0; i < n; i++)
		r->argv[i] = r->text.data + r->off[from + i];
	redisAppendCommandArgv(c, (int)n, r->argv, r->len + from);
}

/* ---- the URL ---- */

/* Undo %XX escapes in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0') {
			char hex[3] = { s[1], s[2], 0 }, *end;
			long c = strtol(hex, &end, 16);
			if (*end == '\0') {
				*o++ = (char)c;
				s += 2;
				continue;
			}
		}
		*o++ = *s;
	}
	*o = '\0';
}

/* The URL without its password, for messages. */
static char *
scrubbed(const char *url)
{
	const char *auth = strstr(url, "://");
	const char *end, *at = NULL;

	if (auth == NULL)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(url);
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	size_t user = colon != NULL ? (size_t)(colon - auth) : (size_t)(at - auth);
	return xasprintf("%.*s%.*s%s%s", (int)(auth - url), url, (int)user, auth,
	    user > 0 ? "@" : "", at + 1);
}

/* Read redis://[user][:password@]host[:port][/db] or unix://[:password@]/path;
 * -1 with a reason (which never holds the password). */
static int
parse_url(struct redis *r, const char *url, char *why, size_t whysize)
{
	const char *rest, *auth_end;
	char *auth = NULL, *hostport;
	int unix_sock = 0;

	if (strncmp(url, "redis://", 8) == 0)
		rest = url + 8;
	else if (strncmp(url, "unix://", 7) == 0) {
		rest = url + 7;
		unix_sock = 1;
	} else {
		snprintf(why, whysize, "the URL must start with redis:// or unix://");
		return -1;
	}
	/* user info: up to the last '@' before the path */
	auth_end = NULL;
	for (const char *p = rest; *p != '\0' && (unix_sock || *p != '/'); p++)
		if (*p == '@')
			auth_end = p;
	if (auth_end != NULL) {
		auth = xstrndup(rest, (size_t)(auth_end - rest));
		char *colon = strchr(auth, ':');
		if (colon != NULL) {
			*colon = '\0';
			r->password = xstrdup(colon + 1);
			unescape(r->password);
		}
		if (auth[0] != '\0') {
			r->user = xstrdup(auth);
			unescape(r->user);
		}
		free(auth);
		rest = auth_end + 1;
	}
	if (unix_sock) {
		if (rest[0] != '/') {
			snprintf(why, whysize, "a unix:// URL needs an absolute path: unix:///path");
			return -1;
		}
		r->path = xstrdup(rest);
		char *q = strchr(r->path, '?');
		if (q != NULL) {
			if (strncmp(q, "?db=", 4) == 0)
				r->db = atoi(q + 4);
			*q = '\0';
		}
		return 0;
	}
	hostport = xstrndup(rest, strcspn(rest, "/"));
	rest += strlen(hostport);
	{
		char *colon = strrchr(hostport, ':');
		r->port = 6379;
		if (colon != NULL && strchr(colon, ']') == NULL) {
			char *end;
			long port = strtol(colon + 1, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535) {
				snprintf(why, whysize, "the URL's port must be 1-65535");
				free(hostport);
				return -1;
			}
			r->port = (int)port;
			*colon = '\0';
		}
		if (hostport[0] == '[') {
			size_t n = strlen(hostport);
			if (n > 1 && hostport[n - 1] == ']') {
				memmove(hostport, hostport + 1, n - 2);
				hostport[n - 2] = '\0';
			}
		}
		r->host = hostport[0] != '\0' ? xstrdup(hostport) : xstrdup("127.0.0.1");
		free(hostport);
	}
	if (rest[0] == '/' && rest[1] != '\0') {
		char *end;
		long db = strtol(rest + 1, &end, 10);
		if ((*end != '\0' && *end != '?') || db < 0 || db > 1000000) {
			snprintf(why, whysize, "the URL's database must be a number: redis://host:port/0");
			return -1;
		}
		r->db = (int)db;
	}
	return 0;
}

/* ---- replies ---- */

/* A reply that says the server cannot do it now, but may later. */
static int
transient_error(const char *msg)
{
	static const char *const words[] = {
		"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY",
		"NOSCRIPT", "OOM",
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i]);
		if (strncmp(msg, words[i], n) == 0 && (msg[n] == ' ' || msg[n] == '\0'))
			return 1;
	}
	return 0;
}

/* The result of an error reply msg to what. */
static enum sink_result
reply_error(struct sink *s, const char *what, const char *msg)
{
	/* a script's error: "ERR user_script:1: WRONGTYPE ..." in Redis 7 */
	const char *w = strstr(msg, "WRONGTYPE");
	struct redis *r = s->ctx;

	if (w != NULL)
		return sink_reason(s, SINK_ERROR, "%s: the key \"%s\" holds something else than a hash (%s)",
		    s->label, r->key, w);
	if (transient_error(msg))
		return sink_reason(s, SINK_RETRY, "%s: %s: %s", s->label, what, msg);
	return sink_reason(s, SINK_ERROR, "%s: %s: %s", s->label, what, msg);
}

/* The result of a connection that failed. */
static enum sink_result
conn_error(struct sink *s, redisContext *c, const char *what)
{
	return sink_reason(s, SINK_RETRY, "%s: %s: %s", s->label, what,
	    c->errstr[0] != '\0' ? c->errstr : "connection lost");
}

/* Run one command now; its reply, or NULL with the reason given. */
static redisReply *
command(struct sink *s, redisContext *c, const char *what, enum sink_result *res,
    int argc, const char **argv)
{
	redisReply *reply = redisCommandArgv(c, argc, argv, NULL);

	if (reply == NULL) {
		*res = conn_error(s, c, what);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		*res = reply_error(s, what, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	*res = SINK_OK;
	return reply;
}

/* ---- the sink ---- */

static enum sink_result
redis_init(struct sink *s)
{
	struct redis *r = xcalloc(1, sizeof *r);
	const char *url = s->stage->args[0].s;
	const char *mode = s->stage->args[2].present ? s->stage->args[2].s : "set";
	char why[256];
	char *clean = scrubbed(url);

	s->ctx = r;
	r->key = s->stage->args[1].s;
	r->incr = mode != NULL && strcmp(mode, "incr") == 0;
	r->text = (struct strbuf)STRBUF_INIT;
	r->progress_key = xasprintf("{%s}:streamjob_progress", r->key);
	r->id = plan_sink_id(s->node);
	s->label = xasprintf("redis %s %s", clean, r->key);
	if (parse_url(r, url, why, sizeof why) != 0) {
		sink_reason(s, SINK_ERROR, "redis: %s: %s", clean, why);
		free(clean);
		return SINK_ERROR;
	}
	free(clean);
	return SINK_OK;
}

static enum sink_result
redis_open(struct sink *s, int worker, void **conn)
{
	struct redis *r = s->ctx;
	struct timeval tv = { REDIS_CONNECT_TIMEOUT_S, 0 };
	redisContext *c;
	redisReply *reply;
	enum sink_result res;

	(void)worker;
	c = r->host != NULL ? redisConnectWithTimeout(r->host, r->port, tv) :
	    redisConnectUnixWithTimeout(r->path, tv);
	if (c == NULL)
		return sink_reason(s, SINK_RETRY, "%s: cannot connect: out of memory", s->label);
	if (c->err) {
		res = conn_error(s, c, "cannot connect");
		redisFree(c);
		return res;
	}
	tv.tv_sec = REDIS_TIMEOUT_S;
	redisSetTimeout(c, tv);
	if (r->password != NULL) {
		const char *argv[3] = { "AUTH", r->user != NULL ? r->user : r->password,
		    r->password };
		reply = command(s, c, "authentication", &res, r->user != NULL ? 3 : 2, argv);
		if (reply == NULL)
			goto fail;
		freeReplyObject(reply);
	}
	if (r->db != 0) {
		char db[16];
		const char *argv[2] = { "SELECT", db };
		snprintf(db, sizeof db, "%d", r->db);
		reply = command(s, c, "SELECT", &res, 2, argv);
		if (reply == NULL)
			goto fail;
		freeReplyObject(reply);
	}
	if (s->parts > 0) {
		const char *argv[3] = { "SCRIPT", "LOAD", redis_script };
		reply = command(s, c, "SCRIPT LOAD", &res, 3, argv);
		if (reply == NULL)
			goto fail;
		if (reply->type == REDIS_REPLY_STRING && reply->len == 40)
			memcpy(r->sha, reply->str, 41);
		freeReplyObject(reply);
	} else {
		/* Said now, not at the first batch: a password that is wrong
		 * or a key of another type fails the job at once. */
		const char *argv[2] = { "TYPE", r->key };
		reply = command(s, c, "TYPE", &res, 2, argv);
		if (reply == NULL)
			goto fail;
		if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "hash") != 0 &&
		    strcmp(reply->str, "none") != 0)
			res = reply_error(s, "TYPE", "WRONGTYPE the key holds a value of another type");
		freeReplyObject(reply);
		if (res != SINK_OK)
			goto fail;
	}
	*conn = c;
	return SINK_OK;
fail:
	redisFree(c);
	return res;
}

/*
 * Add a pair's field and value as two arguments, and its operation to ops
 * (incr: 'i' or 'f'); 0, or -1 for a value the mode cannot take (a record
 * error).
 */
static int
add_pair(struct sink *s, struct redis *r, const struct sink_batch *b, struct value v,
    struct strbuf *ops)
{
	if (v.type != VT_TUPLE || v.n != 2) {
		sink_record_error(s, b, "redis: not a (key, value) pair", v);
		return -1;
	}
	struct value val = v.u.items[1];
	char num[40];
	if (r->incr) {
		if (val.type == VT_INT) {
			snprintf(num, sizeof num, "%lld", (long long)val.u.i);
			strbuf_addc(ops, 'i');
		} else if (val.type == VT_FLOAT && val.u.d == val.u.d &&
		    val.u.d - val.u.d == 0) {
			snprintf(num, sizeof num, "%.17g", val.u.d);
			strbuf_addc(ops, 'f');
		} else {
			sink_record_error(s, b, "redis: mode=\"incr\" needs a finite number", v);
			return -1;
		}
	}
	arg_begin(r);
	value_format_tsv(&r->text, v.u.items[0]);
	arg_end(r);
	if (r->incr)
		arg_adds(r, num);
	else {
		arg_begin(r);
		value_format_tsv(&r->text, val);
		arg_end(r);
	}
	return 0;
}

/* Read n replies; the first error decides the result. */
static enum sink_result
read_replies(struct sink *s, redisContext *c, size_t n)
{
	enum sink_result res = SINK_OK;

	for (size_t i = 0; i < n; i++) {
		redisReply *reply;
		if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL)
			return conn_error(s, c, "writing");
		if (reply->type == REDIS_REPLY_ERROR && res == SINK_OK)
			res = reply_error(s, "writing", reply->str);
		freeReplyObject(reply);
	}
	return res;
}

/* Without a checkpoint: plain commands, pipelined. */
static enum sink_result
write_plain(struct sink *s, redisContext *c, struct sink_batch *b, int worker)
{
	struct redis *r = s->ctx;
	struct strbuf ops = STRBUF_INIT;
	size_t sent = 0;

	for (int p = worker; p < b->nparts; p += s->nconns) {
		const struct sink_part *part = &b->parts[p];
		size_t i = 0;
		while (i < part->n) {
			size_t first, pairs = 0;
			arg_reset(r);
			strbuf_reset(&ops);
			if (r->incr) {
				/* one command a pair */
				for (; i < part->n && pairs < REDIS_SET_CHUNK; i++) {
					size_t at = r->nargs;
					arg_adds(r, "");	/* the command */
					arg_adds(r, r->key);
					if (add_pair(s, r, b, part->v[i], &ops) != 0) {
						r->nargs = at;
						continue;
					}
					pairs++;
				}
				first = 0;
				for (size_t k = 0; k < pairs; k++) {
					const char *cmd = ops.data[k] == 'i' ? "HINCRBY" : "HINCRBYFLOAT";
					/* fill in the command's name: its slot is empty */
					r->off[first] = r->text.len;
					strbuf_adds(&r->text, cmd);
					r->len[first] = strlen(cmd);
					first += 4;
				}
				for (size_t k = 0; k < pairs; k++)
					append_command(r, c, 4 * k, 4 * k + 4);
				sent += pairs;
			} else {
				arg_adds(r, "HSET");
				arg_adds(r, r->key);
				for (; i < part->n && pairs < REDIS_SET_CHUNK; i++)
					if (add_pair(s, r, b, part->v[i], &ops) == 0)
						pairs++;
				if (pairs > 0) {
					append_command(r, c, 0, r->nargs);
					sent++;
				}
			}
		}
	}
	strbuf_release(&ops);
	return read_replies(s, c, sent);
}

/* Under a checkpoint: one script a part. */
static enum sink_result
write_parts(struct sink *s, redisContext *c, struct sink_batch *b, int worker)
{
	struct redis *r = s->ctx;
	struct strbuf ops = STRBUF_INIT;
	size_t sent = 0;
	char when[32];

	snprintf(when, sizeof when, "%lld", (long long)b->time);
	for (int p = worker; p < b->nparts; p += s->nconns) {
		const struct sink_part *part = &b->parts[p];
		size_t pairs = 0;
		if (part->n == 0)
			continue;
		arg_reset(r);
		strbuf_reset(&ops);
		if (!r->incr)
			strbuf_addc(&ops, 's');
		arg_adds(r, "EVALSHA");
		arg_adds(r, r->sha);
		arg_adds(r, "2");
		arg_adds(r, r->key);
		arg_adds(r, r->progress_key);
		arg_begin(r);
		strbuf_addf(&r->text, "%s:%d", r->id, p);
		arg_end(r);
		arg_adds(r, when);
		arg_adds(r, "");	/* ops, filled in below */
		for (size_t i = 0; i < part->n; i++)
			if (add_pair(s, r, b, part->v[i], &ops) == 0)
				pairs++;
		if (pairs == 0)
			continue;
		r->off[7] = r->text.len;
		strbuf_add(&r->text, ops.data, ops.len);
		r->len[7] = ops.len;
		append_command(r, c, 0, r->nargs);
		sent++;
	}
	strbuf_release(&ops);
	return read_replies(s, c, sent);
}

static enum sink_result
redis_write(struct sink *s, void *conn, struct sink_batch *b, int worker)
{
	return s->parts > 0 ? write_parts(s, conn, b, worker) : write_plain(s, conn, b, worker);
}

static void
redis_close(struct sink *s, void *conn)
{
	(void)s;
	if (conn != NULL)
		redisFree(conn);
}

static void
redis_free(struct sink *s)
{
	struct redis *r = s->ctx;

	if (r == NULL)
		return;
	free(r->host);
	free(r->path);
	free(r->user);
	if (r->password != NULL)
		memset(r->password, 0, strlen(r->password));
	free(r->password);
	free(r->progress_key);
	free(r->id);
	strbuf_release(&r->text);
	free(r->off);
	free(r->len);
	free(r->argv);
	free(r);
}

const struct sink_desc sink_redis = {
	.name = "redis",
	.flags = SINK_EXACTLY_ONCE | SINK_PER_WORKER,
	.recovered = "connected; batch stored",
	.init = redis_init,
	.open = redis_open,
	.write = redis_write,
	.close = redis_close,
	.free = redis_free,
};

/* ---- tables: table NAME = redis("URL", "KEY" [, every=10s]) ---- */

/* A set's members (a set of keys) or a hash's fields and values (a value
 * that reads as a number is one), whole, into a new version (registry.h). */
struct table *redis_table_read(const struct table_def *, char **err);

struct table *
redis_table_read(const struct table_def *def, char **err)
{
	const char *url = def->target, *key = def->query;
	struct table *t = NULL;
	struct redis r = { 0 };
	struct timeval tv = { REDIS_CONNECT_TIMEOUT_S, 0 };
	char why[256];
	char *clean = scrubbed(url);
	redisContext *c = NULL;
	redisReply *reply = NULL;

	if (parse_url(&r, url, why, sizeof why) != 0) {
		*err = xasprintf("table %s: redis %s: %s", def->name, clean, why);
		goto out;
	}
	c = r.host != NULL ? redisConnectWithTimeout(r.host, r.port, tv) :
	    redisConnectUnixWithTimeout(r.path, tv);
	if (c == NULL || c->err) {
		*err = xasprintf("table %s: redis %s: cannot connect: %s", def->name, clean,
		    c != NULL ? c->errstr : "out of memory");
		goto out;
	}
	tv.tv_sec = REDIS_TIMEOUT_S;
	redisSetTimeout(c, tv);
	if (r.password != NULL) {
		if (r.user != NULL)
			reply = redisCommand(c, "AUTH %s %s", r.user, r.password);
		else
			reply = redisCommand(c, "AUTH %s", r.password);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
			goto fail;
		freeReplyObject(reply);
	}
	if (r.db != 0) {
		reply = redisCommand(c, "SELECT %d", r.db);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
			goto fail;
		freeReplyObject(reply);
	}
	reply = redisCommand(c, "TYPE %s", key);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		goto fail;
	int hash = strcmp(reply->str, "hash") == 0;
	if (!hash && strcmp(reply->str, "set") != 0 && strcmp(reply->str, "none") != 0) {
		*err = xasprintf("table %s: redis %s: the key \"%s\" holds a %s, not a set or a hash",
		    def->name, clean, key, reply->str);
		goto out;
	}
	freeReplyObject(reply);
	reply = redisCommand(c, hash ? "HGETALL %s" : "SMEMBERS %s", key);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		goto fail;
	t = table_version_new(def->name);
	if (reply->type == REDIS_REPLY_ARRAY) {
		size_t step = hash ? 2 : 1;
		for (size_t i = 0; i + step <= reply->elements; i += step) {
			redisReply *k = reply->element[i], *v = hash ? reply->element[i + 1] : NULL;
			struct value kv = value_str_copy(t->arena, k->str, k->len);
			if (v == NULL)
				table_version_put(t, kv, value_bool(1));
			else {
				table_version_put(t, kv, table_text_value(t->arena, v->str, v->len));
				t->is_map = 1;
			}
		}
	}
	goto out;
fail:
	*err = xasprintf("table %s: redis %s: %s", def->name, clean,
	    reply != NULL ? reply->str : c->errstr[0] != '\0' ? c->errstr : "connection lost");
out:
	if (reply != NULL)
		freeReplyObject(reply);
	if (c != NULL)
		redisFree(c);
	free(clean);
	free(r.host);
	free(r.path);
	free(r.user);
	free(r.password);
	return t;
}
