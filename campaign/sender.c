#include "campaign/sender.h"
#include "campaign/breaker.h"
#include "campaign/campaign.h"
#include "campaign/window.h"
#include "core/db.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "orange/orange.h"

#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Named intervals and margins (seconds).  Everything that depends on the
 * distance to PostgreSQL or to Orange is derived from measured latencies
 * in sender_tune(); these are the fixed parts.
 */
#define FLUSH_EVERY 0.05          /* an answer may wait this long before its commit */
#define FLUSH_BATCH 40            /* answers per commit */
#define REFRESH_EVERY 1.0         /* reload campaigns: status, windows, due starts */
#define RECOVER_EVERY 3.0         /* look for dead senders' rows */
#define CLOCK_SYNC_EVERY 30.0     /* re-measure the offset to PostgreSQL's clock */
#define REMAINING_EVERY 5.0       /* count what is left, for progress lines */
#define RENDER_EVERY 30.0         /* render recipients imported meanwhile */
#define TOKEN_EVERY 5.0           /* renew the Orange token in a gap, before a send needs it */
#define STOP_GRACE 1.5            /* after a stop, wait this long for answers in flight */
#define IDLE_WAIT_MAX 0.1         /* longest wait between two stop checks */
#define IDLE_POLL 0.2             /* nothing to claim: look again after */
#define SUBMIT_PUSH 0.002         /* drive new requests onto the wire this long */
#define LEAD_MARGIN 0.02          /* first slot of a claim: one db round trip + this */
#define LEASE_MIN 0.25            /* shortest lease on starting requests */
#define CLAIM_MAX 100             /* rows per claim */
#define CLAIM_HORIZON_MAX 5.0     /* never hold claimed slots further ahead */
#define QUEUE_MAX 4000            /* claimed rows held at most */
#define INFLIGHT_MARGIN 1.5       /* requests on the wire: rate x Orange RTT x this + 2 */
#define INFLIGHT_MAX 64           /* the Orange client's connection pool */
#define ORANGE_RTT_START 1.0      /* assumed Orange round trip before one is measured */
#define RETRY_AFTER_DEFAULT 1.0   /* a 429 without Retry-After */
#define RETRY_AFTER_MAX 60.0      /* = griot_retry_after_max() in sql/050 */
#define LIMITER_CHANNEL "griot_limiter"  /* a limiter's pause, sql/067 */
/* A limiter's name: short enough that a pause notification ("<end> <name>")
 * always fits the buffer it is read into, printable for the logs. */
#define LIMITER_NAME_MAX 63
#define CLOCK_SAMPLES 5           /* round trips per clock measurement */
#define CLOCK_CHECK_SLACK 0.1     /* a server clock this far off our mapping: measure again */
#define LAT_DECAY 0.3             /* estimators: up at once, down by this fraction */
#define FLUSH_SHARE 3.0           /* answers wait at least this many flush times */

enum item_state { ITEM_QUEUED, ITEM_FLIGHT, ITEM_DONE };

enum outcome {
	OUT_SENT, OUT_FAILED, OUT_UNKNOWN, OUT_RETRY, OUT_RELEASE,
};

struct item {
	long long id;
	struct sc *sc;
	char *msisdn;
	char country[4];
	char *body;
	double slot_db;               /* PostgreSQL's clock (epoch s) */
	double slot;                  /* the same on our monotonic clock */
	double submitted;             /* monotonic, when handed to the client */
	double answered;              /* PostgreSQL's clock, when Orange answered */
	int attempts;                 /* including this one */
	enum item_state state;
	char *resource_id;            /* Orange's id (any length), NULL */
	struct orange_error err;      /* owned: released by item_free */
	bool ok;
	struct sender *s;             /* NULL: orphaned at exit, on_done frees it */
};

/* A campaign served by this run. */
struct sc {
	struct campaign c;
	bool eligible;
	bool dry;                     /* last claim found nothing */
	double next_render;
	char why[200];                /* why not eligible */
};

struct result {
	long long id;
	enum outcome out;
	char *resource_id;
	char *error;
	double delay;                 /* retry after, seconds */
	int attempts_delta;
	double answered;              /* PostgreSQL's clock; 0 = not answered */
};

/* A latency estimate: follows a rise at once, a fall slowly. */
struct lat {
	double est;
};

struct sender;
/* A housekeeping chore: run every `every` seconds, in a gap between slots. */
struct chore {
	const char *name;
	double every;                 /* 0: when due() says so */
	int (*run)(struct sender *s); /* <0 error, 1 another step is due now */
	bool (*due)(const struct sender *s);
	bool while_stopping;
};
enum chore_id { CHORE_REFRESH, CHORE_LEASE, CHORE_RECOVER, CHORE_CLOCK, CHORE_REMAINING,
		CHORE_TOKEN, NCHORES };

struct sender {
	struct db *db;
	struct orange_client *client;
	const struct sender_opts *opts;
	struct sender_stats *st;
	char id[128];
	char limiter[LIMITER_NAME_MAX + 1];
	double rate, spacing, late;
	int max_attempts;

	/* measured */
	struct lat db_rtt;            /* one small statement */
	struct lat claim_cost;        /* one claim */
	struct lat flush_cost;        /* one batch of answers */
	struct lat orange_rtt;        /* one send request */
	double clock_off;             /* PostgreSQL's clock minus time_mono() */
	double clock_err;             /* uncertainty of clock_off, seconds */
	double clock_moved;           /* largest move of clock_off between measures */
	double clock_res;             /* half the best round trip of the last measure */
	bool clock_known;
	int clock_n;                  /* samples of the measure under way */
	double clock_best, clock_cand; /* its quickest round trip, and that offset */
	/* derived from the measures (sender_tune) */
	double lead, horizon, lease_ahead;
	int batch, max_parallel;

	double lease_db;              /* committed lease end, PostgreSQL's clock */

	struct sc **scs;              /* allocated one by one: items point at them */
	size_t nsc;
	size_t cur;                   /* campaign being claimed */
	char **names;                 /* without --campaign: those that may send */
	size_t nnames, refresh_i;

	struct item **queue;          /* claimed, not yet submitted, by slot */
	size_t nq, aq;
	struct item **flight;         /* submitted, not answered */
	size_t nflight, aflight;
	struct item **done;           /* answered, not yet processed */
	size_t ndone, adone;

	struct result *res;           /* processed, waiting for the batch commit */
	size_t nres, ares;
	double first_res;

	struct breaker breaker;       /* systemic errors: pause instead of burning rows */
	double *chore_next;           /* per chore: when it is due */
	double claim_pause_until;     /* after a 429 */
	double next_work_check;
	bool stopping, fatal, registered;
	bool classifying;             /* answers being acted on: no submit meanwhile */
	double stop_at;
	enum griot_err err;           /* why it failed (sender_stats.err) */
	double rate_win[64];          /* times of recent sends (ring) */
	size_t rate_n;
	double started, last_log, last_progress;
	long long remaining;
};

static void lat_add(struct lat *l, double sample)
{
	if (sample > l->est)
		l->est = sample;
	else
		l->est += (sample - l->est) * LAT_DECAY;
}

/*
 * Derive the claim and pipe sizes from what was measured: the first slot
 * of a claim leaves a database round trip for the claim's answer to come
 * back; claims keep `horizon` seconds of slots booked (enough to cover the
 * next claim, made in a gap between slots); requests in flight cover the
 * Orange round trip at the rate.
 */
static void sender_tune(struct sender *s)
{
	double rtt = s->db_rtt.est, cmax;
	int par;

	s->lead = rtt + LEAD_MARGIN;
	s->horizon = s->lead + 2 * s->claim_cost.est + 2 * s->spacing;
	s->batch = (int)ceil(s->horizon * s->rate);
	cmax = s->rate * CLAIM_HORIZON_MAX;
	if (s->batch > cmax)
		s->batch = (int)cmax;
	if (s->batch > CLAIM_MAX)
		s->batch = CLAIM_MAX;
	if (s->batch < 1)
		s->batch = 1;
	s->lease_ahead = 3 * rtt + 2 * s->spacing;
	if (s->lease_ahead < LEASE_MIN)
		s->lease_ahead = LEASE_MIN;
	par = (int)ceil(s->rate * s->orange_rtt.est * INFLIGHT_MARGIN) + 2;
	if (s->opts->max_parallel > 0)
		par = s->opts->max_parallel;
	s->max_parallel = par > INFLIGHT_MAX ? INFLIGHT_MAX : par;
}

/* db_now: PostgreSQL's clock, as mapped onto ours. */
static double db_now(const struct sender *s)
{
	return time_mono() + s->clock_off;
}

