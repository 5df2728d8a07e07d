#include "receiver/receiver.h"
#include "receiver/acl.h"
#include "receiver/dr-parse.h"
#include "receiver/guard.h"
#include "receiver/store.h"
#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DR_PREFIX RECEIVER_DR_PATH
#define LISTEN_DEFAULT "127.0.0.1:8080"
#define TLS_FILE_MAX (1 << 20)
#define METRICS_ALLOW_DEFAULT "127.0.0.1/32,::1/128"
#define MAX_BODY_DEFAULT 4096
#define QUEUE_MAX_DEFAULT 4096
#define BATCH_MAX_DEFAULT 1024
#define TIMEOUT_DEFAULT 10
#define MAX_CONNECTIONS_DEFAULT 1000
#define MAX_PER_ADDRESS_DEFAULT 100
#define REQUEST_DEADLINE_DEFAULT 30
#define REJECT_LOG_INTERVAL 10.0    /* s between log lines of one reason */
#define WRITER_LOCK_TIMEOUT "5s"
#define WRITER_STATEMENT_TIMEOUT "30s"
#define WRITER_PROBE_INTERVAL 1.0   /* s between health probes when idle */
#define WRITER_BACKOFF_MIN 0.1      /* s before the first retry of a batch */
#define WRITER_BACKOFF_MAX 2.0
#define WRITER_RECONNECT_MAX 5.0    /* s between connection attempts at most */
#define STOP_CANCEL_GRACE 2.0       /* s after SIGTERM's wait before cancelling */

/* ---- metrics ---- */

enum reject_reason {
	REJ_FORBIDDEN, REJ_BAD_FORWARDED, REJ_BAD_SECRET, REJ_NOT_FOUND,
	REJ_METHOD, REJ_CONTENT_TYPE, REJ_TOO_LARGE,
	REJ_BAD_JSON, REJ_MISSING_FIELD, REJ_WRONG_TYPE, REJ_BAD_ADDRESS, REJ_BAD_VALUE,
	REJ_DB_UNAVAILABLE, REJ_QUEUE_FULL, REJ_SHUTTING_DOWN, REJ_WRITE_FAILED,
	REJ_NOT_ALLOWED, REJ_PER_ADDRESS, REJ_DEADLINE,
	REJ_COUNT
};

static const char *const reject_names[REJ_COUNT] = {
	"forbidden", "bad_forwarded", "bad_secret", "not_found",
	"method", "content_type", "too_large",
	"bad_json", "missing_field", "wrong_type", "bad_address", "bad_value",
	"db_unavailable", "queue_full", "shutting_down", "write_failed",
	"not_allowed", "per_address", "deadline",
};

static const double latency_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};
#define LAT_BUCKETS ARRAY_SIZE(latency_bounds)
static const unsigned batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048 };
#define BATCH_BUCKETS ARRAY_SIZE(batch_bounds)

struct metrics {
	atomic_ullong receipts[DLV_RECEIPT_NR + 1]; /* by enum dlv_status; last: invalid */
	atomic_ullong rejected[REJ_COUNT];
	/* written by the writer thread only, read by /metrics */
	atomic_ullong lat_bucket[LAT_BUCKETS + 1];
	atomic_ullong lat_count;
	atomic_ullong lat_sum_us;
	atomic_ullong batch_bucket[BATCH_BUCKETS + 1];
	atomic_ullong batch_count;
	atomic_ullong batch_sum;
	atomic_ullong db_errors;
	atomic_ullong reconciled;
	atomic_ullong http_errors;
};

/* At most one log line per interval for one kind of client event; the
 * others are counted and the count said on the next line. */
struct log_limit {
	double last;
	unsigned long long skipped;
};

/* ---- server state ---- */

enum req_kind { REQ_DR, REQ_OTHER };
enum req_state { ST_NEW, ST_READING, ST_QUEUED, ST_DONE };

struct req {
	struct receiver *r;
	struct MHD_Connection *conn;
	enum req_state state;
	struct strbuf body;
	size_t discarded;           /* bytes over max_body */
	double t_real, t_mono;
	char src[INET6_ADDRSTRLEN];
	struct guard_conn *gc;      /* the connection's deadline */
	struct dr_receipt dr;
	int status;                 /* set by the writer before resuming */
	struct req *next;           /* queue link */
};

/* A writer thread and its own database connection. */
struct writer {
	struct receiver *r;
	pthread_t th;
	struct db *db;
	double backoff, next_try, last_ping;
};

struct receiver {
	struct receiver_opts o;
	struct acl allow, trusted, metrics_allow;
	struct guard guard;
	char *secret;
	char addr[INET6_ADDRSTRLEN + 8];
	struct strbuf tls_cert, tls_key;
	int listen_fd;
	struct MHD_Daemon *daemon;
	struct MHD_Response *resp_ok;
	sigset_t sigs;

	pthread_mutex_t qlock;
	pthread_cond_t qcond;       /* work for the writer */
	pthread_cond_t idle;        /* active dropped */
	struct req *qhead, **qtail;
	unsigned qlen;
	bool qclosed, writer_stop;
	struct writer *writers;
	unsigned nwriters;          /* started */

	atomic_int db_up;
	atomic_int draining;
	atomic_int active;          /* requests between first call and completion */

	pthread_mutex_t loglock;
	struct log_limit reject_log[REJ_COUNT];
	struct log_limit http_log;

	struct metrics m;
};

const char *receiver_secret_problem(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 128)
		return "must be 16 to 128 characters long";
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
		return "may hold only letters, digits and -._~";
	return NULL;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len);
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe);

/*
 * s as it may go into a log line: every occurrence of the secret masked,
 * every byte outside printable ASCII shown as '?', cut to fit buf (one
 * line, bounded, whatever a client sent).
 */
static void scrub(const struct receiver *r, const char *s, char *buf, size_t size)
{
	size_t slen = strlen(r->secret), n = 0;

	if (!size)
		return;
	while (*s && n + 1 < size) {
		if (!strncmp(s, r->secret, slen)) {
			if (n + 4 > size)
				break;
			memcpy(buf + n, "***", 3);
			n += 3;
			s += slen;
			continue;
		}
		buf[n++] = (*s < 0x20 || *s > 0x7e) ? '?' : *s;
		s++;
	}
	buf[n] = '\0';
}

