#ifndef CAMPAIGN_CAMPAIGN_H
#define CAMPAIGN_CAMPAIGN_H
/*
 * Campaigns: creation, the lifecycle of docs/statuses.md, rendering the
 * messages (template, GSM-7/UCS-2, segments) and the preview shown by
 * `griot campaign show` and checked by `schedule`.
 */
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

struct db;
struct orange_client;
struct json_gen;

struct campaign {
	long long id;
	char *name;
	char status[16];
	char *sender_address;       /* NULL until set */
	char *sender_name;
	char *template;
	double start_at;            /* 0 = not set */
	int window_start;           /* minutes after local midnight, -1 = none */
	int window_end;
	char tz[64];                /* start times and display */
	char window_tz[64];         /* "" = each recipient's country zone (sql/056) */
	char (*zones)[64];          /* zones the window is judged in (>= 1 when loaded) */
	size_t nzones;
	char *paused_reason;
	double created_at, started_at, finished_at;
};

/* 0 found, 1 not found (nothing printed), -1 error. */
int campaign_load(struct db *db, const char *name, struct campaign *out);
/*
 * campaign_load() for a command naming a campaign: GRIOT_OK, or
 * GRIOT_ERR_NOINPUT after error() "no campaign named ...", or
 * GRIOT_ERR_DB.
 */
enum griot_err campaign_find(struct db *db, const char *name, struct campaign *out);
int campaign_load_id(struct db *db, long long id, struct campaign *out);
void campaign_release(struct campaign *c);

struct campaign_spec {
	const char *name;
	const char *sender;         /* tel:+2230000 */
	const char *sender_name;
	const char *message;        /* template text (UTF-8) */
	const char *start;          /* time text, NULL = when scheduled */
	const char *window;         /* "08:00-20:00", NULL = none */
	const char *tz;             /* NULL = UTC */
	const char *window_tz;      /* NULL = recipients' zones; else override */
};
/*
 * Create the campaign, or fill in a draft created by an import.  GRIOT_OK,
 * or after error(): GRIOT_ERR_DATA a bad name, sender, message, window,
 * zone or time; GRIOT_ERR_STATE it exists and is no longer a draft;
 * GRIOT_ERR_DB.
 */
enum griot_err campaign_create(struct db *db, const struct campaign_spec *spec, bool *created);

/* Parse a --start time: "now", an ISO time with Z/offset, or a local
 * "YYYY-MM-DD HH:MM" in tz.  0 or -1. */
int campaign_parse_time(struct db *db, const char *s, const char *tz, double *out);

#define CAMPAIGN_MAX_LINES 20

struct campaign_country {
	char country[4];
	long long messages;         /* still to send (pending + sending) */
	long long segments;         /* units they need */
	long long available;        /* from the contracts, -1 unknown */
	double expires_at;          /* earliest expiry among them, 0 unknown */
	char expires[32];
	bool short_credit;
	bool expires_first;         /* expires before the estimated finish */
	bool held;
	char hold_reason[1024];
};

struct campaign_preview {
	long long total;
	long long send[MSG_STATUS_NR];      /* by enum msg_status */
	long long delivery[DLV_STATUS_NR];  /* by enum dlv_status */
	long long gsm7, ucs2;       /* remaining messages by encoding */
	long long segments;         /* remaining units */
	long long max_segments;
	long long missing;          /* remaining messages with a missing field */
	char missing_field[130];    /* the first missing field seen */
	long long missing_lines[CAMPAIGN_MAX_LINES];
	size_t n_missing_lines;
	struct campaign_country *countries;
	size_t ncountries;
	bool credit_checked;        /* Orange answered */
	char credit_error[600];     /* why not */
	bool credit_short;
	double rate;                /* messages per second used for the estimate */
	double est_start, est_finish; /* 0 when nothing to send */
	char sample[480];           /* first rendered message */
};


/*
 * Render every message still to send and count.  store: write body,
 * encoding and segments of the rows that have none yet (those with a
 * missing field stay NULL, hence unsendable).  client may be NULL: no
 * credit check.  rate <= 0: the shared limiter's rate.
 */
int campaign_preview(struct db *db, const struct campaign *c, struct orange_client *client,
		     bool store, double rate, struct campaign_preview *pv);
void campaign_preview_release(struct campaign_preview *pv);
void campaign_preview_print(const struct campaign *c, const struct campaign_preview *pv);
void campaign_preview_json(struct json_gen *g, const struct campaign *c,
			   const struct campaign_preview *pv);

/*
 * Rows whose template cannot be rendered (missing field) become failed
 * with last_error naming the field: for recipients imported after
 * scheduling.  Returns how many, or -1.
 */
int campaign_fail_unrenderable(struct db *db, const struct campaign *c);

/*
 * Status changes of every campaign, as they commit (sql/055: channel
 * griot_campaign).  campaign_session_init() once per connection (again
 * after a reconnect): it LISTENs, and tells the session the clock windows
 * are judged by (GRIOT_NOW, see window_now()) for griot_claim_candidates.
 * Then the notifications cost no round trip (db_next_notify()); for each,
 * campaign_change_parse() returns 1 and *id, *status when it is a status
 * change, 0 for another channel's (or a malformed one, warned).  A sender
 * reads them before each send and drops the queued messages of a campaign
 * whose status is no longer CAMPAIGN_RUNNING (paused, cancelled): no
 * queued message of a paused campaign leaves once the pause reached it.
 */