/*
 * Every statement that extends the lease reads the server's clock for
 * free: it ran between t1 and t2 (our clock), extended the lease by
 * `ahead` seconds and returned its end v.  A v beyond the lease we knew is
 * the server's clock_timestamp() + ahead at an instant of the statement;
 * otherwise (greatest() kept the old end) that instant's clock was at
 * most v - ahead.  A server clock outside what our mapping allows means
 * it stepped since the last measure: the clock chore runs again at once,
 * not 30 s later.  Call before taking v into s->lease_db.
 */
static void clock_check(struct sender *s, double t1, double t2, double ahead, double v)
{
	double c = v - ahead, tol = s->clock_res + CLOCK_CHECK_SLACK;
	double lo = t1 + s->clock_off - tol, hi = t2 + s->clock_off + tol;

	if (!s->clock_known || (c >= lo && (v <= s->lease_db || c <= hi)))
		return;
	warning("PostgreSQL's clock moved by %s%.3f s or more since it was measured; measuring "
		"it again", c < lo ? "-" : "+", c < lo ? lo - c : c - hi);
	s->chore_next[CHORE_CLOCK] = time_mono();
}

int sender_register(struct db *db, char *id, size_t size)
{
	char host[64] = "host", buf[8];
	const char *p[1];
	unsigned rnd;
	FILE *f = fopen("/dev/urandom", "r");

	if (!f || fread(&rnd, sizeof(rnd), 1, f) != 1)
		rnd = (unsigned)(time_now() * 1e6) ^ (unsigned)getpid();
	if (f)
		fclose(f);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(id, size, "%s:%d:%08x", host, (int)getpid(), rnd);
	p[0] = id;
	if (db_query_value(db, buf, sizeof(buf),
			   "SELECT pg_try_advisory_lock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))", 1, p) < 0)
		return -1;
	if (strcmp(buf, "t"))
		return error("sender id %s is already in use", id);
	return 0;
}

void sender_unregister(struct db *db, const char *id)
{
	const char *p[1] = { id };

	db_set_quiet(db, true);
	db_query(db, NULL, "DELETE FROM sender_instances WHERE id = $1", 1, p);
	db_query(db, NULL, "SELECT pg_advisory_unlock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))", 1, p);
	db_set_quiet(db, false);
}

int sender_recover(struct db *db, const char *self, long long *to_pending,
		   long long *to_unknown)
{
	struct db_result *r;
	int n, i;

	*to_pending = *to_unknown = 0;
	/* A free liveness lock = its session is gone = the owner is dead. */
	n = db_query(db, &r, "SELECT owner, to_pending, to_unknown FROM griot_recover_dead($1)",
		     1, &self);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		long long j = db_result_int(r, i, 1), k = db_result_int(r, i, 2);

		if (j || k)
			warning("recovered %lld message(s) of dead sender %s: %lld back to pending "
				"(never sent), %lld unknown (Orange may have them)", j + k,
				db_result_get(r, i, 0), j, k);
		*to_pending += j;
		*to_unknown += k;
	}
	db_result_free(r);
	return 0;
}

/* ---------------------------------------------------------------- */

static void item_free(struct item *it)
{
	if (!it)
		return;
	free(it->msisdn);
	free(it->body);
	free(it->resource_id);
	orange_error_release(&it->err);
	free(it);
}

static void add_result(struct sender *s, const struct item *it, enum outcome out,
		       const char *rid, const char *err, double delay, int attempts_delta)
{
	struct result *r;

	if (s->nres == s->ares) {
		s->ares = s->ares ? 2 * s->ares : 64;
		s->res = xrealloc(s->res, s->ares * sizeof(*s->res));
	}
	if (!s->nres)
		s->first_res = time_mono();
	r = &s->res[s->nres++];
	r->id = it->id;
	r->out = out;
	r->resource_id = rid ? xstrdup(rid) : NULL;
	r->error = err ? xstrdup(err) : NULL;
	r->delay = delay;
	r->attempts_delta = attempts_delta;
	r->answered = it->answered;
}

/* A claimed row goes back to pending untouched (the attempt is not counted). */
static void release_item(struct sender *s, struct item *it)
{
	add_result(s, it, OUT_RELEASE, NULL, NULL, 0, -1);
	s->st->released++;
	item_free(it);
}

static const char *outcome_status(enum outcome o)
{
	switch (o) {
	case OUT_SENT: return "sent";
	case OUT_FAILED: return "failed";
	case OUT_UNKNOWN: return "unknown";
	default: return "pending";
	}
}

/*
 * Flush phase: commit every recorded outcome in one statement
 * (griot_record_answers, which also extends the lease).
 */
static int flush_results(struct sender *s)
{
	struct strbuf ids = STRBUF_INIT, sts = STRBUF_INIT, rids = STRBUF_INIT,
		errs = STRBUF_INIT, delays = STRBUF_INIT, ads = STRBUF_INIT, ats = STRBUF_INIT;
	char lease[32], cerr[32];
	const char *p[10];
	struct db_result *dr = NULL;
	double t0 = time_mono();
	size_t i, nr = s->nres;       /* the wait hook may add results meanwhile */
	int n, ret = 0;

	if (!nr)
		return 0;
	for (i = 0; i < nr; i++) {
		struct result *r = &s->res[i];
		char num[64];

		snprintf(num, sizeof(num), "%lld", r->id);
		db_array_add(&ids, num);
		db_array_add(&sts, outcome_status(r->out));
		db_array_add(&rids, r->resource_id);
		db_array_add(&errs, r->error);
		snprintf(num, sizeof(num), "%.3f", r->delay);
		db_array_add(&delays, num);
		snprintf(num, sizeof(num), "%d", r->attempts_delta);
		db_array_add(&ads, num);
		snprintf(num, sizeof(num), "%.6f", r->answered > 0 ? r->answered : db_now(s));
		db_array_add(&ats, num);
	}
	db_array_end(&ids); db_array_end(&sts); db_array_end(&rids); db_array_end(&errs);
	db_array_end(&delays); db_array_end(&ads); db_array_end(&ats);
	snprintf(lease, sizeof(lease), "%.3f", s->lease_ahead);
	snprintf(cerr, sizeof(cerr), "%.6f", s->clock_err);
	p[0] = s->id; p[1] = ids.buf; p[2] = sts.buf; p[3] = rids.buf; p[4] = errs.buf;
	p[5] = delays.buf; p[6] = ads.buf; p[7] = ats.buf; p[8] = lease; p[9] = cerr;
	n = db_query(s->db, &dr, "SELECT recorded, started_until FROM griot_record_answers($1,"
		     " $2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::int[],"
		     " $8::float8[], $9::float8, $10::float8)", 10, p);
	if (n <= 0) {
		ret = error("cannot record %zu answer(s) from Orange; the rows stay 'sending' "
			    "and will be recovered as unknown", nr);
		s->fatal = true;
	} else {
		long long got = db_result_int(dr, 0, 0);
		double lease_end = db_result_double(dr, 0, 1);

		if ((size_t)got != nr)
			warning("recorded %lld of %zu answers: the others were taken over meanwhile",
				got, nr);
		clock_check(s, t0, time_mono(), s->lease_ahead, lease_end);
		if (lease_end > s->lease_db)
			s->lease_db = lease_end;
	}
	db_result_free(dr);
	lat_add(&s->flush_cost, time_mono() - t0);
	debug("flush of %zu: %.1f ms", nr, (time_mono() - t0) * 1000);
	for (i = 0; i < nr; i++) {
		free(s->res[i].resource_id);
		free(s->res[i].error);
	}
	memmove(s->res, s->res + nr, (s->nres - nr) * sizeof(*s->res));
	s->nres -= nr;
	if (s->nres)
		s->first_res = t0;
	strbuf_release(&ids); strbuf_release(&sts); strbuf_release(&rids);
	strbuf_release(&errs); strbuf_release(&delays); strbuf_release(&ads);
	strbuf_release(&ats);
	return ret;
}

/*
 * Give queued (never submitted) items back: they surely were not sent.
 * Only those of campaign `only` and `country` when given, and only those
 * whose slot comes before `before` (monotonic; INFINITY: all).
 */
static void release_queued(struct sender *s, struct sc *only, const char *country, double before)
{
	size_t i, k = 0;

	for (i = 0; i < s->nq; i++) {
		struct item *it = s->queue[i];

		if ((only && it->sc != only) || (country && strcmp(it->country, country)) ||
		    it->slot >= before) {
			s->queue[k++] = it;
			continue;
		}
		release_item(s, it);
	}
	s->nq = k;
}

static void flight_remove(struct sender *s, struct item *it)
{
	size_t i;

	for (i = 0; i < s->nflight; i++)
		if (s->flight[i] == it) {
			s->flight[i] = s->flight[--s->nflight];
			return;
		}
}

