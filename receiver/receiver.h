#ifndef RECEIVER_RECEIVER_H
#define RECEIVER_RECEIVER_H
/*
 * The delivery-receipt HTTP(S) server (libmicrohttpd).
 *
 * POST /orange/dr/<secret> from an allowed address: validate, queue and
 * suspend the connection; a writer thread (its own database connection)
 * takes everything queued, writes it in one transaction, commits, then
 * resumes the connections with 200.  While it commits, the next batch
 * gathers in the queue.  (--writers N runs N such writers side by side;
 * on this hardware one is fastest.)  Nothing is acknowledged before its
 * commit; with the database down requests get 503.  GET /healthz and
 * GET /metrics (Prometheus text) for operations.
 */
#include "core/status.h"

#include <stddef.h>

/* Where receipts are POSTed: RECEIVER_DR_PATH + the path secret. */
#define RECEIVER_DR_PATH "/orange/dr/"

/*
 * TLS when serving HTTPS directly (a GnuTLS priority string): TLS 1.2 and
 * 1.3 only, and only key exchanges with forward secrecy (ECDHE; static
 * RSA and finite-field DHE removed), server's order of preference.
 * --tls-priority overrides it.
 */
#define RECEIVER_TLS_PRIORITY_DEFAULT \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-DHE-RSA:-DHE-DSS:%SERVER_PRECEDENCE"

/* The largest --max-body allowed (the fuzz target's FUZZ_MAX_LEN). */
#define RECEIVER_MAX_BODY_LIMIT (16L << 20)

struct receiver_opts {
	const char *listen;          /* "ADDR:PORT", "[V6]:PORT"; port 0 = any */
	const char *secret;          /* the path secret */
	const char *allow;           /* CIDR list; NULL = Orange's addresses */
	const char *trust_proxy;     /* CIDR list of proxies; NULL = none */
	const char *tls_cert;        /* PEM files: HTTPS when both are set */
	const char *tls_key;         /* refused when readable by others */
	const char *tls_priority;    /* NULL = RECEIVER_TLS_PRIORITY_DEFAULT */
	const char *conninfo;        /* database for the writer */
	size_t max_body;             /* bytes; 0 = 4096 */
	unsigned queue_max;          /* queued receipts; 0 = 4096 */
	unsigned batch_max;          /* receipts per transaction; 0 = 1024 */
	unsigned timeout;            /* idle connection timeout, s; 0 = 10 */
	unsigned max_connections;    /* 0 = 1000 */
	unsigned max_per_address;    /* connections from one address (trusted
	                                proxies exempt); 0 = 100 */
	unsigned request_deadline;   /* s for a request's headers and body,
	                                however it trickles; 0 = 30 */
	const char *metrics_allow;   /* CIDR list for /metrics; NULL = loopback */
	unsigned threads;            /* HTTP threads; 0 = 1 */
	unsigned writers;            /* writer threads/connections; 0 = 1 */
};

struct receiver;

/*
 * Check the options (the only place they are checked), bind, start the
 * writers (which connect by themselves, and keep trying while the
 * database is unreachable), start serving.  Blocks SIGTERM, SIGINT and
 * SIGPIPE in the calling thread (and so in every thread it starts) for
 * receiver_wait().  GRIOT_OK, or why not after error() (core/status.h):
 * GRIOT_ERR_USAGE an option's value (secret, address list, ...),
 * GRIOT_ERR_NOINPUT a TLS file cannot be read, GRIOT_ERR_PERM the TLS
 * key is readable by others, GRIOT_ERR_SERVICE cannot listen, start
 * threads or the server.  *out is set either way, for receiver_free().
 */
enum griot_err receiver_start(const struct receiver_opts *opts, struct receiver **out);
/* "ADDR:PORT" actually listened on. */
const char *receiver_address(const struct receiver *r);
/* Block until SIGTERM or SIGINT; returns the signal number. */
int receiver_wait(struct receiver *r);
/*
 * Graceful stop: stop accepting, let requests in flight finish, write and
 * commit everything queued, answer it, then stop.  0, or -1 if some
 * requests could not be answered in time.
 */
int receiver_stop(struct receiver *r);
void receiver_free(struct receiver *r);

/*
 * The rule for a path secret, for the receiver and for whoever builds its
 * URL (griot dr subscribe): 16 to 128 bytes of [A-Za-z0-9._~-].  NULL when
 * it holds, else what is wrong with it.
 */
const char *receiver_secret_problem(const char *secret);

#endif
