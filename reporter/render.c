/*
 * Renderers for text (terminal), JSON (every figure, for tests and
 * tools) and CSV (one row per campaign/country for spreadsheets), and
 * the helpers the HTML renderer shares.
 */
#include "reporter/internal.h"
#include "core/json.h"
#include "core/lang.h"
#include "core/log.h"
#include "core/csv.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- number formats ---- */

void report_fmt_num(struct strbuf *sb, double v)
{
	char buf[64];
	char *p;

	snprintf(buf, sizeof(buf), "%.4f", v);
	p = buf + strlen(buf) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
	strbuf_addstr(sb, buf);
}

void report_fmt_money(struct strbuf *sb, double v)
{
	if (fabs(v - round(v)) < 0.005)
		strbuf_addf(sb, "%.0f", round(v));
	else
		strbuf_addf(sb, "%.2f", v);
}

void report_fmt_secs(struct strbuf *sb, double s)
{
	long t = lround(s);

	if (t < 60)
		strbuf_addf(sb, "%ld s", t);
	else if (t < 3600)
		strbuf_addf(sb, "%ld min %02ld s", t / 60, t % 60);
	else
		strbuf_addf(sb, "%ld h %02ld min", t / 3600, (t % 3600) / 60);
}

void report_fmt_rate(struct strbuf *sb, double rate)
{
	if (rate < 0)
		strbuf_addstr(sb, "n/a");
	else
		strbuf_addf(sb, "%.1f %%", rate * 100);
}

static void fmt_cost(struct strbuf *sb, const struct report_money *m)
{
	int i;

	if (!m->n && !m->unpriced_units) {
		strbuf_addstr(sb, "0");
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (i)
			strbuf_addstr(sb, " + ");
		if (lang_minor_units(m->currency[i]))
			report_fmt_money(sb, m->amount[i]);
		else
			strbuf_addf(sb, "%.0f", round(m->amount[i]));
		strbuf_addf(sb, " %s", m->currency[i]);
	}
	if (m->unpriced_units)
		strbuf_addf(sb, "%s%lld SMS unpriced", m->n ? " + " : "", m->unpriced_units);
}

/* ---- CSV ---- */

void report_csv_cell(struct strbuf *sb, const char *s, char sep)
{
	if (s)
		csv_cell(sb, s, strlen(s), sep);
}

/* A number for a spreadsheet: decimal comma when the separator is ';'
 * (French-locale Excel reads "0.5" as text there). */
static void csv_num(struct strbuf *sb, double v, char sep, bool money)
{
	size_t start = sb->len, i;

	if (money)
		report_fmt_money(sb, v);
	else
		report_fmt_num(sb, v);
	if (sep == ';')
		for (i = start; i < sb->len; i++)
			if (sb->buf[i] == '.')
				sb->buf[i] = ',';
}

static void csv_int(struct strbuf *sb, long long v)
{
	strbuf_addf(sb, "%lld", v);
}

static void csv_group(struct strbuf *sb, const char *level, const struct report_group *g,
		      char sep)
{
	int i;

	report_csv_cell(sb, level, sep);
	strbuf_addch(sb, sep);
	report_csv_cell(sb, g->campaign ? g->campaign : "", sep);
	strbuf_addch(sb, sep);
	report_csv_cell(sb, g->country, sep);
	strbuf_addch(sb, sep);
	csv_int(sb, g->total);
	for (i = 0; i < RS_NR; i++) {
		strbuf_addch(sb, sep);
		csv_int(sb, g->states[i]);
	}
	strbuf_addch(sb, sep);
	csv_int(sb, g->accepted);
	strbuf_addch(sb, sep);
	csv_int(sb, g->delivered);
	strbuf_addch(sb, sep);
	if (g->delivery_rate >= 0)
		csv_num(sb, g->delivery_rate, sep, false);
	strbuf_addch(sb, sep);
	if (g->terminal_rate >= 0)
		csv_num(sb, g->terminal_rate, sep, false);
	strbuf_addch(sb, sep);
	csv_int(sb, g->units);
	strbuf_addch(sb, sep);
	csv_int(sb, g->units_unknown);
	strbuf_addch(sb, sep);
	csv_int(sb, g->latency_count);
	strbuf_addch(sb, sep);
	if (g->latency_count)
		csv_num(sb, g->p50, sep, false);
	strbuf_addch(sb, sep);
	if (g->latency_count)
		csv_num(sb, g->p90, sep, false);
	strbuf_addch(sb, sep);
	if (g->latency_count)
		csv_num(sb, g->p99, sep, false);
	strbuf_addch(sb, sep);
	if (g->cost.n == 1)
		csv_num(sb, g->cost.amount[0], sep, true);
	else if (!g->cost.n && !g->cost.unpriced_units)
		strbuf_addch(sb, '0');
	strbuf_addch(sb, sep);
	report_csv_cell(sb, g->cost.n == 1 ? g->cost.currency[0] :
			g->cost.n > 1 ? "several" : "", sep);
	strbuf_addch(sb, sep);
	csv_int(sb, g->cost.unpriced_units);
	strbuf_addch(sb, sep);
	if (g->cost_per_delivered >= 0)
		csv_num(sb, g->cost_per_delivered, sep, true);
	strbuf_addstr(sb, "\r\n");
}

