/*
 * The HTML report: one self-contained file (inline CSS, inline SVG drawn
 * here, no script, no network) that opens from an e-mail attachment or a
 * file share, reads on a phone and prints.  Every string from the
 * database or from Orange goes through strbuf_addhtml(), and each that
 * people typed through add_user() (isolated, wrapping).
 */
#include "reporter/internal.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--warn:#9a6700;"
	"--bad:#cf222e;--ok:#1a7f37}"
	"*{box-sizing:border-box}"
	"body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--fg);background:#fff}"
	"main{max-width:1080px;margin:0 auto}"
	"h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px;"
	"border-bottom:1px solid var(--line);padding-bottom:4px}"
	".scope{color:var(--muted);margin:0 0 12px}"
	".banner{border:1px solid;border-radius:6px;padding:10px 14px;margin:12px 0}"
	".banner ul{margin:6px 0 0;padding-left:20px}"
	".partial{border-color:#d4a72c;background:#fff8c5}"
	".alert{border-color:var(--bad);background:#ffebe9}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;"
	"margin:12px 0}"
	".card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}"
	".card .k{color:var(--muted);font-size:.85em;text-transform:uppercase;letter-spacing:.03em}"
	".card .v{font-size:1.6em;font-weight:600;line-height:1.2;margin:2px 0}"
	".card .s{color:var(--muted);font-size:.9em}"
	".n{white-space:nowrap;font-variant-numeric:tabular-nums}"
	"bdi{unicode-bidi:isolate;overflow-wrap:anywhere}"
	"td,li,p,.bl{overflow-wrap:anywhere}"
	".tw{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;width:100%;font-size:.92em}"
	"th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;"
	"vertical-align:top}"
	"th{background:var(--bg);font-weight:600;white-space:nowrap}"
	"th:first-child,td:first-child,td.t,th.t{text-align:left}"
	"tr.sum td{font-weight:600;border-top:2px solid var(--line)}"
	".bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn)}"
	".legend{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;padding:0;margin:6px 0;"
	"font-size:.88em}"
	".legend i{display:inline-block;width:.9em;height:.9em;border-radius:2px;"
	"margin-right:5px;vertical-align:-1px}"
	"svg{width:100%;display:block}"
	".bar{margin:0 0 10px}.bar .bl{font-size:.92em;margin-bottom:2px}.bar svg{height:20px}"
	".chart{position:relative;padding-left:3.2em}.chart .ymax{position:absolute;left:0;top:0;"
	"font-size:.8em;color:var(--muted)}.hist{height:170px;border-bottom:1px solid #8c959f}"
	".xaxis{display:flex;justify-content:space-between;font-size:.8em;color:var(--muted)}"
	"footer{color:var(--muted);font-size:.85em;margin-top:28px}"
	"@media (max-width:600px){body{padding:10px;font-size:14px}"
	".card .v{font-size:1.35em}th,td{padding:4px 5px}}"
	"@media print{body{padding:0;font-size:10pt}.card{background:none}"
	"section,.card,tr,svg{break-inside:avoid}h2{break-after:avoid}"
	".tw{overflow:visible}a{color:inherit;text-decoration:none}"
	"table{font-size:7.5pt}th{white-space:normal}th,td{padding:3px 4px}"
	"@page{margin:14mm}}";

/*
 * A string people typed (campaign names, Orange's and the database's
 * texts): escaped, and isolated in <bdi> so that a right-to-left name
 * (حملة رمضان 2026) or an unclosed U+202E cannot move or reverse the
 * figures beside it; the CSS lets it wrap anywhere.
 */
static void add_user(struct strbuf *sb, const char *s)
{
	strbuf_addstr(sb, "<bdi>");
	strbuf_addhtml(sb, s);
	strbuf_addstr(sb, "</bdi>");
}

