/*
 * Building a report: the SQL aggregation (sql/040_report.sql), the
 * local figures for balance and reconciliation, and Orange's admin
 * answers (reporter/orange-cache.c), put together and priced.
 */
#include "reporter/report.h"
#include "reporter/internal.h"
#include "core/status.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "core/config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const struct report_state_info report_states[RS_NR] = {
	[RS_DELIVERED_TERMINAL] = { DLV_NAME_TERMINAL, "Delivered to terminal", "To terminal", "#1a7f37" },
	[RS_DELIVERED_NETWORK]  = { DLV_NAME_NETWORK, "Delivered to network", "To network", "#6cc070" },
	[RS_UNCERTAIN]          = { DLV_NAME_UNCERTAIN, "Delivery uncertain", "Uncertain", "#d4a72c" },
	[RS_IMPOSSIBLE]         = { DLV_NAME_IMPOSSIBLE, "Delivery impossible", "Impossible", "#cf222e" },
	[RS_WAITING]            = { DLV_NAME_WAITING, "Still waiting (MessageWaiting)", "Waiting", "#8c959f" },
	[RS_AWAITING]           = { "awaiting_receipt", "Sent, receipt not due yet (< 24 h)", "Awaiting receipt", "#b6e3ff" },
	[RS_NO_RECEIPT]         = { "no_receipt_24h", "No receipt after 24 h", "No receipt 24 h", "#6e7781" },
	[RS_SEND_FAILED]        = { "send_failed", "Send failed", "Send failed", "#82071e" },
	[RS_SEND_UNKNOWN]       = { "send_unknown", "Send outcome unknown", "Send unknown", "#bf8700" },
	[RS_NOT_SENT]           = { "not_sent", "Not sent yet", "Not sent", "#d0d7de" },
};

int report_format_parse(const char *name)
{
	static const char *names[] = { "text", "csv", "html", "json" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (name && !strcasecmp(name, names[i]))
			return (int)i;
	return -1;
}

int report_format_from_path(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (!dot)
		return -1;
	if (!strcasecmp(dot, ".txt"))
		return REPORT_TEXT;
	if (!strcasecmp(dot, ".htm"))
		return REPORT_HTML;
	return report_format_parse(dot + 1);
}

void report_add_reason(struct report *r, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r->reasons = xrealloc(r->reasons, (r->nr_reasons + 1) * sizeof(*r->reasons));
	r->reasons[r->nr_reasons++] = strbuf_detach(&sb, NULL);
	r->partial = true;
}

static void group_release(struct report_group *g)
{
	free(g->campaign);
	free(g->campaign_status);
}

void report_free(struct report *r)
{
	size_t i;

	if (!r)
		return;
	free(r->campaign);
	free(r->since);
	free(r->until);
	free(r->country);
	for (i = 0; i < r->nr_reasons; i++)
		free(r->reasons[i]);
	free(r->reasons);
	group_release(&r->total);
	for (i = 0; i < r->nr_campaigns; i++)
		group_release(&r->campaigns[i]);
	free(r->campaigns);
	for (i = 0; i < r->nr_countries; i++)
		group_release(&r->countries[i]);
	free(r->countries);
	for (i = 0; i < r->nr_cells; i++)
		group_release(&r->cells[i]);
	free(r->cells);
	for (i = 0; i < r->nr_failures; i++) {
		free(r->failures[i].send_status);
		free(r->failures[i].reason);
	}
	free(r->failures);
	free(r->hours);
	free(r->prices);
	for (i = 0; i < r->nr_balances; i++) {
		free(r->balances[i].pending_campaigns);
		free(r->balances[i].warning);
	}
	free(r->balances);
	free(r->reconcile);
	free(r->other_apps);
	free(r);
}

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/*
 * Normalise a user-given time to ISO 8601 UTC; NULL stays NULL.
 * GRIOT_OK, GRIOT_ERR_USAGE (not a time) or GRIOT_ERR_DB, after error().
 */
static enum griot_err norm_time(struct db *db, const char *flag, const char *in, char **out,
				double *epoch)
{
	struct db_result *res = NULL;
	const char *p[1] = { in };
	int n;

	*out = NULL;
	if (!in)
		return GRIOT_OK;
	db_set_quiet(db, true);
	n = db_query(db, &res,
		     "SELECT to_char($1::timestamptz AT TIME ZONE 'UTC', "
		     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), extract(epoch FROM $1::timestamptz)",
		     1, p);
	db_set_quiet(db, false);
	if (n < 0) {
		if (starts_with(db_last_sqlstate(db), "22")) {
			error("%s '%s' is not a date or time (e.g. 2024-05-01 or "
			      "2024-05-01T22:00:00Z)", flag, in);
			return GRIOT_ERR_USAGE;
		}
		error("%s: %s", flag, db_last_error(db));
		return GRIOT_ERR_DB;
	}
	*out = xstrdup(db_result_get(res, 0, 0));
	if (epoch)
		*epoch = db_result_double(res, 0, 1);
	db_result_free(res);
	return GRIOT_OK;
}