/* A URL as it may be logged: the DR path never shows what follows the
 * prefix (a wrong secret may be a near miss of the right one). */
static void url_for_log(const struct receiver *r, const char *url, char *buf, size_t size)
{
	if (starts_with(url, DR_PREFIX))
		strlcpy_(buf, DR_PREFIX "***", size);
	else
		scrub(r, url, buf, size);
}

/* The HTTP method as it may be logged: a known method, never the raw
 * bytes a client sent. */
static const char *method_for_log(const char *method)
{
	static const char *const known[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
	};
	size_t i;

	for (i = 0; method && i < ARRAY_SIZE(known); i++)
		if (!strcmp(method, known[i]))
			return known[i];
	return "(other method)";
}

/* Is a line of this kind due?  If so, *skipped is how many were not
 * logged since the last one. */
static bool log_due(struct receiver *r, struct log_limit *l, unsigned long long *skipped)
{
	double now = time_mono();
	bool due;

	pthread_mutex_lock(&r->loglock);
	due = !l->last || now - l->last >= REJECT_LOG_INTERVAL;
	if (due) {
		l->last = now;
		*skipped = l->skipped;
		l->skipped = 0;
	} else {
		l->skipped++;
	}
	pthread_mutex_unlock(&r->loglock);
	return due;
}

/*
 * One client event to count, and perhaps to log: every event is counted
 * in /metrics (griot_dr_rejected_total), and each reason gets at most one
 * log line every REJECT_LOG_INTERVAL seconds, saying how many were not
 * logged since.  code 0: the connection was closed without an answer;
 * method and url are NULL when no request was read.
 */
static void note_reject(struct receiver *r, enum reject_reason why, int code,
			const char *src, const char *method, const char *url)
{
	char u[96], what[160];
	unsigned long long skipped;

	atomic_fetch_add(&r->m.rejected[why], 1);
	if (!log_due(r, &r->reject_log[why], &skipped))
		return;
	if (url) {
		url_for_log(r, url, u, sizeof(u));
		snprintf(what, sizeof(what), "refused %d %s: %s %s", code, reject_names[why],
			 method_for_log(method), u);
	} else {
		snprintf(what, sizeof(what), "closed connection (%s)", reject_names[why]);
	}
	if (skipped)
		info("%s from %s (and %llu more since the last such line)", what, src, skipped);
	else
		info("%s from %s", what, src);
}

/* ---- responses ---- */

/* A text/plain answer; allow: the Allow header's methods (for 405), or
 * NULL. */
