#ifndef CAMPAIGN_BREAKER_H
#define CAMPAIGN_BREAKER_H
/*
 * The systemic-error detector: tells a refusal that concerns one message
 * (a bad number) from one that concerns every message (a sender name
 * Orange has not approved, credentials refused, Orange down), so that the
 * sender pauses the campaign with the reason instead of burning it
 * message by message (docs/sending.md, "Systemic errors").
 *
 * Pure logic, no I/O: the caller feeds every answer of Orange and acts
 * on the verdict.  How the sender uses it, in its classify phase, for
 * each answer `it` (message id, campaign id, err NULL when accepted):
 *
 *	struct breaker_verdict v;
 *	breaker_feed(&s->breaker, it->campaign_id, it->id, err, time_mono(), &v);
 *	switch (v.action) {
 *	case BREAKER_GO:      classify as usual (sent, failed, retry, unknown);
 *	case BREAKER_WAIT:    the row goes back to pending WITHOUT counting the
 *	                      attempt (unless err->maybe_accepted: unknown as
 *	                      usual); release the queue; claim nothing for
 *	                      v.wait seconds;
 *	case BREAKER_PAUSE:   the row goes back to pending without counting the
 *	                      attempt (unknown if maybe_accepted); flush the
 *	                      recorded answers; then for the campaign (scope
 *	                      BREAKER_CAMPAIGN) or every campaign served (scope
 *	                      BREAKER_ALL) call
 *	                        campaign_pause_systemic(db, id, v.reason,
 *	                                                v.requeue, v.nrequeue)
 *	                      which pauses it and puts the rows of v.requeue
 *	                      that were recorded 'failed' back to pending; release
 *	                      its queued rows.  v.config: stop the run and exit
 *	                      EX_CONFIG (GRIOT_ERR_CONFIG).
 *	}
 *
 * Rules (thresholds in struct breaker_conf):
 * - credentials or configuration refused (401 after one renewal): pause
 *   every campaign at once, config set;
 * - the same definitive refusal (400, same code and text) for
 *   `same_limit` messages of one campaign in a row, with no accepted
 *   message between: pause that campaign; the earlier rows of the run are
 *   listed for requeueing (they were not at fault);
 * - 5xx or network errors, `outage_limit` in a row with no answer from a
 *   working Orange between: wait (growing, up to backoff_max); when the
 *   outage has lasted `outage_pause` seconds: pause every campaign;
 * - any accepted message, 429 or 403 policy answer shows Orange working:
 *   the outage count restarts.
 */
#include "orange/orange.h"

#include <stdbool.h>
#include <stddef.h>

struct breaker_conf {
	int same_limit;             /* identical refusals in a row: 0 = BREAKER_SAME_LIMIT */
	int outage_limit;           /* 5xx/network errors in a row: 0 = BREAKER_OUTAGE_LIMIT */
	double outage_pause;        /* seconds of outage before pausing: 0 = BREAKER_OUTAGE_PAUSE */
	double backoff_max;         /* longest wait: 0 = BREAKER_BACKOFF_MAX */
};
#define BREAKER_SAME_LIMIT 5
#define BREAKER_OUTAGE_LIMIT 3
#define BREAKER_OUTAGE_PAUSE 60.0
#define BREAKER_BACKOFF_MAX 15.0
#define BREAKER_REQUEUE_MAX 64      /* ids a verdict lists at most */

enum breaker_action {
	BREAKER_GO,                 /* nothing systemic: classify the answer as usual */
	BREAKER_WAIT,               /* Orange down for now: send nothing for `wait` s */
	BREAKER_PAUSE,              /* pause with `reason` */
};

enum breaker_scope {
	BREAKER_CAMPAIGN,           /* the campaign of the answer */
	BREAKER_ALL,                /* every campaign being sent */
};

struct breaker_verdict {
	enum breaker_action action;
	enum breaker_scope scope;
	bool config;                /* credentials/configuration: stop, EX_CONFIG */
	double wait;                /* BREAKER_WAIT: seconds */
	long long requeue[BREAKER_REQUEUE_MAX]; /* earlier rows of the run (PAUSE) */
	size_t nrequeue;
	char reason[700];           /* for paused_reason and the log */
};

struct breaker_run;             /* per campaign: the current run of identical refusals */

struct breaker {
	struct breaker_conf conf;
	struct breaker_run *runs;
	size_t nruns;
	int outage_count;           /* 5xx/network errors in a row */
	double outage_since;        /* time of the first of them */
};

/* Set up with conf (NULL or zero fields: the defaults). */
void breaker_init(struct breaker *b, const struct breaker_conf *conf);
void breaker_release(struct breaker *b);

/*
 * Feed one answer: message `msg` of campaign `campaign`, err NULL when
 * Orange accepted it, at time `now` (any monotonic clock, seconds).
 * Fills *v (never NULL).
 */
void breaker_feed(struct breaker *b, long long campaign, long long msg,
		  const struct orange_error *err, double now, struct breaker_verdict *v);

#endif