static void fill_rates(struct report_group *g)
{
	g->delivered = g->states[RS_DELIVERED_TERMINAL] + g->states[RS_DELIVERED_NETWORK];
	g->delivery_rate = g->accepted ? (double)g->delivered / (double)g->accepted : -1;
	g->terminal_rate = g->accepted ?
		(double)g->states[RS_DELIVERED_TERMINAL] / (double)g->accepted : -1;
	g->cost_per_delivered = -1;
}

static void group_from_row(struct report_group *g, struct db_result *res, int row)
{
	int i, c = 4;

	memset(g, 0, sizeof(*g));
	g->campaign_id = db_result_isnull(res, row, 1) ? 0 : db_result_int(res, row, 1);
	g->campaign = xstrdup_or_null(db_result_get(res, row, 2));
	if (!db_result_isnull(res, row, 3))
		strlcpy_(g->country, db_result_get(res, row, 3), sizeof(g->country));
	g->total = db_result_int(res, row, c++);
	for (i = 0; i < RS_NR; i++)
		g->states[i] = db_result_int(res, row, c++);
	g->accepted = db_result_int(res, row, c++);
	g->units = db_result_int(res, row, c++);
	g->units_unknown = db_result_int(res, row, c++);
	g->latency_count = db_result_int(res, row, c++);
	g->p50 = db_result_isnull(res, row, c) ? 0 : db_result_double(res, row, c);
	c++;
	g->p90 = db_result_isnull(res, row, c) ? 0 : db_result_double(res, row, c);
	c++;
	g->p99 = db_result_isnull(res, row, c) ? 0 : db_result_double(res, row, c);
	c++;
	g->campaign_status = xstrdup_or_null(db_result_get(res, row, c));
	fill_rates(g);
}

static struct report_group *push_group(struct report_group **arr, size_t *n)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	return &(*arr)[(*n)++];
}

static int load_delivery(struct db *db, struct report *r, const char *const *p)
{
	struct db_result *res = NULL;
	int n, i;

	n = db_query(db, &res,
		     "SELECT d.level, d.campaign_id, d.campaign, d.country, d.total,"
		     " d.delivered_terminal, d.delivered_network, d.uncertain, d.impossible,"
		     " d.waiting, d.awaiting_receipt, d.no_receipt_24h, d.send_failed,"
		     " d.send_unknown, d.not_sent, d.accepted, d.units, d.units_unknown,"
		     " d.latency_count, d.p50, d.p90, d.p99, c.status"
		     " FROM report_delivery($1, $2::timestamptz, $3::timestamptz, $4,"
		     "                      $5::timestamptz) d"
		     " LEFT JOIN campaigns c ON c.id = d.campaign_id"
		     " ORDER BY d.level, d.campaign, d.country",
		     5, p);
	if (n < 0)
		return error("report: the delivery aggregation failed");
	for (i = 0; i < n; i++) {
		struct report_group *g;

		switch (db_result_int(res, i, 0)) {
		case 0: g = push_group(&r->cells, &r->nr_cells); break;
		case 1: g = push_group(&r->campaigns, &r->nr_campaigns); break;
		case 2: g = push_group(&r->countries, &r->nr_countries); break;
		default: group_release(&r->total); g = &r->total; break;
		}
		group_from_row(g, res, i);
	}
	db_result_free(res);
	return 0;
}