int campaign_session_init(struct db *db);
int campaign_change_parse(const char *channel, const char *payload, long long *id,
			  enum campaign_status *status);

/*
 * What is left for a sender serving campaigns ids[0..n), without counting
 * rows (sql/056 campaign_work_left): only running campaigns, open
 * countries (window, holds) count.  0 or -1.
 */
struct campaign_work {
	bool claimable;             /* a claim now would find rows */
	double next_retry;          /* seconds until the next retry is due, -1 none */
	bool sending;               /* rows of them still 'sending' (other senders) */
};
int campaign_work_left(struct db *db, const long long *ids, size_t n, struct campaign_work *w);
/* Messages still to send in ids[0..n) (index-only count), or -1. */
long long campaign_open_count(struct db *db, const long long *ids, size_t n);

/*
 * `griot campaign schedule`: check all a schedule needs (a draft with a
 * sender and a message, recipients, every template field present, the
 * credit per country unless allow_partial), render and store the bodies
 * (pv gets the preview), then schedule from `start` (NULL: its start
 * time, else now).  client NULL: credit not checked, no_client_why says
 * why.  GRIOT_OK, or the kind of error after error() named it.
 */
struct campaign_schedule_opts {
	const char *start;
	bool allow_partial;
	struct orange_client *client;
	const char *no_client_why;
};
enum griot_err campaign_schedule_checked(struct db *db, struct campaign *c,
					 const struct campaign_schedule_opts *o,
					 struct campaign_preview *pv, double *start_at);

/*
 * Lifecycle (docs/statuses.md).  campaign_schedule: 0, or -1 after
 * error().  The others return GRIOT_OK (c->status updated), or after
 * error(): GRIOT_ERR_STATE when c's status does not allow it (or changed
 * meanwhile), GRIOT_ERR_DB.  Callers add no status check of their own.
 */
int campaign_schedule(struct db *db, struct campaign *c, double start_at);
enum griot_err campaign_pause(struct db *db, struct campaign *c, const char *reason);
/*
 * Pause campaign `id` (if scheduled or running) with `reason`, and put
 * the messages requeue[0..n) back to pending if they were recorded
 * 'failed' (sql/055 campaign_pause): for the sender when a refusal
 * concerns the whole campaign (campaign/breaker.h says how to call it;
 * flush the recorded answers first).  Every sender hears of the pause
 * on channel griot_campaign.  1 paused now, 0 it was not scheduled or
 * running, -1 after error().
 */
int campaign_pause_systemic(struct db *db, long long id, const char *reason,
			    const long long *requeue, size_t nrequeue);
/*
 * Put the failed messages of c back to pending (only those whose last
 * error contains `match`, when not NULL); a done campaign runs again.
 * *n: how many.  GRIOT_OK, GRIOT_ERR_STATE (draft, cancelled), GRIOT_ERR_DB.
 */
enum griot_err campaign_retry_failed(struct db *db, const struct campaign *c, const char *match,
				     long long *n);
/*
 * Put the 'unknown' messages of campaign `name` (Orange may or may not
 * have them; none with a receipt) back to pending; a done campaign runs
 * again.  For `griot send --resend-unknown` and the console's admins.
 * Returns how many, or -1 after error().
 */
long long campaign_resend_unknown(struct db *db, const char *name);
enum griot_err campaign_resume(struct db *db, struct campaign *c, int *holds_cleared);
enum griot_err campaign_cancel(struct db *db, struct campaign *c);
/*
 * May a sender be started on c (`griot send --campaign`)?  GRIOT_OK
 * (*finished: done, nothing to send unless resend_unknown), or after
 * error(): GRIOT_ERR_STATE (a draft, cancelled), GRIOT_ERR_TEMPFAIL
 * (paused: resume it first).
 */
enum griot_err campaign_sendable(const struct campaign *c, bool resend_unknown, bool *finished);
/*
 * Where an active campaign c stands at time now: not due yet (scheduled,
 * *when = its start), outside its window (*when = when it next opens),
 * or due (*when = when the window closes for the last of its zones).
 * 0, or -1 on a bad tz.
 */
enum campaign_due { CAMPAIGN_NOT_DUE, CAMPAIGN_OUTSIDE_WINDOW, CAMPAIGN_DUE };
int campaign_due(const struct campaign *c, double now, enum campaign_due *due, double *when);
/* scheduled -> running when due (campaign_due) at time now. */
int campaign_start_if_due(struct db *db, struct campaign *c, double now, bool *started);
/* running -> done when nothing is pending or sending. 1 done, 0 not, -1. */
int campaign_finish_if_done(struct db *db, long long id);
/*
 * Is the campaign inside its window at t, for some of its recipients
 * (c->zones: the override, else their countries' zones)?  *next: when it
 * next opens (outside) or closes for the last of them (inside).  Which
 * recipient may get a message when is griot_claim's rule (sql/056);
 * this is for starting, messages and estimates.  -1 on a bad tz.
 */
int campaign_in_window(const struct campaign *c, double t, bool *inside, double *next);
/* Hold / list holds. */
int campaign_hold_country(struct db *db, long long id, const char *country, const char *reason);

/* Text for a time in the campaign zone. */
void campaign_format_time(const struct campaign *c, double t, char *buf, size_t size);


#endif