/*
 * The client's completion callback.  An item orphaned at exit (sender_run
 * returned with it on the wire) only frees itself: its row stays
 * 'sending' and recovery decides.
 */
static void on_done(void *arg, const char *resource_id, const struct orange_error *err)
{
	struct item *it = arg;
	struct sender *s = it->s;

	if (!s) {
		item_free(it);
		return;
	}
	it->state = ITEM_DONE;
	it->answered = db_now(s);
	lat_add(&s->orange_rtt, time_mono() - it->submitted);
	it->ok = resource_id != NULL;
	free(it->resource_id);
	it->resource_id = resource_id ? xstrdup(resource_id) : NULL;
	if (!resource_id && err)
		orange_error_copy(&it->err, err);
	else if (!resource_id) {
		orange_error_release(&it->err);
		it->err.kind = ORANGE_ERR_PROTOCOL;
		it->err.maybe_accepted = true;
		it->err.code = xstrdup("");
		it->err.message = xstrdup("no answer");
		it->err.variables = xstrdup("");
	}
	flight_remove(s, it);
	if (s->ndone == s->adone) {
		s->adone = s->adone ? 2 * s->adone : 64;
		s->done = xrealloc(s->done, s->adone * sizeof(*s->done));
	}
	s->done[s->ndone++] = it;
}

static double backoff(int attempts)
{
	double base = 0.5 * pow(2, attempts > 10 ? 10 : attempts - 1);
	double jitter = 0.5 + (double)rand() / RAND_MAX;

	if (base > 60)
		base = 60;
	return base * jitter;
}

/* Append "kind[ HTTP n]: message" to out, for last_error and logs. */
static void format_error(const struct orange_error *e, struct strbuf *out)
{
	const char *m = e->message ? e->message : "";

	if (e->http_status)
		strbuf_addf(out, "%s HTTP %d: %s", orange_err_name(e->kind), e->http_status, m);
	else
		strbuf_addf(out, "%s: %s", orange_err_name(e->kind), m);
}

/*
 * The limiter is paused until `until` (monotonic): nothing of this sender
 * leaves before it.  Queued items whose slot comes before it go back to
 * pending; later slots keep their place (the limiter books none before
 * it): releasing them would waste them.  No claim before it either.
 * Returns how many were released.
 */
static size_t pause_until(struct sender *s, double until)
{
	size_t before = s->nq;

	release_queued(s, NULL, NULL, until);
	if (until > s->claim_pause_until)
		s->claim_pause_until = until;
	return before - s->nq;
}

/*
 * A pause booked by any sender on a limiter (payload "<end> <name>" of
 * sql/067, <end> on PostgreSQL's clock): ours when <name> is our limiter.
 */
static void limiter_paused(struct sender *s, const char *payload)
{
	double end_db;
	int n = -1;
	size_t k;

	if (sscanf(payload, "%lf %n", &end_db, &n) != 1 || n < 0) {
		warning("ignoring a malformed notification on %s: '%s'", LIMITER_CHANNEL, payload);
		return;
	}
	if (strcmp(payload + n, s->limiter))
		return;
	k = pause_until(s, end_db - s->clock_off);
	if (k)
		info("limiter '%s' paused until %.1f s from now (429): %zu queued message(s) back "
		     "to pending", s->limiter, end_db - db_now(s), k);
}

/* A 429: book the (capped) pause into the shared limiter for every sender. */
static int rate_limited(struct sender *s, struct item *it, const char *msg)
{
	const struct orange_error *e = &it->err;
	double ra = e->retry_after > 0 ? e->retry_after : RETRY_AFTER_DEFAULT;
	const char *p[2];
	char rbuf[32];
	size_t k;

	if (ra > RETRY_AFTER_MAX) {
		warning("Orange asked to wait %.0f s (Retry-After): waiting %.0f s, the cap",
			ra, RETRY_AFTER_MAX);
		ra = RETRY_AFTER_MAX;
	}
	snprintf(rbuf, sizeof(rbuf), "%.3f", ra);
	p[0] = s->limiter;
	p[1] = rbuf;
	s->st->rate_limited++;
	add_result(s, it, OUT_RETRY, NULL, msg, ra, -1);
	if (db_query(s->db, NULL, "SELECT griot_rate_backoff($1, $2::float8)", 2, p) < 0)
		return -1;
	k = pause_until(s, time_mono() + ra);
	warning("Orange says too many requests (429, Retry-After %.1f s): limiter '%s' books no "
		"slot before then; %zu queued message(s) back to pending, %zu keep their later slot",
		ra, s->limiter, k, s->nq);
	return 0;
}

/* Classify: what an answer means for its row (docs/statuses.md). */
static int classify(struct sender *s, struct item *it)
{
	const struct orange_error *e = &it->err;
	struct strbuf msg = STRBUF_INIT, reason = STRBUF_INIT;
	int ret = 0;

	if (it->ok) {
		add_result(s, it, OUT_SENT, it->resource_id, NULL, 0, 0);
		s->st->sent++;
		if (s->rate_n < 64)
			s->rate_win[s->rate_n++] = time_mono();
		else {
			memmove(s->rate_win, s->rate_win + 1, 63 * sizeof(double));
			s->rate_win[63] = time_mono();
		}
		goto out;
	}
	format_error(e, &msg);
	if (e->maybe_accepted) {
		/* Never resent blindly: a receipt or --resend-unknown settles it. */
		add_result(s, it, OUT_UNKNOWN, NULL, msg.buf, 0, 0);
		s->st->unknown++;
		goto out;
	}
	switch (e->kind) {
	case ORANGE_ERR_RATE_LIMITED:
		ret = rate_limited(s, it, msg.buf);
		goto out;
	case ORANGE_ERR_POLICY:
		strbuf_addf(&reason, "Orange refused for %s: %s", it->country,
			    e->message ? e->message : "");
		if (e->variables && *e->variables)
			strbuf_addf(&reason, " — %s", e->variables);
		add_result(s, it, OUT_RELEASE, NULL, reason.buf, 0, -1);
		if (campaign_hold_country(s->db, it->sc->c.id, it->country, reason.buf) < 0) {
			ret = -1;
			goto out;
		}
		if (!it->sc->dry || s->nq) {
			warning("campaign '%s': holding %s (credit exhausted or contract expired: %s); "
				"other countries continue; add credit, then "
				"'griot campaign resume %s'", it->sc->c.name, it->country, reason.buf,
				it->sc->c.name);
		}
		release_queued(s, it->sc, it->country, INFINITY);
		goto out;
	case ORANGE_ERR_CREDENTIALS:
	case ORANGE_ERR_TOKEN_EXPIRED:
	case ORANGE_ERR_CONFIG:
		add_result(s, it, OUT_RELEASE, NULL, msg.buf, 0, -1);
		if (!s->fatal)
			error("Orange refused griot's credentials (%s): stopping", msg.buf);
		s->fatal = true;
		s->err = orange_err_kind(&it->err);
		s->stopping = true;
		release_queued(s, NULL, NULL, INFINITY);
		goto out;
	case ORANGE_ERR_SERVER:
	case ORANGE_ERR_NETWORK:
		/* Surely not accepted: retry later, a bounded number of times. */
		if (it->attempts >= s->max_attempts) {
			strbuf_addf(&reason, "gave up after %d attempts: %s", it->attempts, msg.buf);
			add_result(s, it, OUT_FAILED, NULL, reason.buf, 0, 0);
			s->st->failed++;
			goto out;
		}
		add_result(s, it, OUT_RETRY, NULL, msg.buf, backoff(it->attempts), 0);
		s->st->retried++;
		goto out;
	default:
		add_result(s, it, OUT_FAILED, NULL, msg.buf, 0, 0);
		s->st->failed++;
		goto out;
	}
out:
	strbuf_release(&msg);
	strbuf_release(&reason);
	return ret;
}

/*
 * A systemic answer (campaign/breaker.h): the row was not at fault.  It
 * goes back to pending without counting the attempt, unless Orange may
 * have it (unknown, as always).
 */
static void requeue_systemic(struct sender *s, struct item *it, const char *why)
{
	struct strbuf msg = STRBUF_INIT;

	if (it->err.maybe_accepted) {
		format_error(&it->err, &msg);
		add_result(s, it, OUT_UNKNOWN, NULL, msg.buf, 0, 0);
		s->st->unknown++;
		strbuf_release(&msg);
		return;
	}
	add_result(s, it, OUT_RELEASE, NULL, why, 0, -1);
	s->st->released++;
}

static void sc_ineligible(struct sender *s, struct sc *x);