static int load_failures(struct db *db, struct report *r, const char *const *p)
{
	struct db_result *res = NULL;
	int n, i;

	n = db_query(db, &res,
		     "SELECT send_status, reason, count FROM report_failures($1,"
		     " $2::timestamptz, $3::timestamptz, $4)", 4, p);
	if (n < 0)
		return error("report: the failure query failed");
	r->failures = xcalloc(n ? n : 1, sizeof(*r->failures));
	for (i = 0; i < n; i++) {
		r->failures[i].send_status = xstrdup(db_result_get(res, i, 0));
		r->failures[i].reason = xstrdup(db_result_get(res, i, 1));
		r->failures[i].count = db_result_int(res, i, 2);
	}
	r->nr_failures = n;
	db_result_free(res);
	return 0;
}

static int load_hours(struct db *db, struct report *r, const char *const *p)
{
	struct db_result *res = NULL;
	int n, i;

	n = db_query(db, &res,
		     "SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00'),"
		     " delivered, not_delivered FROM report_receipts_hourly($1,"
		     " $2::timestamptz, $3::timestamptz, $4)", 4, p);
	if (n < 0)
		return error("report: the receipts-per-hour query failed");
	r->hours = xcalloc(n ? n : 1, sizeof(*r->hours));
	for (i = 0; i < n; i++) {
		strlcpy_(r->hours[i].hour, db_result_get(res, i, 0), sizeof(r->hours[i].hour));
		r->hours[i].delivered = db_result_int(res, i, 1);
		r->hours[i].not_delivered = db_result_int(res, i, 2);
	}
	r->nr_hours = n;
	db_result_free(res);
	return 0;
}

static int load_orphans(struct db *db, struct report *r, const char *const *p)
{
	char buf[32];
	const char *q[3] = { p[1], p[2], p[4] };

	/* Receipts the receiver could not match to a message within 24 h. */
	if (db_query_value(db, buf, sizeof(buf),
			   "SELECT count(*) FROM delivery_receipts"
			   " WHERE message_id IS NULL"
			   "   AND received_at <= $3::timestamptz - interval '24 hours'"
			   "   AND ($1::timestamptz IS NULL OR received_at >= $1::timestamptz)"
			   "   AND ($2::timestamptz IS NULL OR received_at < $2::timestamptz)",
			   3, q) < 0)
		return error("report: the orphaned-receipt query failed");
	r->orphaned_receipts = atoll(buf);
	/* 'unknown' messages settled from a unique receipt to their number (sql/057). */
	if (db_query_value(db, buf, sizeof(buf),
			   "SELECT report_inferred($1, $2::timestamptz, $3::timestamptz, $4)", 4, p) < 0)
		return error("report: the settled-by-inference query failed");
	r->settled_by_inference = atoll(buf);
	return 0;
}

/* ---- cost ---- */

static const struct report_price *price_for(const struct report *r, const char *country)
{
	size_t i;

	for (i = 0; i < r->nr_prices; i++)
		if (!strcmp(r->prices[i].country, country) && r->prices[i].unit_price >= 0)
			return &r->prices[i];
	return NULL;
}

