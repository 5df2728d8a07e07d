#ifndef CAMPAIGN_SENDER_H
#define CAMPAIGN_SENDER_H
/*
 * The throttled, crash-safe sender (docs/sending.md).
 *
 * Each batch of rows is claimed in one statement (griot_claim, sql/050):
 * pending rows locked with FOR UPDATE SKIP LOCKED, as many slots booked on
 * the shared limiter (one row of send_rate per limiter, shared by every
 * process on every host, whose rate sets the spacing for all), and the
 * rows committed as 'sending' with their slot time in sending_at — all
 * before any request goes out.  Each request leaves at its slot; answers
 * are written back in batches (griot_record_answers).  A request that
 * would leave later than a small tolerance after its slot is not sent but
 * released, so lateness never packs more than `rate` messages into a
 * second.
 *
 * The run is a loop of ticks, each a sequence of named phases: stop check,
 * submit (the due requests), drain (Orange's answers, classified), flush
 * (the answers' commit), claim, housekeeping (a table of chores with their
 * intervals), done check, idle wait.  Database work happens only where it
 * ends before the next slot, judged from measured round trips; the claim's
 * lead, its size and the requests in flight follow the measured latencies
 * to PostgreSQL and to Orange.
 *
 * Every sender holds a session advisory lock on its instance id while it
 * lives, and a lease (sender_instances.started_until): it never starts a
 * request whose slot lies beyond the lease it committed.  Rows left
 * 'sending' by an instance whose lock is free are recovered: slot beyond
 * its lease, or still further ahead than its clock error plus a margin ->
 * pending (the request never left), else -> unknown.
 */
#include "core/status.h"

#include <signal.h>
#include <stdbool.h>

struct db;
struct orange_client;

enum sender_mode {
	SENDER_UNTIL_DONE,  /* wait for retries and other senders; finish campaigns */
	SENDER_ONCE,        /* send what can be claimed now, then stop */
};

struct sender_opts {
	const char *campaign;       /* name; NULL = every running campaign */
	enum sender_mode mode;
	double rate;                /* messages/s; <= 0: the limiter row's rate */
	const char *limiter;        /* send_rate row; NULL = "default" */
	bool resend_unknown;        /* put 'unknown' rows back to pending first */
	bool start_due;             /* start scheduled campaigns that are due */
	int max_attempts;           /* retryable failures before 'failed'; 0 = 5 */
	int max_parallel;           /* requests on the wire; 0 = by rate */
	volatile sig_atomic_t *stop;/* >0: finish in flight and stop; >1: stop now */
	double outage_pause;        /* Orange failing this long pauses: 0 = BREAKER_OUTAGE_PAUSE */
};

struct sender_stats {
	long long sent, failed, unknown, retried, released, rate_limited;
	long long recovered_pending, recovered_unknown, resent_unknown;
	int campaigns;              /* campaigns served */
	bool left_over;             /* stopped with messages left (window, hold, pause) */
	bool interrupted;           /* a signal stopped it */
	enum griot_err err;         /* why it failed: GRIOT_ERR_CONFIG (credentials
				     * refused), GRIOT_ERR_USAGE (a limiter/rate that
				     * cannot be used), GRIOT_ERR_DB (database or
				     * Orange unusable) */
	char reason[512];           /* why left_over */
	double elapsed;
};

/* 0 done (or left_over set), -1 after error(); st->err says why. */
int sender_run(struct db *db, struct orange_client *client, const struct sender_opts *opts,
	       struct sender_stats *st);

/*
 * The same run in steps, for tests that drive it tick by tick:
 * sender_new, sender_start (register, limiter, clock, recovery, token:
 * 0 or -1), sender_tick until it returns non-zero (1 over, -1 error),
 * sender_finish(s, 0 or -1) (records what is left; returns 0 or -1),
 * sender_free.  Requests still in flight after sender_finish are orphaned
 * safely: the client frees them.
 */
struct sender;
struct sender *sender_new(struct db *db, struct orange_client *client,
			  const struct sender_opts *opts, struct sender_stats *st);
int sender_start(struct sender *s);
int sender_tick(struct sender *s);
int sender_finish(struct sender *s, int ret);
void sender_free(struct sender *s);

/*
 * Recover rows left 'sending' by dead instances (not `self`).  Counts go
 * to *to_pending and *to_unknown.  0 or -1.
 */
int sender_recover(struct db *db, const char *self, long long *to_pending,
		   long long *to_unknown);

/* Make an instance id ("host:pid:random") and take its liveness lock. */
int sender_register(struct db *db, char *id, size_t size);
void sender_unregister(struct db *db, const char *id);

#endif