/* Integers with a (non-breaking) space between thousands, as in French. */
static void add_int(struct strbuf *sb, long long v)
{
	char buf[32];
	int len, i, first;

	len = snprintf(buf, sizeof(buf), "%lld", v < 0 ? -v : v);
	if (v < 0)
		strbuf_addch(sb, '-');
	first = len % 3 ? len % 3 : 3;
	for (i = 0; i < len; i++) {
		if (i && (i - first) % 3 == 0)
			strbuf_addstr(sb, "&#160;");
		strbuf_addch(sb, buf[i]);
	}
}

static void td_int(struct strbuf *sb, long long v)
{
	strbuf_addstr(sb, "<td class=n>");
	add_int(sb, v);
	strbuf_addstr(sb, "</td>");
}

static void add_money(struct strbuf *sb, double v)
{
	struct strbuf t = STRBUF_INIT;
	char *dot;

	report_fmt_money(&t, v);
	dot = strchr(t.buf, '.');
	if (dot)
		*dot = '\0';
	add_int(sb, atoll(t.buf));
	if (dot)
		strbuf_addf(sb, ".%s", dot + 1);
	strbuf_release(&t);
}

static void add_cost(struct strbuf *sb, const struct report_money *m)
{
	int i;

	if (!m->n && !m->unpriced_units) {
		strbuf_addstr(sb, "0");
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (i)
			strbuf_addstr(sb, " + ");
		strbuf_addstr(sb, "<span class=n>");
		add_money(sb, m->amount[i]);
		strbuf_addstr(sb, " ");
		strbuf_addhtml(sb, m->currency[i]);
		strbuf_addstr(sb, "</span>");
	}
	if (m->unpriced_units) {
		strbuf_addf(sb, "%s<span class=warn>", m->n ? " + " : "");
		add_int(sb, m->unpriced_units);
		strbuf_addstr(sb, " SMS unpriced</span>");
	}
}

static void add_secs(struct strbuf *sb, const struct report_group *g, double v)
{
	if (!g->latency_count) {
		strbuf_addstr(sb, "n/a");
		return;
	}
	report_fmt_secs(sb, v);
}

static void card(struct strbuf *sb, const char *key, const char *value_html,
		 const char *sub_html)
{
	strbuf_addf(sb, "<div class=card><div class=k>%s</div><div class=v>%s</div>",
		    key, value_html);
	if (sub_html && *sub_html)
		strbuf_addf(sb, "<div class=s>%s</div>", sub_html);
	strbuf_addstr(sb, "</div>");
}