static void money_add(struct report_money *m, const char *currency, double amount)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->currency[i], currency)) {
			m->amount[i] += amount;
			return;
		}
	if (m->n == REPORT_MAX_CURRENCIES) {
		/* Never silently: more currencies than we show count as unpriced. */
		return;
	}
	strlcpy_(m->currency[m->n], currency, sizeof(m->currency[0]));
	m->amount[m->n++] = amount;
}

static void money_merge(struct report_money *dst, const struct report_money *src)
{
	int i;

	for (i = 0; i < src->n; i++)
		money_add(dst, src->currency[i], src->amount[i]);
	dst->unpriced_units += src->unpriced_units;
}

static void price_group(const struct report *r, struct report_group *g)
{
	const struct report_price *pr = price_for(r, g->country);

	memset(&g->cost, 0, sizeof(g->cost));
	if (!g->units)
		return;
	if (pr)
		money_add(&g->cost, pr->currency, (double)g->units * pr->unit_price);
	else
		g->cost.unpriced_units = g->units;
}

static void per_delivered(struct report_group *g)
{
	g->cost_per_delivered = -1;
	if (g->cost.n == 1 && !g->cost.unpriced_units && g->delivered > 0)
		g->cost_per_delivered = g->cost.amount[0] / (double)g->delivered;
}

static void build_prices(struct report *r, const struct report_orange *o)
{
	size_t i, j;

	r->prices = xcalloc(o->nr_purchases + 1, sizeof(*r->prices));
	for (i = 0; i < o->nr_purchases; i++) {
		const struct orange_purchase *po = &o->purchases[i];
		struct report_price *pr = NULL;
		long long units = po->units;

		if (r->country && strcmp(po->country, r->country))
			continue;
		for (j = 0; j < r->nr_prices; j++)
			if (!strcmp(r->prices[j].country, po->country))
				pr = &r->prices[j];
		if (!pr) {
			pr = &r->prices[r->nr_prices++];
			strlcpy_(pr->country, po->country, sizeof(pr->country));
			strlcpy_(pr->currency, po->currency, sizeof(pr->currency));
		}
		if (units <= 0)
			units = orange_units_from_description(po->description);
		if (units <= 0 || strcmp(pr->currency, po->currency)) {
			/* No unit count, or a second currency: cannot be averaged in. */
			pr->orders_unusable++;
			continue;
		}
		pr->amount += po->amount;
		pr->units += units;
		pr->orders++;
	}
	for (j = 0; j < r->nr_prices; j++) {
		struct report_price *pr = &r->prices[j];

		pr->unit_price = pr->units > 0 ? pr->amount / (double)pr->units : -1;
		if (pr->orders_unusable)
			report_add_reason(r, "%d purchase order(s) in %s have no SMS count "
					  "or another currency and are left out of its unit price",
					  pr->orders_unusable, pr->country);
	}
}

static void apply_costs(struct report *r)
{
	size_t i, j;

	for (i = 0; i < r->nr_cells; i++) {
		price_group(r, &r->cells[i]);
		per_delivered(&r->cells[i]);
	}
	for (i = 0; i < r->nr_campaigns; i++) {
		struct report_group *c = &r->campaigns[i];

		memset(&c->cost, 0, sizeof(c->cost));
		for (j = 0; j < r->nr_cells; j++)
			if (r->cells[j].campaign_id == c->campaign_id)
				money_merge(&c->cost, &r->cells[j].cost);
		per_delivered(c);
	}
	memset(&r->total.cost, 0, sizeof(r->total.cost));
	for (i = 0; i < r->nr_countries; i++) {
		price_group(r, &r->countries[i]);
		per_delivered(&r->countries[i]);
		money_merge(&r->total.cost, &r->countries[i].cost);
	}
	per_delivered(&r->total);
	if (r->total.cost.n == 1)
		strlcpy_(r->currency, r->total.cost.currency[0], sizeof(r->currency));
	else if (!r->total.cost.n && r->nr_prices)
		strlcpy_(r->currency, r->prices[0].currency, sizeof(r->currency));
}