/* Pause the campaign(s) the verdict names, after committing the answers. */
static int systemic_pause(struct sender *s, struct item *it, const struct breaker_verdict *v)
{
	size_t i;

	requeue_systemic(s, it, v->reason);
	if (flush_results(s) < 0)
		return -1;
	for (i = 0; i < s->nsc; i++) {
		struct sc *x = s->scs[i];

		if (v->scope == BREAKER_CAMPAIGN && x != it->sc)
			continue;
		if (campaign_pause_systemic(s->db, x->c.id, v->reason, v->requeue, v->nrequeue) < 0)
			return -1;
		snprintf(x->why, sizeof(x->why), "paused: %.180s", v->reason);
		sc_ineligible(s, x);
		warning("campaign '%s' paused: %s; 'griot campaign resume %s' once fixed",
			x->c.name, v->reason, x->c.name);
	}
	if (v->config) {
		if (!s->fatal)
			error("Orange refused griot's credentials: %s", v->reason);
		s->fatal = true;
		s->err = GRIOT_ERR_CONFIG;
		s->stopping = true;
		release_queued(s, NULL, NULL, INFINITY);
	}
	return 0;
}

/*
 * Refused only for a token the client has renewed since (orange.h:
 * send_again): Orange accepted nothing.  The row goes back to pending,
 * attempt not counted, and leaves again in a slot booked for it: never
 * at once, outside the shared limit.
 */
static void send_again_later(struct sender *s, struct item *it)
{
	struct strbuf msg = STRBUF_INIT;

	format_error(&it->err, &msg);
	debug("message %lld: %s; token renewed, it goes in a new slot", it->id, msg.buf);
	add_result(s, it, OUT_RELEASE, NULL, msg.buf, 0, -1);
	s->st->released++;
	strbuf_release(&msg);
}

/* Classify phase: a renewed token's resend, the breaker (systemic
 * errors), then the row. */
static int process_answer(struct sender *s, struct item *it)
{
	struct breaker_verdict v;

	if (!it->ok && it->err.send_again) {
		send_again_later(s, it);
		return 0;
	}

	breaker_feed(&s->breaker, it->sc->c.id, it->id, it->ok ? NULL : &it->err, time_mono(), &v);
	switch (v.action) {
	case BREAKER_WAIT:
		requeue_systemic(s, it, v.reason);
		release_queued(s, NULL, NULL, INFINITY);
		if (s->claim_pause_until < time_mono() + v.wait) {
			warning("%s: sending nothing for %.1f s", v.reason, v.wait);
			s->claim_pause_until = time_mono() + v.wait;
		}
		return 0;
	case BREAKER_PAUSE:
		return systemic_pause(s, it, &v);
	case BREAKER_GO:
	default:
		return classify(s, it);
	}
}

/* ---------------------------------------------------------------- */

static void sc_release_all(struct sender *s)
{
	size_t i;

	for (i = 0; i < s->nsc; i++) {
		campaign_release(&s->scs[i]->c);
		free(s->scs[i]);
	}
	free(s->scs);
	s->scs = NULL;
	s->nsc = 0;
}

static struct sc *sc_find(struct sender *s, long long id)
{
	size_t i;

	for (i = 0; i < s->nsc; i++)
		if (s->scs[i]->c.id == id)
			return s->scs[i];
	return NULL;
}

/* Items point at their campaign: each sc is allocated once, never moved. */
static struct sc *sc_add(struct sender *s, struct campaign *c)
{
	struct sc *x = xcalloc(1, sizeof(*x));

	s->scs = xrealloc(s->scs, (s->nsc + 1) * sizeof(*s->scs));
	s->scs[s->nsc++] = x;
	x->c = *c;
	return x;
}

/* A campaign may no longer send: give its queued rows back. */
static void sc_ineligible(struct sender *s, struct sc *x)
{
	x->eligible = false;
	release_queued(s, x, NULL, INFINITY);
}

/* Reload campaign `name`, start it if due, decide whether it may send now. */
static int refresh_campaign(struct sender *s, const char *name)
{
	double now = window_now(), mono = time_mono();
	struct campaign c;
	struct sc *x;
	enum campaign_due due;
	bool started;
	double when;
	int st, rc = campaign_load(s->db, name, &c);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	x = sc_find(s, c.id);
	if (x) {
		campaign_release(&x->c);
		x->c = c;
	} else {
		x = sc_add(s, &c);
	}
	if (s->opts->start_due && campaign_start_if_due(s->db, &x->c, now, &started) < 0)
		return -1;
	if (s->opts->start_due && started)
		info("campaign '%s' started", x->c.name);
	if (campaign_due(&x->c, now, &due, &when) < 0)
		return -1;
	st = CAMPAIGN_STATUS(x->c.status);
	if (st == CAMPAIGN_RUNNING && due == CAMPAIGN_DUE) {
		x->eligible = true;
		x->dry = false;
	} else {
		char tbuf[64];

		campaign_format_time(&x->c, when, tbuf, sizeof(tbuf));
		if (campaign_active(st) && due == CAMPAIGN_NOT_DUE) {
			snprintf(x->why, sizeof(x->why), "not due before %s", tbuf);
		} else if (campaign_active(st)) {
			if (due == CAMPAIGN_OUTSIDE_WINDOW)
				snprintf(x->why, sizeof(x->why), "outside its send window until %s", tbuf);
			else
				snprintf(x->why, sizeof(x->why), "scheduled, not started");
		} else {
			snprintf(x->why, sizeof(x->why), "%s%s%s", x->c.status,
				 x->c.paused_reason ? ": " : "",
				 x->c.paused_reason ? x->c.paused_reason : "");
		}
		sc_ineligible(s, x);
	}
	if (x->eligible && mono >= x->next_render) {
		/* Recipients imported after scheduling need their body. */
		if (campaign_fail_unrenderable(s->db, &x->c) < 0)
			return -1;
		x->next_render = mono + RENDER_EVERY;
	}
	return 0;
}

/*
 * Without --campaign: the names of the campaigns that may send (one
 * statement); served campaigns missing from it (paused, cancelled, done)
 * stop at once, reloaded for the reason.
 */
static int refresh_list(struct sender *s)
{
	struct db_result *r;
	size_t i;
	int n, k, rc;

	n = db_query(s->db, &r, "SELECT name FROM campaigns WHERE " CAMPAIGN_ACTIVE_SQL("status")
		     " ORDER BY id", 0, NULL);
	if (n < 0)
		return -1;
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	s->names = xrealloc(s->names, ((size_t)n + 1) * sizeof(*s->names));
	for (k = 0; k < n; k++)
		s->names[k] = xstrdup(db_result_get(r, k, 0));
	s->nnames = (size_t)n;
	db_result_free(r);
	for (i = 0; i < s->nsc; i++) {
		struct sc *x = s->scs[i];
		bool listed = false;

		for (k = 0; k < n && !listed; k++)
			listed = !strcmp(s->names[k], x->c.name);
		if (!listed && x->eligible) {
			/* Reload it: its status and reason say why (paused: ...). */
			char *name = xstrdup(x->c.name);

			rc = refresh_campaign(s, name);
			free(name);
			if (rc < 0)
				return -1;
			if (x->eligible) { /* gone meanwhile */
				snprintf(x->why, sizeof(x->why), "no longer running");
				sc_ineligible(s, x);
			}
		}
	}
	return 0;
}

/*
 * The refresh chore: one statement-sized step at a time, so that each
 * fits between two slots.  With --campaign, that campaign; else the list,
 * then one campaign per step.  1 when more steps are due now.
 */
