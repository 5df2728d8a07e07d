/*
 * The console's pages.  Each handler: check the role, validate the form
 * (CSRF first), call the library (campaign/, importer/, reporter/,
 * auth.h), audit what changed, render or redirect.  Called one at a time
 * with cs->lock held, on cs->db.
 */
#include "console/internal.h"
#include "campaign/campaign.h"
#include "campaign/template.h"
#include "campaign/window.h"
#include "core/config.h"
#include "core/db.h"
#include "core/status.h"
#include "core/log.h"
#include "core/util.h"
#include "importer/csvin.h"
#include "importer/suppress.h"
#include "orange/orange.h"
#include "reporter/report.h"

#include <stdio.h>
#include <string.h>

#define REJECTS_SHOWN 20
#define SAMPLES_SHOWN 3
#define HTML "text/html; charset=utf-8"

bool role_at_least(const struct creq *q, enum console_role r)
{
	return q->logged_in && q->user.role >= r;
}

static void audit(struct creq *q, const char *action, const char *target, const char *detail)
{
	if (console_audit(q->cs->db, q->logged_in ? q->user.name : NULL, q->addr, action, target,
			  detail) < 0)
		warning("audit log: cannot record %s", action);
}

/* The path /campaigns/ID[/rest]: id and rest ("" when none); false when
 * the path is not of that form. */
static bool campaign_path(const char *url, long long *id, const char **rest)
{
	const char *p;
	char *end;
	long long v;

	if (!starts_with(url, "/campaigns/"))
		return false;
	p = url + strlen("/campaigns/");
	if (*p < '1' || *p > '9')
		return false;
	v = strtoll(p, &end, 10);
	if (*end && *end != '/')
		return false;
	*id = v;
	*rest = *end ? end + 1 : "";
	return true;
}

bool pages_is_upload(const char *url, long long *id, enum console_role *role)
{
	const char *rest;

	*role = ROLE_OPERATOR;
	if (!strcmp(url, "/suppressions/upload")) {
		*id = 0;
		*role = ROLE_ADMIN;
		return true;
	}
	return campaign_path(url, id, &rest) && !strcmp(rest, "upload");
}

static void add_int(struct creq *q, struct strbuf *sb, long long v)
{
	lang_int(sb, q->lang, v);
}

static void h(struct strbuf *sb, const char *s)
{
	strbuf_addhtml(sb, s ? s : "");
}

/* A campaign status for people: its name (core/status.h) translated. */
static const char *status_label(struct creq *q, const char *status)
{
	return T(status);
}

static void badge(struct creq *q, struct strbuf *sb, const char *status)
{
	strbuf_addf(sb, "<span class=\"badge s-%s\">", status);
	h(sb, status_label(q, status));
	strbuf_addstr(sb, "</span>");
}

static const char *empty_null(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- login ---- */

static page_result login_form(struct creq *q, unsigned code, const char *msg, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "<section class=\"login card\"><h1>%s</h1>", T("Sign in"));
	if (msg) {
		strbuf_addstr(&sb, "<p class=\"error\" role=\"alert\">");
		h(&sb, msg);
		strbuf_addstr(&sb, "</p>");
	}
	strbuf_addstr(&sb, "<form method=\"post\" action=\"/login\">");
	form_csrf_field(q, &sb);
	strbuf_addf(&sb, "<label>%s<input name=\"username\" autocomplete=\"username\" required"
		    " value=\"", T("User name"));
	h(&sb, name);
	strbuf_addf(&sb, "\"></label><label>%s<input type=\"password\" name=\"password\""
		    " autocomplete=\"current-password\" required></label>"
		    "<label>%s<input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\""
		    " maxlength=\"6\" pattern=\"[0-9]{6}\"></label>"
		    "<button type=\"submit\">%s</button></form></section>",
		    T("Password"), T("Code from your authenticator app (if two-factor is on)"), T("Sign in"));
	return respond_page(q, code, T("Sign in"), &sb);
}

static page_result do_login(struct creq *q)
{
	const char *name = form_get(q, "username"), *pw = form_get(q, "password");
	struct strbuf sb = STRBUF_INIT, cookie = STRBUF_INIT;
	struct MHD_Response *resp;
	struct console_user u;
	enum console_login_result lr;
	char sid[CONSOLE_TOKEN_HEX + 1];
	page_result ret;
	int wait;

	if (!form_csrf_ok(q))
		return login_form(q, MHD_HTTP_FORBIDDEN,
				  T("This form has expired; please sign in again."), name);
	if (!name || !pw || !*name || !*pw)
		return login_form(q, MHD_HTTP_BAD_REQUEST, T("Enter your user name and password."), name);
	lr = console_login(q->cs->db, name, pw, empty_null(form_get(q, "code")), q->addr, sid, &u,
			   &wait);
	if (lr == LOGIN_ERROR)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	if (lr == LOGIN_THROTTLED) {
		audit(q, "login-throttled", name, NULL);
		strbuf_addstr(&sb, T("Too many failed sign-ins: wait before trying again"));
		strbuf_addf(&sb, " (%d min).", (wait + 59) / 60);
		ret = login_form(q, MHD_HTTP_TOO_MANY_REQUESTS, sb.buf, name);
		strbuf_release(&sb);
		return ret;
	}
	if (lr == LOGIN_BAD) {
		audit(q, "login-failed", name, NULL);
		return login_form(q, MHD_HTTP_FORBIDDEN, T("Wrong user name, password or code."), name);
	}
	q->logged_in = true;
	q->user = u;
	audit(q, "login", name, NULL);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	cookie_header(&cookie, COOKIE_SESSION, sid, 0);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie.buf);
	strbuf_reset(&cookie);
	cookie_header(&cookie, COOKIE_PRE, "", -1);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie.buf);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/campaigns");
	MHD_add_response_header(resp, "Content-Security-Policy", console_csp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	secure_zero(sid, sizeof(sid));
	strbuf_release(&cookie);
	ret = MHD_queue_response(q->conn, MHD_HTTP_SEE_OTHER, resp);
	MHD_destroy_response(resp);
	return ret;
}

