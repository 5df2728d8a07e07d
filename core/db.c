#include "core/db.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define DB_STMT_CACHE 16
/* db_session_is_own(): a second client kept waiting this long (seconds)
 * waits for a server connection: in session pooling, ours is held. */
#define SESSION_CHECK_WAIT 2.0

struct db {
	PGconn *conn;
	bool quiet;
	char *stmts[DB_STMT_CACHE];   /* SQL prepared as "griot_<index>" */
	int nstmts;
	char errmsg[1024];
	char sqlstate[6];
	pthread_mutex_t cancel_lock; /* db_cancel() may come from another thread */
	PGcancel *cancel;
	db_wait_fn wait_fn;          /* db_set_wait_hook() */
	void *wait_arg;
};

/*
 * Connection options griot sets unless the conninfo (or, for
 * connect_timeout, PGCONNECT_TIMEOUT) says otherwise: a server that does
 * not answer, or a network path that turned into a black hole, is noticed
 * within seconds instead of the kernel's ~15 minutes.
 */
static const struct {
	const char *key, *env, *value;
} conn_defaults[] = {
	{ "connect_timeout", "PGCONNECT_TIMEOUT", "5" },
	{ "keepalives", NULL, "1" },
	{ "keepalives_idle", NULL, "5" },
	{ "keepalives_interval", NULL, "2" },
	{ "keepalives_count", NULL, "3" },
	{ "tcp_user_timeout", NULL, "10000" },  /* ms unacknowledged */
};

struct db_result {
	PGresult *res;
};

/*
 * msg as one log line in buf: the server's "ERROR: ...\nDETAIL: ..." lines
 * joined with "; ", other control characters as spaces, cut to fit.
 */