/* ---- balance and tonight's campaigns ---- */

static struct report_balance *balance_for(struct report *r, const char *country)
{
	size_t i;
	struct report_balance *b;

	for (i = 0; i < r->nr_balances; i++)
		if (!strcmp(r->balances[i].country, country))
			return &r->balances[i];
	r->balances = xrealloc(r->balances, (r->nr_balances + 1) * sizeof(*r->balances));
	b = &r->balances[r->nr_balances++];
	memset(b, 0, sizeof(*b));
	strlcpy_(b->country, country, sizeof(b->country));
	return b;
}

static int build_balance(struct db *db, struct report *r, const struct report_orange *o,
			 double now)
{
	struct db_result *res = NULL;
	const char *p[2] = { r->now, r->country };
	size_t i;
	int n;

	if (o->have_contracts) {
		for (i = 0; i < o->nr_contracts; i++) {
			const struct orange_contract *c = &o->contracts[i];
			struct report_balance *b;

			if (r->country && strcmp(c->country, r->country))
				continue;
			b = balance_for(r, c->country);
			b->known = true;
			b->contracts++;
			/* an EXPIRED contract's units cannot be spent: no credit */
			b->available_units += orange_contract_spendable(c, now);
			if (orange_contract_spendable(c, now) > 0 && c->expires_at > 0 &&
			    (!b->expires_at || c->expires_at < b->expires_at)) {
				b->expires_at = c->expires_at;
				strlcpy_(b->expires, c->expires, sizeof(b->expires));
			}
		}
	}

	/*
	 * Tonight's campaigns: running ones, and scheduled ones starting
	 * within 24 hours; what they still have to send, per country.
	 */
	n = db_query(db, &res,
		     "SELECT m.country, count(*), sum(coalesce(m.segments, 1)),"
		     " count(*) FILTER (WHERE m.segments IS NULL),"
		     " string_agg(DISTINCT c.name, ', ')"
		     " FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
		     " WHERE m.send_status = 'pending'"
		     "   AND (c.status = 'running' OR (c.status = 'scheduled' AND"
		     "        (c.start_at IS NULL OR c.start_at < $1::timestamptz + interval '24 hours')))"
		     "   AND ($2::text IS NULL OR m.country = $2)"
		     " GROUP BY m.country ORDER BY m.country", 2, p);
	if (n < 0)
		return error("report: the pending-messages query failed");
	for (i = 0; i < (size_t)n; i++) {
		struct report_balance *b = balance_for(r, db_result_get(res, i, 0));

		b->pending_messages = db_result_int(res, i, 1);
		b->pending_units = db_result_int(res, i, 2);
		b->pending_unsized = db_result_int(res, i, 3);
		b->pending_campaigns = xstrdup(db_result_get(res, i, 4));
	}
	db_result_free(res);

	r->tonight_fits = true;
	for (i = 0; i < r->nr_balances; i++) {
		struct report_balance *b = &r->balances[i];
		struct strbuf w = STRBUF_INIT;
		bool expired = b->expires_at > 0 && b->expires_at <= now;

		b->fits = true;
		if (!b->pending_units) {
			if (expired)
				strbuf_addf(&w, "the %s credit expired on %s", b->country, b->expires);
		} else if (!o->have_contracts) {
			b->fits = false;
			strbuf_addf(&w, "tonight's campaigns need %lld SMS in %s; the balance "
				    "is unknown (Orange's contracts are unavailable)",
				    b->pending_units, b->country);
		} else if (!b->known) {
			b->fits = false;
			strbuf_addf(&w, "tonight's campaigns need %lld SMS in %s but there is "
				    "no contract for %s", b->pending_units, b->country, b->country);
		} else if (expired) {
			b->fits = false;
			strbuf_addf(&w, "tonight's campaigns need %lld SMS in %s but its credit "
				    "expired on %s", b->pending_units, b->country, b->expires);
		} else if (b->pending_units > b->available_units) {
			b->fits = false;
			strbuf_addf(&w, "tonight's campaigns need %lld SMS in %s but only %lld "
				    "remain (short by %lld)", b->pending_units, b->country,
				    b->available_units, b->pending_units - b->available_units);
		} else if (b->expires_at > 0 && b->expires_at < now + 86400) {
			strbuf_addf(&w, "the %s credit expires on %s, within 24 hours: "
				    "tonight's campaigns must finish before then",
				    b->country, b->expires);
		}
		if (b->pending_unsized && w.len)
			strbuf_addf(&w, " (%lld message(s) without a segment count yet are "
				    "counted as 1 SMS each)", b->pending_unsized);
		if (!b->fits)
			r->tonight_fits = false;
		b->warning = w.len ? strbuf_detach(&w, NULL) : NULL;
		strbuf_release(&w);
	}
	return 0;
}