static enum MHD_Result respond_text(struct receiver *r, struct MHD_Connection *c,
				    unsigned code, const char *text, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (atomic_load(&r->draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result refuse(struct req *q, enum reject_reason why, unsigned code,
			      const char *text, const char *method, const char *url)
{
	note_reject(q->r, why, (int)code, q->src, method, url);
	q->state = ST_DONE;
	return respond_text(q->r, q->conn, code, text, NULL);
}

/* 405: the method is not one of allow (the Allow header's list). */
static enum MHD_Result refuse_method(struct req *q, const char *allow, const char *method,
				     const char *url)
{
	char text[64];

	note_reject(q->r, REJ_METHOD, MHD_HTTP_METHOD_NOT_ALLOWED, q->src, method, url);
	q->state = ST_DONE;
	snprintf(text, sizeof(text), "use %s\n", allow);
	return respond_text(q->r, q->conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, allow);
}

static void add_metrics_text(struct receiver *r, struct strbuf *sb)
{
	struct metrics *m = &r->m;
	unsigned long long cum;
	size_t i;

	strbuf_addstr(sb, "# HELP griot_dr_receipts_total Receipts committed and acknowledged, by deliveryStatus.\n"
		      "# TYPE griot_dr_receipts_total counter\n");
	for (i = 0; i < DLV_RECEIPT_NR; i++)
		strbuf_addf(sb, "griot_dr_receipts_total{status=\"%s\"} %llu\n",
			    dlv_status_names[i], atomic_load(&m->receipts[i]));
	strbuf_addf(sb, "griot_dr_receipts_total{status=\"invalid\"} %llu\n",
		    atomic_load(&m->receipts[DLV_RECEIPT_NR]));
	strbuf_addstr(sb, "# HELP griot_dr_rejected_total Requests refused, by reason (never written).\n"
		      "# TYPE griot_dr_rejected_total counter\n");
	for (i = 0; i < REJ_COUNT; i++)
		strbuf_addf(sb, "griot_dr_rejected_total{reason=\"%s\"} %llu\n",
			    reject_names[i], atomic_load(&m->rejected[i]));
	strbuf_addstr(sb, "# HELP griot_dr_write_seconds From arrival to commit, per acknowledged receipt.\n"
		      "# TYPE griot_dr_write_seconds histogram\n");
	for (i = 0, cum = 0; i < LAT_BUCKETS; i++) {
		cum += atomic_load(&m->lat_bucket[i]);
		strbuf_addf(sb, "griot_dr_write_seconds_bucket{le=\"%g\"} %llu\n",
			    latency_bounds[i], cum);
	}
	cum += atomic_load(&m->lat_bucket[LAT_BUCKETS]);
	strbuf_addf(sb, "griot_dr_write_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	strbuf_addf(sb, "griot_dr_write_seconds_sum %.6f\n",
		    (double)atomic_load(&m->lat_sum_us) / 1e6);
	strbuf_addf(sb, "griot_dr_write_seconds_count %llu\n", atomic_load(&m->lat_count));
	strbuf_addstr(sb, "# HELP griot_dr_batch_size Receipts per committed transaction.\n"
		      "# TYPE griot_dr_batch_size histogram\n");
	for (i = 0, cum = 0; i < BATCH_BUCKETS; i++) {
		cum += atomic_load(&m->batch_bucket[i]);
		strbuf_addf(sb, "griot_dr_batch_size_bucket{le=\"%u\"} %llu\n", batch_bounds[i], cum);
	}
	cum += atomic_load(&m->batch_bucket[BATCH_BUCKETS]);
	strbuf_addf(sb, "griot_dr_batch_size_bucket{le=\"+Inf\"} %llu\n", cum);
	strbuf_addf(sb, "griot_dr_batch_size_sum %llu\n", atomic_load(&m->batch_sum));
	strbuf_addf(sb, "griot_dr_batch_size_count %llu\n", atomic_load(&m->batch_count));
	pthread_mutex_lock(&r->qlock);
	strbuf_addf(sb, "# HELP griot_dr_queue_depth Receipts waiting for the writer.\n"
		    "# TYPE griot_dr_queue_depth gauge\ngriot_dr_queue_depth %u\n", r->qlen);
	pthread_mutex_unlock(&r->qlock);
	strbuf_addf(sb, "# HELP griot_dr_requests_in_flight Requests being received, queued or answered.\n"
		    "# TYPE griot_dr_requests_in_flight gauge\ngriot_dr_requests_in_flight %d\n",
		    atomic_load(&r->active));
	strbuf_addf(sb, "# HELP griot_dr_db_up 1 while the writer's database connection works.\n"
		    "# TYPE griot_dr_db_up gauge\ngriot_dr_db_up %d\n", atomic_load(&r->db_up));
	strbuf_addf(sb, "# HELP griot_dr_db_errors_total Failed batch writes.\n"
		    "# TYPE griot_dr_db_errors_total counter\ngriot_dr_db_errors_total %llu\n",
		    atomic_load(&m->db_errors));
	strbuf_addf(sb, "# HELP griot_dr_http_errors_total Messages from the HTTP library (mostly about clients).\n"
		    "# TYPE griot_dr_http_errors_total counter\ngriot_dr_http_errors_total %llu\n",
		    atomic_load(&m->http_errors));
	strbuf_addf(sb, "# HELP griot_dr_reconciled_total Messages in 'unknown' reconciled by number.\n"
		    "# TYPE griot_dr_reconciled_total counter\ngriot_dr_reconciled_total %llu\n",
		    atomic_load(&m->reconciled));
}

/* Is the connection's peer (not X-Forwarded-For) in acl?  Sets q->src. */
static bool peer_in(struct req *q, const struct acl *acl)
{
	const union MHD_ConnectionInfo *ci;
	struct ip_addr peer;

	ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || ip_from_sockaddr(ci->client_addr, &peer) < 0)
		return false;
	ip_format(&peer, q->src, sizeof(q->src));
	return acl_match(acl, &peer);
}

static enum MHD_Result serve_ops(struct req *q, const char *url, const char *method)
{
	struct receiver *r = q->r;
	struct MHD_Response *resp;
	struct strbuf sb = STRBUF_INIT;
	enum MHD_Result ret;
	size_t len;
	char *buf;

	q->state = ST_DONE;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return refuse_method(q, "GET, HEAD", method, url);
	if (!strcmp(url, "/healthz")) {
		bool up = atomic_load(&r->db_up) && !atomic_load(&r->draining);
		return respond_text(r, q->conn, up ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
				    up ? "ok\n" : (atomic_load(&r->draining) ? "shutting down\n"
						   : "database unavailable\n"), NULL);
	}
	if (!peer_in(q, &r->metrics_allow))
		return refuse(q, REJ_FORBIDDEN, MHD_HTTP_FORBIDDEN, "forbidden\n", method, url);
	add_metrics_text(r, &sb);
	buf = strbuf_detach(&sb, &len);
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(q->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- request handling ---- */

struct xff_collect {
	struct strbuf sb;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct xff_collect *x = cls;

	if (key && value && !strcasecmp(key, "X-Forwarded-For")) {
		if (x->sb.len)
			strbuf_addch(&x->sb, ',');
		strbuf_addstr(&x->sb, value);
	}
	return MHD_YES;
}

static bool json_content_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct || strncasecmp(ct, "application/json", n))
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

/* Checks made once the headers are in: source, secret, method, type, size. */
static enum MHD_Result dr_first_call(struct req *q, const char *url, const char *method)
{
	struct receiver *r = q->r;
	const union MHD_ConnectionInfo *ci;
	struct ip_addr peer, client;
	struct xff_collect x = { STRBUF_INIT };
	const char *ct, *cl;
	int bad_xff;

	ci = MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || ip_from_sockaddr(ci->client_addr, &peer) < 0) {
		strlcpy_(q->src, "?", sizeof(q->src));
		return refuse(q, REJ_FORBIDDEN, MHD_HTTP_FORBIDDEN, "forbidden\n", method, url);
	}
	ip_format(&peer, q->src, sizeof(q->src));
	if (r->trusted.nr && acl_match(&r->trusted, &peer))
		MHD_get_connection_values(q->conn, MHD_HEADER_KIND, collect_xff, &x);
	bad_xff = acl_client_addr(&peer, x.sb.buf, &r->trusted, &client);
	strbuf_release(&x.sb);
	if (bad_xff < 0)
		return refuse(q, REJ_BAD_FORWARDED, MHD_HTTP_FORBIDDEN, "forbidden\n", method, url);
	ip_format(&client, q->src, sizeof(q->src));
	if (!acl_match(&r->allow, &client))
		return refuse(q, REJ_FORBIDDEN, MHD_HTTP_FORBIDDEN, "forbidden\n", method, url);
	url += strlen(DR_PREFIX);
	if (!secret_equal(url, strlen(url), r->secret))
		return refuse(q, REJ_BAD_SECRET, MHD_HTTP_NOT_FOUND, "not found\n", method,
			      DR_PREFIX);
	if (strcmp(method, "POST"))
		return refuse_method(q, "POST", method, DR_PREFIX);
	ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!json_content_type(ct))
		return refuse(q, REJ_CONTENT_TYPE, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			      "Content-Type must be application/json\n", method, DR_PREFIX);
	cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		long n;
		if (parse_long(cl, 0, 1L << 40, &n) == 0 && (size_t)n > r->o.max_body)
			return refuse(q, REJ_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE,
				      "body too large\n", method, DR_PREFIX);
	}
	q->state = ST_READING;
	return MHD_YES;
}