void report_render_csv(const struct report *r, char sep, struct strbuf *sb)
{
	static const char *const head[] = {
		"level", "campaign", "country", "messages",
	};
	static const char *const tail[] = {
		"accepted", "delivered", "delivery_rate", "terminal_rate", "units",
		"units_unknown", "latency_count", "latency_p50_s", "latency_p90_s",
		"latency_p99_s", "cost", "currency", "unpriced_units", "cost_per_delivered",
	};
	size_t i, j;

	strbuf_addstr(sb, "\xEF\xBB\xBF");
	for (i = 0; i < ARRAY_SIZE(head); i++) {
		if (i)
			strbuf_addch(sb, sep);
		strbuf_addstr(sb, head[i]);
	}
	for (i = 0; i < RS_NR; i++) {
		strbuf_addch(sb, sep);
		strbuf_addstr(sb, report_states[i].key);
	}
	for (i = 0; i < ARRAY_SIZE(tail); i++) {
		strbuf_addch(sb, sep);
		strbuf_addstr(sb, tail[i]);
	}
	strbuf_addstr(sb, "\r\n");
	for (i = 0; i < r->nr_campaigns; i++) {
		for (j = 0; j < r->nr_cells; j++)
			if (r->cells[j].campaign_id == r->campaigns[i].campaign_id)
				csv_group(sb, "campaign_country", &r->cells[j], sep);
		csv_group(sb, "campaign", &r->campaigns[i], sep);
	}
	for (i = 0; i < r->nr_countries; i++)
		csv_group(sb, "country", &r->countries[i], sep);
	csv_group(sb, "total", &r->total, sep);
}

/* ---- JSON ---- */

/* A figure that may be unknown (< 0: null). */
static void json_opt(struct json_gen *g, const char *key, double v)
{
	json_key(g, key);
	if (v < 0)
		json_null(g);
	else
		json_double(g, v);
}

/* A latency percentile: its value whatever its sign, null without data. */
static void json_latency(struct json_gen *g, const char *key, long long count, double v)
{
	json_key(g, key);
	if (!count)
		json_null(g);
	else
		json_double(g, v);
}

/* A rate (0..1) to 6 significant digits: 0.666667, more would be noise. */
static void json_rate(struct json_gen *g, const char *key, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6g", v);
	json_opt(g, key, v < 0 ? v : strtod(buf, NULL));
}

static void json_group(struct json_gen *g, const struct report_group *grp)
{
	int i;

	if (grp->campaign) {
		json_kv_str(g, "campaign", grp->campaign);
		json_kv_str(g, "campaign_status", grp->campaign_status);
	}
	if (*grp->country)
		json_kv_str(g, "country", grp->country);
	json_kv_int(g, "messages", grp->total);
	json_key(g, "states");
	json_map_open(g);
	for (i = 0; i < RS_NR; i++)
		json_kv_int(g, report_states[i].key, grp->states[i]);
	json_map_close(g);
	json_kv_int(g, "accepted", grp->accepted);
	json_kv_int(g, "delivered", grp->delivered);
	json_rate(g, "delivery_rate", grp->delivery_rate);
	json_rate(g, "terminal_rate", grp->terminal_rate);
	json_kv_int(g, "units", grp->units);
	json_kv_int(g, "units_unknown", grp->units_unknown);
	json_key(g, "latency_seconds");
	json_map_open(g);
	json_kv_int(g, "count", grp->latency_count);
	/* Observed latencies, zero or negative included (a receipt recorded
	 * before the answer's time is a fact to show, not to hide): null only
	 * when there is none. */
	json_latency(g, "p50", grp->latency_count, grp->p50);
	json_latency(g, "p90", grp->latency_count, grp->p90);
	json_latency(g, "p99", grp->latency_count, grp->p99);
	json_map_close(g);
	json_key(g, "cost");
	json_array_open(g);
	for (i = 0; i < grp->cost.n; i++) {
		json_map_open(g);
		json_kv_str(g, "currency", grp->cost.currency[i]);
		json_kv_double(g, "amount", grp->cost.amount[i]);
		json_map_close(g);
	}
	json_array_close(g);
	json_kv_int(g, "unpriced_units", grp->cost.unpriced_units);
	json_opt(g, "cost_per_delivered", grp->cost_per_delivered);
}