/* ---- reconciliation with Orange's usage ---- */

static struct report_reconcile *reconcile_for(struct report *r, const char *country,
					      const char *app)
{
	size_t i;
	struct report_reconcile *x;

	for (i = 0; i < r->nr_reconcile; i++)
		if (!strcmp(r->reconcile[i].country, country))
			return &r->reconcile[i];
	r->reconcile = xrealloc(r->reconcile, (r->nr_reconcile + 1) * sizeof(*r->reconcile));
	x = &r->reconcile[r->nr_reconcile++];
	memset(x, 0, sizeof(*x));
	strlcpy_(x->country, country, sizeof(x->country));
	strlcpy_(x->app_id, app ? app : "", sizeof(x->app_id));
	return x;
}

static int build_reconcile(struct db *db, struct report *r, const struct report_orange *o,
			   const char *app)
{
	struct db_result *res = NULL;
	const char *p[1] = { r->country };
	size_t i;
	int n;

	/* Orange's usage counters are totals since the account began, so
	 * they are compared with every message griot ever had accepted. */
	n = db_query(db, &res,
		     "SELECT country,"
		     " count(*) FILTER (WHERE send_status = 'sent'),"
		     " coalesce(sum(coalesce(segments, 1)) FILTER (WHERE send_status = 'sent'), 0),"
		     " count(*) FILTER (WHERE send_status = 'unknown')"
		     " FROM messages WHERE send_status IN ('sent', 'unknown')"
		     "   AND ($1::text IS NULL OR country = $1)"
		     " GROUP BY country ORDER BY country", 1, p);
	if (n < 0)
		return error("report: the reconciliation query failed");
	for (i = 0; i < (size_t)n; i++) {
		struct report_reconcile *x = reconcile_for(r, db_result_get(res, i, 0), app);

		x->local_messages = db_result_int(res, i, 1);
		x->local_units = db_result_int(res, i, 2);
		x->local_unknown = db_result_int(res, i, 3);
	}
	db_result_free(res);

	if (o->have_usage) {
		for (i = 0; i < o->nr_usage; i++) {
			const struct orange_usage *u = &o->usage[i];

			if (r->country && strcmp(u->country, r->country))
				continue;
			if (app && *app && strcmp(u->app_id, app)) {
				struct report_other_app *oa;

				r->other_apps = xrealloc(r->other_apps,
							 (r->nr_other_apps + 1) * sizeof(*oa));
				oa = &r->other_apps[r->nr_other_apps++];
				strlcpy_(oa->country, u->country, sizeof(oa->country));
				strlcpy_(oa->app_id, u->app_id, sizeof(oa->app_id));
				oa->usage = u->usage;
				continue;
			}
			reconcile_for(r, u->country, app)->orange_usage += u->usage;
		}
		for (i = 0; i < r->nr_reconcile; i++)
			r->reconcile[i].have_usage = true;
	}
	for (i = 0; i < r->nr_reconcile; i++) {
		struct report_reconcile *x = &r->reconcile[i];

		x->difference = x->have_usage ? x->orange_usage - x->local_units : 0;
	}
	return 0;
}