static void queue_push_locked(struct receiver *r, struct req *q)
{
	q->next = NULL;
	*r->qtail = q;
	r->qtail = &q->next;
	r->qlen++;
}

/* The whole body is in: parse, then queue and suspend. */
static enum MHD_Result dr_body_done(struct req *q, const char *url, const char *method)
{
	struct receiver *r = q->r;
	char reason[200], text[256];
	enum dr_error e;
	enum reject_reason why;

	if (q->discarded)
		return refuse(q, REJ_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n",
			      method, DR_PREFIX);
	e = dr_parse(q->body.buf, q->body.len, &q->dr, reason, sizeof(reason));
	if (e != DR_OK) {
		static const enum reject_reason map[DR_ERROR_COUNT] = {
			REJ_BAD_JSON, REJ_BAD_JSON, REJ_MISSING_FIELD, REJ_WRONG_TYPE,
			REJ_BAD_ADDRESS, REJ_BAD_VALUE,
		};
		snprintf(text, sizeof(text), "%s\n", reason);
		return refuse(q, map[e], MHD_HTTP_BAD_REQUEST, text, method, DR_PREFIX);
	}
	if (!atomic_load(&r->db_up))
		return refuse(q, REJ_DB_UNAVAILABLE, MHD_HTTP_SERVICE_UNAVAILABLE,
			      "database unavailable\n", method, DR_PREFIX);
	pthread_mutex_lock(&r->qlock);
	if (r->qclosed || r->qlen >= r->o.queue_max) {
		why = r->qclosed ? REJ_SHUTTING_DOWN : REJ_QUEUE_FULL;
		pthread_mutex_unlock(&r->qlock);
		return refuse(q, why, MHD_HTTP_SERVICE_UNAVAILABLE,
			      why == REJ_QUEUE_FULL ? "busy\n" : "shutting down\n",
			      method, DR_PREFIX);
	}
	/* suspend before the writer can see it, so that its resume never
	 * comes first */
	q->state = ST_QUEUED;
	guard_pause(&r->guard, q->gc);
	MHD_suspend_connection(q->conn);
	queue_push_locked(r, q);
	pthread_cond_signal(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
	return MHD_YES;
}

static enum MHD_Result answer_written(struct req *q)
{
	struct receiver *r = q->r;