int report_render_json(const struct report *r, bool pretty, struct strbuf *sb)
{
	struct json_gen *g = json_gen_new(pretty);
	size_t i, j;
	int ret;

	json_map_open(g);
	json_kv_str(g, "generated_at", r->generated_at);
	json_kv_str(g, "now", r->now);
	json_key(g, "scope");
	json_map_open(g);
	json_kv_str(g, "campaign", r->campaign);
	json_kv_str(g, "since", r->since);
	json_kv_str(g, "until", r->until);
	json_kv_str(g, "country", r->country);
	json_map_close(g);
	json_kv_bool(g, "partial", r->partial);
	json_key(g, "partial_reasons");
	json_array_open(g);
	for (i = 0; i < r->nr_reasons; i++)
		json_str(g, r->reasons[i]);
	json_array_close(g);
	json_kv_str(g, "orange_source", r->orange_source);

	json_key(g, "totals");
	json_map_open(g);
	json_group(g, &r->total);
	json_map_close(g);

	json_key(g, "campaigns");
	json_array_open(g);
	for (i = 0; i < r->nr_campaigns; i++) {
		json_map_open(g);
		json_group(g, &r->campaigns[i]);
		json_key(g, "countries");
		json_array_open(g);
		for (j = 0; j < r->nr_cells; j++) {
			if (r->cells[j].campaign_id != r->campaigns[i].campaign_id)
				continue;
			json_map_open(g);
			json_group(g, &r->cells[j]);
			json_map_close(g);
		}
		json_array_close(g);
		json_map_close(g);
	}
	json_array_close(g);

	json_key(g, "countries");
	json_array_open(g);
	for (i = 0; i < r->nr_countries; i++) {
		json_map_open(g);
		json_group(g, &r->countries[i]);
		json_map_close(g);
	}
	json_array_close(g);

	json_key(g, "failures");
	json_array_open(g);
	for (i = 0; i < r->nr_failures; i++) {
		json_map_open(g);
		json_kv_str(g, "send_status", r->failures[i].send_status);
		json_kv_str(g, "reason", r->failures[i].reason);
		json_kv_int(g, "count", r->failures[i].count);
		json_map_close(g);
	}
	json_array_close(g);

	json_key(g, "receipts_per_hour");
	json_array_open(g);
	for (i = 0; i < r->nr_hours; i++) {
		json_map_open(g);
		json_kv_str(g, "hour", r->hours[i].hour);
		json_kv_int(g, "delivered", r->hours[i].delivered);
		json_kv_int(g, "not_delivered", r->hours[i].not_delivered);
		json_map_close(g);
	}
	json_array_close(g);
	json_kv_int(g, "orphaned_receipts", r->orphaned_receipts);
	json_kv_int(g, "settled_by_inference", r->settled_by_inference);

	json_key(g, "prices");
	json_map_open(g);
	json_kv_bool(g, "known", r->have_prices);
	json_key(g, "countries");
	json_array_open(g);
	for (i = 0; i < r->nr_prices; i++) {
		const struct report_price *p = &r->prices[i];
		json_map_open(g);
		json_kv_str(g, "country", p->country);
		json_kv_str(g, "currency", p->currency);
		json_kv_double(g, "amount", p->amount);
		json_kv_int(g, "units", p->units);
		json_kv_int(g, "orders", p->orders);
		json_kv_int(g, "orders_unusable", p->orders_unusable);
		json_opt(g, "unit_price", p->unit_price);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);

	json_key(g, "balance");
	json_map_open(g);
	json_kv_bool(g, "known", r->have_balance);
	json_kv_bool(g, "tonight_fits", r->tonight_fits);
	json_key(g, "countries");
	json_array_open(g);
	for (i = 0; i < r->nr_balances; i++) {
		const struct report_balance *b = &r->balances[i];
		json_map_open(g);
		json_kv_str(g, "country", b->country);
		json_kv_bool(g, "contract", b->known);
		json_kv_int(g, "available_units", b->available_units);
		json_kv_str(g, "expires", *b->expires ? b->expires : NULL);
		json_kv_int(g, "contracts", b->contracts);
		json_kv_int(g, "pending_messages", b->pending_messages);
		json_kv_int(g, "pending_units", b->pending_units);
		json_kv_int(g, "pending_unsized", b->pending_unsized);
		json_kv_str(g, "pending_campaigns", b->pending_campaigns);
		json_kv_bool(g, "fits", b->fits);
		json_kv_str(g, "warning", b->warning);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);

	json_key(g, "reconciliation");
	json_map_open(g);
	json_kv_bool(g, "known", r->have_usage);
	json_key(g, "countries");
	json_array_open(g);
	for (i = 0; i < r->nr_reconcile; i++) {
		const struct report_reconcile *x = &r->reconcile[i];
		json_map_open(g);
		json_kv_str(g, "country", x->country);
		json_kv_str(g, "app_id", *x->app_id ? x->app_id : NULL);
		json_kv_int(g, "local_messages", x->local_messages);
		json_kv_int(g, "local_units", x->local_units);
		json_kv_int(g, "local_unknown", x->local_unknown);
		json_key(g, "orange_usage");
		if (x->have_usage)
			json_int(g, x->orange_usage);
		else
			json_null(g);
		json_key(g, "difference");
		if (x->have_usage)
			json_int(g, x->difference);
		else
			json_null(g);
		json_map_close(g);
	}
	json_array_close(g);
	json_key(g, "other_applications");
	json_array_open(g);
	for (i = 0; i < r->nr_other_apps; i++) {
		json_map_open(g);
		json_kv_str(g, "country", r->other_apps[i].country);
		json_kv_str(g, "app_id", r->other_apps[i].app_id);
		json_kv_int(g, "usage", r->other_apps[i].usage);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);

	json_map_close(g);
	ret = json_gen_to_strbuf(g, sb);
	json_gen_free(g);
	if (!ret && pretty)
		strbuf_addch(sb, '\n');
	return ret < 0 ? error("report: JSON generation failed") : 0;
}