static int chore_refresh(struct sender *s)
{
	if (s->opts->campaign)
		return refresh_campaign(s, s->opts->campaign);
	if (s->refresh_i >= s->nnames) {
		if (refresh_list(s) < 0)
			return -1;
		s->refresh_i = 0;
		return s->nnames ? 1 : 0;
	}
	if (refresh_campaign(s, s->names[s->refresh_i++]) < 0)
		return -1;
	return s->refresh_i < s->nnames ? 1 : 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/*
 * Slots are instants on PostgreSQL's clock, shared by every sender.  Map
 * them onto this process's monotonic clock: the offset from the quickest
 * of a few round trips is good to half that round trip.  The clock error
 * recorded for recovery adds how far the offset moved since the last
 * measure (a stepped or drifting database clock) and the late tolerance.
 * Queued items are mapped again with the new offset.
 * A measure is CLOCK_SAMPLES samples, one round trip each (clock_sample),
 * so that the housekeeping takes one step at a time.
 */
static int clock_sample(struct sender *s)
{
	double t1 = time_mono(), t2, dbt;
	char buf[64];

	if (db_query_value(s->db, buf, sizeof(buf),
			   "SELECT extract(epoch from clock_timestamp())", 0, NULL) < 0)
		return -1;
	t2 = time_mono();
	if (parse_double(buf, &dbt) < 0)
		return error("cannot read PostgreSQL's clock");
	if (!s->clock_n++ || t2 - t1 < s->clock_best) {
		s->clock_best = t2 - t1;
		s->clock_cand = dbt - (t1 + t2) / 2;
	}
	return 0;
}

/* The samples of a measure are in: adopt the best one's offset. */
static void clock_settle(struct sender *s)
{
	double moved = 0;
	size_t i;

	lat_add(&s->db_rtt, s->clock_best);
	if (s->clock_known)
		moved = fabs(s->clock_cand - s->clock_off);
	if (moved > s->clock_moved)
		s->clock_moved = moved;
	s->clock_off = s->clock_cand;
	s->clock_known = true;
	s->clock_res = s->clock_best / 2;
	s->clock_err = s->clock_best / 2 + s->clock_moved + s->late;
	s->clock_n = 0;
	for (i = 0; i < s->nq; i++)
		s->queue[i]->slot = s->queue[i]->slot_db - s->clock_off;
	debug("clock offset to PostgreSQL within %.2f ms (moved %.2f ms)", s->clock_best * 500,
	      moved * 1000);
}

/* A whole measure at once (at start). */
static int clock_sync(struct sender *s)
{
	while (s->clock_n < CLOCK_SAMPLES)
		if (clock_sample(s) < 0)
			return -1;
	clock_settle(s);
	return 0;
}

/* The clock chore: one sample a step; 1 while the measure goes on. */
static int chore_clock(struct sender *s)
{
	if (clock_sample(s) < 0)
		return -1;
	if (s->clock_n < CLOCK_SAMPLES)
		return 1;
	clock_settle(s);
	return 0;
}

/*
 * Claim phase: up to s->batch rows of x with their slots, one statement
 * (griot_claim), the lease extended with it.
 */
static int claim(struct sender *s, struct sc *x)
{
	char idbuf[32], kbuf[16], leadbuf[32], lease[32], cerr[32];
	const char *p[7];
	struct db_result *r;
	double t0 = time_mono();
	int n, i;

	snprintf(idbuf, sizeof(idbuf), "%lld", x->c.id);
	snprintf(kbuf, sizeof(kbuf), "%d", s->batch);
	snprintf(leadbuf, sizeof(leadbuf), "%.3f", s->lead);
	snprintf(lease, sizeof(lease), "%.3f", s->lease_ahead);
	snprintf(cerr, sizeof(cerr), "%.6f", s->clock_err);
	p[0] = idbuf; p[1] = kbuf; p[2] = s->limiter; p[3] = leadbuf; p[4] = s->id;
	p[5] = lease; p[6] = cerr;
	n = db_query(s->db, &r, "SELECT id, msisdn, country, body, attempts, slot, started_until"
		     " FROM griot_claim($1::bigint, $2::int, $3, $4::float8, $5, $6::float8, $7::float8)",
		     7, p);
	if (n < 0)
		return -1;
	lat_add(&s->claim_cost, time_mono() - t0);
	if (n == 0)
		x->dry = true;
	else
		clock_check(s, t0, time_mono(), s->lease_ahead, db_result_double(r, 0, 6));
	if (s->nq + (size_t)n > s->aq) {
		s->aq = (s->nq + (size_t)n) * 2;
		s->queue = xrealloc(s->queue, s->aq * sizeof(*s->queue));
	}
	for (i = 0; i < n; i++) {
		struct item *it = xcalloc(1, sizeof(*it));
		double lease_end = db_result_double(r, i, 6);

		it->id = db_result_int(r, i, 0);
		it->sc = x;
		it->msisdn = xstrdup(db_result_get(r, i, 1));
		strlcpy_(it->country, db_result_get(r, i, 2), sizeof(it->country));
		it->body = xstrdup(db_result_get(r, i, 3));
		it->attempts = (int)db_result_int(r, i, 4);
		/* Slots are on the server's clock: no skew between hosts. */
		it->slot_db = db_result_double(r, i, 5);
		it->slot = it->slot_db - s->clock_off;
		it->s = s;
		if (lease_end > s->lease_db)
			s->lease_db = lease_end;
		s->queue[s->nq++] = it;
	}
	db_result_free(r);
	if (n > 0)     /* a first slot near 0 or below: the lead is too short */
		debug("claimed %d, the first slot %.1f ms ahead", n,
		      (s->queue[s->nq - (size_t)n]->slot - time_mono()) * 1000);
	if (s->nq > 1)		/* the queue is NULL until a claim brings rows */
		qsort(s->queue, s->nq, sizeof(*s->queue), item_cmp);
	return n;
}

/*
 * The lease must cover the next slot before its request may start: renew
 * it when that slot is near (within half a lease) and not covered with
 * half a lease to spare.  A renewal covers lease_ahead from now.
 */
static bool lease_due(const struct sender *s)
{
	double next;

	if (!s->nq)
		return false;
	next = s->queue[0]->slot_db;
	return next - db_now(s) < s->lease_ahead / 2 && next > s->lease_db - s->lease_ahead / 2;
}

static int chore_lease(struct sender *s)
{
	char lease[32], cerr[32], buf[64];
	const char *p[3] = { s->id, lease, cerr };
	double v, t0 = time_mono();

	snprintf(lease, sizeof(lease), "%.3f", s->lease_ahead);
	snprintf(cerr, sizeof(cerr), "%.6f", s->clock_err);
	if (db_query_value(s->db, buf, sizeof(buf),
			   "SELECT griot_sender_lease($1, $2::float8, $3::float8)", 3, p) <= 0 ||
	    parse_double(buf, &v) < 0)
		return -1;
	clock_check(s, t0, time_mono(), s->lease_ahead, v);
	if (v > s->lease_db)
		s->lease_db = v;
	return 0;
}

static int chore_recover(struct sender *s)
{
	long long a, b;

	if (sender_recover(s->db, s->id, &a, &b) < 0)
		return -1;
	s->st->recovered_pending += a;
	s->st->recovered_unknown += b;
	return 0;
}

static int count_remaining(struct sender *s);
static struct sc *sc_find(struct sender *s, long long id);
static int chore_remaining(struct sender *s)
{
	return count_remaining(s);
}

/*
 * Changes phase: notifications received (no round trip).  A campaign
 * status change (LISTEN griot_campaign): a campaign that left 'running'
 * gives its queued rows back before its next slot; any change makes the
 * refresh due now.  A pause of our limiter (LISTEN griot_limiter, another
 * sender's 429): the queued rows inside it go back.
 */
static int phase_changes(struct sender *s)
{
	char chan[64], payload[64 + LIMITER_NAME_MAX];
	enum campaign_status st;
	long long id;
	int rc;

	while ((rc = db_next_notify(s->db, chan, sizeof(chan), payload, sizeof(payload))) > 0) {
		struct sc *x;

		if (!strcmp(chan, LIMITER_CHANNEL)) {
			limiter_paused(s, payload);
			continue;
		}
		if (!campaign_change_parse(chan, payload, &id, &st))
			continue;
		x = sc_find(s, id);
		if (x && st != CAMPAIGN_RUNNING && x->eligible) {
			snprintf(x->why, sizeof(x->why), "%s", campaign_status_names[st]);
			sc_ineligible(s, x);
			info("campaign '%s' is %s: its queued messages go back to pending",
			     x->c.name, campaign_status_names[st]);
		}
		s->chore_next[CHORE_REFRESH] = time_mono();
	}
	return rc;
}

/*
 * The token chore: the client renews its token when it nears expiry; done
 * here, in a gap between slots, no request waits for a renewal at its
 * slot (and leaves late).  A failure is the send path's to report.
 */
static int chore_token(struct sender *s)
{
	struct orange_error err = ORANGE_ERROR_INIT;

	if (orange_token(s->client, false, NULL, &err) < 0)
		debug("token renewal in a gap failed (%s); the next send retries", err.message);
	orange_error_release(&err);
	return 0;
}

/* Submit phase: every queued item whose slot has come; release the late. */
static void phase_submit(struct sender *s)
{
	double now = time_mono();
	size_t i = 0, k;
	bool submitted = false;

	while (i < s->nq && s->queue[i]->slot <= now && s->nflight < (size_t)s->max_parallel) {
		struct item *it = s->queue[i];
		struct orange_sms sms;
		char addr[64];

		i++;
		if (now - it->slot > s->late || it->slot_db > s->lease_db) {
			/* Too late for its slot (sending now could crowd the next
			 * second), or beyond the lease committed for starting. */
			debug("release %lld: %.1f ms after its slot%s", it->id, (now - it->slot) * 1000,
			      it->slot_db > s->lease_db ? ", beyond the lease" : "");
			release_item(s, it);
			continue;
		}
		snprintf(addr, sizeof(addr), "tel:%s", it->msisdn);
		memset(&sms, 0, sizeof(sms));
		sms.sender = it->sc->c.sender_address;
		sms.sender_name = it->sc->c.sender_name;
		sms.address = addr;
		sms.message = it->body;
		it->state = ITEM_FLIGHT;
		it->submitted = now;
		if (log_get_level() >= LOG_DEBUG)
			debug("submit %lld at %.6f, %.4f s after its slot", it->id, time_now(),
			      now - it->slot);
		if (s->nflight == s->aflight) {
			s->aflight = s->aflight ? 2 * s->aflight : 16;
			s->flight = xrealloc(s->flight, s->aflight * sizeof(*s->flight));
		}
		s->flight[s->nflight++] = it;
		if (orange_send_submit(s->client, &sms, on_done, it) < 0) {
			flight_remove(s, it);
			release_item(s, it);
		} else {
			submitted = true;
		}
		now = time_mono();
	}
	/* Items past their slot that could not go for lack of a connection. */
	while (i < s->nq && now - s->queue[i]->slot > s->late)
		release_item(s, s->queue[i++]);
	if (i) {
		for (k = i; k < s->nq; k++)
			s->queue[k - i] = s->queue[k];
		s->nq -= i;
	}
	/* Push the new requests onto the wire now, not after the database work
	 * of this tick: a request on a new connection needs a second drive
	 * once the connection is up. */
	if (submitted && orange_send_run(s->client, SUBMIT_PUSH) < 0)
		warning("the Orange client reported an error while sending");
}

/*
 * While a statement waits for PostgreSQL (core/db.h's wait hook): submit
 * the requests whose slots come and drive those on the wire, waiting on
 * Orange's connections and on the database's socket fd together until
 * the next slot, so that no database round trip makes a request late or
 * wastes its slot; the notifications first (a pause of the limiter or of
 * a campaign stops what it covers).  Not while answers are acted on (a
 * 429's pause or a hold comes first), nor once a stop is asked: then only
 * the database.
 */
static void db_wait(void *arg, int fd)
{
	struct sender *s = arg;
	double wait = IDLE_WAIT_MAX;

	if (s->classifying || s->stopping || s->fatal || (s->opts->stop && *s->opts->stop)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, (int)(IDLE_WAIT_MAX * 1000));
		return;
	}
	if (phase_changes(s) < 0)   /* a lost connection: the statement says so */
		debug("reading notifications during a statement failed");
	phase_submit(s);
	if (s->nq && s->queue[0]->slot - time_mono() < wait)
		wait = s->queue[0]->slot - time_mono();
	if (orange_send_run_fd(s->client, wait > 0 ? wait : 0, fd) < 0)
		warning("the Orange client reported an error while sending");
}