	q->state = ST_DONE;
	if (q->status == MHD_HTTP_OK) {
		if (atomic_load(&r->draining))
			return respond_text(r, q->conn, MHD_HTTP_OK, "OK\n", NULL);
		return MHD_queue_response(q->conn, MHD_HTTP_OK, r->resp_ok);
	}
	if (q->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		return respond_text(r, q->conn, q->status, "database unavailable\n", NULL);
	return respond_text(r, q->conn, q->status, "could not store the receipt\n", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct receiver *r = cls;
	struct req *q = *con_cls;

	if (!q) {
		q = xcalloc(1, sizeof(*q));
		q->r = r;
		q->conn = conn;
		q->t_real = time_now();
		q->t_mono = time_mono();
		strbuf_init(&q->body, 0);
		strlcpy_(q->src, "?", sizeof(q->src));
		{
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
			q->gc = ci ? ci->socket_context : NULL;
		}
		*con_cls = q;
		atomic_fetch_add(&r->active, 1);
		if (!strcmp(url, "/healthz") || !strcmp(url, "/metrics"))
			return serve_ops(q, url, method);
		if (!starts_with(url, DR_PREFIX)) {
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			struct ip_addr peer;
			if (ci && ip_from_sockaddr(ci->client_addr, &peer) == 0)
				ip_format(&peer, q->src, sizeof(q->src));
			return refuse(q, REJ_NOT_FOUND, MHD_HTTP_NOT_FOUND, "not found\n", method, url);
		}
		return dr_first_call(q, url, method);
	}
	switch (q->state) {
	case ST_READING:
		if (*upload_data_size) {
			size_t n = *upload_data_size;
			if (q->discarded || q->body.len + n > r->o.max_body) {
				q->discarded += n;
				/* a client streaming without end is cut off */
				if (q->discarded > 64 * r->o.max_body + (1 << 20))
					return MHD_NO;
			} else {
				strbuf_add(&q->body, upload_data, n);
			}
			*upload_data_size = 0;
			return MHD_YES;
		}
		return dr_body_done(q, url, method);
	case ST_QUEUED:
		return answer_written(q);
	default:
		/* a response is queued already; swallow whatever is left */
		*upload_data_size = 0;
		return MHD_YES;
	}
}

/* Accept policy: only the allowlist, trusted proxies and the metrics
 * allowlist get a connection, and no address more than its share. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct receiver *r = cls;
	struct ip_addr ip;
	char src[INET6_ADDRSTRLEN] = "?";

	(void)len;
	if (ip_from_sockaddr(addr, &ip) < 0) {
		note_reject(r, REJ_NOT_ALLOWED, 0, src, NULL, NULL);
		return MHD_NO;
	}
	if (!acl_match(&r->allow, &ip) && !acl_match(&r->trusted, &ip) &&
	    !acl_match(&r->metrics_allow, &ip)) {
		ip_format(&ip, src, sizeof(src));
		note_reject(r, REJ_NOT_ALLOWED, 0, src, NULL, NULL);
		return MHD_NO;
	}
	if (!acl_match(&r->trusted, &ip) && !guard_admit(&r->guard, &ip)) {
		ip_format(&ip, src, sizeof(src));
		note_reject(r, REJ_PER_ADDRESS, 0, src, NULL, NULL);
		return MHD_NO;
	}
	return MHD_YES;
}

/* Connections enter and leave the guard (deadline, per-address count). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct receiver *r = cls;
	const union MHD_ConnectionInfo *fd, *ca;
	struct ip_addr ip;

	ca = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (guard_close(&r->guard, *socket_context)) {
			char src[INET6_ADDRSTRLEN] = "?";
			if (ca && ip_from_sockaddr(ca->client_addr, &ip) == 0)
				ip_format(&ip, src, sizeof(src));
			note_reject(r, REJ_DEADLINE, 0, src, NULL, NULL);
		}
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!fd || !ca || ip_from_sockaddr(ca->client_addr, &ip) < 0) {
		*socket_context = NULL;
		return;
	}
	*socket_context = guard_open(&r->guard, fd->connect_fd, &ip,
				     !acl_match(&r->trusted, &ip));
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct receiver *r = cls;
	struct req *q = *con_cls;

	if (!q)
		return;
	*con_cls = NULL;
	guard_rearm(&r->guard, q->gc);
	strbuf_release(&q->body);
	free(q);
	if (atomic_fetch_sub(&r->active, 1) == 1 && atomic_load(&r->draining)) {
		pthread_mutex_lock(&r->qlock);
		pthread_cond_broadcast(&r->idle);
		pthread_mutex_unlock(&r->qlock);
	}
}

/* libmicrohttpd's messages (mostly about clients): counted in /metrics,
 * logged sanitised and at most one line per interval. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct receiver *r = cls;
	char msg[512], safe[256];
	unsigned long long skipped;
	size_t n;

	atomic_fetch_add(&r->m.http_errors, 1);
	if (!log_due(r, &r->http_log, &skipped))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	scrub(r, msg, safe, sizeof(safe));
	if (skipped)
		warning("http: %s (and %llu more such messages since the last line)", safe, skipped);
	else
		warning("http: %s", safe);
}

/* ---- the writer ---- */

static void set_db_up(struct receiver *r, bool up)
{
	int was = atomic_exchange(&r->db_up, up ? 1 : 0);

	if (was && !up)
		warning("database unreachable: answering 503 until it is back");
	else if (!was && up)
		info("database reachable: accepting receipts");
}

static int writer_connect(struct writer *w)
{
	struct db *db = w->db;

	if (db && db_ok(db))
		return 0;
	if (db) {
		if (db_reconnect(db) < 0)
			return -1;
	} else {
		if (db_connect(w->r->o.conninfo, &db) < 0)
			return -1;
		/* under qlock: receiver_stop() may cancel its statement */
		pthread_mutex_lock(&w->r->qlock);
		w->db = db;
		pthread_mutex_unlock(&w->r->qlock);
	}
	db_set_quiet(db, true);
	/* a lock held elsewhere must not stall every receipt behind it; a
	 * receipt is answered 200 after its commit, so the commit must be
	 * durable whatever the server, database or role default says */
	if (db_exec(db, "SET application_name = 'griot receive';"
		    "SET lock_timeout = '" WRITER_LOCK_TIMEOUT "';"
		    "SET statement_timeout = '" WRITER_STATEMENT_TIMEOUT "';"
		    "SET synchronous_commit = on") < 0)
		return -1;
	return 0;
}

/* Connect when due (now if force); keeps db_up and the backoff.  True
 * when the connection works. */
static bool writer_ensure_db(struct writer *w, bool force)
{
	double now = time_mono();

	if (w->db && db_ok(w->db))
		return true;
	if (!force && now < w->next_try)
		return false;
	if (writer_connect(w) == 0) {
		w->backoff = WRITER_BACKOFF_MIN;
		w->last_ping = now;
		/* connected is not yet healthy (the receipt lock may be held) */
		set_db_up(w->r, dr_store_probe(w->db) == 0);
		return true;
	}
	set_db_up(w->r, false);
	w->next_try = now + w->backoff;
	w->backoff = w->backoff * 2 > WRITER_RECONNECT_MAX ? WRITER_RECONNECT_MAX : w->backoff * 2;
	return false;
}

static void observe_batch(struct receiver *r, struct req **batch, size_t n)
{
	struct metrics *m = &r->m;
	double now = time_mono();
	size_t i, b;

	for (b = 0; b < BATCH_BUCKETS && n > batch_bounds[b]; b++)
		;
	atomic_fetch_add(&m->batch_bucket[b], 1);
	atomic_fetch_add(&m->batch_count, 1);
	atomic_fetch_add(&m->batch_sum, n);
	for (i = 0; i < n; i++) {
		struct req *q = batch[i];
		double lat = now - q->t_mono;
		int s;

		if (q->status != MHD_HTTP_OK)
			continue;
		for (b = 0; b < LAT_BUCKETS && lat > latency_bounds[b]; b++)
			;
		atomic_fetch_add(&m->lat_bucket[b], 1);
		atomic_fetch_add(&m->lat_count, 1);
		atomic_fetch_add(&m->lat_sum_us, (unsigned long long)(lat * 1e6));
		s = DLV_RECEIPT_STATUS(q->dr.status);
		if (s < 0)
			s = DLV_RECEIPT_NR; /* the "invalid" counter */
		atomic_fetch_add(&m->receipts[s], 1);
	}
}

/* Wait up to seconds for the writers to be told to stop; true if told. */
static bool writer_pause(struct receiver *r, double seconds)
{
	struct timespec ts;
	double t = time_now() + seconds;
	bool stop;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	pthread_mutex_lock(&r->qlock);
	if (!r->writer_stop && !atomic_load(&r->draining))
		pthread_cond_timedwait(&r->qcond, &r->qlock, &ts);
	stop = r->writer_stop || atomic_load(&r->draining);
	pthread_mutex_unlock(&r->qlock);
	return stop;
}

/*
 * Write the batch whole.  A data error (SQLSTATE class 22/23) is the
 * rows' fault: find the culprits one row at a time so that they cannot
 * hold the others back.  Any other error is the database's (a lock held
 * elsewhere, a timeout, the connection): retrying rows one by one would
 * multiply it, so the database is marked unhealthy (new receipts get 503
 * meanwhile) and the batch is retried whole while its oldest request is
 * younger than --timeout and the receiver is not stopping; then 503.
 */
static void writer_store(struct writer *w, struct req **batch, struct dr_row *rows, size_t n)
{
	struct receiver *r = w->r;
	struct dr_store_result res;
	double backoff = WRITER_BACKOFF_MIN, oldest = batch[0]->t_mono;
	size_t i;

	for (i = 1; i < n; i++)
		if (batch[i]->t_mono < oldest)
			oldest = batch[i]->t_mono;
	for (;;) {
		if (writer_ensure_db(w, true) && dr_store_batch(w->db, rows, n, &res) == 0) {
			set_db_up(r, true);
			for (i = 0; i < n; i++)
				batch[i]->status = MHD_HTTP_OK;
			atomic_fetch_add(&r->m.reconciled, (unsigned long long)res.reconciled);
			return;
		}
		atomic_fetch_add(&r->m.db_errors, 1);
		if (w->db && db_ok(w->db) && db_error_is_data(w->db))
			break;
		if (w->db)
			error("writing %zu receipt(s) failed, database marked unavailable: %s",
			      n, db_last_error(w->db));
		set_db_up(r, false);
		if (time_mono() - oldest + backoff > r->o.timeout || writer_pause(r, backoff))
			return; /* 503 */
		backoff = backoff * 2 > WRITER_BACKOFF_MAX ? WRITER_BACKOFF_MAX : backoff * 2;
	}
	error("writing %zu receipts failed, trying them one by one: %s", n, db_last_error(w->db));
	for (i = 0; i < n; i++) {
		if (dr_store_batch(w->db, &rows[i], 1, &res) == 0) {
			batch[i]->status = MHD_HTTP_OK;
			atomic_fetch_add(&r->m.reconciled, (unsigned long long)res.reconciled);
		} else if (db_ok(w->db) && db_error_is_data(w->db)) {
			batch[i]->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			atomic_fetch_add(&r->m.rejected[REJ_WRITE_FAILED], 1);
			error("receipt for %s not stored: %s", batch[i]->dr.resource_id,
			      db_last_error(w->db));
		} else {
			/* the database's turn to fail: the rest get 503 */
			set_db_up(r, false);
			break;
		}
	}
}

static void writer_batch(struct writer *w, struct req **batch, struct dr_row *rows, size_t n)
{
	struct receiver *r = w->r;
	size_t i;

	for (i = 0; i < n; i++) {
		struct req *q = batch[i];
		rows[i].resource_id = q->dr.resource_id;
		rows[i].address = q->dr.address;
		rows[i].status = q->dr.status;
		rows[i].status_valid = q->dr.status_valid;
		rows[i].source_addr = strcmp(q->src, "?") ? q->src : NULL;
		rows[i].raw = q->body.buf;
		rows[i].received_at = q->t_real;
		q->status = MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	writer_store(w, batch, rows, n);
	observe_batch(r, batch, n);
	for (i = 0; i < n; i++) {
		struct req *q = batch[i];
		if (q->status == MHD_HTTP_SERVICE_UNAVAILABLE)
			atomic_fetch_add(&r->m.rejected[REJ_DB_UNAVAILABLE], 1);
		/* q belongs to MHD again once resumed: touch nothing after */
		MHD_resume_connection(q->conn);
	}
}

static unsigned long long sum_counters(const atomic_ullong *v, size_t n)
{
	unsigned long long t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t += atomic_load(&v[i]);
	return t;
}

/* One line a minute while receipts or refusals come in (called by the
 * first writer only, and at stop). */
static void log_summary(struct receiver *r, bool force)
{
	static double last;
	static unsigned long long last_ok, last_rej;
	unsigned long long ok = sum_counters(r->m.receipts, DLV_RECEIPT_NR + 1);
	unsigned long long rej = sum_counters(r->m.rejected, REJ_COUNT);
	double now = time_mono();
	unsigned q;

	if (!last)
		last = now;
	if (!force && now - last < 60)
		return;
	last = now;
	if (ok == last_ok && rej == last_rej)
		return;
	pthread_mutex_lock(&r->qlock);
	q = r->qlen;
	pthread_mutex_unlock(&r->qlock);
	info("receipts: %llu stored (+%llu), %llu refused (+%llu), queue %u",
	     ok, ok - last_ok, rej, rej - last_rej, q);
	last_ok = ok;
	last_rej = rej;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct receiver *r = w->r;
	struct req **batch = xcalloc(r->o.batch_max, sizeof(*batch));
	struct dr_row *rows = xcalloc(r->o.batch_max, sizeof(*rows));

	for (;;) {
		size_t n = 0;
		bool stop;

		pthread_mutex_lock(&r->qlock);
		if (!r->qhead && !r->writer_stop) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 250 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&r->qcond, &r->qlock, &ts);
		}
		while (r->qhead && n < r->o.batch_max) {
			batch[n++] = r->qhead;
			r->qhead = r->qhead->next;
		}
		if (!r->qhead)
			r->qtail = &r->qhead;
		r->qlen -= (unsigned)n;
		stop = r->writer_stop && !r->qhead;
		/* more left: wake another writer to take it meanwhile */
		if (r->qhead)
			pthread_cond_signal(&r->qcond);
		pthread_mutex_unlock(&r->qlock);

		if (n) {
			writer_batch(w, batch, rows, n);
		} else if (writer_ensure_db(w, false) &&
			   time_mono() - w->last_ping > WRITER_PROBE_INTERVAL) {
			/* notice an outage, and the end of one, while idle (for
			 * /healthz and for the 503s given meanwhile) */
			w->last_ping = time_mono();
			if (dr_store_probe(w->db) == 0) {
				set_db_up(r, true);
			} else {
				set_db_up(r, false);
				w->next_try = 0;
			}
		}
		if (w == &r->writers[0])
			log_summary(r, false);
		if (stop && n == 0)
			break;
	}
	free(batch);
	free(rows);
	return NULL;
}

static void stop_writers(struct receiver *r)
{
	unsigned i;

	pthread_mutex_lock(&r->qlock);
	r->qclosed = true;
	r->writer_stop = true;
	pthread_cond_broadcast(&r->qcond);
	pthread_mutex_unlock(&r->qlock);
	for (i = 0; i < r->nwriters; i++)
		pthread_join(r->writers[i].th, NULL);
	r->nwriters = 0;
}

/* Cancel whatever statement each writer is running. */
static void cancel_writers(struct receiver *r)
{
	unsigned i;

	pthread_mutex_lock(&r->qlock);
	for (i = 0; i < r->nwriters; i++)
		if (r->writers[i].db)
			db_cancel(r->writers[i].db);
	pthread_mutex_unlock(&r->qlock);
}

/* ---- start and stop ---- */

static int open_listener(struct receiver *r)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[16], hbuf[INET6_ADDRSTRLEN];
	const char *colon, *h = host;
	size_t hl;
	int fd = -1, one = 1, rc;