/* GRIOT_OK, GRIOT_ERR_NOINPUT (no campaign `name`, after error()), GRIOT_ERR_DB. */
static enum griot_err check_campaign(struct db *db, const char *name)
{
	const char *p[1] = { name };
	int n = db_query(db, NULL, "SELECT 1 FROM campaigns WHERE name = $1", 1, p);

	if (n < 0)
		return GRIOT_ERR_DB;
	if (!n) {
		error("no campaign named '%s' (see 'griot campaign list')", name);
		return GRIOT_ERR_NOINPUT;
	}
	return GRIOT_OK;
}

enum griot_err report_build(struct db *db, struct griot_config *cfg,
			    const struct report_opts *opts, struct report **out)
{
	struct report *r = xcalloc(1, sizeof(*r));
	struct report_orange o;
	const char *p[5];
	char *now = NULL;
	double now_epoch = 0;
	const char *app;
	enum griot_err ret;

	memset(&o, 0, sizeof(o));
	*out = NULL;
	r->campaign = xstrdup_or_null(opts->campaign);
	r->country = xstrdup_or_null(opts->country);
	if (r->country && (strlen(r->country) != 3 ||
			   strspn(r->country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)) {
		error("--country '%s': expected an ISO 3166 alpha-3 code "
		      "in capitals, e.g. MLI", r->country);
		ret = GRIOT_ERR_USAGE;
		goto fail;
	}
	if ((ret = norm_time(db, "--since", opts->since, &r->since, NULL)) != GRIOT_OK ||
	    (ret = norm_time(db, "--until", opts->until, &r->until, NULL)) != GRIOT_OK ||
	    (ret = norm_time(db, "--now", opts->now ? opts->now : "now", &now, &now_epoch)) != GRIOT_OK)
		goto fail;
	strlcpy_(r->now, now, sizeof(r->now));
	free(now);
	{
		char *gen = NULL;
		if (norm_time(db, "now", "now", &gen, NULL) == GRIOT_OK && gen)
			strlcpy_(r->generated_at, gen, sizeof(r->generated_at));
		free(gen);
	}
	if (r->campaign && (ret = check_campaign(db, r->campaign)) != GRIOT_OK)
		goto fail;

	p[0] = r->campaign;
	p[1] = r->since;
	p[2] = r->until;
	p[3] = r->country;
	p[4] = r->now;
	ret = GRIOT_ERR_DB;
	if (load_delivery(db, r, p) < 0 || load_failures(db, r, p) < 0 ||
	    load_hours(db, r, p) < 0 || load_orphans(db, r, p) < 0)
		goto fail;

	report_orange_fetch(db, cfg, opts, r, &o);
	r->have_prices = o.have_purchases;
	r->have_balance = o.have_contracts;
	r->have_usage = o.have_usage;
	build_prices(r, &o);
	apply_costs(r);
	if (build_balance(db, r, &o, now_epoch) < 0)
		goto fail;
	app = opts->app_id ? opts->app_id : (cfg ? config_get(cfg, "orange_app_id") : NULL);
	if (build_reconcile(db, r, &o, app) < 0)
		goto fail;
	report_orange_release(&o);
	*out = r;
	return GRIOT_OK;
fail:
	report_orange_release(&o);
	report_free(r);
	return ret;
}

int report_render(const struct report *r, enum report_format fmt, enum lang l,
		  struct strbuf *sb)
{
	switch (fmt) {
	case REPORT_TEXT: report_render_text(r, sb); return 0;
	case REPORT_CSV: report_render_csv(r, ',', sb); return 0;
	case REPORT_HTML: report_render_html(r, l, sb); return 0;
	case REPORT_JSON: return report_render_json(r, true, sb);
	}
	return error("unknown report format %d", (int)fmt);
}
