#ifndef CAMPAIGN_SENDER_H
#define CAMPAIGN_SENDER_H
/*
 * The throttled, crash-safe sender (docs/sending.md).
 *
 * Each batch of rows is claimed in one statement: pending rows locked
 * with FOR UPDATE SKIP LOCKED, as many slots booked on the shared limiter
 * (griot_book_slots, one row of send_rate per limiter, shared by every
 * process on every host), and the rows committed as 'sending' with their
 * slot time in sending_at — all before any request goes out.  Each request
 * leaves at its slot; answers are written back in batches.  A request
 * that would leave later than a small tolerance after its slot is not
 * sent but released, so lateness never packs more than `rate` messages
 * into a second.
 *
 * Every sender holds a session advisory lock on its instance id while it
 * lives.  Rows left 'sending' by an instance whose lock is free are
 * recovered: slot still in the future -> pending (the request never
 * left), else -> unknown.
 */
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
};

struct sender_stats {
	long long sent, failed, unknown, retried, released, rate_limited;
	long long recovered_pending, recovered_unknown, resent_unknown;
	int campaigns;              /* campaigns served */
	bool left_over;             /* stopped with messages left (window, hold, pause) */
	bool interrupted;           /* a signal stopped it */
	char reason[512];           /* why left_over */
	double elapsed;
};

/* 0 done (or left_over set), -1 after error(). */
int sender_run(struct db *db, struct orange_client *client, const struct sender_opts *opts,
	       struct sender_stats *st);

/*
 * Recover rows left 'sending' by dead instances (not `self`).  Counts go
 * to *to_pending and *to_unknown.  0 or -1.
 */
int sender_recover(struct db *db, const char *self, long long *to_pending,
		   long long *to_unknown);

/* Make an instance id ("host:pid:random") and take its liveness lock. */
int sender_register(struct db *db, char *id, size_t size);
void sender_unregister(struct db *db, const char *id);

/*
 * Slot spacing for a rate: margin/rate.  A request leaves at most
 * `late` seconds after its slot, else it is released, so any rate+1
 * consecutive sends span at least margin - late seconds: the difference
 * is what network and server jitter may eat before a second holds more
 * than `rate`.  Low rates (the 5/s contract) keep the margin thin, to
 * come close to the limit; high rates trade a little speed for room to
 * do database work between slots.
 */
double sender_spacing(double rate);
double sender_late_tolerance(double rate);
#endif