/* Drain phase: collect the answers and classify them. */
static int phase_drain(struct sender *s)
{
	size_t i;
	int ret = 0;

	if (s->nflight && orange_send_run(s->client, 0) < 0)
		warning("the Orange client reported an error while sending");
	s->classifying = true;
	for (i = 0; i < s->ndone; i++) {
		if (ret == 0 && process_answer(s, s->done[i]) < 0)
			ret = -1;
		item_free(s->done[i]);
	}
	s->ndone = 0;
	s->classifying = false;
	return ret;
}

/* How long answers wait for their commit: longer when commits are slow. */
static double flush_every(const struct sender *s)
{
	double t = FLUSH_SHARE * s->flush_cost.est;

	return t > FLUSH_EVERY ? t : FLUSH_EVERY;
}

/* Flush phase: commit the answers when enough wait or one waited long. */
static int phase_flush(struct sender *s)
{
	double age;

	if (!s->nres)
		return 0;
	age = time_mono() - s->first_res;
	if (s->stopping || s->fatal || s->nres >= FLUSH_BATCH || age >= flush_every(s))
		return flush_results(s);
	return 0;
}

/* The next campaign (round robin) that may give rows, or NULL. */
static struct sc *next_claimable(struct sender *s)
{
	size_t i;

	for (i = 0; i < s->nsc; i++) {
		size_t k = (s->cur + i) % s->nsc;
		struct sc *y = s->scs[k];

		if (y->eligible && !y->dry) {
			s->cur = k;
			return y;
		}
	}
	return NULL;
}

/* Claim phase: one claim when the queue runs short and the claim fits. */
static int phase_claim(struct sender *s)
{
	double now = time_mono(), ahead;
	struct sc *x;

	if (s->stopping || now < s->claim_pause_until || s->nq >= QUEUE_MAX)
		return 0;
	ahead = s->nq ? s->queue[s->nq - 1]->slot - now : 0;
	if (ahead >= s->horizon)
		return 0;
	x = next_claimable(s);
	if (!x)
		return 0;
	if (claim(s, x) < 0)
		return -1;
	debug("claim: %zu queued, %.1f ms (estimate %.1f), batch %d, lead %.1f ms", s->nq,
	      (time_mono() - now) * 1000, s->claim_cost.est * 1000, s->batch, s->lead * 1000);
	s->cur = (s->cur + 1) % s->nsc;
	return 0;
}

/* Housekeeping: the chores in the table, each when due. */
static const struct chore chores[NCHORES] = {
	[CHORE_REFRESH] = { "refresh", REFRESH_EVERY, chore_refresh, NULL, false },
	[CHORE_LEASE] = { "lease", 0, chore_lease, lease_due, true },
	[CHORE_RECOVER] = { "recover", RECOVER_EVERY, chore_recover, NULL, false },
	[CHORE_CLOCK] = { "clock", CLOCK_SYNC_EVERY, chore_clock, NULL, false },
	[CHORE_REMAINING] = { "remaining", REMAINING_EVERY, chore_remaining, NULL, false },
	[CHORE_TOKEN] = { "token", TOKEN_EVERY, chore_token, NULL, false },
};

static int phase_housekeeping(struct sender *s)
{
	size_t i;

	for (i = 0; i < NCHORES; i++) {
		const struct chore *c = &chores[i];
		double t0 = time_mono();
		bool due = c->due ? c->due(s) : t0 >= s->chore_next[i];
		int rc;

		if (!due || (s->stopping && !c->while_stopping))
			continue;
		rc = c->run(s);
		if (rc < 0)
			return error("sender: %s failed", c->name);
		debug("chore %s: %.1f ms", c->name, (time_mono() - t0) * 1000);
		s->chore_next[i] = rc > 0 ? t0 : time_mono() + c->every;
	}
	return 0;
}

static double current_rate(struct sender *s)
{
	double now = time_mono();
	size_t i, n = 0;
	double first = now;

	for (i = 0; i < s->rate_n; i++)
		if (now - s->rate_win[i] < 10) {
			n++;
			if (s->rate_win[i] < first)
				first = s->rate_win[i];
		}
	return n > 1 && now > first ? (double)(n - 1) / (now - first) : 0;
}

/* The ids of the campaigns served (only the eligible ones when asked);
 * their number in *n.  Free the array. */
static long long *sc_ids(const struct sender *s, bool eligible_only, size_t *n)
{
	long long *ids = xcalloc(s->nsc + 1, sizeof(*ids));
	size_t i;

	*n = 0;
	for (i = 0; i < s->nsc; i++)
		if (!eligible_only || s->scs[i]->eligible)
			ids[(*n)++] = s->scs[i]->c.id;
	return ids;
}

/* Messages still to send, for progress lines (an index-only count). */
static int count_remaining(struct sender *s)
{
	size_t n;
	long long *ids = sc_ids(s, false, &n);
	long long left = campaign_open_count(s->db, ids, n);

	free(ids);
	if (left < 0)
		return -1;
	s->remaining = left;
	return 0;
}

static void progress(struct sender *s, bool force)
{
	double now = time_mono(), rate = current_rate(s);
	char eta[32] = "-";

	if (rate > 0 && s->remaining > 0) {
		double sec = (double)s->remaining / rate;
		snprintf(eta, sizeof(eta), "%dh%02dm%02ds", (int)(sec / 3600),
			 (int)fmod(sec / 60, 60), (int)fmod(sec, 60));
	}
	if (log_stderr_is_tty()) {
		if (force || now - s->last_progress >= 0.25) {
			progress_update("sent %lld, failed %lld, unknown %lld, remaining %lld, "
					"%.1f/s, ETA %s", s->st->sent, s->st->failed, s->st->unknown,
					s->remaining, rate, eta);
			s->last_progress = now;
		}
	} else if (force || now - s->last_log >= 10) {
		info("progress: sent %lld, failed %lld, unknown %lld, retried %lld, "
		     "remaining %lld, %.1f/s, ETA %s", s->st->sent, s->st->failed, s->st->unknown,
		     s->st->retried, s->remaining, rate, eta);
		s->last_log = now;
	}
}