	colon = strrchr(r->o.listen, ':');
	if (!colon || strlen(colon + 1) >= sizeof(port) || !colon[1])
		return error("--listen '%s': expected ADDR:PORT", r->o.listen);
	hl = (size_t)(colon - r->o.listen);
	if (hl >= sizeof(host))
		return error("--listen '%s': address too long", r->o.listen);
	memcpy(host, r->o.listen, hl);
	host[hl] = '\0';
	strlcpy_(port, colon + 1, sizeof(port));
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*h && strcmp(h, "*") ? h : NULL, port, &hints, &ai);
	if (rc)
		return error("--listen '%s': %s", r->o.listen, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error("socket: %s", strerror(errno));
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		error("cannot listen on %s: %s", r->o.listen, strerror(errno));
		goto fail;
	}
	if (listen(fd, 1024) < 0) {
		error("listen: %s", strerror(errno));
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		error("getsockname: %s", strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, hbuf, sizeof(hbuf));
		snprintf(r->addr, sizeof(r->addr), "[%s]:%u", hbuf, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, hbuf, sizeof(hbuf));
		snprintf(r->addr, sizeof(r->addr), "%s:%u", hbuf, ntohs(s4->sin_port));
	}
	freeaddrinfo(ai);
	r->listen_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* Every option checked, once: the secret, the address lists, TLS files
 * given in pairs. */
static enum griot_err check_options(struct receiver *r)
{
	const struct receiver_opts *o = &r->o;
	const char *why = receiver_secret_problem(o->secret);

