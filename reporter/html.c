/*
 * The HTML report: one self-contained file (inline CSS, inline SVG drawn
 * here, no script, no network) that opens from an e-mail attachment or a
 * file share, reads on a phone and prints.  Every string from the
 * database or from Orange goes through strbuf_addhtml(), and each that
 * people typed through add_user() (isolated, wrapping).
 */
#include "reporter/internal.h"
#include "core/lang.h"
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

static const struct lang_line fr[] = {
#include "reporter/fr.h"
};
/* A label in the report's language (l in scope). */
#define T(s) lang_text(fr, ARRAY_SIZE(fr), l, (s))

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

/* Integers grouped as the language writes them (8 153 / 8,153). */
static void add_int(struct strbuf *sb, enum lang l, long long v)
{
	lang_int(sb, l, v);
}

static void td_int(struct strbuf *sb, enum lang l, long long v)
{
	strbuf_addstr(sb, "<td class=n>");
	add_int(sb, l, v);
	strbuf_addstr(sb, "</td>");
}

/* An amount with its currency, in the currency's minor unit (whole XOF). */
static void add_money(struct strbuf *sb, enum lang l, double v, const char *currency)
{
	struct strbuf t = STRBUF_INIT;

	lang_money(&t, l, v, currency);
	strbuf_addhtml(sb, t.buf);
	strbuf_release(&t);
}

/* An ISO 8601 date (and time) from the database or Orange as the
 * language writes it (02/05/2024 12:00), escaped. */
static void add_date(struct strbuf *sb, enum lang l, const char *iso, bool with_time)
{
	struct strbuf t = STRBUF_INIT;

	lang_iso_date(&t, l, iso, with_time);
	strbuf_addhtml(sb, t.buf);
	strbuf_release(&t);
}

/* A price per SMS: two decimals whatever the currency (9.83 XOF). */
static void add_price(struct strbuf *sb, enum lang l, double v, const char *currency)
{
	lang_money(sb, l, v, NULL);
	strbuf_addch(sb, ' ');
	strbuf_addhtml(sb, currency);
}

/* "64.7 %" / "64,7 %"; "n/a" when not defined. */
static void add_rate(struct strbuf *sb, enum lang l, double rate)
{
	if (rate < 0)
		strbuf_addstr(sb, T("n/a"));
	else if (l == LANG_EN)
		report_fmt_rate(sb, rate);
	else
		lang_pct(sb, l, rate);
}

static void add_cost(struct strbuf *sb, enum lang l, const struct report_money *m)
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
		add_money(sb, l, m->amount[i], m->currency[i]);
		strbuf_addstr(sb, "</span>");
	}
	if (m->unpriced_units) {
		strbuf_addf(sb, "%s<span class=warn>", m->n ? " + " : "");
		add_int(sb, l, m->unpriced_units);
		strbuf_addf(sb, " %s</span>", T("SMS unpriced"));
	}
}