static page_result do_logout(struct creq *q)
{
	struct strbuf cookie = STRBUF_INIT;
	struct MHD_Response *resp;
	page_result ret;

	if (!form_csrf_ok(q))
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("This form has expired; reload the page."));
	console_session_end(q->cs->db, q->sid);
	audit(q, "logout", q->user.name, NULL);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	cookie_header(&cookie, COOKIE_SESSION, "", -1);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie.buf);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/login");
	MHD_add_response_header(resp, "Content-Security-Policy", console_csp);
	strbuf_release(&cookie);
	ret = MHD_queue_response(q->conn, MHD_HTTP_SEE_OTHER, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- campaigns ---- */

/* Counts per campaign: the total, one per send status (core/status.h's
 * order), then the delivered ones. */
enum {
	K_TOTAL,
	K_PENDING = 1 + MSG_PENDING, K_SENDING = 1 + MSG_SENDING, K_SENT = 1 + MSG_SENT,
	K_FAILED = 1 + MSG_FAILED, K_UNKNOWN = 1 + MSG_UNKNOWN,
	K_DELIVERED = 1 + MSG_STATUS_NR,
	K_N
};

/* The key of count k[j] (element ids, JSON): the send statuses' names. */
static const char *count_key(int j)
{
	if (j == K_TOTAL)
		return "total";
	if (j == K_DELIVERED)
		return "delivered";
	return msg_status_names[j - K_PENDING];
}

/* The select list of those counts over messages m. */
static void counts_sql(struct strbuf *sb)
{
	int i;

	strbuf_addstr(sb, " count(m.id)");
	for (i = 0; i < MSG_STATUS_NR; i++)
		strbuf_addf(sb, ", count(m.id) FILTER (WHERE m.send_status = '%s')",
			    msg_status_names[i]);
	strbuf_addstr(sb, ", count(m.id) FILTER (WHERE " DLV_DELIVERED_SQL("m.delivery_status") ")");
}

static void progress_bar(struct strbuf *sb, const long long *k)
{
	long long done = k[K_SENT] + k[K_FAILED] + k[K_UNKNOWN];
	double pct = k[K_TOTAL] ? 100.0 * (double)done / (double)k[K_TOTAL] : 0;

	strbuf_addf(sb, "<progress max=\"100\" value=\"%.0f\">%.0f %%</progress>", pct, pct);
}

static page_result campaigns_list(struct creq *q)
{
	struct strbuf sb = STRBUF_INIT, sql = STRBUF_INIT;
	struct db_result *r;
	long long k[K_N];
	int n, i, j;

	strbuf_addstr(&sql, "SELECT c.id, c.name, c.status, extract(epoch FROM c.start_at), c.tz,");
	counts_sql(&sql);
	strbuf_addstr(&sql, " FROM campaigns c LEFT JOIN messages m ON m.campaign_id = c.id"
		      " GROUP BY c.id ORDER BY c.id DESC");
	n = db_query(q->cs->db, &r, sql.buf, 0, NULL);
	strbuf_release(&sql);
	if (n < 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	strbuf_addf(&sb, "<div class=\"titlebar\"><h1>%s</h1>", T("Campaigns"));
	if (role_at_least(q, ROLE_OPERATOR))
		strbuf_addf(&sb, "<a class=\"button\" href=\"/campaigns/new\">%s</a>", T("New campaign"));
	strbuf_addstr(&sb, "</div>");
	if (!n)
		strbuf_addf(&sb, "<p class=\"empty\">%s</p>", T("No campaign yet."));
	else
		strbuf_addf(&sb, "<table class=\"list\" id=\"campaigns\"><thead><tr><th>%s</th><th>%s</th>"
			    "<th>%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
			    "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>",
			    T("Name"), T("Status"), T("Start"), T("Recipients"), T("Sent"),
			    T("Delivered"), T("Failed"), T("Progress"));
	for (i = 0; i < n; i++) {
		for (j = 0; j < K_N; j++)
			k[j] = db_result_int(r, i, 5 + j);
		strbuf_addf(&sb, "<tr><td><a href=\"/campaigns/%s\">", db_result_get(r, i, 0));
		h(&sb, db_result_get(r, i, 1));
		strbuf_addstr(&sb, "</a></td><td>");
		badge(q, &sb, db_result_get(r, i, 2));
		strbuf_addstr(&sb, "</td><td>");
		i18n_time(&sb, q->lang, db_result_isnull(r, i, 3) ? 0 : db_result_double(r, i, 3),
			  db_result_get(r, i, 4));
		strbuf_addstr(&sb, "</td><td class=\"num\">");
		add_int(q, &sb, k[K_TOTAL]);
		strbuf_addstr(&sb, "</td><td class=\"num\">");
		add_int(q, &sb, k[K_SENT]);
		strbuf_addstr(&sb, "</td><td class=\"num\">");
		add_int(q, &sb, k[K_DELIVERED]);
		strbuf_addstr(&sb, "</td><td class=\"num\">");
		add_int(q, &sb, k[K_FAILED]);
		strbuf_addstr(&sb, "</td><td>");
		progress_bar(&sb, k);
		strbuf_addstr(&sb, "</td></tr>");
	}
	if (n)
		strbuf_addstr(&sb, "</tbody></table>");
	db_result_free(r);
	return respond_page(q, MHD_HTTP_OK, T("Campaigns"), &sb);
}

/* The senders an operator may choose: config "senders" (comma separated),
 * else "sender". */
static void senders(struct creq *q, char list[][40], int *n, int max)
{
	const char *s = config_get(q->cs->o.cfg, "senders");

	*n = 0;
	if (!s)
		s = config_get(q->cs->o.cfg, "sender");
	while (s && *s && *n < max) {
		size_t len = strcspn(s, ",");
		char one[40];
		snprintf(one, sizeof(one), "%.*s", (int)len, s);
		{
			char *a = one, *e;
			while (*a == ' ')
				a++;
			e = a + strlen(a);
			while (e > a && e[-1] == ' ')
				*--e = '\0';
			if (*a)
				strlcpy_(list[(*n)++], a, 40);
		}
		s += len;
		if (*s == ',')
			s++;
	}
}

static void input(struct strbuf *sb, const char *label, const char *name, const char *type,
		  const char *value, const char *extra)
{
	strbuf_addf(sb, "<label>%s<input type=\"%s\" name=\"%s\" id=\"f-%s\" value=\"", label, type,
		    name, name);
	h(sb, value);
	strbuf_addf(sb, "\" %s></label>", extra ? extra : "");
}

static page_result campaign_form(struct creq *q, unsigned code, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	char list[16][40];
	const char *v;
	int n, i;

	senders(q, list, &n, 16);
	strbuf_addf(&sb, "<h1>%s</h1>", T("New campaign"));
	if (msg) {
		strbuf_addstr(&sb, "<p class=\"error\" role=\"alert\">");
		h(&sb, msg);
		strbuf_addstr(&sb, "</p>");
	}
	strbuf_addstr(&sb, "<form method=\"post\" action=\"/campaigns/new\" class=\"card wide\">");
	form_csrf_field(q, &sb);
	input(&sb, T("Name"), "name", "text", form_get(q, "name"), "required maxlength=\"100\"");
	strbuf_addf(&sb, "<label>%s<select name=\"sender\" id=\"f-sender\" required>", T("Sender"));
	v = form_get(q, "sender");
	for (i = 0; i < n; i++) {
		strbuf_addf(&sb, "<option%s>", v && !strcmp(v, list[i]) ? " selected" : "");
		h(&sb, list[i]);
		strbuf_addstr(&sb, "</option>");
	}
	strbuf_addstr(&sb, "</select></label>");
	if (!n)
		strbuf_addf(&sb, "<p class=\"error\">%s</p>",
			    T("No sender is configured (config key 'senders')."));
	input(&sb, T("Sender name (optional)"), "sender_name", "text", form_get(q, "sender_name"),
	      "maxlength=\"11\"");
	strbuf_addf(&sb, "<label>%s<textarea name=\"message\" id=\"f-message\" rows=\"5\" required"
		    " data-counter=\"counter\">", T("Message"));
	h(&sb, form_get(q, "message"));
	strbuf_addf(&sb, "</textarea></label><p class=\"hint\">%s</p><p class=\"counter\" id=\"counter\""
		    " data-gsm=\"%s\" data-ucs=\"%s\" data-units=\"%s\" data-chars=\"%s\"></p>",
		    T("Use {{column}} for a column of the recipient file, {{phone}} for the number."),
		    "GSM-7", "UCS-2", T("SMS units"), T("characters"));
	input(&sb, T("Start (YYYY-MM-DD HH:MM, empty: when scheduled)"), "start", "text",
	      form_get(q, "start"), "placeholder=\"2026-12-01 08:00\"");
	input(&sb, T("Daily window (HH:MM-HH:MM, empty: any time)"), "window", "text",
	      form_get(q, "window"), "placeholder=\"08:00-20:00\"");
	v = form_get(q, "tz");
	input(&sb, T("Time zone"), "tz", "text", v ? v : "Africa/Bamako", "required");
	strbuf_addf(&sb, "<button type=\"submit\">%s</button></form>", T("Create the campaign"));
	return respond_page(q, code, T("New campaign"), &sb);
}


static page_result campaign_new(struct creq *q)
{
	struct campaign_spec spec;
	struct campaign c;
	bool created = false;
	enum griot_err e;
	char err[600], loc[64];
	int rc;

	if (!role_at_least(q, ROLE_OPERATOR))
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("Only operators and admins may create campaigns."));
	if (!q->post)
		return campaign_form(q, MHD_HTTP_OK, NULL);
	if (!form_csrf_ok(q))
		return campaign_form(q, MHD_HTTP_FORBIDDEN, T("This form has expired; please send it again."));
	memset(&spec, 0, sizeof(spec));
	spec.name = empty_null(form_get(q, "name"));
	spec.sender = empty_null(form_get(q, "sender"));
	spec.sender_name = empty_null(form_get(q, "sender_name"));
	spec.message = empty_null(form_get(q, "message"));
	spec.start = empty_null(form_get(q, "start"));
	spec.window = empty_null(form_get(q, "window"));
	spec.tz = empty_null(form_get(q, "tz"));
	if (!spec.name || !spec.sender || !spec.message)
		return campaign_form(q, MHD_HTTP_BAD_REQUEST, T("Name, sender and message are required."));
	rc = campaign_load(q->cs->db, spec.name, &c);
	if (rc == 0) {
		campaign_release(&c);
		return campaign_form(q, MHD_HTTP_CONFLICT, T("A campaign with this name exists already."));
	}
	log_capture(err, sizeof(err));
	e = campaign_create(q->cs->db, &spec, &created);
	log_capture(NULL, 0);
	if (e == GRIOT_ERR_DB)
		return respond_error(q, console_http_status(e), err);
	if (e != GRIOT_OK)
		return campaign_form(q, console_http_status(e), err);
	if (campaign_load(q->cs->db, spec.name, &c) != 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, T("The campaign could not be read back."));
	audit(q, "campaign-create", c.name, NULL);
	snprintf(loc, sizeof(loc), "/campaigns/%lld", c.id);
	campaign_release(&c);
	return redirect(q, loc);
}

/* ---- the campaign page ---- */

struct rejects_ctx {
	struct creq *q;
	struct strbuf *sb;
	int rows;
};

static int reject_row(const struct csvin_row *row, void *data)
{
	struct rejects_ctx *x = data;
	size_t i;

	if (x->rows++ == 0)
		return 0;               /* the header */
	if (x->rows > REJECTS_SHOWN + 1)
		return -1;
	strbuf_addstr(x->sb, "<tr>");
	for (i = 0; i < 4; i++) {
		strbuf_addstr(x->sb, i == 0 ? "<td class=\"num\">" : "<td>");
		h(x->sb, i < row->nfields ? row->fields[i] : "");
		strbuf_addstr(x->sb, "</td>");
	}
	strbuf_addstr(x->sb, "</tr>");
	return 0;
}

static void rejects_table(struct creq *q, struct strbuf *sb, long long cid, const char *path,
			  long long rejected)
{
	struct rejects_ctx x = { q, sb, 0 };
	struct csvin in;

	strbuf_addf(sb, "<h3>%s</h3>", T("Rejected rows"));
	if (!rejected) {
		strbuf_addf(sb, "<p>%s</p>", T("No row was rejected."));
		return;
	}
	strbuf_addf(sb, "<table class=\"list\" id=\"rejects\"><thead><tr><th class=\"num\">%s</th>"
		    "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    T("Line"), T("Row"), T("Reason"), T("Detail"));
	if (path && csvin_open(&in, path, 0) == 0)
		csvin_run(&in, reject_row, &x);
	if (path)
		csvin_close(&in);
	strbuf_addstr(sb, "</tbody></table>");
	if (!path) {
		strbuf_addf(sb, "<p>%s</p>", T("This file was imported on the command line: its rejected rows are in the rejects file written there."));
		return;
	}
	if (rejected > REJECTS_SHOWN)
		strbuf_addf(sb, "<p>%s</p>", T("Only the first rejected rows are shown here."));
	strbuf_addf(sb, "<p><a class=\"button secondary\" href=\"/campaigns/%lld/rejects.csv\">%s</a></p>",
		    cid, T("Download every rejected row (CSV)"));
}

static void samples(struct creq *q, struct strbuf *sb, const struct campaign *c)
{
	struct db_result *r;
	char id[32], missing[130];
	const char *p[1] = { id };
	int n, i;

	if (!c->template)
		return;
	snprintf(id, sizeof(id), "%lld", c->id);
	n = db_query(q->cs->db, &r, "SELECT msisdn, fields::text FROM messages WHERE campaign_id = $1"
		     " ORDER BY id LIMIT 3", 1, p);
	if (n <= 0) {
		if (n == 0)
			db_result_free(r);
		return;
	}
	strbuf_addf(sb, "<h3>%s</h3><ol class=\"samples\">", T("Sample messages"));
	for (i = 0; i < n && i < SAMPLES_SHOWN; i++) {
		struct strbuf out = STRBUF_INIT;
		int rc = template_render_json(c->template, db_result_get(r, i, 1),
					      db_result_get(r, i, 0), &out, missing, sizeof(missing));
		strbuf_addstr(sb, "<li><span class=\"to\">");
		h(sb, db_result_get(r, i, 0));
		strbuf_addstr(sb, "</span><blockquote>");
		if (rc == 0)
			h(sb, out.buf);
		else {
			strbuf_addf(sb, "<span class=\"error\">%s ", T("Missing field:"));
			h(sb, missing);
			strbuf_addstr(sb, "</span>");
		}
		strbuf_addstr(sb, "</blockquote></li>");
		strbuf_release(&out);
	}
	strbuf_addstr(sb, "</ol>");
	db_result_free(r);
}

static struct orange_client *orange_or_null(struct creq *q)
{
	struct griot_config *cfg = q->cs->o.cfg;

	if (!cfg->auth_header && !cfg->credentials_file)
		return NULL;
	return orange_client_from_config(cfg, 10, 1);
}

static void preview_section(struct creq *q, struct strbuf *sb, const struct campaign *c,
			    const struct campaign_preview *pv)
{
	size_t i;

	strbuf_addf(sb, "<h3>%s</h3>", T("Units and credit"));
	strbuf_addf(sb, "<p>%s <strong>", T("Messages to send:"));
	add_int(q, sb, pv->gsm7 + pv->ucs2);
	strbuf_addf(sb, "</strong> · GSM-7 ");
	add_int(q, sb, pv->gsm7);
	strbuf_addstr(sb, " · UCS-2 ");
	add_int(q, sb, pv->ucs2);
	strbuf_addf(sb, " · %s <strong id=\"units\">", T("SMS units"));
	add_int(q, sb, pv->segments);
	strbuf_addf(sb, "</strong> (%s ", T("at most"));
	add_int(q, sb, pv->max_segments);
	strbuf_addf(sb, " %s)</p>", T("per message"));
	if (!pv->credit_checked)
		strbuf_addf(sb, "<p class=\"warn\">%s</p>", T("Orange could not be asked for the balance."));
	strbuf_addf(sb, "<table class=\"list\" id=\"countries\"><thead><tr><th>%s</th>"
		    "<th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
		    "<th>%s</th><th></th></tr></thead><tbody>", T("Country"), T("Messages"),
		    T("Units needed"), T("Balance"), T("Expires"));
	for (i = 0; i < pv->ncountries; i++) {
		const struct campaign_country *cc = &pv->countries[i];
		strbuf_addf(sb, "<tr%s><td>%s</td><td class=\"num\">", cc->short_credit ? " class=\"short\"" : "",
			    cc->country);
		add_int(q, sb, cc->messages);
		strbuf_addstr(sb, "</td><td class=\"num\">");
		add_int(q, sb, cc->segments);
		strbuf_addstr(sb, "</td><td class=\"num\">");
		if (cc->available >= 0)
			add_int(q, sb, cc->available);
		else
			strbuf_addstr(sb, "?");
		strbuf_addstr(sb, "</td><td>");
		i18n_time(sb, q->lang, cc->expires_at, c->tz);
		strbuf_addstr(sb, "</td><td>");
		if (cc->short_credit)
			strbuf_addf(sb, "<span class=\"error\">%s</span>", T("credit short"));
		else if (cc->expires_first)
			strbuf_addf(sb, "<span class=\"warn\">%s</span>", T("expires before the end"));
		else if (cc->available >= 0)
			strbuf_addstr(sb, "✓");
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table>");
	if (pv->est_finish > 0) {
		strbuf_addf(sb, "<p>%s ", T("Estimated finish at"));
		strbuf_addf(sb, "%.0f/s", pv->rate);
		strbuf_addf(sb, " %s <strong id=\"finish\">", T("inside the window:"));
		i18n_time(sb, q->lang, pv->est_finish, c->tz);
		strbuf_addstr(sb, "</strong></p>");
	}
}

/* What stands in the way of scheduling, as the preview shows it (the
 * rule itself is campaign_schedule_checked()'s); NULL when nothing. */
static const char *schedule_warning(struct creq *q, const struct campaign_preview *pv)
{
	if (pv->total == 0)
		return T("The campaign has no recipients: upload a file first.");
	if (pv->missing)
		return T("Some messages use a template field that is missing or empty in the file.");
	if (!pv->credit_checked)
		return T("The balance could not be checked with Orange.");
	if (pv->credit_short)
		return T("Not enough credit for every country: buy units, or an admin may allow a partial send.");
	return NULL;
}

static void check_section(struct creq *q, struct strbuf *sb, const struct campaign *c)
{
	struct campaign_preview pv;
	struct orange_client *cl = orange_or_null(q);
	struct db_result *r = NULL;
	const char *why;
	char id[32];
	const char *p[1] = { id };
	int n;

	snprintf(id, sizeof(id), "%lld", c->id);
	n = db_query(q->cs->db, &r, "SELECT i.filename, i.rows_read, i.imported, i.duplicates,"
		     " i.suppressed, i.rejected, ci.rejects_path, ci.filename"
		     " FROM imports i LEFT JOIN console_imports ci ON ci.import_id = i.id"
		     " WHERE i.campaign_id = $1 ORDER BY i.id DESC LIMIT 1", 1, p);
	if (n > 0) {
		static const char *const labels[] = { "Rows read", "Imported", "Duplicates",
						      "Suppressed", "Rejected" };
		static const char *const ids[] = { "read", "imported", "duplicates", "suppressed",
						   "rejected" };
		int i;
		strbuf_addf(sb, "<section class=\"card\" id=\"check\"><h2>%s</h2><p>%s <strong>",
			    T("Check before sending"), T("File"));
		h(sb, db_result_isnull(r, 0, 7) ? db_result_get(r, 0, 0) : db_result_get(r, 0, 7));
		strbuf_addstr(sb, "</strong></p><div class=\"figures\">");
		for (i = 0; i < 5; i++) {
			strbuf_addf(sb, "<div class=\"figure\"><span class=\"n\" id=\"n-%s\">", ids[i]);
			add_int(q, sb, db_result_int(r, 0, 1 + i));
			strbuf_addf(sb, "</span><span class=\"l\">%s</span></div>", T(labels[i]));
		}
		strbuf_addstr(sb, "</div>");
		/* rejected rows and samples hold personal data: not for viewers */
		if (role_at_least(q, ROLE_OPERATOR))
			rejects_table(q, sb, c->id, db_result_isnull(r, 0, 6) ? NULL : db_result_get(r, 0, 6),
				      db_result_int(r, 0, 5));
	} else {
		strbuf_addf(sb, "<section class=\"card\" id=\"check\"><h2>%s</h2>", T("Check before sending"));
	}
	db_result_free(r);
	if (role_at_least(q, ROLE_OPERATOR))
		samples(q, sb, c);
	if (campaign_preview(q->cs->db, c, cl, false, 0, &pv) == 0) {
		preview_section(q, sb, c, &pv);
		why = schedule_warning(q, &pv);
		if (why)
			strbuf_addf(sb, "<p class=\"error\" id=\"refusal\">%s</p>", why);
		if (role_at_least(q, ROLE_OPERATOR) && pv.total > 0) {
			strbuf_addf(sb, "<form method=\"post\" action=\"/campaigns/%lld/schedule\">", c->id);
			form_csrf_field(q, sb);
			if (role_at_least(q, ROLE_ADMIN))
				strbuf_addf(sb, "<label class=\"check\"><input type=\"checkbox\" name=\"allow_partial\""
					    " value=\"1\"> %s</label>", T("Allow a partial send (admin)"));
			strbuf_addf(sb, "<button type=\"submit\" id=\"schedule\">%s</button></form>",
				    T("Schedule the campaign"));
		}
	}
	campaign_preview_release(&pv);
	orange_client_free(cl);
	strbuf_addstr(sb, "</section>");
}

static void upload_form(struct creq *q, struct strbuf *sb, long long id)
{
	strbuf_addf(sb, "<section class=\"card\"><h2>%s</h2>"
		    "<form method=\"post\" action=\"/campaigns/%lld/upload\" enctype=\"multipart/form-data\">",
		    T("Recipient file"), id);
	form_csrf_field(q, sb);
	input(sb, T("Country of numbers without a country code"), "country", "text",
	      config_get(q->cs->o.cfg, "default_country") ? config_get(q->cs->o.cfg, "default_country")
							  : "MLI", "maxlength=\"3\" size=\"4\"");
	strbuf_addf(sb, "<p class=\"hint\">%s</p><input type=\"file\" name=\"file\" id=\"f-file\""
		    " accept=\".csv,.txt,.tsv,.xlsx\" required><button type=\"submit\" id=\"upload\">%s</button>"
		    "</form></section>",
		    T("A CSV file or an Excel workbook (.xlsx, first sheet) with a phone column; Excel's CSV export is fine (';', Windows-1252)."),
		    T("Upload and check"));
}

/* Messages accepted per second over the last minute (or since the
 * first of them, when the campaign started less than a minute ago). */
static double send_rate(struct creq *q, long long id)
{
	char buf[32], ids[32];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	if (db_query_value(q->cs->db, buf, sizeof(buf), "SELECT coalesce(count(*) /"
			   " greatest(1, extract(epoch FROM now() - min(sent_at))), 0)"
			   " FROM messages WHERE campaign_id = $1"
			   " AND sent_at > now() - interval '60 seconds'", 1, p) <= 0)
		return 0;
	return atof(buf);
}

/* "4,8/s" or "4.8/s", and the time left at that rate ("" when unknown). */
static void rate_eta(struct creq *q, double rate, long long left, struct strbuf *r,
		     struct strbuf *eta)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.1f/s", rate);
	if (q->lang == LANG_FR)
		*strchr(buf, '.') = ',';
	strbuf_addstr(r, buf);
	if (rate > 0 && left > 0)
		i18n_duration(eta, q->lang, (double)left / rate);
}

static int load_counts(struct creq *q, long long id, long long k[K_N])
{
	struct strbuf sql = STRBUF_INIT;
	struct db_result *r = NULL;
	char ids[32];
	const char *p[1] = { ids };
	int j, n;

	snprintf(ids, sizeof(ids), "%lld", id);
	strbuf_addstr(&sql, "SELECT");
	counts_sql(&sql);
	strbuf_addstr(&sql, " FROM messages m WHERE m.campaign_id = $1");
	n = db_query(q->cs->db, &r, sql.buf, 1, p);
	strbuf_release(&sql);
	if (n != 1) {
		if (n >= 0)
			db_result_free(r);
		return -1;
	}
	for (j = 0; j < K_N; j++)
		k[j] = db_result_int(r, 0, j);
	db_result_free(r);
	return 0;
}

static void figures(struct creq *q, struct strbuf *sb, const struct campaign *c, const long long *k)
{
	static const char *const labels[] = { "Recipients", "Waiting", "Sending", "Sent", "Failed",
					      "Unknown", "Delivered" };
	double rate = send_rate(q, c->id);
	long long left = k[K_PENDING] + k[K_SENDING];
	int st = CAMPAIGN_STATUS(c->status), j;

	strbuf_addf(sb, "<section class=\"card\" id=\"live\" data-status-url=\"/campaigns/%lld/status\""
		    " data-running=\"%d\"><div class=\"figures\">", c->id,
		    campaign_active(st));
	for (j = 0; j < K_N; j++) {
		strbuf_addf(sb, "<div class=\"figure\"><span class=\"n\" id=\"c-%s\">", count_key(j));
		add_int(q, sb, k[j]);
		strbuf_addf(sb, "</span><span class=\"l\">%s</span></div>", T(labels[j]));
	}
	strbuf_addstr(sb, "</div>");
	progress_bar(sb, k);
	{
		struct strbuf r = STRBUF_INIT, eta = STRBUF_INIT;
		rate_eta(q, rate, left, &r, &eta);
		strbuf_addf(sb, "<p>%s <span id=\"c-rate\">%s</span> · %s <span id=\"c-eta\">%s</span>",
			    T("Rate"), r.buf, T("time left"), eta.len ? eta.buf : "—");
		strbuf_release(&r);
		strbuf_release(&eta);
	}
	strbuf_addstr(sb, "</p></section>");
}

static void action_button(struct creq *q, struct strbuf *sb, long long id, const char *action,
			  const char *label)
{
	strbuf_addf(sb, "<a class=\"button secondary\" id=\"a-%s\" href=\"/campaigns/%lld/%s\">%s</a> ",
		    action, id, action, label);
}

/* The first unknown messages, with their numbers (admins only). */
static void unknown_list(struct creq *q, struct strbuf *sb, long long id)
{
	struct db_result *r;
	char ids[32];
	const char *p[1] = { ids };
	int n, i;

	snprintf(ids, sizeof(ids), "%lld", id);
	n = db_query(q->cs->db, &r, "SELECT msisdn, country, coalesce(last_error, ''),"
		     " extract(epoch FROM coalesce(sending_at, updated_at)) FROM messages"
		     " WHERE campaign_id = $1 AND send_status = 'unknown' ORDER BY id LIMIT 100", 1, p);
	if (n <= 0) {
		if (n == 0)
			db_result_free(r);
		return;
	}
	strbuf_addf(sb, "<table class=\"list\" id=\"unknown\"><thead><tr><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th></tr></thead><tbody>", T("Number"), T("Country"), T("When"),
		    T("Detail"));
	for (i = 0; i < n; i++) {
		strbuf_addstr(sb, "<tr><td>");
		h(sb, db_result_get(r, i, 0));
		strbuf_addf(sb, "</td><td>%s</td><td>", db_result_get(r, i, 1));
		i18n_time(sb, q->lang, db_result_double(r, i, 3), "UTC");
		strbuf_addstr(sb, "</td><td>");
		h(sb, db_result_get(r, i, 2));
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</tbody></table>");
	db_result_free(r);
}

static page_result campaign_page(struct creq *q, long long id)
{
	struct strbuf sb = STRBUF_INIT;
	struct campaign c;
	long long k[K_N];
	int rc = campaign_load_id(q->cs->db, id, &c), st;

	if (rc < 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	if (rc > 0)
		return respond_error(q, MHD_HTTP_NOT_FOUND, T("No such campaign."));
	if (load_counts(q, id, k) < 0) {
		campaign_release(&c);
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	}
	st = CAMPAIGN_STATUS(c.status);
	strbuf_addstr(&sb, "<div class=\"titlebar\"><h1>");
	h(&sb, c.name);
	strbuf_addstr(&sb, "</h1>");
	badge(q, &sb, c.status);
	strbuf_addstr(&sb, "</div><dl class=\"meta\">");
	strbuf_addf(&sb, "<dt>%s</dt><dd>", T("Sender"));
	h(&sb, c.sender_address);
	if (c.sender_name) {
		strbuf_addstr(&sb, " (");
		h(&sb, c.sender_name);
		strbuf_addstr(&sb, ")");
	}
	strbuf_addf(&sb, "</dd><dt>%s</dt><dd><blockquote>", T("Message"));
	h(&sb, c.template);
	strbuf_addf(&sb, "</blockquote></dd><dt>%s</dt><dd>", T("Start"));
	i18n_time(&sb, q->lang, c.start_at, c.tz);
	strbuf_addf(&sb, "</dd><dt>%s</dt><dd>", T("Time zone"));
	h(&sb, c.tz);
	if (c.window_start >= 0)
		strbuf_addf(&sb, " · %02d:%02d–%02d:%02d", c.window_start / 60, c.window_start % 60,
			    c.window_end / 60, c.window_end % 60);
	strbuf_addstr(&sb, "</dd>");
	if (c.paused_reason) {
		strbuf_addf(&sb, "<dt>%s</dt><dd>", T("Paused because"));
		h(&sb, c.paused_reason);
		strbuf_addstr(&sb, "</dd>");
	}
	strbuf_addstr(&sb, "</dl>");
	if (st != CAMPAIGN_DRAFT)
		figures(q, &sb, &c, k);
	if (role_at_least(q, ROLE_OPERATOR)) {
		strbuf_addstr(&sb, "<p class=\"actions\">");
		if (campaign_active(st))
			action_button(q, &sb, id, "pause", T("Pause"));
		if (st == CAMPAIGN_PAUSED)
			action_button(q, &sb, id, "resume", T("Resume"));
		if (st != CAMPAIGN_DONE && st != CAMPAIGN_CANCELLED)
			action_button(q, &sb, id, "cancel", T("Cancel"));
		strbuf_addstr(&sb, "</p>");
	}
	if (st == CAMPAIGN_DRAFT) {
		if (role_at_least(q, ROLE_OPERATOR))
			upload_form(q, &sb, id);
		check_section(q, &sb, &c);
	}
	if (k[K_SENT] + k[K_FAILED] + k[K_UNKNOWN] > 0) {
		strbuf_addf(&sb, "<section class=\"card\"><h2>%s</h2><p>"
			    "<a class=\"button\" id=\"report\" href=\"/campaigns/%lld/report\">%s</a> "
			    "<a class=\"button secondary\" href=\"/campaigns/%lld/report.html\">HTML</a> "
			    "<a class=\"button secondary\" href=\"/campaigns/%lld/report.csv\">CSV</a> ",
			    T("Report"), id, T("Open the report"), id, id);
		if (role_at_least(q, ROLE_OPERATOR))
			strbuf_addf(&sb, "<a class=\"button secondary\" href=\"/campaigns/%lld/recipients.csv\">%s</a>",
				    id, T("Per-recipient CSV"));
		strbuf_addstr(&sb, "</p></section>");
	}
	if (k[K_UNKNOWN] > 0 && role_at_least(q, ROLE_ADMIN)) {
		strbuf_addf(&sb, "<section class=\"card\"><h2>%s</h2><p>", T("Messages with an unknown fate"));
		add_int(q, &sb, k[K_UNKNOWN]);
		strbuf_addf(&sb, " %s</p>", T("messages may or may not have been sent; Orange did not answer."));
		unknown_list(q, &sb, id);
		strbuf_addf(&sb, "<form method=\"post\" action=\"/campaigns/%lld/resend-unknown\">", id);
		form_csrf_field(q, &sb);
		strbuf_addf(&sb, "<button type=\"submit\" class=\"danger\">%s</button></form></section>",
			    T("Send them again"));
	}
	{
		page_result ret = respond_page(q, MHD_HTTP_OK, c.name, &sb);
		campaign_release(&c);
		return ret;
	}
}

static page_result campaign_status_json(struct creq *q, long long id)
{
	struct strbuf sb = STRBUF_INIT, t = STRBUF_INIT;
	struct campaign c;
	long long k[K_N];
	double rate;
	int j;

	if (campaign_load_id(q->cs->db, id, &c) != 0 || load_counts(q, id, k) < 0)
		return respond_error(q, MHD_HTTP_NOT_FOUND, T("No such campaign."));
	rate = send_rate(q, id);
	strbuf_addf(&sb, "{\"status\":\"%s\"", c.status);
	for (j = 0; j < K_N; j++) {
		strbuf_reset(&t);
		add_int(q, &t, k[j]);
		strbuf_addf(&sb, ",\"%s\":\"%s\"", count_key(j), t.buf);
	}
	{
		struct strbuf r = STRBUF_INIT;
		strbuf_reset(&t);
		rate_eta(q, rate, k[K_PENDING] + k[K_SENDING], &r, &t);
		strbuf_addf(&sb, ",\"done\":%lld,\"rate\":\"%s\"", k[K_SENT] + k[K_FAILED] + k[K_UNKNOWN],
			    r.buf);
		if (!t.len)
			strbuf_addstr(&t, "—");
		strbuf_release(&r);
	}
	strbuf_addf(&sb, ",\"eta\":\"%s\"}", t.buf);
	strbuf_release(&t);
	campaign_release(&c);
	return respond(q, MHD_HTTP_OK, "application/json", &sb, NULL);
}

static page_result campaign_schedule_post(struct creq *q, struct campaign *c)
{
	struct campaign_schedule_opts so;
	struct campaign_preview pv;
	struct strbuf why = STRBUF_INIT;
	enum griot_err e;
	char err[600], loc[64];
	double start;
	page_result ret;

	memset(&so, 0, sizeof(so));
	memset(&pv, 0, sizeof(pv));
	so.allow_partial = form_get(q, "allow_partial") != NULL;
	if (so.allow_partial && !role_at_least(q, ROLE_ADMIN))
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("Only an admin may allow a partial send."));
	so.client = orange_or_null(q);
	so.no_client_why = "no Orange credentials configured";
	log_capture(err, sizeof(err));
	e = campaign_schedule_checked(q->cs->db, c, &so, &pv, &start);
	log_capture(NULL, 0);
	if (e != GRIOT_OK) {
		strbuf_addf(&why, "%s %s", T("The campaign was not scheduled:"), err);
		audit(q, "campaign-schedule-refused", c->name, err);
		ret = respond_error(q, console_http_status(e), why.buf);
		goto out;
	}
	audit(q, "campaign-schedule", c->name, so.allow_partial ? "partial allowed" : NULL);
	snprintf(loc, sizeof(loc), "/campaigns/%lld", c->id);
	ret = redirect(q, loc);
out:
	strbuf_release(&why);
	campaign_preview_release(&pv);
	orange_client_free(so.client);
	return ret;
}

static page_result confirm_page(struct creq *q, const struct campaign *c, const char *action,
				const char *question, const char *button)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "<section class=\"card\"><h1>%s</h1><p>", question);
	h(&sb, c->name);
	strbuf_addf(&sb, "</p><form method=\"post\" action=\"/campaigns/%lld/%s\">", c->id, action);
	form_csrf_field(q, &sb);
	if (!strcmp(action, "pause"))
		strbuf_addf(&sb, "<label>%s<input name=\"reason\" maxlength=\"200\"></label>",
			    T("Reason (optional)"));
	strbuf_addf(&sb, "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
		    "<button type=\"submit\" id=\"confirm\" class=\"%s\">%s</button> "
		    "<a href=\"/campaigns/%lld\">%s</a></form></section>",
		    !strcmp(action, "cancel") ? "danger" : "", button, c->id, T("Back"));
	return respond_page(q, MHD_HTTP_OK, question, &sb);
}

static page_result lifecycle(struct creq *q, struct campaign *c, const char *action)
{
	char err[600], loc[64];
	enum griot_err e;
	int holds = 0;

	if (!q->post) {
		if (!strcmp(action, "pause"))
			return confirm_page(q, c, action, T("Pause this campaign?"), T("Pause"));
		if (!strcmp(action, "resume"))
			return confirm_page(q, c, action, T("Resume this campaign?"), T("Resume"));
		return confirm_page(q, c, action, T("Cancel this campaign? Messages not sent yet will never be sent."),
				    T("Cancel the campaign"));
	}
	if (!form_get(q, "confirm") || strcmp(form_get(q, "confirm"), "yes"))
		return respond_error(q, MHD_HTTP_BAD_REQUEST, T("Please confirm."));
	log_capture(err, sizeof(err));
	if (!strcmp(action, "pause"))
		e = campaign_pause(q->cs->db, c, empty_null(form_get(q, "reason")));
	else if (!strcmp(action, "resume"))
		e = campaign_resume(q->cs->db, c, &holds);
	else
		e = campaign_cancel(q->cs->db, c);
	log_capture(NULL, 0);
	if (e != GRIOT_OK)
		return respond_error(q, console_http_status(e), err);
	audit(q, !strcmp(action, "pause") ? "campaign-pause" : !strcmp(action, "resume") ?
	      "campaign-resume" : "campaign-cancel", c->name, empty_null(form_get(q, "reason")));
	snprintf(loc, sizeof(loc), "/campaigns/%lld", c->id);
	return redirect(q, loc);
}

static page_result resend_unknown(struct creq *q, struct campaign *c)
{
	char loc[64];
	long long n;

	if (!role_at_least(q, ROLE_ADMIN))
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("Only an admin may resend messages."));
	n = campaign_resend_unknown(q->cs->db, c->name);
	if (n < 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	snprintf(loc, sizeof(loc), "%lld", n);
	audit(q, "campaign-resend-unknown", c->name, loc);
	snprintf(loc, sizeof(loc), "/campaigns/%lld", c->id);
	return redirect(q, loc);
}

static page_result report(struct creq *q, struct campaign *c, const char *what)
{
	struct report_opts ro;
	struct report *r = NULL;
	struct strbuf sb = STRBUF_INIT;
	char name[200];
	enum griot_err e;

	memset(&ro, 0, sizeof(ro));
	ro.campaign = c->name;
	if (!strcmp(what, "recipients.csv")) {
		/* streamed by the reporter into a file, then sent */
		char path[512];
		long long rows;
		const char *fields[] = { NULL };
		struct report_recipients_opts rr = { fields, ';', false };
		if (!role_at_least(q, ROLE_OPERATOR))
			return respond_error(q, MHD_HTTP_FORBIDDEN,
					     T("Only operators and admins may download personal data."));
		snprintf(path, sizeof(path), "%s/recipients-%lld.csv", q->cs->o.data_dir, c->id);
		if (report_write_recipients(q->cs->db, &ro, &rr, path, &rows) < 0)
			return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, T("The report could not be built."));
		audit(q, "download-recipients", c->name, NULL);
		snprintf(name, sizeof(name), "%s-recipients.csv", c->name);
		return respond_file(q, "text/csv; charset=utf-8", name, path);
	}
	e = report_build(q->cs->db, q->cs->o.cfg, &ro, &r);
	if (e != GRIOT_OK) {
		report_free(r);
		return respond_error(q, console_http_status(e), T("The report could not be built."));
	}
	if (!strcmp(what, "report.csv")) {
		report_render_csv(r, q->lang == LANG_FR ? ';' : ',', &sb);
		report_free(r);
		snprintf(name, sizeof(name), "%s-report.csv", c->name);
		return respond_download(q, "text/csv; charset=utf-8", name, &sb);
	}
	report_render_html(r, q->lang, &sb);
	report_free(r);
	if (!strcmp(what, "report.html")) {
		snprintf(name, sizeof(name), "%s-report.html", c->name);
		return respond_download(q, HTML, name, &sb);
	}
	/* The report is self-contained (inline CSS and SVG, no script): its
	 * own policy allows inline styles and nothing else. */
	return respond(q, MHD_HTTP_OK, HTML, &sb,
		       "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
		       "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
}

static page_result campaign_route(struct creq *q, long long id, const char *rest)
{
	struct campaign c;
	page_result ret;
	int rc;

	if (!*rest)
		return campaign_page(q, id);
	if (!strcmp(rest, "status"))
		return campaign_status_json(q, id);
	rc = campaign_load_id(q->cs->db, id, &c);
	if (rc != 0)
		return respond_error(q, rc < 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_NOT_FOUND,
				     T("No such campaign."));
	if (!strcmp(rest, "report") || !strcmp(rest, "report.html") || !strcmp(rest, "report.csv") ||
	    !strcmp(rest, "recipients.csv")) {
		ret = report(q, &c, rest);
	} else if (!strcmp(rest, "rejects.csv")) {
		char ids[32], path[1024];
		const char *p[1] = { ids };
		snprintf(ids, sizeof(ids), "%lld", id);
		if (!role_at_least(q, ROLE_OPERATOR))
			ret = respond_error(q, MHD_HTTP_FORBIDDEN,
					    T("Only operators and admins may download personal data."));
		else if (db_query_value(q->cs->db, path, sizeof(path),
					"SELECT ci.rejects_path FROM console_imports ci JOIN imports i"
					" ON i.id = ci.import_id WHERE i.campaign_id = $1"
					" ORDER BY i.id DESC LIMIT 1", 1, p) != 1 || !*path)
			ret = respond_error(q, MHD_HTTP_NOT_FOUND, T("This file is no longer available."));
		else
			ret = respond_file(q, "text/csv; charset=utf-8", "rejects.csv", path);
	} else if (!role_at_least(q, ROLE_OPERATOR)) {
		ret = respond_error(q, MHD_HTTP_FORBIDDEN, T("Viewers may not change campaigns."));
	} else if (q->post && !form_csrf_ok(q)) {
		ret = respond_error(q, MHD_HTTP_FORBIDDEN, T("This form has expired; reload the page."));
	} else if (!strcmp(rest, "pause") || !strcmp(rest, "resume") || !strcmp(rest, "cancel")) {
		ret = lifecycle(q, &c, rest);
	} else if (q->post && !strcmp(rest, "schedule")) {
		ret = campaign_schedule_post(q, &c);
	} else if (q->post && !strcmp(rest, "resend-unknown")) {
		ret = resend_unknown(q, &c);
	} else {
		ret = respond_error(q, MHD_HTTP_NOT_FOUND, T("No such page."));
	}
	campaign_release(&c);
	return ret;
}

/* ---- users, audit, settings (admins) ---- */

static page_result users_page(struct creq *q, unsigned code, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	struct db_result *r;
	int n, i;
	size_t k;

	n = console_user_list(q->cs->db, &r);
	if (n < 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	strbuf_addf(&sb, "<h1>%s</h1>", T("Users"));
	if (msg) {
		strbuf_addf(&sb, "<p class=\"%s\" role=\"alert\">", code == MHD_HTTP_OK ? "ok" : "error");
		h(&sb, msg);
		strbuf_addstr(&sb, "</p>");
	}
	strbuf_addf(&sb, "<table class=\"list\" id=\"users\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		    "<th class=\"num\">%s</th><th></th></tr></thead><tbody>", T("Name"), T("Role"),
		    T("State"), T("Sessions"));
	for (i = 0; i < n; i++) {
		bool dis = !strcmp(db_result_get(r, i, 2), "t");
		strbuf_addstr(&sb, "<tr><td>");
		h(&sb, db_result_get(r, i, 0));
		strbuf_addf(&sb, "</td><td>%s</td><td>%s</td><td class=\"num\">%s</td><td>",
			    T(db_result_get(r, i, 1)), dis ? T("disabled") : T("active"),
			    db_result_get(r, i, 5));
		strbuf_addstr(&sb, "<form method=\"post\" action=\"/users\" class=\"inline\">");
		form_csrf_field(q, &sb);
		strbuf_addf(&sb, "<input type=\"hidden\" name=\"action\" value=\"%s\">"
			    "<input type=\"hidden\" name=\"name\" value=\"", dis ? "enable" : "disable");
		h(&sb, db_result_get(r, i, 0));
		strbuf_addf(&sb, "\"><button type=\"submit\" class=\"secondary\">%s</button></form></td></tr>",
			    dis ? T("Enable") : T("Disable"));
	}
	db_result_free(r);
	strbuf_addf(&sb, "</tbody></table><h2>%s</h2><form method=\"post\" action=\"/users\" class=\"card\">",
		    T("Add a user"));
	form_csrf_field(q, &sb);
	strbuf_addstr(&sb, "<input type=\"hidden\" name=\"action\" value=\"add\">");
	input(&sb, T("User name"), "name", "text", NULL, "required autocomplete=\"off\"");
	strbuf_addf(&sb, "<label>%s<select name=\"role\" id=\"f-role\">", T("Role"));
	for (k = 0; k <= ROLE_ADMIN; k++)
		strbuf_addf(&sb, "<option value=\"%s\">%s</option>", console_role_name(k),
			    T(console_role_name(k)));
	strbuf_addstr(&sb, "</select></label>");
	input(&sb, T("Password (10 characters or more)"), "password", "password", NULL,
	      "required autocomplete=\"new-password\"");
	strbuf_addf(&sb, "<button type=\"submit\" id=\"add-user\">%s</button></form>", T("Add the user"));
	return respond_page(q, code, T("Users"), &sb);
}

static page_result users_post(struct creq *q)
{
	const char *action = form_get(q, "action"), *name = form_get(q, "name");
	enum griot_err e;

	if (!form_csrf_ok(q))
		return users_page(q, MHD_HTTP_FORBIDDEN, T("This form has expired; please send it again."));
	if (!action || !name || !console_user_name_ok(name))
		return users_page(q, MHD_HTTP_BAD_REQUEST,
				  T("A user name is 1 to 64 letters, digits, or . _ @ -"));
	if (!strcmp(action, "add")) {
		const char *pw = form_get(q, "password");
		int role = console_role_parse(form_get(q, "role"));
		if (role < 0)
			return users_page(q, MHD_HTTP_BAD_REQUEST, T("Choose a role."));
		if (!pw || console_password_weak(pw))
			return users_page(q, MHD_HTTP_BAD_REQUEST,
					  T("A password needs at least 10 characters."));
		e = console_user_add(q->cs->db, name, (enum console_role)role, pw);
		if (e == GRIOT_ERR_DATA)
			return users_page(q, MHD_HTTP_CONFLICT, T("This user exists already."));
		if (e == GRIOT_OK)
			audit(q, "user-add", name, console_role_name((enum console_role)role));
	} else if (!strcmp(action, "disable") || !strcmp(action, "enable")) {
		bool dis = !strcmp(action, "disable");
		if (dis && !strcmp(name, q->user.name))
			return users_page(q, MHD_HTTP_BAD_REQUEST, T("You cannot disable yourself."));
		e = console_user_set_disabled(q->cs->db, name, dis);
		if (e == GRIOT_OK)
			audit(q, dis ? "user-disable" : "user-enable", name, NULL);
	} else {
		return users_page(q, MHD_HTTP_BAD_REQUEST, T("Unknown action."));
	}
	if (e == GRIOT_ERR_NOUSER)
		return users_page(q, console_http_status(e), T("No such user."));
	if (e != GRIOT_OK)
		return respond_error(q, console_http_status(e),
				     T("The database is unreachable; try again in a moment."));
	{
		struct strbuf msg = STRBUF_INIT;
		page_result ret;
		strbuf_addf(&msg, "%s %s", name, !strcmp(action, "add") ? T("was added.") :
			    !strcmp(action, "disable") ? T("was disabled: their sessions have ended.") :
			    T("was enabled."));
		ret = users_page(q, MHD_HTTP_OK, msg.buf);
		strbuf_release(&msg);
		return ret;
	}
}

static page_result audit_page(struct creq *q)
{
	struct strbuf sb = STRBUF_INIT;
	struct db_result *r;
	int n, i, j;

	n = db_query(q->cs->db, &r, "SELECT extract(epoch FROM at), coalesce(username, '-'), address,"
		     " action, coalesce(target, ''), coalesce(detail, '')"
		     " FROM console_audit ORDER BY id DESC LIMIT 500", 0, NULL);
	if (n < 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	strbuf_addf(&sb, "<h1>%s</h1><table class=\"list\" id=\"audit\"><thead><tr><th>%s</th><th>%s</th>"
		    "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    T("Audit log"), T("When"), T("Who"), T("From"), T("Action"), T("On"), T("Detail"));
	for (i = 0; i < n; i++) {
		strbuf_addstr(&sb, "<tr><td>");
		i18n_time(&sb, q->lang, db_result_double(r, i, 0), "UTC");
		strbuf_addstr(&sb, "</td>");
		for (j = 1; j < 6; j++) {
			strbuf_addstr(&sb, "<td>");
			h(&sb, db_result_get(r, i, j));
			strbuf_addstr(&sb, "</td>");
		}
		strbuf_addstr(&sb, "</tr>");
	}
	db_result_free(r);
	strbuf_addstr(&sb, "</tbody></table>");
	return respond_page(q, MHD_HTTP_OK, T("Audit log"), &sb);
}

/* Settings, second factor: turn on (a secret to enter in an
 * authenticator app, confirmed by a first code) or off. */
static page_result totp_post(struct creq *q, const char *action)
{
	struct strbuf sb = STRBUF_INIT;
	char secret[128];
	int rc;

	if (!strcmp(action, "totp-off")) {
		if (console_totp_disable(q->cs->db, q->user.name) != GRIOT_OK)
			return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
					     T("The database is unreachable; try again in a moment."));
		audit(q, "totp-off", q->user.name, NULL);
		return redirect(q, "/settings");
	}
	if (!strcmp(action, "totp-confirm")) {
		rc = console_totp_confirm(q->cs->db, q->user.name, form_get(q, "code"));
		if (rc < 0)
			return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
					     T("The database is unreachable; try again in a moment."));
		if (rc > 0)
			return respond_error(q, MHD_HTTP_BAD_REQUEST,
					     T("That code does not match: two-factor sign-in stays off."));
		audit(q, "totp-on", q->user.name, NULL);
		return redirect(q, "/settings");
	}
	if (console_totp_begin(q->cs->db, q->user.name, secret, sizeof(secret)) != 0)
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE, T("Two-factor sign-in could not start."));
	strbuf_addf(&sb, "<h1>%s</h1><section class=\"card wide\"><p>%s</p><p><code id=\"totp-secret\">%s</code></p>"
		    "<p class=\"hint\">otpauth://totp/griot:", T("Two-factor sign-in"),
		    T("Enter this key in your authenticator app (time-based, 6 digits, 30 seconds), then the code it shows."),
		    secret);
	strbuf_addurlenc(&sb, q->user.name);
	strbuf_addf(&sb, "?secret=%s&amp;issuer=griot</p><form method=\"post\" action=\"/settings\">", secret);
	secure_zero(secret, sizeof(secret));
	form_csrf_field(q, &sb);
	strbuf_addstr(&sb, "<input type=\"hidden\" name=\"action\" value=\"totp-confirm\">");
	input(&sb, T("Code"), "code", "text", NULL, "inputmode=\"numeric\" autocomplete=\"one-time-code\" required");
	strbuf_addf(&sb, "<button type=\"submit\">%s</button></form></section>", T("Turn on"));
	return respond_page(q, MHD_HTTP_OK, T("Two-factor sign-in"), &sb);
}

static page_result settings(struct creq *q)
{
	struct strbuf sb = STRBUF_INIT;
	const char *lang, *action;
	int totp;

	if (q->post) {
		if (!form_csrf_ok(q))
			return respond_error(q, MHD_HTTP_FORBIDDEN, T("This form has expired; reload the page."));
		action = form_get(q, "action");
		if (action && starts_with(action, "totp-"))
			return totp_post(q, action);
		/* "" (which a form may not even send): the browser's language */
		lang = form_get(q, "lang");
		if (!lang)
			lang = "";
		if (*lang && lang_parse(lang) < 0)
			return respond_error(q, MHD_HTTP_BAD_REQUEST, T("Unknown language."));
		if (console_user_set_lang(q->cs->db, q->user.name, *lang ? lang : NULL) != GRIOT_OK)
			return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
					     T("The database is unreachable; try again in a moment."));
		audit(q, "settings-language", q->user.name, *lang ? lang : "browser");
		return redirect(q, "/settings");
	}
	totp = console_totp_enabled(q->cs->db, q->user.name);
	strbuf_addf(&sb, "<h1>%s</h1><form method=\"post\" action=\"/settings\" class=\"card\">",
		    T("Settings"));
	form_csrf_field(q, &sb);
	strbuf_addf(&sb, "<label>%s<select name=\"lang\" id=\"f-lang\">"
		    "<option value=\"\"%s>%s</option><option value=\"fr\"%s>Français</option>"
		    "<option value=\"en\"%s>English</option></select></label>"
		    "<button type=\"submit\">%s</button></form>", T("Language"),
		    !*q->user.lang ? " selected" : "", T("The browser's language"),
		    !strcmp(q->user.lang, "fr") ? " selected" : "",
		    !strcmp(q->user.lang, "en") ? " selected" : "", T("Save"));
	strbuf_addf(&sb, "<form method=\"post\" action=\"/settings\" class=\"card\"><h2>%s</h2><p id=\"totp-state\">%s</p>",
		    T("Two-factor sign-in"), totp > 0 ? T("On: signing in asks for a code from your authenticator app.")
						      : T("Off."));
	form_csrf_field(q, &sb);
	strbuf_addf(&sb, "<input type=\"hidden\" name=\"action\" value=\"%s\">"
		    "<button type=\"submit\" id=\"totp\" class=\"secondary\">%s</button></form>",
		    totp > 0 ? "totp-off" : "totp-begin", totp > 0 ? T("Turn off") : T("Turn on"));
	return respond_page(q, MHD_HTTP_OK, T("Settings"), &sb);
}