	if (!o->secret || !*o->secret) {
		error("no DR secret: pass --secret or set GRIOT_DR_SECRET");
		return GRIOT_ERR_USAGE;
	}
	if (why) {
		error("the DR secret %s", why);
		return GRIOT_ERR_USAGE;
	}
	r->secret = xstrdup(o->secret);
	if (acl_add_list(&r->allow, o->allow ? o->allow : ACL_ORANGE_DEFAULT) < 0 ||
	    (o->trust_proxy && acl_add_list(&r->trusted, o->trust_proxy) < 0) ||
	    acl_add_list(&r->metrics_allow, o->metrics_allow ? o->metrics_allow
			 : METRICS_ALLOW_DEFAULT) < 0)
		return GRIOT_ERR_USAGE; /* acl_add_list() named the entry */
	if (!r->allow.nr) {
		error("--allow: the list is empty");
		return GRIOT_ERR_USAGE;
	}
	if (!o->tls_cert != !o->tls_key) {
		error("--tls-cert and --tls-key go together");
		return GRIOT_ERR_USAGE;
	}
	return GRIOT_OK;
}

/* Read the certificate and the key; the key only from a file no one else
 * can read (checked on the descriptor it is read through). */
static enum griot_err load_tls(struct receiver *r)
{
	const char *key = r->o.tls_key;
	struct stat st;
	int fd;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		error("this libmicrohttpd was built without TLS support");
		return GRIOT_ERR_SERVICE;
	}
	if (strbuf_read_file(&r->tls_cert, r->o.tls_cert, TLS_FILE_MAX) < 0) {
		error("cannot read %s: %s", r->o.tls_cert, strerror(errno));
		return GRIOT_ERR_NOINPUT;
	}
	fd = open(key, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error("cannot read %s: %s", key, strerror(errno));
		if (fd >= 0)
			close(fd);
		return GRIOT_ERR_NOINPUT;
	}
	if (config_check_private(&st, key) < 0) {   /* as for every secret file */
		close(fd);
		return GRIOT_ERR_CONFIG;
	}
	if (strbuf_read_fd(&r->tls_key, fd, TLS_FILE_MAX) < 0) {
		error("cannot read %s: %s", key, strerror(errno));
		close(fd);
		return GRIOT_ERR_NOINPUT;
	}
	close(fd);
	return GRIOT_OK;
}

enum griot_err receiver_start(const struct receiver_opts *opts, struct receiver **out)
{
	struct receiver *r = xcalloc(1, sizeof(*r));
	enum griot_err e;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	bool tls;
	unsigned i;

	*out = NULL;
	r->o = *opts;
	r->listen_fd = -1;
	if (!r->o.max_body)
		r->o.max_body = MAX_BODY_DEFAULT;
	if (!r->o.queue_max)
		r->o.queue_max = QUEUE_MAX_DEFAULT;
	if (!r->o.batch_max)
		r->o.batch_max = BATCH_MAX_DEFAULT;
	if (!r->o.timeout)
		r->o.timeout = TIMEOUT_DEFAULT;
	if (!r->o.max_connections)
		r->o.max_connections = MAX_CONNECTIONS_DEFAULT;
	if (!r->o.max_per_address)
		r->o.max_per_address = MAX_PER_ADDRESS_DEFAULT;
	if (!r->o.request_deadline)
		r->o.request_deadline = REQUEST_DEADLINE_DEFAULT;
	if (!r->o.threads)
		r->o.threads = 1;
	if (!r->o.writers)
		r->o.writers = 1;
	if (!r->o.listen)
		r->o.listen = LISTEN_DEFAULT;
	if (!r->o.tls_priority)
		r->o.tls_priority = RECEIVER_TLS_PRIORITY_DEFAULT;
	pthread_mutex_init(&r->qlock, NULL);
	pthread_mutex_init(&r->loglock, NULL);
	pthread_cond_init(&r->qcond, NULL);
	pthread_cond_init(&r->idle, NULL);
	r->qtail = &r->qhead;
	strbuf_init(&r->tls_cert, 0);
	strbuf_init(&r->tls_key, 0);
	acl_init(&r->allow);
	acl_init(&r->trusted);
	acl_init(&r->metrics_allow);
	/* from here on receiver_free() can clean up */
	*out = r;
	tls = opts->tls_cert || opts->tls_key;