/*
 * Nothing queued or in flight and no campaign gave rows: is the work
 * over?  1 yes, 0 wait *wait seconds and look again, -1 error.
 */
static int work_left(struct sender *s, double *wait)
{
	struct campaign_work w;
	long long *ids;
	size_t n;
	int rc;

	*wait = IDLE_POLL;
	ids = sc_ids(s, true, &n);
	if (!n) {
		free(ids);
		return 1;
	}
	rc = campaign_work_left(s->db, ids, n, &w);
	free(ids);
	if (rc < 0)
		return -1;
	if (w.claimable) {
		*wait = FLUSH_EVERY;
		return 0;
	}
	if (s->opts->mode == SENDER_ONCE)
		return 1;
	if (w.next_retry >= 0) {
		*wait = w.next_retry < IDLE_POLL ? w.next_retry : IDLE_POLL;
		return 0;
	}
	return w.sending ? 0 : 1;
}

static void finish_campaigns(struct sender *s)
{
	size_t i;

	for (i = 0; i < s->nsc; i++) {
		struct sc *x = s->scs[i];
		char idbuf[32], buf[32];
		const char *p[1] = { idbuf };

		if (campaign_finish_if_done(s->db, x->c.id) > 0) {
			info("campaign '%s' is done", x->c.name);
			continue;
		}
		snprintf(idbuf, sizeof(idbuf), "%lld", x->c.id);
		if (db_query_value(s->db, buf, sizeof(buf),
				   "SELECT count(*) FROM messages WHERE campaign_id = $1::bigint"
				   " AND " MSG_OPEN_SQL("send_status"), 1, p) <= 0)
			continue;
		if (atoll(buf) == 0)
			continue;
		s->st->left_over = true;
		if (x->eligible) {
			struct db_result *r;
			int n = db_query(s->db, &r, "SELECT country, reason FROM campaign_country_holds"
					 " WHERE campaign_id = $1::bigint ORDER BY country", 1, p);
			if (n > 0) {
				snprintf(s->st->reason, sizeof(s->st->reason),
					 "campaign '%s': %s message(s) held for %s%s: %s", x->c.name, buf,
					 db_result_get(r, 0, 0), n > 1 ? " and other countries" : "",
					 db_result_get(r, 0, 1));
			} else {
				snprintf(s->st->reason, sizeof(s->st->reason),
					 "campaign '%s': %s message(s) left", x->c.name, buf);
			}
			db_result_free(r);
		} else {
			snprintf(s->st->reason, sizeof(s->st->reason),
				 "campaign '%s': %s message(s) left, %s", x->c.name, buf, x->why);
		}
		info("%s", s->st->reason);
	}
}

static int resend_unknown(struct sender *s)
{
	long long n;

	if (!s->opts->campaign)
		return error("--resend-unknown needs --campaign");
	n = campaign_resend_unknown(s->db, s->opts->campaign);
	if (n < 0)
		return -1;
	if (n > 0)
		info("%lld unknown message(s) will be sent again (--resend-unknown)", n);
	s->st->resent_unknown = n;
	return 0;
}

/*
 * The limiter and its spacing.  The spacing always comes from the limiter's
 * row, so every sender of one limiter uses the same: --rate N names the
 * rate of the limiter (created with it when new); a limiter that already
 * has another rate is refused (another rate needs another --limiter).
 */
static int pick_limiter(struct sender *s)
{
	char buf[64], rbuf[64];
	const char *p[2] = { s->limiter, rbuf };
	const char *name = s->opts->limiter ? s->opts->limiter : s->limiter, *c;
	int n;

	/* s->limiter is the name cut to LIMITER_NAME_MAX: judge the one given */
	for (c = name; *c && isgraph((unsigned char)*c); c++)
		;
	if (*c || c == name || c - name > LIMITER_NAME_MAX) {
		s->err = GRIOT_ERR_USAGE;
		return error("limiter name '%.*s%s': 1 to %d printable characters without spaces",
			     LIMITER_NAME_MAX, name, strlen(name) > LIMITER_NAME_MAX ? "..." : "",
			     LIMITER_NAME_MAX);
	}
	if (s->opts->rate > 0) {
		snprintf(rbuf, sizeof(rbuf), "%.17g", s->opts->rate);
		db_set_quiet(s->db, true);
		n = db_query_value(s->db, buf, sizeof(buf),
				   "SELECT griot_limiter_for($1, $2::float8)", 2, p);
		db_set_quiet(s->db, false);
		if (n < 0 && !strcmp(db_last_sqlstate(s->db), "23514")) {
			s->err = GRIOT_ERR_USAGE;
			return error("--rate %g: limiter '%s' already has another rate; every sender "
				     "of a limiter uses its rate: give another --limiter NAME for "
				     "%g/s (Orange's limit is per account: keep the sum under it)",
				     s->opts->rate, s->limiter, s->opts->rate);
		}
		if (n < 0)
			return error("limiter '%s': %s", s->limiter, db_last_error(s->db));
		s->rate = s->opts->rate;
	} else {
		struct db_result *r;

		n = db_query(s->db, &r, "SELECT rate, griot_rate_spacing(rate) FROM send_rate"
			     " WHERE name = $1", 1, p);
		if (n < 0)
			return -1;
		if (n == 0) {
			db_result_free(r);
			s->err = GRIOT_ERR_USAGE;
			return error("no limiter named '%s' (give --rate N to create it)", s->limiter);
		}
		s->rate = db_result_double(r, 0, 0);
		snprintf(buf, sizeof(buf), "%s", db_result_get(r, 0, 1));
		db_result_free(r);
	}
	if (parse_double(buf, &s->spacing) < 0 || s->spacing <= 0 || s->rate <= 0)
		return error("bad rate in send_rate row '%s'", s->limiter);
	snprintf(rbuf, sizeof(rbuf), "%.17g", s->rate);
	if (db_query_value(s->db, buf, sizeof(buf), "SELECT griot_late_tolerance($1::float8)",
			   1, &p[1]) <= 0 || parse_double(buf, &s->late) < 0 || s->late < 0)
		return error("cannot read the late tolerance of rate %g/s", s->rate);
	return 0;
}

/*
 * Nothing queued, in flight or to flush, and no campaign gave rows: is
 * the run over?  1 yes, 0 not yet (s->next_work_check set), -1 error.
 */
static int phase_done_check(struct sender *s)
{
	double wait;
	size_t i;
	int w;

	if (s->nq || s->nflight || s->ndone)
		return 0;
	if (s->stopping)
		return s->nres ? 0 : 1;
	if (time_mono() < s->claim_pause_until || next_claimable(s))
		return 0;
	if (!s->opts->campaign && s->refresh_i < s->nnames)
		return 0;   /* a refresh cycle is under way: campaigns may come */
	if (time_mono() < s->next_work_check)
		return 0;
	if (s->nres && flush_results(s) < 0)
		return -1;
	w = work_left(s, &wait);
	if (w != 0)
		return w;
	/* Others may have released rows, or retries come due: look again. */
	for (i = 0; i < s->nsc; i++)
		s->scs[i]->dry = false;
	s->next_work_check = time_mono() + wait;
	return 0;
}

/*
 * Idle wait: until the next slot, flush, chore or look at the work, at
 * most IDLE_WAIT_MAX (the stop check runs between waits).  Answers from
 * Orange end the wait early.
 */
static void phase_wait(struct sender *s)
{
	double now = time_mono(), until = now + IDLE_WAIT_MAX;
	size_t i;

	if (s->nq && s->queue[0]->slot < until)
		until = s->queue[0]->slot;
	if (s->nres && s->first_res + flush_every(s) < until)
		until = s->first_res + flush_every(s);
	for (i = 0; i < NCHORES; i++)
		if (!chores[i].due && s->chore_next[i] < until)
			until = s->chore_next[i];
	if (!s->nq && !s->nflight && s->next_work_check < until)
		until = s->next_work_check;
	if (s->claim_pause_until > now && s->claim_pause_until < until)
		until = s->claim_pause_until;
	if (!s->stopping && now >= s->claim_pause_until && next_claimable(s) &&
	    (s->nq ? s->queue[s->nq - 1]->slot - now : 0) < s->horizon)
		until = now;   /* a claim is wanted: at once */
	if (until <= now)
		return;
	if (s->nflight) {
		if (orange_send_run(s->client, until - now) < 0)
			warning("the Orange client reported an error while sending");
	} else {
		time_sleep(until - now);
	}
}

