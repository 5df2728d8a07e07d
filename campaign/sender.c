#include "campaign/sender.h"
#include "campaign/campaign.h"
#include "campaign/window.h"
#include "core/db.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "orange/orange.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LEAD 0.03                 /* first slot of a booking at least this far ahead */
#define FLUSH_EVERY 0.05          /* seconds a result may wait before its commit */
#define FLUSH_BATCH 40            /* small: each commit must fit between slots */
#define REFRESH_EVERY 1.0
#define RECOVER_EVERY 2.0
#define QUIET_GAP 0.025           /* no database work closer than this to a slot */

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
	double slot;                  /* monotonic clock */
	int attempts;                 /* including this one */
	enum item_state state;
	char *resource_id;            /* Orange's id (any length), NULL */
	struct orange_error err;
	bool ok;
	struct sender *s;
};

/* A campaign served by this run. */
struct sc {
	struct campaign c;
	bool eligible;
	bool dry;                     /* last claim found nothing */
	bool rendered;
	double next_render;
	long long remaining;
	char why[200];                /* why not eligible */
};

struct result {
	long long id;
	enum outcome out;
	char *resource_id;
	char *error;
	double delay;                 /* retry after, seconds */
	int attempts_delta;
};

struct sender {
	struct db *db;
	struct orange_client *client;
	const struct sender_opts *opts;
	struct sender_stats *st;
	char id[128];
	char limiter[64];
	double rate, spacing, late;
	int batch, max_parallel, max_attempts;
	double lookahead;

	struct sc *scs;
	size_t nsc;
	size_t cur;                   /* campaign being claimed */

	struct item **queue;          /* claimed, not yet submitted, by slot */
	size_t nq, aq;
	int in_flight;
	struct item **done;           /* answered, not yet processed */
	size_t ndone, adone;

	struct result *res;           /* processed, waiting for the batch commit */
	size_t nres, ares;
	double first_res;

	double clock_off;             /* PostgreSQL's clock minus time_mono() */
	double next_sync;
	double claim_pause_until;     /* after a 429 */
	bool stopping, fatal;
	double rate_win[64];          /* times of recent sends (ring) */
	size_t rate_n;
	double started, last_log, last_progress;
	long long remaining;
};

double sender_spacing(double rate)
{
	return (rate > 20 ? 1.04 : 1.012) / rate;
}

double sender_late_tolerance(double rate)
{
	return rate > 20 ? 0.025 : 0.006;
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
	db_query(db, NULL, "SELECT pg_advisory_unlock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))", 1, p);
	db_set_quiet(db, false);
}

int sender_recover(struct db *db, const char *self, long long *to_pending,
		   long long *to_unknown)
{
	struct db_result *r;
	int n, i;

	*to_pending = *to_unknown = 0;
	n = db_query(db, &r, "SELECT DISTINCT claimed_by FROM messages WHERE send_status = 'sending'"
		     " AND claimed_by IS NOT NULL AND claimed_by <> $1", 1, &self);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *owner = db_result_get(r, i, 0);
		const char *p[1] = { owner };
		struct db_result *u;
		char got[8];
		int k, j;

		/* Free lock = its session is gone = the owner is dead. */
		if (db_query_value(db, got, sizeof(got),
				   "SELECT pg_try_advisory_lock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))", 1, p) < 0)
			goto fail;
		if (strcmp(got, "t"))
			continue;
		k = db_query(db, &u,
			     "WITH x AS (UPDATE messages SET"
			     "  send_status = CASE WHEN sending_at > now() THEN 'pending' ELSE 'unknown' END,"
			     "  attempts = CASE WHEN sending_at > now() THEN greatest(attempts - 1, 0)"
			     "             ELSE attempts END,"
			     "  last_error = CASE WHEN sending_at > now() THEN last_error ELSE"
			     "   'sender ' || claimed_by || ' died after the request was due: Orange may"
			     " have accepted it' END,"
			     "  claimed_by = CASE WHEN sending_at > now() THEN NULL ELSE claimed_by END,"
			     "  updated_at = now()"
			     " WHERE send_status = 'sending' AND claimed_by = $1 RETURNING send_status)"
			     " SELECT count(*) FILTER (WHERE send_status = 'pending'),"
			     "        count(*) FILTER (WHERE send_status = 'unknown') FROM x", 1, p);
		db_query(db, NULL, "SELECT pg_advisory_unlock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))", 1, p);
		if (k < 0)
			goto fail;
		j = (int)db_result_int(u, 0, 0);
		k = (int)db_result_int(u, 0, 1);
		db_result_free(u);
		if (j || k)
			warning("recovered %d message(s) of dead sender %s: %d back to pending "
				"(never sent), %d unknown (Orange may have them)", j + k, owner, j, k);
		*to_pending += j;
		*to_unknown += k;
	}
	db_result_free(r);
	return 0;
