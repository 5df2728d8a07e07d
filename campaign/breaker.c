/*
 * The systemic-error detector (campaign/breaker.h): rules only, no I/O.
 */
#include "campaign/breaker.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* One campaign's current run of identical definitive refusals. */
struct breaker_run {
	long long campaign;
	char *sig;                  /* kind, HTTP status, code and text of the refusal
				     * (malloc'ed, whole), NULL before the first */
	int count;
	long long ids[BREAKER_REQUEUE_MAX];
	size_t nids;
	bool paused;                /* a PAUSE verdict was given for this run */
};

void breaker_init(struct breaker *b, const struct breaker_conf *conf)
{
	memset(b, 0, sizeof(*b));
	if (conf)
		b->conf = *conf;
	if (b->conf.same_limit <= 0)
		b->conf.same_limit = BREAKER_SAME_LIMIT;
	if (b->conf.outage_limit <= 0)
		b->conf.outage_limit = BREAKER_OUTAGE_LIMIT;
	if (b->conf.outage_pause <= 0)
		b->conf.outage_pause = BREAKER_OUTAGE_PAUSE;
	if (b->conf.backoff_max <= 0)
		b->conf.backoff_max = BREAKER_BACKOFF_MAX;
}

void breaker_release(struct breaker *b)
{
	size_t i;

	for (i = 0; i < b->nruns; i++)
		free(b->runs[i].sig);
	free(b->runs);
	memset(b, 0, sizeof(*b));
}

static struct breaker_run *run_get(struct breaker *b, long long campaign)
{
	size_t i;

	for (i = 0; i < b->nruns; i++)
		if (b->runs[i].campaign == campaign)
			return &b->runs[i];
	b->runs = xrealloc(b->runs, (b->nruns + 1) * sizeof(*b->runs));
	memset(&b->runs[b->nruns], 0, sizeof(*b->runs));
	b->runs[b->nruns].campaign = campaign;
	return &b->runs[b->nruns++];
}

static void run_reset(struct breaker_run *r)
{
	r->count = 0;
	r->nids = 0;
	r->paused = false;
	free(r->sig);
	r->sig = NULL;
}

/* Append "invalid HTTP 400 SVC0002: message — variables" to sb, whole. */
static void describe(const struct orange_error *e, struct strbuf *sb)
{
	strbuf_addstr(sb, orange_err_name(e->kind));
	if (e->http_status)
		strbuf_addf(sb, " HTTP %d", e->http_status);
	if (e->code && *e->code)
		strbuf_addf(sb, " %s", e->code);
	strbuf_addf(sb, ": %s", e->message ? e->message : "");
	if (e->variables && *e->variables)
		strbuf_addf(sb, " — %s", e->variables);
}

/* printf into v->reason, cut to its size (reasons hold Orange's text). */
static void set_reason(struct breaker_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct breaker_verdict *v, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strlcpy_(v->reason, sb.buf, sizeof(v->reason));
	strbuf_release(&sb);
}

/* A definitive refusal of the request itself: same cause, same answer. */
static bool is_refusal(enum orange_err_kind k)
{
	return k == ORANGE_ERR_INVALID || k == ORANGE_ERR_NOT_FOUND;
}

static bool is_outage(enum orange_err_kind k)
{
	return k == ORANGE_ERR_SERVER || k == ORANGE_ERR_NETWORK;
}

static bool is_config(enum orange_err_kind k)
{
	return k == ORANGE_ERR_CREDENTIALS || k == ORANGE_ERR_TOKEN_EXPIRED ||
		k == ORANGE_ERR_CONFIG;
}

static void feed_refusal(struct breaker *b, long long campaign, long long msg,
			 const struct orange_error *err, struct breaker_verdict *v)
{
	struct breaker_run *r = run_get(b, campaign);
	struct strbuf sig = STRBUF_INIT;

	describe(err, &sig);
	if (!r->sig || strcmp(sig.buf, r->sig)) {
		run_reset(r);
		r->sig = xstrdup(sig.buf);
	}
	r->count++;
	if (r->count < b->conf.same_limit) {
		if (r->nids < BREAKER_REQUEUE_MAX)
			r->ids[r->nids++] = msg;
		goto out;
	}
	/* The run is long enough: pause, and hand back the rows not yet handed. */
	v->action = BREAKER_PAUSE;
	v->scope = BREAKER_CAMPAIGN;
	memcpy(v->requeue, r->ids, r->nids * sizeof(*r->ids));
	v->nrequeue = r->nids;
	r->nids = 0;
	set_reason(v, "Orange refused %d messages in a row with the same error (%s): fix the "
		 "campaign (e.g. a sender name Orange has not approved), then 'griot campaign "
		 "resume'", r->count, sig.buf);
	r->paused = true;
out:
	strbuf_release(&sig);
}

static void feed_outage(struct breaker *b, const struct orange_error *err, double now,
			struct breaker_verdict *v)
{
	struct strbuf sig = STRBUF_INIT;
	int over;

	if (!b->outage_count)
		b->outage_since = now;
	b->outage_count++;
	if (b->outage_count < b->conf.outage_limit)
		return;
	describe(err, &sig);
	if (now - b->outage_since >= b->conf.outage_pause) {
		v->action = BREAKER_PAUSE;
		v->scope = BREAKER_ALL;
		set_reason(v, "Orange unreachable or failing for %.0f s (%d errors in a row, last: %s): "
			 "'griot campaign resume' once it answers again",
			 now - b->outage_since, b->outage_count, sig.buf);
		goto out;
	}
	over = b->outage_count - b->conf.outage_limit;
	v->action = BREAKER_WAIT;
	v->scope = BREAKER_ALL;
	v->wait = over >= 10 ? b->conf.backoff_max : ldexp(1.0, over);
	if (v->wait > b->conf.backoff_max)
		v->wait = b->conf.backoff_max;
	set_reason(v, "Orange unreachable or failing (%d errors in a row, last: %s): "
		 "waiting %.0f s", b->outage_count, sig.buf, v->wait);
out:
	strbuf_release(&sig);
}

void breaker_feed(struct breaker *b, long long campaign, long long msg,
		  const struct orange_error *err, double now, struct breaker_verdict *v)
{
	struct strbuf sig = STRBUF_INIT;

	memset(v, 0, sizeof(*v));
	v->action = BREAKER_GO;
	if (!err || err->kind == ORANGE_OK) {
		/* Accepted: Orange works and this campaign's requests are fine. */
		run_reset(run_get(b, campaign));
		b->outage_count = 0;
		return;
	}
	if (is_config(err->kind)) {
		describe(err, &sig);
		v->action = BREAKER_PAUSE;
		v->scope = BREAKER_ALL;
		v->config = true;
		set_reason(v, "Orange refused griot's credentials (%s): fix the configuration, then "
			 "'griot campaign resume'", sig.buf);
		strbuf_release(&sig);
		return;
	}
	if (is_outage(err->kind)) {
		feed_outage(b, err, now, v);
		return;
	}
	/* Any other answer comes from a working Orange. */
	b->outage_count = 0;
	if (is_refusal(err->kind))
		feed_refusal(b, campaign, msg, err, v);
	else
		run_reset(run_get(b, campaign));
}