static void add_secs(struct strbuf *sb, enum lang l, const struct report_group *g, double v)
{
	if (!g->latency_count) {
		strbuf_addstr(sb, T("n/a"));
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

static void cards(struct strbuf *sb, enum lang l, const struct report *r)
{
	const struct report_group *t = &r->total;
	struct strbuf v = STRBUF_INIT, s = STRBUF_INIT;
	size_t i;

	add_int(&v, l, t->total);
	strbuf_addf(&s, "%s <span class=n>", T("accepted by Orange:"));
	add_int(&s, l, t->accepted);
	strbuf_addstr(&s, "</span>");
	card(sb, T("Messages"), v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	add_rate(&v, l, t->delivery_rate);
	strbuf_addstr(&s, "<span class=n>");
	add_int(&s, l, t->delivered);
	strbuf_addf(&s, "</span> %s <span class=n>", T("delivered,"));
	add_int(&s, l, t->states[RS_DELIVERED_TERMINAL]);
	strbuf_addf(&s, "</span> %s", T("to the phone"));
	card(sb, T("Delivery rate"), v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	add_secs(&v, l, t, t->p50);
	strbuf_addf(&s, "%s; p90 ", T("median"));
	add_secs(&s, l, t, t->p90);
	strbuf_addstr(&s, ", p99 ");
	add_secs(&s, l, t, t->p99);
	card(sb, T("Receipt latency"), v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	if (r->have_prices || t->cost.n)
		add_cost(&v, l, &t->cost);
	else
		strbuf_addstr(&v, T("unknown"));
	add_int(&s, l, t->units);
	strbuf_addf(&s, " %s", T("SMS units"));
	if (t->cost_per_delivered >= 0) {
		strbuf_addstr(&s, "; <span class=n>");
		add_price(&s, l, t->cost_per_delivered, t->cost.currency[0]);
		strbuf_addf(&s, "</span> %s", T("per delivered SMS"));
	}
	card(sb, T("Cost"), v.buf, s.buf);

	strbuf_reset(&v);
	strbuf_reset(&s);
	if (!r->have_balance) {
		strbuf_addstr(&v, T("unknown"));
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
			add_int(&s, l, b->available_units);
			strbuf_addstr(&s, "</span>");
			if (*b->expires) {
				strbuf_addf(&s, " %s ", T("until"));
				add_date(&s, l, b->expires, false);
			}
		}
		strbuf_addf(&v, r->tonight_fits ? "<span class=ok>%s</span>" :
			    "<span class=bad>%s</span>", T(r->tonight_fits ? "enough" : "short"));
		if (!shown)
			strbuf_addstr(&s, T("no contract"));
	}
	card(sb, T("Credit for tonight"), v.buf, s.buf);
	strbuf_release(&v);
	strbuf_release(&s);
}

static void legend(struct strbuf *sb, enum lang l, const bool *used)
{
	int i;

	strbuf_addstr(sb, "<ul class=legend>");
	for (i = 0; i < RS_NR; i++) {
		if (!used[i])
			continue;
		strbuf_addf(sb, "<li><i style=\"background:%s\"></i>", report_states[i].color);
		strbuf_addhtml(sb, T(report_states[i].label));
		strbuf_addstr(sb, "</li>");
	}
	strbuf_addstr(sb, "</ul>");
}

/*
 * One horizontal bar per campaign, each 100 % wide, split by state.
 * Labels are HTML (they keep their size on a phone); the bar is an SVG
 * stretched to the width.
 */
static void stacked_bars(struct strbuf *sb, enum lang l, const struct report *r)
{
	const double W = 1000;
	bool used[RS_NR] = { false };
	size_t i;
	int s;

	if (!r->nr_campaigns) {
		strbuf_addf(sb, "<p>%s</p>", T("No messages in this report."));
		return;
	}
	for (i = 0; i < r->nr_campaigns; i++) {
		const struct report_group *g = &r->campaigns[i];
		double x = 0;

		strbuf_addstr(sb, "<div class=bar><div class=bl><strong>");
		add_user(sb, g->campaign);
		strbuf_addstr(sb, "</strong> <span class=n>");
		add_int(sb, l, g->total);
		strbuf_addf(sb, " %s ", T("messages,"));
		if (g->accepted) {
			add_rate(sb, l, g->delivery_rate);
			strbuf_addf(sb, " %s", T("delivered"));
		} else
			strbuf_addstr(sb, T("none accepted yet"));
		strbuf_addf(sb, "</span></div><svg viewBox=\"0 0 %.0f 20\" preserveAspectRatio=none "
			    "role=img aria-label=\"", W);
		strbuf_addhtml(sb, g->campaign);
		strbuf_addf(sb, ": %s\"><rect width=\"%.0f\" height=\"20\" fill=\"#eaeef2\"/>", T("states"), W);
		for (s = 0; s < RS_NR && g->total; s++) {
			double w = W * (double)g->states[s] / (double)g->total;

			if (!g->states[s])
				continue;
			used[s] = true;
			strbuf_addf(sb, "<rect x=\"%.3f\" width=\"%.3f\" height=\"20\" fill=\"%s\">"
				    "<title>", x, w, report_states[s].color);
			strbuf_addhtml(sb, T(report_states[s].label));
			strbuf_addf(sb, ": %lld</title></rect>", g->states[s]);
			x += w;
		}
		strbuf_addstr(sb, "</svg></div>");
	}
	legend(sb, l, used);
}

/* Final receipts per hour, delivered stacked under the other finals. */
static void receipts_chart(struct strbuf *sb, enum lang l, const struct report *r)
{
	const double W = 1000, H = 300;
	double bw, max = 0;
	size_t i;

	if (!r->nr_hours) {
		strbuf_addf(sb, "<p>%s</p>", T("No final receipt yet."));
		return;
	}
	for (i = 0; i < r->nr_hours; i++) {
		double v = (double)(r->hours[i].delivered + r->hours[i].not_delivered);
		if (v > max)
			max = v;
	}
	bw = W / (double)r->nr_hours;
	strbuf_addstr(sb, "<div class=chart><div class=ymax>");
	add_int(sb, l, (long long)max);
	strbuf_addf(sb, "</div><svg class=hist viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=none "
		    "role=img aria-label=\"%s\">", W, H, T("Final receipts per hour"));
	for (i = 0; i < r->nr_hours; i++) {
		const struct report_hour *h = &r->hours[i];
		double x = bw * (double)i, gap = bw > 12 ? bw * 0.08 : 0;
		double hd = max ? H * (double)h->delivered / max : 0;
		double hn = max ? H * (double)h->not_delivered / max : 0;

		strbuf_addstr(sb, "<g><title>");
		add_date(sb, l, h->hour, true);
		strbuf_addf(sb, " UTC: %lld %s, %lld %s</title>", h->delivered, T("delivered"),
			    h->not_delivered, T("not delivered"));
		strbuf_addf(sb, "<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
			    "fill=\"%s\"/>", x + gap / 2, H - hd, bw - gap, hd,
			    report_states[RS_DELIVERED_TERMINAL].color);
		strbuf_addf(sb, "<rect x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
			    "fill=\"%s\"/></g>", x + gap / 2, H - hd - hn, bw - gap, hn,
			    report_states[RS_IMPOSSIBLE].color);
	}
	strbuf_addstr(sb, "</svg><div class=xaxis><span>");
	add_date(sb, l, r->hours[0].hour, true);
	strbuf_addstr(sb, "</span>");
	if (r->nr_hours > 1) {
		strbuf_addstr(sb, "<span>");
		add_date(sb, l, r->hours[r->nr_hours - 1].hour, true);
		strbuf_addstr(sb, "</span>");
	}
	strbuf_addstr(sb, "</div></div><ul class=legend>");
	strbuf_addf(sb, "<li><i style=\"background:%s\"></i>%s</li>",
		    report_states[RS_DELIVERED_TERMINAL].color, T("Delivered (terminal or network)"));
	strbuf_addf(sb, "<li><i style=\"background:%s\"></i>%s</li>",
		    report_states[RS_IMPOSSIBLE].color, T("Uncertain or impossible"));
	strbuf_addf(sb, "<li>%s %zu</li></ul>", T("One bar per hour (UTC), hours:"), r->nr_hours);
}

static void group_table(struct strbuf *sb, enum lang l, const char *first, struct report_group *rows,
			size_t n, const struct report_group *total, bool by_campaign)
{
	size_t i;
	int s;

	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th>", T(first), T("Messages"), T("Accepted"),
		    T("Delivered"), T("Rate"));
	for (s = 0; s < RS_NR; s++) {
		if (!total->states[s] || s == RS_DELIVERED_TERMINAL || s == RS_DELIVERED_NETWORK)
			continue;
		strbuf_addstr(sb, "<th>");
		strbuf_addhtml(sb, T(report_states[s].short_label));
		strbuf_addstr(sb, "</th>");
	}
	strbuf_addf(sb, "<th>p50</th><th>p90</th><th>p99</th><th>%s</th><th>%s</th><th>%s</th>"
		    "</tr></thead><tbody>", T("SMS units"), T("Cost"), T("Per delivered"));
	for (i = 0; i <= n; i++) {
		const struct report_group *g = i < n ? &rows[i] : total;

		strbuf_addstr(sb, i < n ? "<tr><td class=t>" : "<tr class=sum><td class=t>");
		if (i == n)
			strbuf_addstr(sb, T("Total"));
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
		td_int(sb, l, g->total);
		td_int(sb, l, g->accepted);
		td_int(sb, l, g->delivered);
		strbuf_addstr(sb, "<td class=n>");
		add_rate(sb, l, g->delivery_rate);
		strbuf_addstr(sb, "</td>");
		for (s = 0; s < RS_NR; s++) {
			if (!total->states[s] || s == RS_DELIVERED_TERMINAL ||
			    s == RS_DELIVERED_NETWORK)
				continue;
			td_int(sb, l, g->states[s]);
		}
		strbuf_addstr(sb, "<td class=n>");
		add_secs(sb, l, g, g->p50);
		strbuf_addstr(sb, "</td><td class=n>");
		add_secs(sb, l, g, g->p90);
		strbuf_addstr(sb, "</td><td class=n>");
		add_secs(sb, l, g, g->p99);
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, g->units);
		strbuf_addstr(sb, "<td>");
		add_cost(sb, l, &g->cost);
		strbuf_addstr(sb, "</td><td class=n>");
		if (g->cost_per_delivered >= 0) {
			add_price(sb, l, g->cost_per_delivered, g->cost.currency[0]);
		} else
			strbuf_addstr(sb, T("n/a"));
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void states_table(struct strbuf *sb, enum lang l, const struct report *r)
{
	const struct report_group *t = &r->total;
	int s;

	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "</tr></thead><tbody>", T("State"), T("Messages"), T("Share"));
	for (s = 0; s < RS_NR; s++) {
		strbuf_addf(sb, "<tr><td class=t><i style=\"display:inline-block;width:.8em;"
			    "height:.8em;background:%s;margin-right:6px\"></i>",
			    report_states[s].color);
		strbuf_addhtml(sb, T(report_states[s].label));
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, t->states[s]);
		strbuf_addstr(sb, "<td class=n>");
		add_rate(sb, l, t->total ? (double)t->states[s] / (double)t->total : -1);
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addf(sb, "<tr><td class=t>%s</td>", T("Orphaned receipts (no message matched in 24 h)"));
	td_int(sb, l, r->orphaned_receipts);
	strbuf_addf(sb, "<td></td></tr><tr><td class=t>%s</td>",
		    T("Sent, settled by inference (outcome unknown, then the only receipt to that number)"));
	td_int(sb, l, r->settled_by_inference);
	strbuf_addstr(sb, "<td></td></tr></tbody></table></div>");
}

static void failures_table(struct strbuf *sb, enum lang l, const struct report *r)
{
	size_t i;

	if (!r->nr_failures) {
		strbuf_addf(sb, "<p>%s</p>", T("No failed or unknown send."));
		return;
	}
	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "</tr></thead><tbody>", T("Reason"), T("Send status"), T("Messages"));
	for (i = 0; i < r->nr_failures; i++) {
		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, r->failures[i].reason);
		strbuf_addstr(sb, "</td><td class=t>");
		strbuf_addhtml(sb, r->failures[i].send_status);
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, r->failures[i].count);
		strbuf_addstr(sb, "</tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void prices_table(struct strbuf *sb, enum lang l, const struct report *r)
{
	size_t i;

	if (!r->have_prices) {
		strbuf_addf(sb, "<p class=warn>%s</p>",
			    T("Unit prices unknown: Orange's purchase orders are unavailable."));
		return;
	}
	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th></tr></thead><tbody>", T("Country"), T("Orders"),
		    T("SMS bought"), T("Paid"), T("Unit price"));
	for (i = 0; i < r->nr_prices; i++) {
		const struct report_price *p = &r->prices[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, p->country);
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, p->orders);
		td_int(sb, l, p->units);
		strbuf_addstr(sb, "<td class=n>");
		add_money(sb, l, p->amount, p->currency);
		strbuf_addstr(sb, "</td><td class=n>");
		if (p->unit_price >= 0) {
			add_price(sb, l, p->unit_price, p->currency);
		} else
			strbuf_addstr(sb, T("unknown"));
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void balance_table(struct strbuf *sb, enum lang l, const struct report *r)
{
	size_t i;

	if (!r->have_balance)
		strbuf_addf(sb, "<p class=warn>%s</p>",
			    T("Balance unknown: Orange's contracts are unavailable."));
	if (!r->nr_balances)
		return;
	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>", T("Country"),
		    T("SMS left"), T("Expires"), T("Tonight pending"), T("Campaigns"), T("Fits"));
	for (i = 0; i < r->nr_balances; i++) {
		const struct report_balance *b = &r->balances[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, b->country);
		strbuf_addstr(sb, "</td>");
		if (b->known)
			td_int(sb, l, b->available_units);
		else
			strbuf_addf(sb, "<td>%s</td>", T(r->have_balance ? "no contract" : "unknown"));
		strbuf_addstr(sb, "<td class=n>");
		if (*b->expires)
			add_date(sb, l, b->expires, false);
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, b->pending_units);
		strbuf_addstr(sb, "<td class=t>");
		add_user(sb, b->pending_campaigns ? b->pending_campaigns : "");
		strbuf_addstr(sb, "</td><td>");
		strbuf_addf(sb, b->fits ? "<span class=ok>%s</span>" : "<span class=bad>%s</span>",
			    T(b->fits ? "yes" : "no"));
		strbuf_addstr(sb, "</td></tr>");
		if (b->warning) {
			strbuf_addstr(sb, "<tr><td></td><td colspan=5 class=\"t warn\">");
			add_user(sb, b->warning);
			strbuf_addstr(sb, "</td></tr>");
		}
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void reconcile_table(struct strbuf *sb, enum lang l, const struct report *r)
{
	size_t i;

	if (!r->have_usage)
		strbuf_addf(sb, "<p class=warn>%s</p>", T("Orange's usage statistics are "
			    "unavailable: only griot's counts are shown."));
	if (!r->nr_reconcile && !r->nr_other_apps) {
		strbuf_addf(sb, "<p>%s</p>", T("Nothing sent yet."));
		return;
	}
	strbuf_addf(sb, "<div class=tw><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    T("Country"), T("Application"), T("griot: accepted SMS"), T("messages"),
		    T("unknown"), T("Orange usage"), T("Difference"));
	for (i = 0; i < r->nr_reconcile; i++) {
		const struct report_reconcile *x = &r->reconcile[i];

		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, x->country);
		strbuf_addstr(sb, "</td><td class=t>");
		add_user(sb, *x->app_id ? x->app_id : T("all"));
		strbuf_addstr(sb, "</td>");
		td_int(sb, l, x->local_units);
		td_int(sb, l, x->local_messages);
		td_int(sb, l, x->local_unknown);
		if (x->have_usage) {
			td_int(sb, l, x->orange_usage);
			strbuf_addf(sb, "<td class=\"n %s\">%s", x->difference ? "bad" : "ok",
				    x->difference > 0 ? "+" : "");
			add_int(sb, l, x->difference);
			strbuf_addstr(sb, "</td>");
		} else
			strbuf_addf(sb, "<td>%s</td><td>%s</td>", T("unknown"), T("unknown"));
		strbuf_addstr(sb, "</tr>");
	}
	for (i = 0; i < r->nr_other_apps; i++) {
		strbuf_addstr(sb, "<tr><td class=t>");
		add_user(sb, r->other_apps[i].country);
		strbuf_addstr(sb, "</td><td class=t>");
		add_user(sb, r->other_apps[i].app_id);
		strbuf_addf(sb, " (%s)</td><td></td><td></td><td></td>", T("another application"));
		td_int(sb, l, r->other_apps[i].usage);
		strbuf_addstr(sb, "<td></td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table></div>");
}

static void scope_line(struct strbuf *sb, enum lang l, const struct report *r)
{
	if (r->campaign) {
		strbuf_addf(sb, "%s <strong>", T("Campaign"));
		add_user(sb, r->campaign);
		strbuf_addstr(sb, "</strong>");
	} else
		strbuf_addstr(sb, T("All campaigns"));
	if (r->since || r->until) {
		strbuf_addf(sb, " · %s ", T("sent"));
		add_user(sb, r->since ? r->since : "…");
		strbuf_addf(sb, " %s ", T("to"));
		add_user(sb, r->until ? r->until : T("now"));
	}
	strbuf_addstr(sb, " · ");
	add_user(sb, r->country ? r->country : T("all countries"));
	strbuf_addf(sb, " · %s ", T("as of"));
	add_date(sb, l, r->now, true);
}

/* Close the section before (if any) and open section id, headed title. */
static void section(struct strbuf *sb, const char *id, const char *title)
{
	strbuf_addf(sb, "</section>\n<section id=%s><h2>%s</h2>", id, title);
}

void report_render_html(const struct report *r, enum lang l, struct strbuf *sb)
{
	size_t i;
	bool warned = false;

	strbuf_addf(sb, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<meta name=\"generator\" content=\"griot\"><title>%s — ", lang_code(l),
		    T("griot report"));
	strbuf_addhtml(sb, r->campaign ? r->campaign : T("all campaigns"));
	strbuf_addstr(sb, "</title><style>");
	strbuf_addstr(sb, css);
	strbuf_addf(sb, "</style></head><body><main>\n<header><h1>%s</h1><p class=scope>",
		    T("Delivery and cost report"));
	scope_line(sb, l, r);
	strbuf_addstr(sb, "</p></header>\n");

	if (r->partial) {
		strbuf_addf(sb, "<div class=\"banner partial\" role=alert id=partial>"
			    "<strong>%s</strong> %s<ul>", T("Partial report."),
			    T("Some figures are missing or come from an older answer:"));
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
			strbuf_addf(sb, "<div class=\"banner alert\" role=alert id=credit>"
				    "<strong>%s</strong><ul>", T("Credit warning."));
		warned = true;
		strbuf_addstr(sb, "<li>");
		add_user(sb, r->balances[i].warning);
		strbuf_addstr(sb, "</li>");
	}
	if (warned)
		strbuf_addstr(sb, "</ul></div>\n");

	strbuf_addstr(sb, "<section class=cards id=summary>");
	cards(sb, l, r);

	section(sb, "delivery", T("Delivery states per campaign"));
	stacked_bars(sb, l, r);
	section(sb, "receipts", T("Final receipts over time"));
	receipts_chart(sb, l, r);
	section(sb, "campaigns", T("Campaigns"));
	group_table(sb, l, "Campaign", r->campaigns, r->nr_campaigns, &r->total, true);
	section(sb, "countries", T("Countries"));
	group_table(sb, l, "Country", r->countries, r->nr_countries, &r->total, false);
	section(sb, "states", T("All states"));
	states_table(sb, l, r);
	section(sb, "failures", T("Failures by reason"));
	failures_table(sb, l, r);
	section(sb, "cost", T("Unit prices"));
	prices_table(sb, l, r);
	section(sb, "balance", T("Balance and tonight's campaigns"));
	balance_table(sb, l, r);
	section(sb, "reconciliation", T("Reconciliation with Orange's usage (all time)"));
	reconcile_table(sb, l, r);
	strbuf_addf(sb, "</section>\n<footer>%s ", T("Generated by griot at"));
	add_date(sb, l, r->generated_at, true);
	strbuf_addf(sb, ". %s ", T("Orange data:"));
	strbuf_addhtml(sb, r->orange_source);
	strbuf_addf(sb, ". %s</footer>\n</main></body></html>\n",
		    T("Delivery rate = (DeliveredToTerminal + DeliveredToNetwork) / messages "
		      "accepted by Orange; latency = first final receipt − send time; cost = "
		      "SMS units × unit price of the country's purchase orders."));
}