fail:
	db_result_free(r);
	return -1;
}

/* ---------------------------------------------------------------- */

static void item_free(struct item *it)
{
	if (!it)
		return;
	free(it->msisdn);
	free(it->body);
	free(it->resource_id);
	free(it);
}

static void add_result(struct sender *s, long long id, enum outcome out, const char *rid,
		       const char *err, double delay, int attempts_delta)
{
	struct result *r;

	if (s->nres == s->ares) {
		s->ares = s->ares ? 2 * s->ares : 64;
		s->res = xrealloc(s->res, s->ares * sizeof(*s->res));
	}
	if (!s->nres)
		s->first_res = time_mono();
	r = &s->res[s->nres++];
	r->id = id;
	r->out = out;
	r->resource_id = rid ? xstrdup(rid) : NULL;
	r->error = err ? xstrdup(err) : NULL;
	r->delay = delay;
	r->attempts_delta = attempts_delta;
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

/* Commit every recorded outcome in one statement. */
static int flush_results(struct sender *s)
{
	struct strbuf ids = STRBUF_INIT, sts = STRBUF_INIT, rids = STRBUF_INIT,
		errs = STRBUF_INIT, delays = STRBUF_INIT, ads = STRBUF_INIT;
	const char *p[7];
	size_t i;
	int n, ret = 0;

	if (!s->nres)
		return 0;
	for (i = 0; i < s->nres; i++) {
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
	}
	db_array_end(&ids); db_array_end(&sts); db_array_end(&rids);
	db_array_end(&errs); db_array_end(&delays); db_array_end(&ads);
	p[0] = ids.buf; p[1] = sts.buf; p[2] = rids.buf; p[3] = errs.buf;
	p[4] = delays.buf; p[5] = ads.buf; p[6] = s->id;
	n = db_query(s->db, NULL,
		     "UPDATE messages m SET send_status = v.st,"
		     " resource_id = coalesce(v.rid, m.resource_id),"
		     " sent_at = CASE WHEN v.st = 'sent' THEN now() ELSE m.sent_at END,"
		     " last_error = CASE WHEN v.st = 'sent' THEN NULL ELSE coalesce(v.err, m.last_error) END,"
		     " next_attempt_at = CASE WHEN v.st = 'pending' AND v.d > 0"
		     "   THEN now() + v.d * interval '1 second' ELSE NULL END,"
		     " attempts = greatest(m.attempts + v.ad, 0),"
		     " claimed_by = CASE WHEN v.st = 'pending' THEN NULL ELSE m.claimed_by END,"
		     " sending_at = CASE WHEN v.st = 'pending' THEN NULL ELSE m.sending_at END,"
		     " updated_at = now()"
		     " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[],"
		     "             $6::int[]) AS v(id, st, rid, err, d, ad)"
		     " WHERE m.id = v.id AND m.claimed_by = $7 AND m.send_status = 'sending'",
		     7, p);
	if (n < 0) {
		ret = error("cannot record %zu answer(s) from Orange; the rows stay 'sending' "
			    "and will be recovered as unknown", s->nres);
		s->fatal = true;
	} else if ((size_t)n != s->nres) {
		warning("recorded %d of %zu answers: the others were taken over meanwhile",
			n, s->nres);
	}
	for (i = 0; i < s->nres; i++) {
		free(s->res[i].resource_id);
		free(s->res[i].error);
	}
	s->nres = 0;
	strbuf_release(&ids); strbuf_release(&sts); strbuf_release(&rids);
	strbuf_release(&errs); strbuf_release(&delays); strbuf_release(&ads);
	return ret;
}

/* Give queued (never submitted) items back: they surely were not sent. */
static void release_queued(struct sender *s, struct sc *only, const char *country)
{
	size_t i, k = 0;

	for (i = 0; i < s->nq; i++) {
		struct item *it = s->queue[i];

		if ((only && it->sc != only) || (country && strcmp(it->country, country))) {
			s->queue[k++] = it;
			continue;
		}
		add_result(s, it->id, OUT_RELEASE, NULL, NULL, 0, -1);
		s->st->released++;
		item_free(it);
	}
	s->nq = k;
}

static void on_done(void *arg, const char *resource_id, const struct orange_error *err)
{
	struct item *it = arg;
	struct sender *s = it->s;

	it->state = ITEM_DONE;
	it->ok = resource_id != NULL;
	free(it->resource_id);
	it->resource_id = resource_id ? xstrdup(resource_id) : NULL;
	if (!resource_id && err)
		it->err = *err;
	else if (!resource_id) {
		memset(&it->err, 0, sizeof(it->err));
		it->err.kind = ORANGE_ERR_PROTOCOL;
		it->err.maybe_accepted = true;
		strlcpy_(it->err.message, "no answer", sizeof(it->err.message));
	}
	if (s->ndone == s->adone) {
		s->adone = s->adone ? 2 * s->adone : 64;
		s->done = xrealloc(s->done, s->adone * sizeof(*s->done));
	}
	s->done[s->ndone++] = it;
	s->in_flight--;
}

static double backoff(int attempts)
{
	double base = 0.5 * pow(2, attempts > 10 ? 10 : attempts - 1);
	double jitter = 0.5 + (double)rand() / RAND_MAX;

	if (base > 60)
		base = 60;
	return base * jitter;
}

/* Decide what an answer means for its row (docs/statuses.md). */
static int process_answer(struct sender *s, struct item *it)
{
	const struct orange_error *e = &it->err;
	char msg[700];

	if (it->ok) {
		add_result(s, it->id, OUT_SENT, it->resource_id, NULL, 0, 0);
		s->st->sent++;
		if (s->rate_n < 64)
			s->rate_win[s->rate_n++] = time_mono();
		else {
			memmove(s->rate_win, s->rate_win + 1, 63 * sizeof(double));
			s->rate_win[63] = time_mono();
		}
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s%s%d: %s", orange_err_name(e->kind),
		 e->http_status ? " HTTP " : "", e->http_status, e->message);
	if (e->maybe_accepted) {
		/* Never resent blindly: a receipt or --resend-unknown settles it. */
		add_result(s, it->id, OUT_UNKNOWN, NULL, msg, 0, 0);
		s->st->unknown++;
		return 0;
	}
	switch (e->kind) {
	case ORANGE_ERR_RATE_LIMITED: {
		double ra = e->retry_after > 0 ? e->retry_after : 1.0;
		const char *p[2];
		char rbuf[32];

		snprintf(rbuf, sizeof(rbuf), "%.3f", ra);
		p[0] = s->limiter;
		p[1] = rbuf;
		s->st->rate_limited++;
		add_result(s, it->id, OUT_RETRY, NULL, msg, ra, -1);
		/* Book the pause into the shared limiter: every sender backs off. */
		if (db_query(s->db, NULL, "SELECT griot_rate_backoff($1, $2::float8)", 2, p) < 0)
			return -1;
		release_queued(s, NULL, NULL);
		s->claim_pause_until = time_mono() + ra;
		warning("Orange says too many requests (429): pausing %.1f s for every sender", ra);
		return 0;
	}
	case ORANGE_ERR_POLICY: {
		char reason[900];

		snprintf(reason, sizeof(reason), "Orange refused for %s: %s%s%s", it->country,
			 e->message, *e->variables ? " — " : "", e->variables);
		add_result(s, it->id, OUT_RELEASE, NULL, reason, 0, -1);
		if (campaign_hold_country(s->db, it->sc->c.id, it->country, reason) < 0)
			return -1;
		if (!it->sc->dry || s->nq) {
			warning("campaign '%s': holding %s (credit exhausted or contract expired: %s); "
				"other countries continue; add credit, then "
				"'griot campaign resume %s'", it->sc->c.name, it->country, reason,
				it->sc->c.name);
		}
		release_queued(s, it->sc, it->country);
		return 0;
	}
	case ORANGE_ERR_CREDENTIALS:
	case ORANGE_ERR_TOKEN_EXPIRED:
	case ORANGE_ERR_CONFIG:
		add_result(s, it->id, OUT_RELEASE, NULL, msg, 0, -1);
		if (!s->fatal)
			error("Orange refused griot's credentials (%s): stopping", msg);
		s->fatal = true;
		s->stopping = true;
		release_queued(s, NULL, NULL);
		return 0;
	case ORANGE_ERR_SERVER:
	case ORANGE_ERR_NETWORK:
		/* Surely not accepted: retry later, a bounded number of times. */
		if (it->attempts >= s->max_attempts) {
			char gave[800];
			snprintf(gave, sizeof(gave), "gave up after %d attempts: %s", it->attempts, msg);
			add_result(s, it->id, OUT_FAILED, NULL, gave, 0, 0);
			s->st->failed++;
			return 0;
		}
		add_result(s, it->id, OUT_RETRY, NULL, msg, backoff(it->attempts), 0);
		s->st->retried++;
		return 0;
	default:
		add_result(s, it->id, OUT_FAILED, NULL, msg, 0, 0);
		s->st->failed++;
		return 0;
	}
}

/* ---------------------------------------------------------------- */

static void sc_release_all(struct sender *s)
{
	size_t i;

	for (i = 0; i < s->nsc; i++)
		campaign_release(&s->scs[i].c);
	free(s->scs);
	s->scs = NULL;
	s->nsc = 0;
}

static struct sc *sc_find(struct sender *s, long long id)
{
	size_t i;

	for (i = 0; i < s->nsc; i++)
		if (s->scs[i].c.id == id)
			return &s->scs[i];
	return NULL;
}

static void sc_add(struct sender *s, struct campaign *c)
{
	struct sc *x;

	s->scs = xrealloc(s->scs, (s->nsc + 1) * sizeof(*s->scs));
	x = &s->scs[s->nsc++];
	memset(x, 0, sizeof(*x));
	x->c = *c;
	x->next_render = 0;
}

/* Reload the campaigns, start those due, decide which may send now. */
static int refresh(struct sender *s)
{
	double now = window_now(), mono = time_mono();
	struct db_result *r = NULL;
	int n, i;
	size_t k;

	if (s->opts->campaign) {
		n = 1;
	} else {
		n = db_query(s->db, &r, "SELECT name FROM campaigns WHERE status IN"
			     " ('scheduled', 'running') ORDER BY id", 0, NULL);
		if (n < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = r ? db_result_get(r, i, 0) : s->opts->campaign;
		struct campaign c;
		struct sc *x;
		bool inside, started;
		double next;
		int rc = campaign_load(s->db, name, &c);

		if (rc < 0)
			goto fail;
		if (rc > 0)
			continue;
		x = sc_find(s, c.id);
		if (x) {
			campaign_release(&x->c);
			x->c = c;
		} else {
			sc_add(s, &c);
			x = &s->scs[s->nsc - 1];
		}
		if (s->opts->start_due && campaign_start_if_due(s->db, &x->c, now, &started) < 0)
			goto fail;
		if (s->opts->start_due && started)
			info("campaign '%s' started", x->c.name);
		if (campaign_in_window(&x->c, now, &inside, &next) < 0)
			goto fail;
		x->eligible = false;
		if (!strcmp(x->c.status, "running") && inside) {
			x->eligible = true;
		} else if (!strcmp(x->c.status, "running") || !strcmp(x->c.status, "scheduled")) {
			char tbuf[64];

			if (!strcmp(x->c.status, "scheduled") && x->c.start_at > now) {
				campaign_format_time(&x->c, x->c.start_at, tbuf, sizeof(tbuf));
				snprintf(x->why, sizeof(x->why), "not due before %s", tbuf);
			} else if (!inside) {
				campaign_format_time(&x->c, next, tbuf, sizeof(tbuf));
				snprintf(x->why, sizeof(x->why), "outside its send window until %s", tbuf);
			} else {
				snprintf(x->why, sizeof(x->why), "scheduled, not started");
			}
		} else {
			snprintf(x->why, sizeof(x->why), "%s%s%s", x->c.status,
				 x->c.paused_reason ? ": " : "",
				 x->c.paused_reason ? x->c.paused_reason : "");
		}
		if (x->eligible && mono >= x->next_render) {
			/* Recipients imported after scheduling need their body. */
			if (campaign_fail_unrenderable(s->db, &x->c) < 0)
				goto fail;
			x->next_render = mono + 30;
		}
	}
	db_result_free(r);
	/* Campaigns that left 'running': give their queued rows back. */
	for (k = 0; k < s->nsc; k++) {
		struct sc *x = &s->scs[k];
		bool seen = false;

		if (!x->eligible) {
			release_queued(s, x, NULL);
			continue;
		}
		x->dry = false;
		(void)seen;
	}
	return 0;
fail:
	db_result_free(r);
	return -1;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a, *y = *(const struct item *const *)b;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/*
 * Slots are instants on PostgreSQL's clock, shared by every sender.  Map
 * them onto this process's monotonic clock: the offset from the quickest
 * of a few round trips is good to half that round trip.
 */
static int clock_sync(struct sender *s)
{
	double best = 1e9;
	int i;

	for (i = 0; i < 5; i++) {
		char buf[64];
		double t1 = time_mono(), t2, db_now;

		if (db_query_value(s->db, buf, sizeof(buf),
				   "SELECT extract(epoch from clock_timestamp())", 0, NULL) < 0)
			return -1;
		t2 = time_mono();
		if (parse_double(buf, &db_now) < 0)
			return error("cannot read PostgreSQL's clock");
		if (t2 - t1 < best) {
			best = t2 - t1;
			s->clock_off = db_now - (t1 + t2) / 2;
		}
	}
	s->next_sync = time_mono() + 30;
	debug("clock offset to PostgreSQL measured within %.2f ms", best * 500);
	return 0;
}

/* Claim up to s->batch rows of x, booking their slots: one statement. */
static int claim(struct sender *s, struct sc *x)
{
	char idbuf[32], kbuf[16], spbuf[32], leadbuf[32];
	const char *p[6];
	struct db_result *r;
	int n, i;

	snprintf(idbuf, sizeof(idbuf), "%lld", x->c.id);
	snprintf(kbuf, sizeof(kbuf), "%d", s->batch);
	snprintf(spbuf, sizeof(spbuf), "%.9f", s->spacing);
	snprintf(leadbuf, sizeof(leadbuf), "%.3f", LEAD);
	p[0] = idbuf; p[1] = kbuf; p[2] = s->limiter; p[3] = spbuf; p[4] = leadbuf; p[5] = s->id;
	/* The claim is the one commit that must be durable before any request
	 * leaves: a lost 'sending' could mean a second send after a crash. */
	if (db_begin(s->db) < 0)
		return -1;
	if (db_exec(s->db, "SET LOCAL synchronous_commit = on") < 0) {
		db_rollback(s->db);
		return -1;
	}
	n = db_query(s->db, &r,
		     "WITH c AS ("
		     "  SELECT m.id FROM messages m"
		     "   WHERE m.campaign_id = $1::bigint AND m.send_status = 'pending'"
		     "     AND m.body IS NOT NULL"
		     "     AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())"
		     "     AND NOT EXISTS (SELECT 1 FROM campaign_country_holds h"
		     "                      WHERE h.campaign_id = m.campaign_id AND h.country = m.country)"
		     "     AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = m.campaign_id"
		     "                  AND k.status = 'running')"
		     "   ORDER BY m.id LIMIT $2::int FOR UPDATE OF m SKIP LOCKED),"
		     " o AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM c),"
		     " s AS (SELECT griot_book_slots($3, (SELECT count(*)::int FROM c),"
		     "                               $4::float8, $5::float8) AS first)"
		     " UPDATE messages m SET send_status = 'sending', claimed_by = $6,"
		     "   attempts = m.attempts + 1, next_attempt_at = NULL, updated_at = now(),"
		     "   sending_at = s.first + o.i * $4::float8 * interval '1 second'"
		     " FROM o, s WHERE m.id = o.id"
		     " RETURNING m.id, m.msisdn, m.country, m.body, m.attempts,"
		     "   extract(epoch from m.sending_at)", 6, p);
	if (n < 0) {
		db_rollback(s->db);
		return -1;
	}
	if (db_commit(s->db) < 0) {
		db_result_free(r);
		return -1;
	}
	if (n == 0)
		x->dry = true;
	if (s->nq + (size_t)n > s->aq) {
		s->aq = (s->nq + (size_t)n) * 2;
		s->queue = xrealloc(s->queue, s->aq * sizeof(*s->queue));
	}
	for (i = 0; i < n; i++) {
		struct item *it = xcalloc(1, sizeof(*it));

		it->id = db_result_int(r, i, 0);
		it->sc = x;
		it->msisdn = xstrdup(db_result_get(r, i, 1));
		strlcpy_(it->country, db_result_get(r, i, 2), sizeof(it->country));
		it->body = xstrdup(db_result_get(r, i, 3));
		it->attempts = (int)db_result_int(r, i, 4);
		/* Slots are on the server's clock: no skew between hosts. */
		it->slot = db_result_double(r, i, 5) - s->clock_off;
		it->s = s;
		s->queue[s->nq++] = it;
	}
	db_result_free(r);
	qsort(s->queue, s->nq, sizeof(*s->queue), item_cmp);
	return n;
}

/* Submit every queued item whose slot has come; release the late ones. */
static void submit_due(struct sender *s)
{
	double now = time_mono();
	size_t i = 0, k;

	while (i < s->nq && s->queue[i]->slot <= now && s->in_flight < s->max_parallel) {
		struct item *it = s->queue[i];
		struct orange_sms sms;
		char addr[64];

		if (now - it->slot > s->late) {
			/* Too late for its slot: sending now could crowd the next second. */
			add_result(s, it->id, OUT_RELEASE, NULL, NULL, 0, -1);
			s->st->released++;
			item_free(it);
			i++;
			continue;
		}
		snprintf(addr, sizeof(addr), "tel:%s", it->msisdn);
		memset(&sms, 0, sizeof(sms));
		sms.sender = it->sc->c.sender_address;
		sms.sender_name = it->sc->c.sender_name;
		sms.address = addr;
		sms.message = it->body;
		it->state = ITEM_FLIGHT;
		if (log_get_level() >= LOG_DEBUG)
			debug("submit %lld at %.6f, %.4f s after its slot", it->id, time_now(),
			      now - it->slot);
		s->in_flight++;
		if (orange_send_submit(s->client, &sms, on_done, it) < 0) {
			s->in_flight--;
			add_result(s, it->id, OUT_RELEASE, NULL, NULL, 0, -1);
			item_free(it);
		}
		i++;
		now = time_mono();
	}
	/* Items past their slot that could not go for lack of a connection. */
	while (i < s->nq && now - s->queue[i]->slot > s->late) {
		add_result(s, s->queue[i]->id, OUT_RELEASE, NULL, NULL, 0, -1);
		s->st->released++;
		item_free(s->queue[i]);
		i++;
	}
	if (i) {
		for (k = i; k < s->nq; k++)
			s->queue[k - i] = s->queue[k];
		s->nq -= i;
	}
}

static int process_done(struct sender *s)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < s->ndone; i++) {
		if (ret == 0 && process_answer(s, s->done[i]) < 0)
			ret = -1;
		item_free(s->done[i]);
	}
	s->ndone = 0;
	return ret;
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

static int count_remaining(struct sender *s)
{
	struct strbuf ids = STRBUF_INIT;
	char buf[32];
	const char *p[1];
	size_t i;
	int n;

	for (i = 0; i < s->nsc; i++) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", s->scs[i].c.id);
		db_array_add(&ids, num);
	}
	db_array_end(&ids);
	p[0] = ids.buf;
	n = db_query_value(s->db, buf, sizeof(buf),
			   "SELECT count(*) FROM messages WHERE campaign_id = ANY($1::bigint[])"
			   " AND " MSG_OPEN_SQL("send_status"), 1, p);
	strbuf_release(&ids);
	if (n < 0)
		return -1;
	s->remaining = atoll(buf);
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
	struct strbuf ids = STRBUF_INIT;
	struct db_result *r;
	const char *p[2];
	size_t i;
	int n, eligible = 0;

	*wait = 0.2;
	for (i = 0; i < s->nsc; i++) {
		char num[32];
		if (!s->scs[i].eligible)
			continue;
		snprintf(num, sizeof(num), "%lld", s->scs[i].c.id);
		db_array_add(&ids, num);
		eligible++;
	}
	db_array_end(&ids);
	if (!eligible) {
		strbuf_release(&ids);
		return 1;
	}
	p[0] = ids.buf;
	n = db_query(s->db, &r,
		     "SELECT count(*) FILTER (WHERE m.send_status = 'pending' AND m.body IS NOT NULL"
		     "   AND NOT held AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())),"
		     " coalesce(extract(epoch from min(m.next_attempt_at) FILTER (WHERE"
		     "   m.send_status = 'pending' AND NOT held AND m.next_attempt_at > now()) - now()), -1),"
		     " count(*) FILTER (WHERE m.send_status = 'sending')"
		     " FROM (SELECT m.*, EXISTS (SELECT 1 FROM campaign_country_holds h"
		     "        WHERE h.campaign_id = m.campaign_id AND h.country = m.country) AS held"
		     "       FROM messages m WHERE m.campaign_id = ANY($1::bigint[])"
		     "        AND " MSG_OPEN_SQL("m.send_status") ") m", 1, p);
	strbuf_release(&ids);
	if (n < 0)
		return -1;
	{
		long long claimable = db_result_int(r, 0, 0), sending = db_result_int(r, 0, 2);
		double next = db_result_double(r, 0, 1);

		db_result_free(r);
		if (claimable > 0) {
			*wait = 0.05;
			return 0;
		}
		if (s->opts->mode == SENDER_ONCE)
			return 1;
		if (next >= 0) {
			*wait = next < 0.5 ? next : 0.5;
			return 0;
		}
		if (sending > 0) {
			*wait = 0.2;
			return 0;
		}
	}
	return 1;
}

static void finish_campaigns(struct sender *s)
{
	size_t i;

	for (i = 0; i < s->nsc; i++) {
		struct sc *x = &s->scs[i];
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

static int pick_rate(struct sender *s)
{
	char buf[64];
	const char *p[1] = { s->limiter };
	int n;

	if (s->opts->rate > 0) {
		s->rate = s->opts->rate;
	} else {
		n = db_query_value(s->db, buf, sizeof(buf),
				   "SELECT rate FROM send_rate WHERE name = $1", 1, p);
		if (n < 0)
			return -1;
		if (n == 0)
			return error("no send_rate row named '%s'", s->limiter);
		if (parse_double(buf, &s->rate) < 0 || s->rate <= 0)
			return error("bad rate in send_rate row '%s'", s->limiter);
	}
	if (s->opts->rate > 0) {
		/* The limiter row must exist even for a one-off rate. */
		if (db_query(s->db, NULL, "INSERT INTO send_rate (name, rate) VALUES ($1, 5)"
			     " ON CONFLICT DO NOTHING", 1, p) < 0)
			return -1;
	}
	s->spacing = sender_spacing(s->rate);
	s->late = sender_late_tolerance(s->rate);
	s->batch = (int)lround(s->rate * 0.05);
	if (s->batch < 1)
		s->batch = 1;
	if (s->batch > 100)
		s->batch = 100;
	s->lookahead = 4.0 * s->batch * s->spacing;
	if (s->lookahead < 0.6)
		s->lookahead = 0.6;
	s->max_parallel = s->opts->max_parallel > 0 ? s->opts->max_parallel :
		s->rate > 100 ? 64 : s->rate > 10 ? 8 : 4;
	return 0;
}

int sender_run(struct db *db, struct orange_client *client, const struct sender_opts *opts,
	       struct sender_stats *st)
{
	struct sender sv, *s = &sv;
	double next_refresh = 0, next_recover = 0;
	int ret = -1;
	bool registered = false;

	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	s->db = db;
	s->client = client;
	s->opts = opts;
	s->st = st;
	s->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 5;
	strlcpy_(s->limiter, opts->limiter ? opts->limiter : "default", sizeof(s->limiter));
	s->started = time_mono();
	srand((unsigned)(time_now() * 1000) ^ (unsigned)getpid());

	if (sender_register(db, s->id, sizeof(s->id)) < 0)
		return -1;
	registered = true;
	if (pick_rate(s) < 0 || clock_sync(s) < 0)
		goto out;
	/*
	 * Every other write may be lost in a database crash without harm: a
	 * lost 'sent' leaves the row 'sending', recovered as unknown, never
	 * resent.  Not waiting for the disk keeps slots punctual.
	 */
	if (db_exec(db, "SET synchronous_commit = off") < 0)
		goto out;
	if (sender_recover(db, s->id, &st->recovered_pending, &st->recovered_unknown) < 0)
		goto out;
	if (opts->resend_unknown && resend_unknown(s) < 0)
		goto out;
	{
		/* A token now, so the first request leaves right at its slot. */
		struct orange_error err;

		memset(&err, 0, sizeof(err));
		if (orange_token(client, false, NULL, &err) < 0) {
			if (err.kind == ORANGE_ERR_CREDENTIALS || err.kind == ORANGE_ERR_CONFIG) {
				error("Orange refused griot's credentials: %s", err.message);
				goto out;
			}
			warning("cannot get an Orange token yet (%s); will retry", err.message);
		}
	}
	debug("sender %s: rate %.3f/s, spacing %.4f s, batch %d, %d parallel", s->id,
	      s->rate, s->spacing, s->batch, s->max_parallel);

	for (;;) {
		double now, slack, wait = 0.2;
		bool can_claim, quiet;
		size_t i;

		if (opts->stop && *opts->stop && !s->stopping) {
			s->stopping = true;
			st->interrupted = true;
			info("stopping: finishing %d request(s) in flight", s->in_flight);
			release_queued(s, NULL, NULL);
		}
		if (opts->stop && *opts->stop > 1 && s->in_flight)
			break; /* second signal: leave the rest to recovery */
		/* Requests first: each must leave right at its slot. */
		submit_due(s);
		if (s->in_flight > 0 && orange_send_run(client, 0) < 0)
			warning("the Orange client reported an error while sending");
		now = time_mono();
		slack = s->nq ? s->queue[0]->slot - now : 1e9;
		/* Database work only where it cannot delay a slot, unless overdue. */
		quiet = slack > QUIET_GAP;
		if (!s->stopping && now >= next_refresh && (quiet || now >= next_refresh + 1)) {
			if (refresh(s) < 0)
				goto out;
			if (count_remaining(s) < 0)
				goto out;
			next_refresh = time_mono() + REFRESH_EVERY;
		}
		if (quiet && now >= s->next_sync && clock_sync(s) < 0)
			goto out;
		if (!s->stopping && now >= next_recover && (quiet || now >= next_recover + 2)) {
			long long a, b;
			if (sender_recover(db, s->id, &a, &b) < 0)
				goto out;
			st->recovered_pending += a;
			st->recovered_unknown += b;
			next_recover = time_mono() + RECOVER_EVERY;
		}
		/* Keep about `lookahead` seconds of slots booked ahead. */
		can_claim = !s->stopping && now >= s->claim_pause_until;
		while (can_claim && s->nq < 4000) {
			double ahead = s->nq ? s->queue[s->nq - 1]->slot - time_mono() : 0;
			struct sc *x = NULL;

			if (ahead >= s->lookahead)
				break;
			slack = s->nq ? s->queue[0]->slot - time_mono() : 1e9;
			if (slack <= QUIET_GAP && ahead >= s->lookahead / 2)
				break;
			for (i = 0; i < s->nsc; i++) {
				struct sc *y = &s->scs[(s->cur + i) % s->nsc];
				if (y->eligible && !y->dry) {
					x = y;
					s->cur = (s->cur + i) % s->nsc;
					break;
				}
			}
			if (!x)
				break;
			{
				double c0 = time_mono();
				if (claim(s, x) < 0)
					goto out;
				if (time_mono() - c0 > 0.01)
					debug("slow claim: %.1f ms", (time_mono() - c0) * 1000);
			}
			submit_due(s);
			if (s->in_flight > 0 && orange_send_run(client, 0) < 0)
				warning("the Orange client reported an error while sending");
		}
		if (s->in_flight > 0) {
			double until = s->nq ? s->queue[0]->slot - time_mono() : 0.1;
			if (until < 0)
				until = 0;
			if (until > 0.1)
				until = 0.1;
			if (orange_send_run(client, until) < 0)
				warning("the Orange client reported an error while sending");
		}
		if (process_done(s) < 0)
			goto out;
		slack = s->nq ? s->queue[0]->slot - time_mono() : 1e9;
		if (s->nres && (s->nres >= FLUSH_BATCH || s->stopping || s->nq == 0 ||
				(time_mono() - s->first_res >= FLUSH_EVERY && slack > QUIET_GAP) ||
				time_mono() - s->first_res >= 4 * FLUSH_EVERY)) {
			double f0 = time_mono();
			size_t nr = s->nres;
			if (flush_results(s) < 0)
				goto out;
			if (time_mono() - f0 > 0.01)
				debug("slow flush of %zu: %.1f ms", nr, (time_mono() - f0) * 1000);
		}
		if (s->fatal && !s->in_flight)
			break;
		progress(s, false);
		if (s->nq || s->in_flight)
			goto wait;
		if (s->stopping)
			break;
		now = time_mono();
		if (now < s->claim_pause_until) {
			wait = s->claim_pause_until - now;
			goto wait;
		}
		{
			bool any = false;
			for (i = 0; i < s->nsc; i++)
				if (s->scs[i].eligible && !s->scs[i].dry)
					any = true;
			if (any)
				continue;
		}
		if (s->nres && flush_results(s) < 0)
			goto out;
		{
			int w = work_left(s, &wait);
			if (w < 0)
				goto out;
			if (w == 1)
				break;
			/* Others may have released rows, or retries come due: look again. */
			for (i = 0; i < s->nsc; i++)
				s->scs[i].dry = false;
		}
wait:
		if (!s->in_flight) {
			double until = s->nq ? s->queue[0]->slot - time_mono() : wait;
			if (until > wait)
				until = wait;
			if (until > 0)
				time_sleep(until);
		}
	}
	/* Interrupted twice, or fatal: whatever is still on the wire may have left. */
	if (s->in_flight) {
		orange_send_run(client, 0);
		process_done(s);
	}
	release_queued(s, NULL, NULL);
	if (flush_results(s) < 0)
		goto out;
	if (!s->fatal && !st->interrupted && count_remaining(s) == 0)
		finish_campaigns(s);
	ret = s->fatal ? -1 : 0;
out:
	progress(s, true);
	progress_done();
	if (ret < 0 && s->nres)
		flush_results(s);
	release_queued(s, NULL, NULL);
	for (size_t k = 0; k < s->ndone; k++)
		item_free(s->done[k]);
	st->campaigns = (int)s->nsc;
	st->elapsed = time_mono() - s->started;
	if (registered)
		sender_unregister(db, s->id);
	sc_release_all(s);
	free(s->queue);
	free(s->done);
	for (size_t k = 0; k < s->nres; k++) {
		free(s->res[k].resource_id);
		free(s->res[k].error);
	}
	free(s->res);
	return ret;
}