/* Stop check: the first signal stops claiming, the second or the grace
 * period's end stops waiting for the requests in flight. */
static bool phase_stop(struct sender *s)
{
	volatile sig_atomic_t *stop = s->opts->stop;

	if (stop && *stop && !s->stopping) {
		s->stopping = true;
		s->st->interrupted = true;
		s->stop_at = time_mono();
		info("stopping: finishing %zu request(s) in flight", s->nflight);
		release_queued(s, NULL, NULL, INFINITY);
	}
	if (s->stopping && !s->stop_at)
		s->stop_at = time_mono();
	return s->nflight && ((stop && *stop > 1) || (s->stopping && time_mono() - s->stop_at > STOP_GRACE));
}

/*
 * One tick of the sender: stop check, submit, drain, flush, claim,
 * housekeeping, done check, idle wait.  1 when the run is over, 0 to go
 * on, -1 after error().
 */
int sender_tick(struct sender *s)
{
	int rc;

	if (phase_stop(s))
		return 1;   /* leave what is on the wire to recovery */
	if (phase_changes(s) < 0)
		return -1;
	phase_submit(s);
	if (phase_drain(s) < 0 || phase_flush(s) < 0)
		return -1;
	if (s->fatal) {
		if (!s->nflight)
			return 1;
		phase_wait(s);   /* the answers in flight, then stop */
		return 0;
	}
	sender_tune(s);
	if (phase_claim(s) < 0 || phase_housekeeping(s) < 0 || phase_changes(s) < 0)
		return -1;
	phase_submit(s);
	progress(s, false);
	rc = phase_done_check(s);
	if (rc)
		return rc;
	phase_wait(s);
	return 0;
}

/* A first token now, so that the first request leaves right at its slot. */
static int first_token(struct sender *s)
{
	struct orange_error err = ORANGE_ERROR_INIT;
	int ret = 0;

	if (orange_token(s->client, false, NULL, &err) < 0) {
		if (err.kind == ORANGE_ERR_CREDENTIALS || err.kind == ORANGE_ERR_CONFIG) {
			s->err = orange_err_kind(&err);
			ret = error("Orange refused griot's credentials: %s", err.message);
		} else {
			warning("cannot get an Orange token yet (%s); will retry", err.message);
		}
	}
	orange_error_release(&err);
	return ret;
}

struct sender *sender_new(struct db *db, struct orange_client *client,
			  const struct sender_opts *opts, struct sender_stats *st)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	size_t i;

	memset(st, 0, sizeof(*st));
	s->db = db;
	s->client = client;
	s->opts = opts;
	s->st = st;
	s->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 5;
	strlcpy_(s->limiter, opts->limiter ? opts->limiter : "default", sizeof(s->limiter));
	s->started = time_mono();
	s->orange_rtt.est = ORANGE_RTT_START;
	{
		struct breaker_conf bc = { .outage_pause = opts->outage_pause };
		breaker_init(&s->breaker, &bc);
	}
	s->chore_next = xcalloc(NCHORES, sizeof(*s->chore_next));
	for (i = 0; i < NCHORES; i++)
		s->chore_next[i] = s->started;
	return s;
}

/*
 * Liveness and recovery rest on session advisory locks: behind a
 * transaction-pooling proxy (pgbouncer pool_mode=transaction) statements
 * run on whichever server session is free, and one sender would
 * "recover" the rows of a live one.  Refuse (EX_CONFIG) unless the
 * connection has a server session of its own (db_session_is_own()).
 */
static int check_session_pooling(struct sender *s)
{
	int own = db_session_is_own(s->db);

	if (own < 0)
		return -1;
	if (!own) {
		s->err = GRIOT_ERR_CONFIG;
		return error("the database connection has no server session of its own (%s): "
			     "a transaction-pooling proxy?  Senders need session pooling "
			     "(pgbouncer pool_mode=session) or a direct connection",
			     db_last_error(s->db));
	}
	return 0;
}

int sender_start(struct sender *s)
{
	int rc;

	srand((unsigned)(time_now() * 1000) ^ (unsigned)getpid());
	db_set_wait_hook(s->db, db_wait, s);
	if (check_session_pooling(s) < 0 || sender_register(s->db, s->id, sizeof(s->id)) < 0)
		return -1;
	s->registered = true;
	if (pick_limiter(s) < 0 || clock_sync(s) < 0)
		return -1;
	s->chore_next[CHORE_CLOCK] = time_mono() + CLOCK_SYNC_EVERY;
	s->claim_cost.est = s->db_rtt.est;
	s->flush_cost.est = s->db_rtt.est;
	sender_tune(s);
	/*
	 * Every other write may be lost in a database crash without harm: a
	 * lost 'sent' leaves the row 'sending', recovered as unknown, never
	 * resent.  Not waiting for the disk keeps slots punctual.  (The claim
	 * and every lease extension commit durably: griot_claim and
	 * griot_sender_lease set it for their transaction, sql/065.)
	 */
	if (db_exec(s->db, "SET synchronous_commit = off") < 0 || campaign_session_init(s->db) < 0 ||
	    db_listen(s->db, LIMITER_CHANNEL) < 0)
		return -1;
	if (chore_lease(s) < 0)
		return -1;
	if (sender_recover(s->db, s->id, &s->st->recovered_pending, &s->st->recovered_unknown) < 0)
		return -1;
	s->chore_next[CHORE_RECOVER] = time_mono() + RECOVER_EVERY;
	if (s->opts->resend_unknown && resend_unknown(s) < 0)
		return -1;
	do {        /* every campaign known before the first tick */
		rc = chore_refresh(s);
		if (rc < 0)
			return -1;
	} while (rc > 0);
	s->chore_next[CHORE_REFRESH] = time_mono() + REFRESH_EVERY;
	if (first_token(s) < 0)
		return -1;
	debug("sender %s: rate %.3f/s, spacing %.4f s, database round trip %.1f ms, "
	      "batch %d, %d parallel", s->id, s->rate, s->spacing, s->db_rtt.est * 1000,
	      s->batch, s->max_parallel);
	return 0;
}

/*
 * End of a run: what is still on the wire is orphaned (its row stays
 * 'sending'; the client frees it when it completes or is aborted, and
 * recovery decides), the queue is released, the answers are committed,
 * finished campaigns are marked done.  Returns ret, or -1.
 */
int sender_finish(struct sender *s, int ret)
{
	size_t i;

	if (s->nflight)
		warning("%zu request(s) still in flight: their messages stay 'sending' and will "
			"be recovered as unknown", s->nflight);
	for (i = 0; i < s->nflight; i++)
		s->flight[i]->s = NULL;
	s->nflight = 0;
	release_queued(s, NULL, NULL, INFINITY);
	if (s->nres && flush_results(s) < 0)
		ret = -1;
	if (ret == 0 && !s->fatal && !s->st->interrupted && count_remaining(s) == 0)
		finish_campaigns(s);
	if (s->fatal)
		ret = -1;
	progress(s, true);
	progress_done();
	return ret;
}

void sender_free(struct sender *s)
{
	size_t k;

	if (!s)
		return;
	db_set_wait_hook(s->db, NULL, NULL);
	for (k = 0; k < s->nflight; k++)
		s->flight[k]->s = NULL;
	for (k = 0; k < s->nq; k++)
		item_free(s->queue[k]);
	for (k = 0; k < s->ndone; k++)
		item_free(s->done[k]);
	s->st->campaigns = (int)s->nsc;
	s->st->elapsed = time_mono() - s->started;
	if (s->registered)
		sender_unregister(s->db, s->id);
	sc_release_all(s);
	for (k = 0; k < s->nnames; k++)
		free(s->names[k]);
	free(s->names);
	free(s->queue);
	free(s->flight);
	free(s->done);
	for (k = 0; k < s->nres; k++) {
		free(s->res[k].resource_id);
		free(s->res[k].error);
	}
	free(s->res);
	free(s->chore_next);
	breaker_release(&s->breaker);
	free(s);
}

int sender_run(struct db *db, struct orange_client *client, const struct sender_opts *opts,
	       struct sender_stats *st)
{
	struct sender *s = sender_new(db, client, opts, st);
	int ret = -1, rc = 0;

	if (sender_start(s) < 0)
		goto out;
	while ((rc = sender_tick(s)) == 0)
		;
	ret = rc < 0 ? -1 : 0;
out:
	ret = sender_finish(s, ret);
	st->err = ret < 0 && s->err == GRIOT_OK ? GRIOT_ERR_DB : s->err;
	sender_free(s);
	return ret;
}
