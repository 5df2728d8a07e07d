#ifndef CORE_DB_H
#define CORE_DB_H
/*
 * The only module that speaks libpq.  Everything else goes through these
 * calls, so connection handling, COPY, and error reporting live here.
 *
 * Errors: functions return 0 (or a row count) on success and -1 on
 * failure, after printing the server's message with error() unless the
 * handle was made quiet; db_last_error() returns the last message and
 * db_last_sqlstate() its SQLSTATE (e.g. "23505" unique violation).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct db;
struct db_result;

struct db_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct db_migration db_migrations[];

/*
 * Connect with a libpq conninfo string or URI; NULL or "" means libpq's
 * defaults (PG* variables).  See config_db_conninfo() for DATABASE_URL.
 * Unless the conninfo sets them: connect_timeout 5 s, TCP keepalives
 * (idle 5 s, 2 s apart, 3 lost), tcp_user_timeout 10 s.
 */
int db_connect(const char *conninfo, struct db **out);
void db_close(struct db *db);
void db_set_quiet(struct db *db, bool quiet);
/*
 * A wait hook: while db_query(), db_query_cached() or db_exec() waits for
 * the server's answer, it calls fn(arg, fd) instead of waiting itself, as
 * often as needed: fn waits until fd (the connection's socket) is
 * readable, or returns earlier, doing the caller's time-bound work
 * meanwhile (the sender submits its requests at their slots and reads
 * Orange's answers).  fn must not use db.  NULL fn: db waits by itself.
 */
typedef void (*db_wait_fn)(void *arg, int fd);
void db_set_wait_hook(struct db *db, db_wait_fn fn, void *arg);
const char *db_last_error(const struct db *db);
const char *db_last_sqlstate(const struct db *db);
/*
 * Does db have a server session of its own, as session advisory locks,
 * prepared statements and SET need?  Behind a transaction-pooling proxy
 * (pgbouncer pool_mode=transaction) each statement runs on whichever
 * server connection is free, and a quiet pool hands one server
 * connection to every client in turn, so one client alone sees nothing
 * wrong.  Three looks: two statements on db see one backend pid; a second
 * client opened with db's options sees another backend (a pool hands it
 * the one db just gave back), or is kept waiting for one (a session pool
 * whose server connections are all held, ours included); db still sees
 * its pid after that.
 * Returns 1 own session, 0 shared (db_last_error() says how), -1 error.
 */
int db_session_is_own(struct db *db);
/* True while the connection is usable; db_reconnect() tries once. */
bool db_ok(struct db *db);
int db_reconnect(struct db *db);
/*
 * Ask the server to cancel the statement running on db now, if any; safe
 * from another thread than the one using db (that one gets an error,
 * SQLSTATE 57014).
 */
void db_cancel(struct db *db);
/*
 * Did the last error come from the data (SQLSTATE class 22 or 23: a value
 * or a constraint), rather than from the database's state (locks,
 * timeouts, connection, resources)?  Retrying data errors cannot help.
 */
bool db_error_is_data(const struct db *db);

/* Run one or more statements without parameters or results. */
int db_exec(struct db *db, const char *sql);
/*
 * Run one parameterised statement ($1..$n, text format, NULL = SQL NULL).
 * On success *res (if res is not NULL) holds the result, which the caller
 * frees with db_result_free().  Returns the number of rows returned or
 * affected.
 */
int db_query(struct db *db, struct db_result **res, const char *sql,
	     int nparams, const char *const *params);
/*
 * db_query() for a statement run again and again (a hot path): prepared
 * on this connection the first time, executed by name afterwards, so the
 * server parses and plans it once.  The cache is keyed by the SQL text and
 * survives db_reconnect() by preparing again.
 */
int db_query_cached(struct db *db, struct db_result **res, const char *sql,
		    int nparams, const char *const *params);
/* Convenience: first column of the first row into buf ("" if none/NULL);
 * returns 1 if a row was found, 0 if not, -1 on error. */
int db_query_value(struct db *db, char *buf, size_t size, const char *sql,
		   int nparams, const char *const *params);

int db_result_rows(const struct db_result *r);
int db_result_cols(const struct db_result *r);
const char *db_result_colname(const struct db_result *r, int col);
/* NULL for SQL NULL. */
const char *db_result_get(const struct db_result *r, int row, int col);
bool db_result_isnull(const struct db_result *r, int row, int col);
long long db_result_int(const struct db_result *r, int row, int col);
double db_result_double(const struct db_result *r, int row, int col);
void db_result_free(struct db_result *r);

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/*
 * COPY ... FROM STDIN.  Rows are sent in text format; db_copy_escape()
 * appends one field escaped for it.  db_copy_end(db, NULL) finishes,
 * db_copy_end(db, "reason") aborts the COPY (its transaction then fails).
 */
int db_copy_begin(struct db *db, const char *sql);
int db_copy_put(struct db *db, const char *data, size_t len);
int db_copy_end(struct db *db, const char *abort_reason);
void db_copy_escape(struct strbuf *sb, const char *s, size_t len);

/*
 * Text-format array literals, to pass a batch as one parameter
 * (`= ANY($1::bigint[])`, `unnest($1::text[], …)`): db_array_add() opens
 * the literal on its first element and appends one quoted element (NULL
 * for SQL NULL); db_array_end() closes it ("{}" when empty).
 */
void db_array_add(struct strbuf *sb, const char *s);
void db_array_end(struct strbuf *sb);

/*
 * Cancelling the statement a connection is running, from a signal
 * handler: db_cancel_new() before (NULL if it cannot), db_cancel_send()
 * in the handler (async-signal-safe: PQcancel with a local buffer; the
 * statement then fails with SQLSTATE 57014), db_cancel_free() after the
 * handler can no longer see it.
 */
struct db_cancel;
struct db_cancel *db_cancel_new(struct db *db);
int db_cancel_send(struct db_cancel *c);
void db_cancel_free(struct db_cancel *c);

/* Apply the embedded migrations not yet applied; *applied counts them. */
int db_migrate(struct db *db, int *applied);
/* Highest applied migration version, 0 if none, -1 on error. */
int db_schema_version(struct db *db);

/* LISTEN channel; then db_wait_notify() blocks up to timeout seconds:
 * 1 when a notification arrived, 0 on timeout, -1 on error. */
int db_listen(struct db *db, const char *channel);
int db_wait_notify(struct db *db, double timeout);
/*
 * Without waiting and without a round trip: the next notification already
 * received on this connection (also those that arrived during other
 * queries).  1 and its channel and payload copied, 0 none, -1 error.
 */
int db_next_notify(struct db *db, char *channel, size_t csize, char *payload, size_t psize);

#endif