	e = check_options(r);
	if (e == GRIOT_OK && tls)
		e = load_tls(r);
	if (e != GRIOT_OK)
		return e;
	if (tls)
		flags |= MHD_USE_TLS;
	if (open_listener(r) < 0 ||
	    guard_start(&r->guard, r->o.max_per_address, r->o.request_deadline) < 0)
		return GRIOT_ERR_SERVICE;

	/* signals go to receiver_wait(), in every thread started below */
	sigemptyset(&r->sigs);
	sigaddset(&r->sigs, SIGTERM);
	sigaddset(&r->sigs, SIGINT);
	{
		sigset_t block = r->sigs;
		sigaddset(&block, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &block, NULL);
	}

	r->writers = xcalloc(r->o.writers, sizeof(*r->writers));
	for (i = 0; i < r->o.writers; i++) {
		struct writer *w = &r->writers[i];
		w->r = r;
		w->backoff = 0.1;
		/* connect before "ready": the first receipts need no retry */
		writer_ensure_db(w, true);
		if (pthread_create(&w->th, NULL, writer_main, w)) {
			error("cannot start a writer thread");
			return GRIOT_ERR_SERVICE;
		}
		r->nwriters++;
	}
	if (!atomic_load(&r->db_up))
		warning("database unreachable at start: answering 503 until it is back");

	r->resp_ok = MHD_create_response_from_buffer(3, (void *)"OK\n", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r->resp_ok, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	{
		struct MHD_OptionItem ov[16];
		int k = 0;

#define OPT(o, v, p) ov[k++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
		/* the logger first, so that MHD reports option errors through it */
		OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, r);
		OPT(MHD_OPTION_LISTEN_SOCKET, r->listen_fd, NULL);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, r);
		OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, r);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, r->o.timeout, NULL);
		OPT(MHD_OPTION_CONNECTION_LIMIT, r->o.max_connections, NULL);
		if (r->o.threads > 1)
			OPT(MHD_OPTION_THREAD_POOL_SIZE, r->o.threads, NULL);
		if (tls) {
			OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, r->tls_cert.buf);
			OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, r->tls_key.buf);
			OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (char *)r->o.tls_priority);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
		r->daemon = MHD_start_daemon(flags, 0, on_accept, r, on_request, r,
					     MHD_OPTION_ARRAY, ov, MHD_OPTION_END);
	}
	if (!r->daemon) {
		error("cannot start the HTTP server on %s%s", r->addr,
		      tls ? " (are the TLS files and --tls-priority valid?)" : "");
		return GRIOT_ERR_SERVICE;
	}
	info("listening on %s%s, path " DR_PREFIX "***, %zu allowed network(s), %zu trusted proxy network(s)",
	     r->addr, tls ? " (HTTPS)" : "", r->allow.nr, r->trusted.nr);
	return GRIOT_OK;
}

const char *receiver_address(const struct receiver *r)
{
	return r->addr;
}

int receiver_wait(struct receiver *r)
{
	int sig = 0;

	while (sigwait(&r->sigs, &sig) != 0)
		;
	return sig;
}

/* Wait until no request is in flight, or the deadline; true if idle. */
static bool wait_idle(struct receiver *r, double seconds)
{
	double end = time_now() + seconds;
	bool idle;

	pthread_mutex_lock(&r->qlock);
	while (atomic_load(&r->active) > 0 && time_now() < end) {
		struct timespec ts;
		double t = time_now() + 0.1;
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(&r->idle, &r->qlock, &ts);
	}
	idle = atomic_load(&r->active) == 0;
	pthread_mutex_unlock(&r->qlock);
	return idle;
}

int receiver_stop(struct receiver *r)
{
	int fd, ret = 0;
	bool idle;

	if (!r->daemon)
		return 0;
	info("stopping: no new connections; %d request(s) in flight", atomic_load(&r->active));
	atomic_store(&r->draining, 1);
	fd = MHD_quiesce_daemon(r->daemon);
	if (fd >= 0)
		close(fd);
	r->listen_fd = -1;
	/* requests being received or queued get their answer first */
	idle = wait_idle(r, r->o.timeout + 2.0);
	if (!idle) {
		/* a writer stuck on the database must not hold the stop: its
		 * statement is cancelled and its batch answered 503 */
		cancel_writers(r);
		idle = wait_idle(r, STOP_CANCEL_GRACE);
	}
	stop_writers(r);
	log_summary(r, true);
	if (!idle)
		idle = wait_idle(r, 2.0);
	if (!idle) {
		warning("stopping with %d request(s) unanswered", atomic_load(&r->active));
		ret = -1;
	}
	MHD_stop_daemon(r->daemon);
	r->daemon = NULL;
	info("stopped");
	return ret;
}

void receiver_free(struct receiver *r)
{
	if (!r)
		return;
	if (r->daemon) {
		MHD_stop_daemon(r->daemon);
		r->daemon = NULL;
	}
	stop_writers(r);
	guard_stop(&r->guard);
	if (r->writers) {
		unsigned i;
		for (i = 0; i < r->o.writers; i++)
			db_close(r->writers[i].db);
		free(r->writers);
	}
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->resp_ok)
		MHD_destroy_response(r->resp_ok);
	acl_release(&r->allow);
	acl_release(&r->trusted);
	acl_release(&r->metrics_allow);
	if (r->secret) {
		secure_zero(r->secret, strlen(r->secret));
		free(r->secret);
	}
	secure_zero(r->tls_key.buf, r->tls_key.len);
	strbuf_release(&r->tls_key);
	strbuf_release(&r->tls_cert);
	pthread_mutex_destroy(&r->qlock);
	pthread_mutex_destroy(&r->loglock);
	pthread_cond_destroy(&r->qcond);
	pthread_cond_destroy(&r->idle);
	free(r);
}