/* ---- balance and suppression list ---- */

static page_result balance_page(struct creq *q)
{
	struct strbuf sb = STRBUF_INIT;
	struct orange_client *cl = orange_or_null(q);
	struct orange_contract *ct = NULL;
	struct orange_purchase *po = NULL;
	struct orange_error oe = ORANGE_ERROR_INIT;
	size_t nct = 0, npo = 0, i;

	strbuf_addf(&sb, "<h1>%s</h1>", T("Balance"));
	if (!cl || orange_contracts(cl, NULL, &ct, &nct, &oe) < 0) {
		strbuf_addf(&sb, "<p class=\"warn\">%s</p>", T("Orange could not be asked for the balance."));
	} else {
		strbuf_addf(&sb, "<table class=\"list\" id=\"balance\"><thead><tr><th>%s</th><th>%s</th>"
			    "<th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>",
			    T("Country"), T("Contract"), T("Units available"), T("Expires"));
		for (i = 0; i < nct; i++) {
			strbuf_addf(&sb, "<tr><td>%s</td><td>", ct[i].country);
			h(&sb, ct[i].description[0] ? ct[i].description : ct[i].contract_id);
			strbuf_addstr(&sb, "</td><td class=\"num\">");
			add_int(q, &sb, ct[i].available_units);
			strbuf_addstr(&sb, "</td><td>");
			i18n_time(&sb, q->lang, ct[i].expires_at, "UTC");
			strbuf_addstr(&sb, "</td></tr>");
		}
		strbuf_addstr(&sb, "</tbody></table>");
	}
	if (cl && orange_purchase_orders(cl, NULL, &po, &npo, &oe) == 0) {
		strbuf_addf(&sb, "<h2>%s</h2><table class=\"list\" id=\"purchases\"><thead><tr><th>%s</th>"
			    "<th>%s</th><th>%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
			    "</tr></thead><tbody>", T("Purchases"), T("Date"), T("Country"), T("Bundle"),
			    T("Units"), T("Amount"));
		for (i = 0; i < npo; i++) {
			strbuf_addstr(&sb, "<tr><td>");
			lang_iso_date(&sb, q->lang, po[i].date, false);
			strbuf_addf(&sb, "</td><td>%s</td><td>", po[i].country);
			h(&sb, po[i].description);
			strbuf_addstr(&sb, "</td><td class=\"num\">");
			if (po[i].units >= 0)
				add_int(q, &sb, po[i].units);
			strbuf_addstr(&sb, "</td><td class=\"num\">");
			lang_money(&sb, q->lang, po[i].amount, po[i].currency);
			strbuf_addstr(&sb, "</td></tr>");
		}
		strbuf_addstr(&sb, "</tbody></table>");
	}
	orange_contracts_free(ct, nct);
	orange_purchases_free(po, npo);
	orange_client_free(cl);
	orange_error_release(&oe);
	return respond_page(q, MHD_HTTP_OK, T("Balance"), &sb);
}