/* ---- text ---- */

static void text_group_line(struct strbuf *sb, const char *name, const struct report_group *g)
{
	struct strbuf rate = STRBUF_INIT;

	report_fmt_rate(&rate, g->delivery_rate);
	strbuf_addf(sb, "  %-24s %9lld %9lld %9lld %9s", name, g->total, g->accepted,
		    g->delivered, rate.buf);
	strbuf_release(&rate);
	strbuf_addstr(sb, "   p50 ");
	if (g->latency_count)
		report_fmt_secs(sb, g->p50);
	else
		strbuf_addstr(sb, "n/a");
	strbuf_addf(sb, "   %lld SMS   ", g->units);
	fmt_cost(sb, &g->cost);
	strbuf_addch(sb, '\n');
}

void report_render_text(const struct report *r, struct strbuf *sb)
{
	const struct report_group *t = &r->total;
	size_t i;
	int s;

	strbuf_addstr(sb, "griot report: ");
	if (r->campaign)
		strbuf_addf(sb, "campaign %s", r->campaign);
	else
		strbuf_addstr(sb, "all campaigns");
	if (r->since || r->until)
		strbuf_addf(sb, ", sent %s to %s", r->since ? r->since : "…",
			    r->until ? r->until : "now");
	if (r->country)
		strbuf_addf(sb, ", %s only", r->country);
	strbuf_addf(sb, " (as of %s)\n", r->now);
	if (r->partial) {
		strbuf_addstr(sb, "\nPARTIAL REPORT:\n");
		for (i = 0; i < r->nr_reasons; i++)
			strbuf_addf(sb, "  - %s\n", r->reasons[i]);
	}

	strbuf_addf(sb, "\nMessages %lld, accepted by Orange %lld, delivered %lld (",
		    t->total, t->accepted, t->delivered);
	report_fmt_rate(sb, t->delivery_rate);
	strbuf_addstr(sb, " of accepted)\n");
	if (t->latency_count) {
		strbuf_addstr(sb, "Receipt latency p50 ");
		report_fmt_secs(sb, t->p50);
		strbuf_addstr(sb, ", p90 ");
		report_fmt_secs(sb, t->p90);
		strbuf_addstr(sb, ", p99 ");
		report_fmt_secs(sb, t->p99);
		strbuf_addf(sb, " (%lld final receipts)\n", t->latency_count);
	}
	strbuf_addf(sb, "SMS units used %lld; cost ", t->units);
	fmt_cost(sb, &t->cost);
	if (t->cost_per_delivered >= 0) {
		strbuf_addstr(sb, "; per delivered SMS ");
		report_fmt_money(sb, t->cost_per_delivered);
		strbuf_addf(sb, " %s", t->cost.currency[0]);
	}
	if (!r->have_prices)
		strbuf_addstr(sb, " (prices unknown)");
	strbuf_addch(sb, '\n');

	strbuf_addstr(sb, "\nStates:\n");
	for (s = 0; s < RS_NR; s++)
		strbuf_addf(sb, "  %-36s %9lld\n", report_states[s].label, t->states[s]);
	if (r->orphaned_receipts)
		strbuf_addf(sb, "  %-36s %9lld\n", "Orphaned receipts (unmatched 24 h)",
			    r->orphaned_receipts);
	if (r->settled_by_inference)
		strbuf_addf(sb, "  %-36s %9lld\n", "Unknown settled by a receipt (inferred)",
			    r->settled_by_inference);

	if (r->nr_campaigns) {
		strbuf_addf(sb, "\nBy campaign:%15s %9s %9s %9s %8s\n", "messages", "accepted",
			    "delivered", "rate", "");
		for (i = 0; i < r->nr_campaigns; i++)
			text_group_line(sb, r->campaigns[i].campaign, &r->campaigns[i]);
	}
	if (r->nr_countries) {
		strbuf_addf(sb, "\nBy country:%16s %9s %9s %9s\n", "messages", "accepted",
			    "delivered", "rate");
		for (i = 0; i < r->nr_countries; i++)
			text_group_line(sb, r->countries[i].country, &r->countries[i]);
	}
	if (r->nr_failures) {
		strbuf_addstr(sb, "\nFailures by reason:\n");
		for (i = 0; i < r->nr_failures; i++)
			strbuf_addf(sb, "  %9lld  %-8s %s\n", r->failures[i].count,
				    r->failures[i].send_status, r->failures[i].reason);
	}
	if (r->nr_prices) {
		strbuf_addstr(sb, "\nUnit prices (purchase orders):\n");
		for (i = 0; i < r->nr_prices; i++) {
			const struct report_price *p = &r->prices[i];
			strbuf_addf(sb, "  %s  ", p->country);
			if (p->unit_price >= 0) {
				report_fmt_money(sb, p->unit_price);
				strbuf_addf(sb, " %s per SMS (", p->currency);
				report_fmt_money(sb, p->amount);
				strbuf_addf(sb, " %s for %lld SMS in %d order(s))\n",
					    p->currency, p->units, p->orders);
			} else {
				strbuf_addstr(sb, "unknown (no order with an SMS count)\n");
			}
		}
	}
	strbuf_addstr(sb, "\nBalance:\n");
	if (!r->have_balance)
		strbuf_addstr(sb, "  unknown (Orange's contracts are unavailable)\n");
	for (i = 0; i < r->nr_balances; i++) {
		const struct report_balance *b = &r->balances[i];
		strbuf_addf(sb, "  %s  ", b->country);
		if (b->known)
			strbuf_addf(sb, "%lld SMS left, expires %s", b->available_units,
				    *b->expires ? b->expires : "(unknown)");
		else
			strbuf_addstr(sb, r->have_balance ? "no contract" : "balance unknown");
		if (b->pending_units)
			strbuf_addf(sb, "; tonight %lld SMS pending (%s)", b->pending_units,
				    b->pending_campaigns);
		strbuf_addch(sb, '\n');
		if (b->warning)
			strbuf_addf(sb, "      WARNING: %s\n", b->warning);
	}
	if (r->nr_reconcile) {
		strbuf_addstr(sb, "\nReconciliation with Orange's usage (all time):\n");
		for (i = 0; i < r->nr_reconcile; i++) {
			const struct report_reconcile *x = &r->reconcile[i];
			strbuf_addf(sb, "  %s  griot %lld SMS (%lld messages", x->country,
				    x->local_units, x->local_messages);
			if (x->local_unknown)
				strbuf_addf(sb, ", %lld unknown", x->local_unknown);
			strbuf_addstr(sb, ")  Orange ");
			if (x->have_usage)
				strbuf_addf(sb, "%lld  difference %+lld%s\n", x->orange_usage,
					    x->difference, x->difference ? "  MISMATCH" : "");
			else
				strbuf_addstr(sb, "unknown\n");
		}
		for (i = 0; i < r->nr_other_apps; i++)
			strbuf_addf(sb, "  %s  other application %s: %lld SMS\n",
				    r->other_apps[i].country, r->other_apps[i].app_id,
				    r->other_apps[i].usage);
	}
}