static void cards(struct strbuf *sb, const struct report *r)
{
	const struct report_group *t = &r->total;
	struct strbuf v = STRBUF_INIT, s = STRBUF_INIT;
	size_t i;

	add_int(&v, t->total);
	strbuf_addstr(&s, "accepted by Orange: <span class=n>");
	add_int(&s, t->accepted);
	strbuf_addstr(&s, "</span>");
	card(sb, "Messages", v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	report_fmt_rate(&v, t->delivery_rate);
	strbuf_addstr(&s, "<span class=n>");
	add_int(&s, t->delivered);
	strbuf_addstr(&s, "</span> delivered, <span class=n>");
	add_int(&s, t->states[RS_DELIVERED_TERMINAL]);
	strbuf_addstr(&s, "</span> to the phone");
	card(sb, "Delivery rate", v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	add_secs(&v, t, t->p50);
	strbuf_addstr(&s, "median; p90 ");
	add_secs(&s, t, t->p90);
	strbuf_addstr(&s, ", p99 ");
	add_secs(&s, t, t->p99);
	card(sb, "Receipt latency", v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	if (r->have_prices || t->cost.n)
		add_cost(&v, &t->cost);
	else
		strbuf_addstr(&v, "unknown");
	add_int(&s, t->units);
	strbuf_addstr(&s, " SMS units");
	if (t->cost_per_delivered >= 0) {
		strbuf_addstr(&s, "; <span class=n>");
		add_money(&s, t->cost_per_delivered);
		strbuf_addstr(&s, " ");
		strbuf_addhtml(&s, t->cost.currency[0]);
		strbuf_addstr(&s, "</span> per delivered SMS");
	}
	card(sb, "Cost", v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	if (!r->have_balance) {
		strbuf_addstr(&v, "unknown");
	} else {
		int shown = 0;
		for (i = 0; i < r->nr_balances; i++) {
			const struct report_balance *b = &r->balances[i];
			if (!b->known)
				continue;
			if (shown++)
				strbuf_addstr(&s, "<br>");
			strbuf_addhtml(&s, b->country);
			strbuf_addstr(&s, " <span class=n>");
			add_int(&s, b->available_units);
			strbuf_addstr(&s, "</span>");
			if (*b->expires) {
				strbuf_addstr(&s, " until ");
				strbuf_addhtml(&s, b->expires);
			}
		}
		strbuf_addstr(&v, r->tonight_fits ? "<span class=ok>enough</span>" :
			      "<span class=bad>short</span>");
		if (!shown)
			strbuf_addstr(&s, "no contract");
	}
	card(sb, "Credit for tonight", v.buf, s.buf);
	strbuf_release(&v);
	strbuf_release(&s);
}

static void legend(struct strbuf *sb, const bool *used)
{
	int i;

	strbuf_addstr(sb, "<ul class=legend>");
	for (i = 0; i < RS_NR; i++) {
		if (!used[i])
			continue;
		strbuf_addf(sb, "<li><i style=\"background:%s\"></i>", report_states[i].color);
		strbuf_addhtml(sb, report_states[i].label);
		strbuf_addstr(sb, "</li>");
	}
	strbuf_addstr(sb, "</ul>");
}

/*
 * One horizontal bar per campaign, each 100 % wide, split by state.
 * Labels are HTML (they keep their size on a phone); the bar is an SVG
 * stretched to the width.
 */
static void stacked_bars(struct strbuf *sb, const struct report *r)
{
	const double W = 1000;
	bool used[RS_NR] = { false };
	size_t i;
	int s;

	if (!r->nr_campaigns) {
		strbuf_addstr(sb, "<p>No messages in this report.</p>");
		return;
	}
	for (i = 0; i < r->nr_campaigns; i++) {
		const struct report_group *g = &r->campaigns[i];
		double x = 0;

		strbuf_addstr(sb, "<div class=bar><div class=bl><strong>");
		add_user(sb, g->campaign);
		strbuf_addstr(sb, "</strong> <span class=n>");
		add_int(sb, g->total);
		strbuf_addstr(sb, " messages, ");
		if (g->accepted) {
			report_fmt_rate(sb, g->delivery_rate);
			strbuf_addstr(sb, " delivered");
		} else
			strbuf_addstr(sb, "none accepted yet");
		strbuf_addf(sb, "</span></div><svg viewBox=\"0 0 %.0f 20\" preserveAspectRatio=none "
			    "role=img aria-label=\"", W);
		strbuf_addhtml(sb, g->campaign);
		strbuf_addf(sb, ": states\"><rect width=\"%.0f\" height=\"20\" fill=\"#eaeef2\"/>", W);
		for (s = 0; s < RS_NR && g->total; s++) {
			double w = W * (double)g->states[s] / (double)g->total;

			if (!g->states[s])
				continue;
			used[s] = true;
			strbuf_addf(sb, "<rect x=\"%.3f\" width=\"%.3f\" height=\"20\" fill=\"%s\">"
				    "<title>", x, w, report_states[s].color);
			strbuf_addhtml(sb, report_states[s].label);
			strbuf_addf(sb, ": %lld</title></rect>", g->states[s]);
			x += w;
		}
		strbuf_addstr(sb, "</svg></div>");
	}
	legend(sb, used);
}

/* Final receipts per hour, delivered stacked under the other finals. */
static void receipts_chart(struct strbuf *sb, const struct report *r)
{
	const double W = 1000, H = 300;
	double bw, max = 0;
	size_t i;

	if (!r->nr_hours) {
		strbuf_addstr(sb, "<p>No final receipt yet.</p>");
		return;
	}
	for (i = 0; i < r->nr_hours; i++) {
		double v = (double)(r->hours[i].delivered + r->hours[i].not_delivered);
		if (v > max)
			max = v;
	}
	bw = W / (double)r->nr_hours;
	strbuf_addstr(sb, "<div class=chart><div class=ymax>");
	add_int(sb, (long long)max);
	strbuf_addf(sb, "</div><svg class=hist viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=none "
		    "role=img aria-label=\"Final receipts per hour\">", W, H);
	for (i = 0; i < r->nr_hours; i++) {
		const struct report_hour *h = &r->hours[i];
		double x = bw * (double)i, gap = bw > 12 ? bw * 0.08 : 0;
		double hd = max ? H * (double)h->delivered / max : 0;
		double hn = max ? H * (double)h->not_delivered / max : 0;

		strbuf_addf(sb, "<g><title>%s UTC: %lld delivered, %lld not delivered</title>",
			    h->hour, h->delivered, h->not_delivered);
		strbuf_addf(sb, "<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
			    "fill=\"%s\"/>", x + gap / 2, H - hd, bw - gap, hd,
			    report_states[RS_DELIVERED_TERMINAL].color);
		strbuf_addf(sb, "<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
			    "fill=\"%s\"/></g>", x + gap / 2, H - hd - hn, bw - gap, hn,
			    report_states[RS_IMPOSSIBLE].color);
	}
	strbuf_addstr(sb, "</svg><div class=xaxis><span>");
	strbuf_addhtml(sb, r->hours[0].hour);
	strbuf_addstr(sb, "</span>");
	if (r->nr_hours > 1) {
		strbuf_addstr(sb, "<span>");
		strbuf_addhtml(sb, r->hours[r->nr_hours - 1].hour);
		strbuf_addstr(sb, "</span>");
	}
	strbuf_addstr(sb, "</div></div><ul class=legend>");
	strbuf_addf(sb, "<li><i style=\"background:%s\"></i>Delivered (terminal or network)</li>",
		    report_states[RS_DELIVERED_TERMINAL].color);
	strbuf_addf(sb, "<li><i style=\"background:%s\"></i>Uncertain or impossible</li>",
		    report_states[RS_IMPOSSIBLE].color);
	strbuf_addf(sb, "<li>One bar per hour (UTC), %zu hour(s)</li></ul>", r->nr_hours);
}

static void group_table(struct strbuf *sb, const char *first, struct report_group *rows,
			size_t n, const struct report_group *total, bool by_campaign)
{
	size_t i;
	int s;

	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>Messages</th>"
		    "<th>Accepted</th><th>Delivered</th><th>Rate</th>", first);
	for (s = 0; s < RS_NR; s++) {
		if (!total->states[s] || s == RS_DELIVERED_TERMINAL || s == RS_DELIVERED_NETWORK)
			continue;
		strbuf_addstr(sb, "<th>");
		strbuf_addhtml(sb, report_states[s].short_label);
		strbuf_addstr(sb, "</th>");
	}
	strbuf_addstr(sb, "<th>p50</th><th>p90</th><th>p99</th><th>SMS units</th>"
		      "<th>Cost</th><th>Per delivered</th></tr></thead><tbody>");
	for (i = 0; i <= n; i++) {
		const struct report_group *g = i < n ? &rows[i] : total;

		strbuf_addstr(sb, i < n ? "<tr><td class=t>" : "<tr class=sum><td class=t>");
		if (i == n)
			strbuf_addstr(sb, "Total");
		else if (by_campaign) {
			add_user(sb, g->campaign);
			if (g->campaign_status) {
				strbuf_addstr(sb, " <small>(");
				strbuf_addhtml(sb, g->campaign_status);
				strbuf_addstr(sb, ")</small>");
			}
		} else
			add_user(sb, g->country);
		strbuf_addstr(sb, "</td>");
		td_int(sb, g->total);
		td_int(sb, g->accepted);
		td_int(sb, g->delivered);
		strbuf_addstr(sb, "<td class=n>");
		report_fmt_rate(sb, g->delivery_rate);
		strbuf_addstr(sb, "</td>");
		for (s = 0; s < RS_NR; s++) {
			if (!total->states[s] || s == RS_DELIVERED_TERMINAL ||
			    s == RS_DELIVERED_NETWORK)
				continue;
			td_int(sb, g->states[s]);
		}
		strbuf_addstr(sb, "<td class=n>");
		add_secs(sb, g, g->p50);
		strbuf_addstr(sb, "</td><td class=n>");
		add_secs(sb, g, g->p90);
		strbuf_addstr(sb, "</td><td class=n>");
		add_secs(sb, g, g->p99);
		strbuf_addstr(sb, "</td>");
		td_int(sb, g->units);
		strbuf_addstr(sb, "<td>");
		add_cost(sb, &g->cost);
		strbuf_addstr(sb, "</td><td class=n>");
		if (g->cost_per_delivered >= 0) {
			add_money(sb, g->cost_per_delivered);
			strbuf_addch(sb, ' ');
			strbuf_addhtml(sb, g->cost.currency[0]);
		} else
			strbuf_addstr(sb, "n/a");
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void states_table(struct strbuf *sb, const struct report *r)
{
	const struct report_group *t = &r->total;
	int s;

	strbuf_addstr(sb, "<div class=tw><table><thead><tr><th>State</th><th>Messages</th>"
		      "<th>Share</th></tr></thead><tbody>");
	for (s = 0; s < RS_NR; s++) {
		strbuf_addf(sb, "<tr><td class=t><i style=\"display:inline-block;width:.8em;"
			    "height:.8em;background:%s;margin-right:6px\"></i>",
			    report_states[s].color);
		strbuf_addhtml(sb, report_states[s].label);
		strbuf_addstr(sb, "</td>");
		td_int(sb, t->states[s]);
		strbuf_addstr(sb, "<td class=n>");
		report_fmt_rate(sb, t->total ? (double)t->states[s] / (double)t->total : -1);
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "<tr><td class=t>Orphaned receipts (no message matched in 24 h)</td>");
	td_int(sb, r->orphaned_receipts);
	strbuf_addstr(sb, "<td></td></tr><tr><td class=t>Sent, settled by inference (outcome unknown,"
		      " then the only receipt to that number)</td>");
	td_int(sb, r->settled_by_inference);
	strbuf_addstr(sb, "<td></td></tr></tbody></table></div>");
}

static void failures_table(struct strbuf *sb, const struct report *r)
{
	size_t i;

	if (!r->nr_failures) {
		strbuf_addstr(sb, "<p>No failed or unknown send.</p>");
		return;
	}
	strbuf_addstr(sb, "<div class=tw><table><thead><tr><th>Reason</th><th>Send status</th>"
		      "<th>Messages</th></tr></thead><tbody>");
	for (i = 0; i < r->nr_failures; i++) {
		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, r->failures[i].reason);
		strbuf_addstr(sb, "</td><td class=t>");
		strbuf_addhtml(sb, r->failures[i].send_status);
		strbuf_addstr(sb, "</td>");
		td_int(sb, r->failures[i].count);
		strbuf_addstr(sb, "</tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void prices_table(struct strbuf *sb, const struct report *r)
{
	size_t i;

	if (!r->have_prices) {
		strbuf_addstr(sb, "<p class=warn>Unit prices unknown: Orange's purchase orders "
			      "are unavailable.</p>");
		return;
	}
	strbuf_addstr(sb, "<div class=tw><table><thead><tr><th>Country</th><th>Orders</th>"
		      "<th>SMS bought</th><th>Paid</th><th>Unit price</th></tr></thead><tbody>");
	for (i = 0; i < r->nr_prices; i++) {
		const struct report_price *p = &r->prices[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, p->country);
		strbuf_addstr(sb, "</td>");
		td_int(sb, p->orders);
		td_int(sb, p->units);
		strbuf_addstr(sb, "<td class=n>");
		add_money(sb, p->amount);
		strbuf_addch(sb, ' ');
		strbuf_addhtml(sb, p->currency);
		strbuf_addstr(sb, "</td><td class=n>");
		if (p->unit_price >= 0) {
			add_money(sb, p->unit_price);
			strbuf_addch(sb, ' ');
			strbuf_addhtml(sb, p->currency);
		} else
			strbuf_addstr(sb, "unknown");
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void balance_table(struct strbuf *sb, const struct report *r)
{
	size_t i;

	if (!r->have_balance)
		strbuf_addstr(sb, "<p class=warn>Balance unknown: Orange's contracts are "
			      "unavailable.</p>");
	if (!r->nr_balances)
		return;
	strbuf_addstr(sb, "<div class=tw><table><thead><tr><th>Country</th><th>SMS left</th>"
		      "<th>Expires</th><th>Tonight pending</th><th>Campaigns</th><th>Fits</th>"
		      "</tr></thead><tbody>");
	for (i = 0; i < r->nr_balances; i++) {
		const struct report_balance *b = &r->balances[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, b->country);
		strbuf_addstr(sb, "</td>");
		if (b->known)
			td_int(sb, b->available_units);
		else
			strbuf_addstr(sb, r->have_balance ? "<td>no contract</td>" : "<td>unknown</td>");
		strbuf_addstr(sb, "<td class=n>");
		strbuf_addhtml(sb, *b->expires ? b->expires : "");
		strbuf_addstr(sb, "</td>");
		td_int(sb, b->pending_units);
		strbuf_addstr(sb, "<td class=t>");
		add_user(sb, b->pending_campaigns ? b->pending_campaigns : "");
		strbuf_addstr(sb, "</td><td>");
		strbuf_addstr(sb, b->fits ? "<span class=ok>yes</span>" : "<span class=bad>no</span>");
		strbuf_addstr(sb, "</td></tr>");
		if (b->warning) {
			strbuf_addstr(sb, "<tr><td></td><td colspan=5 class=\"t warn\">");
			add_user(sb, b->warning);
			strbuf_addstr(sb, "</td></tr>");
		}
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void reconcile_table(struct strbuf *sb, const struct report *r)
{
	size_t i;

	if (!r->have_usage)
		strbuf_addstr(sb, "<p class=warn>Orange's usage statistics are unavailable: "
			      "only griot's counts are shown.</p>");
	if (!r->nr_reconcile && !r->nr_other_apps) {
		strbuf_addstr(sb, "<p>Nothing sent yet.</p>");
		return;
	}
	strbuf_addstr(sb, "<div class=tw><table><thead><tr><th>Country</th><th>Application</th>"
		      "<th>griot: accepted SMS</th><th>messages</th><th>unknown</th>"
		      "<th>Orange usage</th><th>Difference</th></tr></thead><tbody>");
	for (i = 0; i < r->nr_reconcile; i++) {
		const struct report_reconcile *x = &r->reconcile[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, x->country);
		strbuf_addstr(sb, "</td><td class=t>");
		add_user(sb, *x->app_id ? x->app_id : "all");
		strbuf_addstr(sb, "</td>");
		td_int(sb, x->local_units);
		td_int(sb, x->local_messages);
		td_int(sb, x->local_unknown);
		if (x->have_usage) {
			td_int(sb, x->orange_usage);
			strbuf_addf(sb, "<td class=\"n %s\">%s", x->difference ? "bad" : "ok",
				    x->difference > 0 ? "+" : "");
			add_int(sb, x->difference);
			strbuf_addstr(sb, "</td>");
		} else
			strbuf_addstr(sb, "<td>unknown</td><td>unknown</td>");
		strbuf_addstr(sb, "</tr>");
	}
	for (i = 0; i < r->nr_other_apps; i++) {
		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, r->other_apps[i].country);
		strbuf_addstr(sb, "</td><td class=t>");
		add_user(sb, r->other_apps[i].app_id);
		strbuf_addstr(sb, " (another application)</td><td></td><td></td><td></td>");
		td_int(sb, r->other_apps[i].usage);
		strbuf_addstr(sb, "<td></td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void scope_line(struct strbuf *sb, const struct report *r)
{
	if (r->campaign) {
		strbuf_addstr(sb, "Campaign <strong>");
		add_user(sb, r->campaign);
		strbuf_addstr(sb, "</strong>");
	} else
		strbuf_addstr(sb, "All campaigns");
	if (r->since || r->until) {
		strbuf_addstr(sb, " · sent ");
		add_user(sb, r->since ? r->since : "…");
		strbuf_addstr(sb, " to ");
		add_user(sb, r->until ? r->until : "now");
	}
	strbuf_addstr(sb, " · ");
	add_user(sb, r->country ? r->country : "all countries");
	strbuf_addstr(sb, " · as of ");
	strbuf_addhtml(sb, r->now);
}

void report_render_html(const struct report *r, struct strbuf *sb)
{
	size_t i;
	bool warned = false;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		      "<meta name=\"generator\" content=\"griot\"><title>griot report — ");
	strbuf_addhtml(sb, r->campaign ? r->campaign : "all campaigns");
	strbuf_addstr(sb, "</title><style>");
	strbuf_addstr(sb, css);
	strbuf_addstr(sb, "</style></head><body><main>\n<header><h1>Delivery and cost report"
		      "</h1><p class=scope>");
	scope_line(sb, r);
	strbuf_addstr(sb, "</p></header>\n");

	if (r->partial) {
		strbuf_addstr(sb, "<div class=\"banner partial\" role=alert id=partial>"
			      "<strong>Partial report.</strong> Some figures are missing or "
			      "come from an older answer:<ul>");
		for (i = 0; i < r->nr_reasons; i++) {
			strbuf_addstr(sb, "<li>");
			add_user(sb, r->reasons[i]);
			strbuf_addstr(sb, "</li>");
		}
		strbuf_addstr(sb, "</ul></div>\n");
	}
	for (i = 0; i < r->nr_balances; i++) {
		if (!r->balances[i].warning)
			continue;
		if (!warned)
			strbuf_addstr(sb, "<div class=\"banner alert\" role=alert id=credit>"
				      "<strong>Credit warning.</strong><ul>");
		warned = true;
		strbuf_addstr(sb, "<li>");
		add_user(sb, r->balances[i].warning);
		strbuf_addstr(sb, "</li>");
	}
	if (warned)
		strbuf_addstr(sb, "</ul></div>\n");

	strbuf_addstr(sb, "<section class=cards id=summary>");
	cards(sb, r);
	strbuf_addstr(sb, "</section>\n");

	strbuf_addstr(sb, "<section id=delivery><h2>Delivery states per campaign</h2>");
	stacked_bars(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=receipts><h2>Final receipts over time</h2>");
	receipts_chart(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=campaigns><h2>Campaigns</h2>");
	group_table(sb, "Campaign", r->campaigns, r->nr_campaigns, &r->total, true);
	strbuf_addstr(sb, "</section>\n<section id=countries><h2>Countries</h2>");
	group_table(sb, "Country", r->countries, r->nr_countries, &r->total, false);
	strbuf_addstr(sb, "</section>\n<section id=states><h2>All states</h2>");
	states_table(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=failures><h2>Failures by reason</h2>");
	failures_table(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=cost><h2>Unit prices</h2>");
	prices_table(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=balance><h2>Balance and tonight's "
		      "campaigns</h2>");
	balance_table(sb, r);
	strbuf_addstr(sb, "</section>\n<section id=reconciliation><h2>Reconciliation with "
		      "Orange's usage (all time)</h2>");
	reconcile_table(sb, r);
	strbuf_addstr(sb, "</section>\n<footer>Generated by griot at ");
	strbuf_addhtml(sb, r->generated_at);
	strbuf_addstr(sb, ". Orange data: ");
	strbuf_addhtml(sb, r->orange_source);
	strbuf_addstr(sb, ". Delivery rate = (DeliveredToTerminal + DeliveredToNetwork) / "
		      "messages accepted by Orange; latency = first final receipt − send "
		      "time; cost = SMS units × unit price of the country's purchase orders."
		      "</footer>\n</main></body></html>\n");
}