static page_result suppressions(struct creq *q)
{
	struct strbuf sb = STRBUF_INIT;
	struct db_result *r;
	const char *search = NULL;
	const char *p[1];
	struct suppress_counts cnt;
	int n, i;

	if (!role_at_least(q, ROLE_ADMIN))
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("Only admins manage the suppression list."));
	strbuf_addf(&sb, "<h1>%s</h1>", T("Suppression list"));
	if (q->post) {
		const char *num = form_get(q, "number"), *action = form_get(q, "action");
		char err[600] = "";
		enum griot_err rc;
		if (!form_csrf_ok(q))
			return respond_error(q, MHD_HTTP_FORBIDDEN, T("This form has expired; reload the page."));
		if (!num || !action)
			return respond_error(q, MHD_HTTP_BAD_REQUEST, T("Enter a number."));
		memset(&cnt, 0, sizeof(cnt));
		log_capture(err, sizeof(err));
		if (!strcmp(action, "remove"))
			rc = suppress_remove(q->cs->db, &num, 1, NULL, &cnt);
		else
			rc = suppress_add(q->cs->db, &num, 1, empty_null(form_get(q, "reason")), NULL, &cnt);
		log_capture(NULL, 0);
		if (rc != GRIOT_OK) {
			strbuf_addstr(&sb, "<p class=\"error\" role=\"alert\">");
			h(&sb, err);
			strbuf_addstr(&sb, "</p>");
		} else {
			audit(q, !strcmp(action, "remove") ? "suppress-remove" : "suppress-add", num, NULL);
			strbuf_addf(&sb, "<p class=\"ok\" role=\"alert\">%s</p>", T("Done."));
		}
	}
	strbuf_addstr(&sb, "<form method=\"post\" action=\"/suppressions\" class=\"card\">");
	form_csrf_field(q, &sb);
	strbuf_addstr(&sb, "<input type=\"hidden\" name=\"action\" value=\"add\">");
	input(&sb, T("Number"), "number", "text", NULL, "required placeholder=\"+22376000000\"");
	input(&sb, T("Reason (optional)"), "reason", "text", NULL, "maxlength=\"200\"");
	strbuf_addf(&sb, "<button type=\"submit\">%s</button></form>", T("Add to the list"));
	{
		const char *added = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "added");
		long v[4];
		static const char *const keys[] = { "read", "added", "already", "rejected" };
		static const char *const labels[] = { "Rows read", "Added", "Already listed", "Rejected" };
		int j;
		if (added) {
			strbuf_addf(&sb, "<div class=\"figures\" id=\"suppress-result\">");
			for (j = 0; j < 4; j++) {
				const char *a = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, keys[j]);
				if (!a || parse_long(a, 0, 1L << 40, &v[j]) < 0)
					v[j] = 0;
				strbuf_addf(&sb, "<div class=\"figure\"><span class=\"n\" id=\"s-%s\">", keys[j]);
				add_int(q, &sb, v[j]);
				strbuf_addf(&sb, "</span><span class=\"l\">%s</span></div>", T(labels[j]));
			}
			strbuf_addstr(&sb, "</div>");
		}
	}
	strbuf_addstr(&sb, "<form method=\"post\" action=\"/suppressions/upload\" enctype=\"multipart/form-data\""
		      " class=\"card\">");
	form_csrf_field(q, &sb);
	strbuf_addf(&sb, "<p class=\"hint\">%s</p><input type=\"file\" name=\"file\" id=\"f-sfile\""
		    " accept=\".csv,.txt,.tsv,.xlsx\" required> <button type=\"submit\" id=\"suppress-upload\">%s</button>"
		    "</form>", T("A file of numbers to suppress (CSV or .xlsx with a phone column)."),
		    T("Upload to the list"));
	strbuf_addf(&sb, "<form method=\"get\" action=\"/suppressions\" class=\"search\">"
		    "<input name=\"q\" placeholder=\"%s\"><button type=\"submit\" class=\"secondary\">%s</button></form>",
		    T("Search a number"), T("Search"));
	search = MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "q");
	p[0] = search ? search : "";
	n = db_query(q->cs->db, &r, "SELECT msisdn, coalesce(reason, ''), extract(epoch FROM created_at)"
		     " FROM suppressions WHERE msisdn LIKE '%' || $1 || '%' ORDER BY msisdn LIMIT 200", 1, p);
	if (n >= 0) {
		strbuf_addf(&sb, "<table class=\"list\" id=\"suppressions\"><thead><tr><th>%s</th><th>%s</th>"
			    "<th>%s</th><th></th></tr></thead><tbody>", T("Number"), T("Reason"), T("Since"));
		for (i = 0; i < n; i++) {
			strbuf_addstr(&sb, "<tr><td>");
			h(&sb, db_result_get(r, i, 0));
			strbuf_addstr(&sb, "</td><td>");
			h(&sb, db_result_get(r, i, 1));
			strbuf_addstr(&sb, "</td><td>");
			i18n_time(&sb, q->lang, db_result_double(r, i, 2), "UTC");
			strbuf_addstr(&sb, "</td><td><form method=\"post\" action=\"/suppressions\" class=\"inline\">");
			form_csrf_field(q, &sb);
			strbuf_addstr(&sb, "<input type=\"hidden\" name=\"action\" value=\"remove\">"
				      "<input type=\"hidden\" name=\"number\" value=\"");
			h(&sb, db_result_get(r, i, 0));
			strbuf_addf(&sb, "\"><button type=\"submit\" class=\"secondary\">%s</button></form></td></tr>",
				    T("Remove"));
		}
		strbuf_addstr(&sb, "</tbody></table>");
		db_result_free(r);
	}
	return respond_page(q, MHD_HTTP_OK, T("Suppression list"), &sb);
}

