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
#include <stddef.h>

/* The largest --max-body allowed (the fuzz target's FUZZ_MAX_LEN). */
#define RECEIVER_MAX_BODY_LIMIT (16L << 20)

struct receiver_opts {
	const char *listen;          /* "ADDR:PORT", "[V6]:PORT"; port 0 = any */
	const char *secret;          /* the path secret */
	const char *allow;           /* CIDR list; NULL = Orange's addresses */
	const char *trust_proxy;     /* CIDR list of proxies; NULL = none */
	const char *tls_cert;        /* PEM files: HTTPS when both are set */
	const char *tls_key;
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
 * Check the options, bind, connect the writer, start serving.  Blocks
 * SIGTERM, SIGINT and SIGPIPE in the calling thread (and so in every
 * thread it starts) for receiver_wait().  0 or -1 after error().
 */
int receiver_start(const struct receiver_opts *opts, struct receiver **out);
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

/* Check a path secret: 16 to 128 bytes of [A-Za-z0-9._~-]; 0 / -1. */
int receiver_check_secret(const char *secret);

#endif