static void one_line(char *buf, size_t size, const char *msg)
{
	size_t n = 0;

	for (; *msg && n + 1 < size; msg++) {
		unsigned char c = (unsigned char)*msg;
		if (c == '\n') {
			while (msg[1] == '\n' || msg[1] == ' ')
				msg++;
			if (!msg[1] || n + 3 >= size)
				break;
			buf[n++] = ';';
			buf[n++] = ' ';
		} else {
			buf[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		}
	}
	buf[n] = '\0';
}

static int db_fail(struct db *db, const PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	one_line(db->errmsg, sizeof(db->errmsg), msg && *msg ? msg : "unknown database error");
	n = strlen(db->errmsg);
	while (n && db->errmsg[n - 1] == ' ')
		db->errmsg[--n] = '\0';
	strlcpy_(db->sqlstate, state ? state : "", sizeof(db->sqlstate));
	if (!db->quiet)
		error("%s: %s", what, db->errmsg);
	return -1;
}

static void notice_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The cancel handle of the current session (after each connect). */
static void cancel_refresh(struct db *db)
{
	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		PQfreeCancel(db->cancel);
	db->cancel = PQgetCancel(db->conn);
	pthread_mutex_unlock(&db->cancel_lock);
}

int db_connect(const char *conninfo, struct db **out)
{
	struct db *db = xcalloc(1, sizeof(*db));
	const char *keys[ARRAY_SIZE(conn_defaults) + 2], *vals[ARRAY_SIZE(conn_defaults) + 2];
	size_t i, k = 0;

	pthread_mutex_init(&db->cancel_lock, NULL);
	for (i = 0; i < ARRAY_SIZE(conn_defaults); i++) {
		if (conn_defaults[i].env && getenv(conn_defaults[i].env))
			continue;
		keys[k] = conn_defaults[i].key;
		vals[k++] = conn_defaults[i].value;
	}
	/* the conninfo comes after the defaults, so that it overrides them */
	keys[k] = "dbname";
	vals[k++] = conninfo ? conninfo : "";
	keys[k] = NULL;
	vals[k] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_fail(db, NULL, "cannot connect to PostgreSQL");
		db_close(db);
		*out = NULL;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
	cancel_refresh(db);
	*out = db;
	return 0;
}

static void stmt_cache_clear(struct db *db)
{
	int i;

	for (i = 0; i < db->nstmts; i++)
		free(db->stmts[i]);
	db->nstmts = 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	stmt_cache_clear(db);
	if (db->cancel)
		PQfreeCancel(db->cancel);
	pthread_mutex_destroy(&db->cancel_lock);
	free(db);
}

void db_set_quiet(struct db *db, bool quiet) { db->quiet = quiet; }

void db_set_wait_hook(struct db *db, db_wait_fn fn, void *arg)
{
	db->wait_fn = fn;
	db->wait_arg = arg;
}

/*
 * The answer to a statement sent with PQsend*() (sent: its return),
 * waiting with the wait hook: as PQexec*() would return it (the last
 * result; NULL when nothing could be sent, PQerrorMessage tells why).
 */
static PGresult *hooked_result(struct db *db, int sent)
{
	PGresult *res, *last = NULL;

	if (!sent)
		return NULL;
	for (;;) {
		while (PQisBusy(db->conn)) {
			db->wait_fn(db->wait_arg, PQsocket(db->conn));
			if (!PQconsumeInput(db->conn))
				break;    /* connection lost: PQgetResult says so */
		}
		res = PQgetResult(db->conn);
		if (!res)
			break;
		PQclear(last);
		last = res;
	}
	return last;
}
const char *db_last_error(const struct db *db) { return db->errmsg; }
const char *db_last_sqlstate(const struct db *db) { return db->sqlstate; }

/* A second connection with exactly db's connection options; NULL on failure. */
static PGconn *connect_like(struct db *db)
{
	PQconninfoOption *opts = PQconninfo(db->conn), *o;
	const char **keys, **vals;
	PGconn *c = NULL;
	size_t n = 0;

	if (!opts)
		return NULL;
	for (o = opts; o->keyword; o++)
		n++;
	keys = xcalloc(n + 1, sizeof(*keys));
	vals = xcalloc(n + 1, sizeof(*vals));
	n = 0;
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	c = PQconnectdbParams(keys, vals, 0);
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* The pid in r, an answer to SELECT pg_backend_pid(), or -1; clears r. */
static long pid_of(PGresult *r)
{
	long pid = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		pid = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return pid;
}

/* pg_backend_pid() seen by conn, or -1. */
static long backend_pid(PGconn *conn)
{
	return pid_of(PQexec(conn, "SELECT pg_backend_pid()"));
}

/*
 * backend_pid() waiting at most `wait` seconds for the answer: 0 when it
 * did not come (the caller closes conn, which drops the query), -1 on
 * error.
 */
static long backend_pid_within(PGconn *conn, double wait)
{
	double end = time_mono() + wait;
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
	PGresult *r;
	long pid = -1;

	if (!PQsendQuery(conn, "SELECT pg_backend_pid()"))
		return -1;
	while (PQisBusy(conn)) {
		double left = end - time_mono();

		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return -1;
		if (!PQconsumeInput(conn))
			return -1;
	}
	while ((r = PQgetResult(conn)) != NULL)
		pid = pid_of(r);
	return pid;
}

int db_session_is_own(struct db *db)
{
	PGconn *other;
	long a, a2, b, a3;

	a = backend_pid(db->conn);
	a2 = backend_pid(db->conn);
	if (a < 0 || a2 < 0)
		return db_fail(db, NULL, "cannot read the server session's pid");
	if (a != a2) {
		snprintf(db->errmsg, sizeof(db->errmsg),
			 "two statements ran on two server sessions (pids %ld and %ld)", a, a2);
		return 0;
	}
	other = connect_like(db);
	b = other ? backend_pid_within(other, SESSION_CHECK_WAIT) : -1;
	PQfinish(other);
	if (b < 0) {
		snprintf(db->errmsg, sizeof(db->errmsg),
			 "cannot open a second connection to check the server session");
		if (!db->quiet)
			error("%s", db->errmsg);
		return -1;
	}
	a3 = backend_pid(db->conn);
	if (a3 < 0)
		return db_fail(db, NULL, "cannot read the server session's pid");
	if (b == a) {
		snprintf(db->errmsg, sizeof(db->errmsg),
			 "a second client was given this connection's server session (pid %ld)", a);
		return 0;
	}
	if (a3 != a) {
		snprintf(db->errmsg, sizeof(db->errmsg),
			 "the server session changed from pid %ld to %ld", a, a3);
		return 0;
	}
	return 1;
}

bool db_ok(struct db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

int db_reconnect(struct db *db)
{
	PQreset(db->conn);
	stmt_cache_clear(db); /* a new session has no prepared statements */
	if (PQstatus(db->conn) != CONNECTION_OK)
		return db_fail(db, NULL, "cannot reconnect to PostgreSQL");
	PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
	cancel_refresh(db);
	return 0;
}

void db_cancel(struct db *db)
{
	char err[256];

	pthread_mutex_lock(&db->cancel_lock);
	if (db->cancel)
		PQcancel(db->cancel, err, sizeof(err));
	pthread_mutex_unlock(&db->cancel_lock);
}

bool db_error_is_data(const struct db *db)
{
	/* SQLSTATE class 22 data exception, 23 integrity constraint violation */
	return !strncmp(db->sqlstate, "22", 2) || !strncmp(db->sqlstate, "23", 2);
}

int db_exec(struct db *db, const char *sql)
{
	PGresult *res = db->wait_fn ? hooked_result(db, PQsendQuery(db->conn, sql))
				    : PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		ret = db_fail(db, res, "query failed");
	PQclear(res);
	return ret;
}

/* The common tail of db_query() and db_query_cached(). */
static int query_result(struct db *db, PGresult *res, struct db_result **out)
{
	ExecStatusType st = PQresultStatus(res);
	int n;

	if (out)
		*out = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_fail(db, res, "query failed");
		PQclear(res);
		return -1;
	}
	if (st == PGRES_TUPLES_OK) {
		n = PQntuples(res);
	} else {
		const char *t = PQcmdTuples(res);
		n = t && *t ? atoi(t) : 0;
	}
	if (out) {
		*out = xmalloc(sizeof(**out));
		(*out)->res = res;
	} else {
		PQclear(res);
	}
	return n;
}

int db_query(struct db *db, struct db_result **out, const char *sql,
	     int nparams, const char *const *params)
{
	if (db->wait_fn)
		return query_result(db, hooked_result(db, PQsendQueryParams(db->conn, sql, nparams,
									    NULL, params, NULL,
									    NULL, 0)), out);
	return query_result(db, PQexecParams(db->conn, sql, nparams, NULL, params,
					     NULL, NULL, 0), out);
}

int db_query_cached(struct db *db, struct db_result **out, const char *sql,
		    int nparams, const char *const *params)
{
	char name[32];
	int i;

	for (i = 0; i < db->nstmts; i++)
		if (!strcmp(db->stmts[i], sql))
			break;
	if (i == db->nstmts) {
		PGresult *res;

		if (db->nstmts == DB_STMT_CACHE)
			return db_query(db, out, sql, nparams, params);
		snprintf(name, sizeof(name), "griot_%d", i);
		res = PQprepare(db->conn, name, sql, nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_fail(db, res, "query failed");
			PQclear(res);
			if (out)
				*out = NULL;
			return -1;
		}
		PQclear(res);
		db->stmts[db->nstmts++] = xstrdup(sql);
	}
	snprintf(name, sizeof(name), "griot_%d", i);
	if (db->wait_fn)
		return query_result(db, hooked_result(db, PQsendQueryPrepared(db->conn, name, nparams,
									      params, NULL, NULL,
									      0)), out);
	return query_result(db, PQexecPrepared(db->conn, name, nparams, params,
					       NULL, NULL, 0), out);
}

int db_query_value(struct db *db, char *buf, size_t size, const char *sql,
		   int nparams, const char *const *params)
{
	struct db_result *r;
	int n = db_query(db, &r, sql, nparams, params);
	const char *v;

	if (size)
		buf[0] = '\0';
	if (n < 0)
		return -1;
	if (db_result_rows(r) < 1) {
		db_result_free(r);
		return 0;
	}
	v = db_result_get(r, 0, 0);
	if (v && size)
		strlcpy_(buf, v, size);
	db_result_free(r);
	return 1;
}

int db_result_rows(const struct db_result *r) { return r ? PQntuples(r->res) : 0; }
int db_result_cols(const struct db_result *r) { return r ? PQnfields(r->res) : 0; }
const char *db_result_colname(const struct db_result *r, int col)
{
	return PQfname(r->res, col);
}

const char *db_result_get(const struct db_result *r, int row, int col)
{
	if (PQgetisnull(r->res, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

bool db_result_isnull(const struct db_result *r, int row, int col)
{
	return PQgetisnull(r->res, row, col);
}

long long db_result_int(const struct db_result *r, int row, int col)
{
	const char *v = db_result_get(r, row, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

double db_result_double(const struct db_result *r, int row, int col)
{
	const char *v = db_result_get(r, row, col);
	return v ? strtod(v, NULL) : 0.0;
}

void db_result_free(struct db_result *r)
{
	if (!r)
		return;
	PQclear(r->res);
	free(r);
}

int db_begin(struct db *db) { return db_exec(db, "BEGIN"); }
int db_commit(struct db *db) { return db_exec(db, "COMMIT"); }
int db_rollback(struct db *db) { return db_exec(db, "ROLLBACK"); }

int db_copy_begin(struct db *db, const char *sql)
{
	PGresult *res = PQexec(db->conn, sql);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COPY_IN)
		ret = db_fail(db, res, "COPY failed to start");
	PQclear(res);
	return ret;
}

int db_copy_put(struct db *db, const char *data, size_t len)
{
	if (PQputCopyData(db->conn, data, (int)len) != 1)
		return db_fail(db, NULL, "COPY failed");
	return 0;
}

int db_copy_end(struct db *db, const char *abort_reason)
{
	PGresult *res;
	int ret = 0;

	if (PQputCopyEnd(db->conn, abort_reason) != 1)
		return db_fail(db, NULL, "COPY failed to end");
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && !abort_reason && !ret)
			ret = db_fail(db, res, "COPY failed");
		PQclear(res);
	}
	return abort_reason ? -1 : ret;
}

struct db_cancel *db_cancel_new(struct db *db)
{
	return (struct db_cancel *)PQgetCancel(db->conn);
}

int db_cancel_send(struct db_cancel *c)
{
	char errbuf[256];

	return c && PQcancel((PGcancel *)c, errbuf, (int)sizeof(errbuf)) ? 0 : -1;
}

void db_cancel_free(struct db_cancel *c)
{
	if (c)
		PQfreeCancel((PGcancel *)c);
}

void db_copy_escape(struct strbuf *sb, const char *s, size_t len)
{
	size_t i, start = 0;

	strbuf_grow(sb, len + 8);
	for (i = 0; i < len; i++) {
		const char *rep;
		switch (s[i]) {
		case '\\': rep = "\\\\"; break;
		case '\t': rep = "\\t"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		default: continue;
		}
		strbuf_add(sb, s + start, i - start);
		strbuf_addstr(sb, rep);
		start = i + 1;
	}
	strbuf_add(sb, s + start, len - start);
}

void db_array_add(struct strbuf *sb, const char *s)
{
	if (!sb->len)
		strbuf_addch(sb, '{');
	else if (sb->len > 1)
		strbuf_addch(sb, ',');
	if (!s) {
		strbuf_addstr(sb, "NULL");
		return;
	}
	/* Copied in runs between the characters to escape: this is on the
	 * receipt writer's hot path, once per byte of every payload. */
	strbuf_addch(sb, '"');
	for (;;) {
		size_t n = strcspn(s, "\\\"");
		strbuf_add(sb, s, n);
		s += n;
		if (!*s)
			break;
		strbuf_addch(sb, '\\');
		strbuf_addch(sb, *s++);
	}
	strbuf_addch(sb, '"');
}

void db_array_end(struct strbuf *sb)
{
	if (!sb->len)
		strbuf_addch(sb, '{');
	strbuf_addch(sb, '}');
}

int db_schema_version(struct db *db)
{
	char buf[32];
	int n = db_query_value(db, buf, sizeof(buf),
			       "SELECT coalesce(max(version), 0) FROM schema_migrations",
			       0, NULL);
	if (n < 0)
		return -1;
	return atoi(buf);
}

int db_migrate(struct db *db, int *applied)
{
	const struct db_migration *m;
	int count = 0;

	if (db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version integer PRIMARY KEY,"
		    " name text NOT NULL,"
		    " applied_at timestamptz NOT NULL DEFAULT now())") < 0)
		return -1;
	for (m = db_migrations; m->name; m++) {
		char v[16];
		const char *params[2] = { v, m->name };
		int have;

		snprintf(v, sizeof(v), "%d", m->version);
		if (db_begin(db) < 0)
			return -1;
		/* Serialise concurrent migrators: the second waits, then skips. */
		if (db_exec(db, "SELECT pg_advisory_xact_lock(" LOCK_KEY_MIGRATE_SQL ")") < 0)
			goto fail;
		have = db_query(db, NULL,
				"SELECT 1 FROM schema_migrations WHERE version = $1::int",
				1, params);
		if (have < 0)
			goto fail;
		if (have == 0) {
			if (db_exec(db, m->sql) < 0) {
				error("migration %s failed", m->name);
				goto fail;
			}
			if (db_query(db, NULL,
				     "INSERT INTO schema_migrations(version, name) VALUES ($1::int, $2)",
				     2, params) < 0)
				goto fail;
			count++;
		}
		if (db_commit(db) < 0)
			return -1;
	}
	if (applied)
		*applied = count;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_listen(struct db *db, const char *channel)
{
	struct strbuf sb = STRBUF_INIT;
	char *id = PQescapeIdentifier(db->conn, channel, strlen(channel));
	int ret;

	if (!id)
		return db_fail(db, NULL, "LISTEN");
	strbuf_addf(&sb, "LISTEN %s", id);
	PQfreemem(id);
	ret = db_exec(db, sb.buf);
	strbuf_release(&sb);
	return ret;
}

int db_wait_notify(struct db *db, double timeout)
{
	PGnotify *n;
	struct pollfd pfd;
	int r;

	if (!PQconsumeInput(db->conn))
		return db_fail(db, NULL, "waiting for notification");
	if ((n = PQnotifies(db->conn)) != NULL) {
		PQfreemem(n);
		return 1;
	}
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	r = poll(&pfd, 1, (int)(timeout * 1000));
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	if (!PQconsumeInput(db->conn))
		return db_fail(db, NULL, "waiting for notification");
	if ((n = PQnotifies(db->conn)) != NULL) {
		PQfreemem(n);
		return 1;
	}
	return 0;
}

int db_next_notify(struct db *db, char *channel, size_t csize, char *payload, size_t psize)
{
	PGnotify *n;

	if (!PQconsumeInput(db->conn))
		return db_fail(db, NULL, "reading notifications");
	n = PQnotifies(db->conn);
	if (!n)
		return 0;
	if (channel)
		strlcpy_(channel, n->relname, csize);
	if (payload)
		strlcpy_(payload, n->extra, psize);
	PQfreemem(n);
	return 1;
}