page_result pages_dispatch(struct creq *q)
{
	const char *url = q->url, *rest;
	long long id;

	if (!strcmp(url, "/login")) {
		if (q->post)
			return do_login(q);
		if (q->logged_in)
			return redirect(q, "/campaigns");
		return login_form(q, MHD_HTTP_OK, NULL, NULL);
	}
	if (!q->logged_in) {
		if (q->post)
			return respond_error(q, MHD_HTTP_FORBIDDEN, T("Your session has ended; please sign in again."));
		return redirect(q, "/login");
	}
	/* Every form of a signed-in user carries the session's token. */
	if (q->post && !form_csrf_ok(q)) {
		audit(q, "csrf-refused", url, NULL);
		return respond_error(q, MHD_HTTP_FORBIDDEN, T("This form has expired; reload the page."));
	}
	if (!strcmp(url, "/logout") && q->post)
		return do_logout(q);
	if (!strcmp(url, "/") )
		return redirect(q, "/campaigns");
	if (!strcmp(url, "/campaigns"))
		return campaigns_list(q);
	if (!strcmp(url, "/campaigns/new"))
		return campaign_new(q);
	if (campaign_path(url, &id, &rest))
		return campaign_route(q, id, rest);
	if (!strcmp(url, "/settings"))
		return settings(q);
	if (!strcmp(url, "/balance"))
		return balance_page(q);
	if (!strcmp(url, "/suppressions"))
		return suppressions(q);
	if (!strcmp(url, "/users") || !strcmp(url, "/audit")) {
		if (!role_at_least(q, ROLE_ADMIN))
			return respond_error(q, MHD_HTTP_FORBIDDEN, T("Only admins may see this page."));
		if (!strcmp(url, "/audit"))
			return audit_page(q);
		return q->post ? users_post(q) : users_page(q, MHD_HTTP_OK, NULL);
	}
	return respond_error(q, MHD_HTTP_NOT_FOUND, T("No such page."));
}
