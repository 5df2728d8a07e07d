#include "campaign/campaign.h"
#include "campaign/gsm.h"
#include "campaign/template.h"
#include "campaign/window.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/util.h"
#include "orange/orange.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


#define CAMPAIGN_COLS \
	"SELECT id, name, status, sender_address, sender_name, template," \
	" coalesce(extract(epoch from start_at), 0)," \
	" coalesce(extract(epoch from window_start)::int / 60, -1)," \
	" coalesce(extract(epoch from window_end)::int / 60, -1)," \
	" tz, paused_reason, extract(epoch from created_at)," \
	" coalesce(extract(epoch from started_at), 0)," \
	" coalesce(extract(epoch from finished_at), 0), coalesce(window_tz, '')," \
	" array_to_string(ARRAY(SELECT z FROM campaign_window_zones(id) z ORDER BY 1), ' ')" \
	" FROM campaigns "

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* "{1,2,3}" for ids[0..n) into sb. */
static void id_array(struct strbuf *sb, const long long *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", ids[i]);
		db_array_add(sb, num);
	}
	db_array_end(sb);
}

/* The zones c's window is judged in, space-separated (sql/056
 * campaign_window_zones; zone names hold no spaces); c->tz when none. */
static void set_zones(struct campaign *c, const char *list)
{
	const char *p = list;
	size_t n = 0;

	c->zones = xcalloc(strlen(list) / 2 + 1, sizeof(*c->zones));
	while (*p) {
		size_t len = strcspn(p, " ");

		if (len && len < sizeof(*c->zones)) {
			memcpy(c->zones[n], p, len);
			c->zones[n++][len] = '\0';
		}
		p += len;
		p += strspn(p, " ");
	}
	if (n == 0)
		strlcpy_(c->zones[n++], c->tz, sizeof(*c->zones));
	c->nzones = n;
}

static int load(struct db *db, const char *sql, const char *param, struct campaign *c)
{
	struct db_result *r;
	int n = db_query(db, &r, sql, 1, &param);

	memset(c, 0, sizeof(*c));
	if (n < 0)
		return -1;
	if (n == 0) {
		db_result_free(r);
		return 1;
	}
	c->id = db_result_int(r, 0, 0);
	c->name = xstrdup(db_result_get(r, 0, 1));
	strlcpy_(c->status, db_result_get(r, 0, 2), sizeof(c->status));
	c->sender_address = dup_or_null(db_result_get(r, 0, 3));
	c->sender_name = dup_or_null(db_result_get(r, 0, 4));
	c->template = dup_or_null(db_result_get(r, 0, 5));
	c->start_at = db_result_double(r, 0, 6);
	c->window_start = (int)db_result_int(r, 0, 7);
	c->window_end = (int)db_result_int(r, 0, 8);
	strlcpy_(c->tz, db_result_get(r, 0, 9), sizeof(c->tz));
	c->paused_reason = dup_or_null(db_result_get(r, 0, 10));
	c->created_at = db_result_double(r, 0, 11);
	c->started_at = db_result_double(r, 0, 12);
	c->finished_at = db_result_double(r, 0, 13);
	strlcpy_(c->window_tz, db_result_get(r, 0, 14), sizeof(c->window_tz));
	set_zones(c, db_result_get(r, 0, 15));
	db_result_free(r);
	return 0;
}

int campaign_load(struct db *db, const char *name, struct campaign *out)
{
	return load(db, CAMPAIGN_COLS "WHERE name = $1", name, out);
}

enum griot_err campaign_find(struct db *db, const char *name, struct campaign *out)
{
	int rc = campaign_load(db, name, out);

	if (rc < 0)
		return GRIOT_ERR_DB;
	if (rc > 0) {
		error("no campaign named '%s' (see 'griot campaign list')", name);
		return GRIOT_ERR_NOINPUT;
	}
	return GRIOT_OK;
}

int campaign_load_id(struct db *db, long long id, struct campaign *out)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", id);
	return load(db, CAMPAIGN_COLS "WHERE id = $1::bigint", buf, out);
}

void campaign_release(struct campaign *c)
{
	free(c->name);
	free(c->sender_address);
	free(c->sender_name);
	free(c->template);
	free(c->paused_reason);
	free(c->zones);
	memset(c, 0, sizeof(*c));
}

int campaign_parse_time(struct db *db, const char *s, const char *tz, double *out)
{
	const char *p[2] = { s, tz ? tz : "UTC" };
	char buf[64];
	int n;

	if (!strcmp(s, "now")) {
		*out = window_now();
		return 0;
	}
	if (window_parse_utc(s, out) == 0)
		return 0;
	/* A local time is read in the campaign's zone; an explicit offset wins. */
	if (db_begin(db) < 0)
		return -1;
	db_set_quiet(db, true);
	n = db_query_value(db, buf, sizeof(buf),
			   "SELECT set_config('TimeZone', $2, true),"
			   " extract(epoch from $1::timestamptz)::text", 2, p);
	if (n > 0)
		n = db_query_value(db, buf, sizeof(buf),
				   "SELECT extract(epoch from $1::timestamptz)::text", 1, p);
	db_set_quiet(db, false);
	db_rollback(db);
	if (n <= 0 || parse_double(buf, out) < 0)
		return error("bad time '%s': expected 'now', 2026-11-25T08:00:00Z or "
			     "'2026-11-25 08:00' (local time in %s)", s, p[1]);
	return 0;
}

/* campaign_create's work: 0, or -1 after error() with *kind set. */
static int create(struct db *db, const struct campaign_spec *spec, bool *created,
		  enum griot_err *kind)
{
	char err[200], ws[24] = "", we[24] = "", startbuf[32] = "", idbuf[32];
	const char *tz = spec->tz ? spec->tz : NULL;
	const char *params[9];
	struct db_result *r = NULL;
	int wstart, wend, n;
	size_t bad;
	double start;

	*kind = GRIOT_ERR_DATA;
	*created = false;
	if (!spec->name || !*spec->name || strlen(spec->name) > 100)
		return error("campaign name must be 1 to 100 characters");
	for (const char *p = spec->name; *p; p++)
		if ((unsigned char)*p < 0x20)
			return error("campaign name must not hold control characters");
	if (!orange_tel_valid(spec->sender))
		return error("sender '%s' is not a sender address like tel:+2230000 "
			     "(tel:+, then 4 to 15 digits)", spec->sender ? spec->sender : "");
	if (!spec->message || !*spec->message)
		return error("the message is empty");
	if ((bad = utf8_check(spec->message, strlen(spec->message), false, NULL)) !=
	    strlen(spec->message))
		return error("the message is not valid UTF-8 (byte %zu); save the file as UTF-8",
			     bad + 1);
	if (template_check(spec->message, err, sizeof(err)) < 0)
		return error("message template: %s", err);
	if (spec->sender_name && !utf8_valid(spec->sender_name))
		return error("sender name is not valid UTF-8");
	if (spec->window) {
		if (window_parse(spec->window, &wstart, &wend) < 0)
			return error("window '%s' is not HH:MM-HH:MM (e.g. 08:00-20:00)", spec->window);
		snprintf(ws, sizeof(ws), "%02d:%02d", wstart / 60, wstart % 60);
		snprintf(we, sizeof(we), "%02d:%02d", wend / 60, wend % 60);
	}
	if (tz && !window_tz_valid(tz))
		return error("unknown time zone '%s' (e.g. Africa/Bamako, Africa/Abidjan, UTC)", tz);
	if (spec->window_tz && !window_tz_valid(spec->window_tz))
		return error("unknown window time zone '%s' (e.g. Africa/Bamako, UTC)",
			     spec->window_tz);
	if (spec->start) {
		if (campaign_parse_time(db, spec->start, tz ? tz : "UTC", &start) < 0)
			return -1;
		snprintf(startbuf, sizeof(startbuf), "%.3f", start);
	}
	*kind = GRIOT_ERR_DB;
	params[0] = spec->name;
	params[1] = spec->sender;
	params[2] = spec->sender_name;
	params[3] = spec->message;
	params[4] = *startbuf ? startbuf : NULL;
	params[5] = *ws ? ws : NULL;
	params[6] = *we ? we : NULL;
	params[7] = tz;
	params[8] = spec->window_tz;
	n = db_query(db, &r,
		     "INSERT INTO campaigns (name, sender_address, sender_name, template,"
		     " start_at, window_start, window_end, tz, window_tz)"
		     " VALUES ($1, $2, $3, $4, to_timestamp($5::float8), $6::time, $7::time,"
		     "         coalesce($8, 'UTC'), $9)"
		     " ON CONFLICT (name) DO UPDATE SET"
		     "  sender_address = EXCLUDED.sender_address,"
		     "  sender_name = coalesce(EXCLUDED.sender_name, campaigns.sender_name),"
		     "  template = EXCLUDED.template,"
		     "  start_at = coalesce(EXCLUDED.start_at, campaigns.start_at),"
		     "  window_start = CASE WHEN $6 IS NULL THEN campaigns.window_start ELSE EXCLUDED.window_start END,"
		     "  window_end = CASE WHEN $6 IS NULL THEN campaigns.window_end ELSE EXCLUDED.window_end END,"
		     "  tz = CASE WHEN $8 IS NULL THEN campaigns.tz ELSE EXCLUDED.tz END,"
		     "  window_tz = coalesce(EXCLUDED.window_tz, campaigns.window_tz),"
		     "  updated_at = now()"
		     " WHERE campaigns.status = 'draft'"
		     " RETURNING id, (xmax = 0)", 9, params);
	if (n < 0)
		return -1;
	if (n == 0) {
		struct campaign c;
		db_result_free(r);
		*kind = GRIOT_ERR_STATE;
		if (campaign_load(db, spec->name, &c) == 0) {
			error("campaign '%s' already exists and is %s; only a draft can be changed",
			      spec->name, c.status);
			campaign_release(&c);
			return -1;
		}
		return error("campaign '%s' could not be created", spec->name);
	}
	*created = !strcmp(db_result_get(r, 0, 1), "t");
	strlcpy_(idbuf, db_result_get(r, 0, 0), sizeof(idbuf));
	db_result_free(r);
	/* A changed template invalidates bodies rendered before. */
	params[0] = idbuf;
	if (db_query(db, NULL, "UPDATE messages SET body = NULL, encoding = NULL, segments = NULL"
		     " WHERE campaign_id = $1::bigint AND send_status = 'pending'", 1, params) < 0)
		return -1;
	return 0;
}

enum griot_err campaign_create(struct db *db, const struct campaign_spec *spec, bool *created)
{
	enum griot_err kind = GRIOT_OK;

	return create(db, spec, created, &kind) < 0 ? kind : GRIOT_OK;
}

static struct campaign_country *country_get(struct campaign_preview *pv, const char *cc)
{
	size_t i;

	for (i = 0; i < pv->ncountries; i++)
		if (!strcmp(pv->countries[i].country, cc))
			return &pv->countries[i];
	pv->countries = xrealloc(pv->countries, (pv->ncountries + 1) * sizeof(*pv->countries));
	memset(&pv->countries[pv->ncountries], 0, sizeof(*pv->countries));
	strlcpy_(pv->countries[pv->ncountries].country, cc, 4);
	pv->countries[pv->ncountries].available = -1;
	return &pv->countries[pv->ncountries++];
}

enum render_mode { RENDER_COUNT, RENDER_STORE, RENDER_STORE_FAIL };

static void add_missing(struct campaign_preview *pv, const char *field, long long line)
{
	if (!pv->missing)
		strlcpy_(pv->missing_field, field, sizeof(pv->missing_field));
	if (pv->n_missing_lines < CAMPAIGN_MAX_LINES)
		pv->missing_lines[pv->n_missing_lines++] = line;
	pv->missing++;
}

/* Render rows that have no body yet, in batches by id. */
static int render_rows(struct db *db, const struct campaign *c, enum render_mode mode,
		       struct campaign_preview *pv)
{
	struct strbuf ids = STRBUF_INIT, bodies = STRBUF_INIT, encs = STRBUF_INIT,
		segs = STRBUF_INIT, errs = STRBUF_INIT, fids = STRBUF_INIT, body = STRBUF_INIT;
	char idbuf[32], lastbuf[32] = "0";
	int ret = -1, failed = 0;

	snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
	for (;;) {
		const char *p[2] = { idbuf, lastbuf };
		struct db_result *r;
		int n, i, stored = 0;

		n = db_query(db, &r,
			     "SELECT id, coalesce(line_no, 0), msisdn, country, fields::text"
			     " FROM messages WHERE campaign_id = $1::bigint AND body IS NULL"
			     " AND send_status = 'pending' AND id > $2::bigint ORDER BY id LIMIT 2000",
			     2, p);
		if (n < 0)
			goto out;
		if (n == 0) {
			db_result_free(r);
			break;
		}
		strbuf_reset(&ids);
		strbuf_reset(&bodies);
		strbuf_reset(&encs);
		strbuf_reset(&segs);
		strbuf_reset(&fids);
		strbuf_reset(&errs);
		for (i = 0; i < n; i++) {
			const char *id = db_result_get(r, i, 0);
			char missing[130], num[16];
			struct gsm_count gc;
			int rc;

			strbuf_reset(&body);
			rc = template_render_json(c->template ? c->template : "",
						  db_result_get(r, i, 4), db_result_get(r, i, 2),
						  &body, missing, sizeof(missing));
			if (rc < 0) {
				db_result_free(r);
				goto out;
			}
			if (rc == 1) {
				char msg[200];
				long long line = db_result_int(r, i, 1);
				add_missing(pv, missing, line ? line : -db_result_int(r, i, 0));
				snprintf(msg, sizeof(msg), "template field '%s' is missing or empty "
					 "(line %lld)", missing, line);
				db_array_add(&fids, id);
				db_array_add(&errs, msg);
				continue;
			}
			if (gsm_count(body.buf, body.len, &gc) < 0) {
				db_result_free(r);
				goto out;
			}
			if (mode == RENDER_COUNT) {
				/* Stored rows are counted from the table afterwards. */
				struct campaign_country *cc = country_get(pv, db_result_get(r, i, 3));
				cc->messages++;
				cc->segments += gc.segments;
				if (gc.encoding == GSM_ENC_GSM7)
					pv->gsm7++;
				else
					pv->ucs2++;
				pv->segments += gc.segments;
				if (gc.segments > pv->max_segments)
					pv->max_segments = gc.segments;
			}
			if (!*pv->sample)
				strlcpy_(pv->sample, body.buf, sizeof(pv->sample));
			if (mode != RENDER_COUNT) {
				snprintf(num, sizeof(num), "%d", gc.segments);
				db_array_add(&ids, id);
				db_array_add(&bodies, body.buf);
				db_array_add(&encs, gsm_encoding_name(gc.encoding));
				db_array_add(&segs, num);
				stored++;
			}
		}
		strlcpy_(lastbuf, db_result_get(r, n - 1, 0), sizeof(lastbuf));
		db_result_free(r);
		db_array_end(&ids); db_array_end(&bodies); db_array_end(&encs);
		db_array_end(&segs); db_array_end(&fids); db_array_end(&errs);
		if (stored) {
			const char *q[4] = { ids.buf, bodies.buf, encs.buf, segs.buf };
			if (db_query(db, NULL,
				     "UPDATE messages m SET body = v.b, encoding = v.e, segments = v.s,"
				     " updated_at = now()"
				     " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[])"
				     "  AS v(id, b, e, s)"
				     " WHERE m.id = v.id AND m.body IS NULL AND m.send_status = 'pending'",
				     4, q) < 0)
				goto out;
		}
		if (mode == RENDER_STORE_FAIL && fids.len > 2) {
			const char *q[2] = { fids.buf, errs.buf };
			int k = db_query(db, NULL,
					 "UPDATE messages m SET send_status = 'failed', last_error = v.e,"
					 " updated_at = now()"
					 " FROM unnest($1::bigint[], $2::text[]) AS v(id, e)"
					 " WHERE m.id = v.id AND m.send_status = 'pending'", 2, q);
			if (k < 0)
				goto out;
			failed += k;
		}
		if (n < 2000)
			break;
	}
	ret = mode == RENDER_STORE_FAIL ? failed : 0;
out:
	strbuf_release(&ids); strbuf_release(&bodies); strbuf_release(&encs);
	strbuf_release(&segs); strbuf_release(&errs); strbuf_release(&fids);
	strbuf_release(&body);
	return ret;
}

int campaign_fail_unrenderable(struct db *db, const struct campaign *c)
{
	struct campaign_preview pv;
	int n;

	memset(&pv, 0, sizeof(pv));
	n = render_rows(db, c, RENDER_STORE_FAIL, &pv);
	if (n > 0)
		warning("campaign '%s': %d message(s) failed: template field '%s' missing "
			"(first at line %lld)", c->name, n, pv.missing_field,
			pv.n_missing_lines ? pv.missing_lines[0] : 0);
	campaign_preview_release(&pv);
	return n;
}

static int count_statuses(struct db *db, const char *idbuf, struct campaign_preview *pv)
{
	struct db_result *r;
	int n, i, k;

	n = db_query(db, &r, "SELECT send_status, count(*) FROM messages"
		     " WHERE campaign_id = $1::bigint GROUP BY 1", 1, &idbuf);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < MSG_STATUS_NR; k++)
			if (!strcmp(db_result_get(r, i, 0), msg_status_names[k])) {
				pv->send[k] = db_result_int(r, i, 1);
				pv->total += pv->send[k];
			}
	db_result_free(r);
	n = db_query(db, &r, "SELECT coalesce(delivery_status, 'none'), count(*) FROM messages"
		     " WHERE campaign_id = $1::bigint GROUP BY 1", 1, &idbuf);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < DLV_STATUS_NR; k++)
			if (!strcmp(db_result_get(r, i, 0), dlv_status_names[k]))
				pv->delivery[k] = db_result_int(r, i, 1);
	db_result_free(r);
	return 0;
}

static void check_credit(struct orange_client *client, struct campaign_preview *pv, double now)
{
	struct orange_contract *ct = NULL;
	struct orange_error err = ORANGE_ERROR_INIT;
	size_t n = 0, i, j;

	if (orange_contracts(client, NULL, &ct, &n, &err) < 0) {
		if (err.kind == ORANGE_ERR_NETWORK || err.kind == ORANGE_ERR_SERVER)
			snprintf(pv->credit_error, sizeof(pv->credit_error),
				 "Orange is unreachable (%s): credit not checked", err.message);
		else
			snprintf(pv->credit_error, sizeof(pv->credit_error),
				 "cannot read the contracts from Orange (%s: %s): credit not checked",
				 orange_err_name(err.kind), err.message);
		orange_error_release(&err);
		return;
	}
	pv->credit_checked = true;
	for (i = 0; i < pv->ncountries; i++) {
		struct campaign_country *cc = &pv->countries[i];

		cc->available = 0;
		for (j = 0; j < n; j++) {
			if (strcmp(ct[j].country, cc->country))
				continue;
			if (!orange_contract_spendable(&ct[j], now))
				continue; /* expired units cannot be spent */
			cc->available += orange_contract_spendable(&ct[j], now);
			if (ct[j].expires_at > 0 &&
			    (!cc->expires_at || ct[j].expires_at < cc->expires_at)) {
				cc->expires_at = ct[j].expires_at;
				strlcpy_(cc->expires, ct[j].expires, sizeof(cc->expires));
			}
		}
		if (cc->available < cc->segments) {
			cc->short_credit = true;
			pv->credit_short = true;
		}
	}
	orange_contracts_free(ct, n);
}

int campaign_preview(struct db *db, const struct campaign *c, struct orange_client *client,
		     bool store, double rate, struct campaign_preview *pv)
{
	struct db_result *r;
	char idbuf[32], buf[64];
	long long remaining = 0;
	double now = window_now();
	int n, i;

	memset(pv, 0, sizeof(*pv));
	snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
	if (render_rows(db, c, store ? RENDER_STORE : RENDER_COUNT, pv) < 0)
		return -1;
	const char *p[1] = { idbuf };
	n = db_query(db, &r,
		     "SELECT country, encoding, count(*), sum(segments), max(segments)"
		     " FROM messages WHERE campaign_id = $1::bigint AND body IS NOT NULL"
		     " AND " MSG_OPEN_SQL("send_status") " GROUP BY 1, 2", 1, p);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct campaign_country *cc = country_get(pv, db_result_get(r, i, 0));
		long long cnt = db_result_int(r, i, 2), seg = db_result_int(r, i, 3);

		cc->messages += cnt;
		cc->segments += seg;
		pv->segments += seg;
		if (!strcmp(db_result_get(r, i, 1), "GSM7"))
			pv->gsm7 += cnt;
		else
			pv->ucs2 += cnt;
		if (db_result_int(r, i, 4) > pv->max_segments)
			pv->max_segments = db_result_int(r, i, 4);
	}
	db_result_free(r);
	if (!*pv->sample && db_query_value(db, pv->sample, sizeof(pv->sample),
			"SELECT body FROM messages WHERE campaign_id = $1::bigint"
			" AND body IS NOT NULL ORDER BY id LIMIT 1", 1, p) < 0)
		return -1;
	n = db_query(db, &r, "SELECT country, reason FROM campaign_country_holds"
		     " WHERE campaign_id = $1::bigint ORDER BY country", 1, p);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct campaign_country *cc = country_get(pv, db_result_get(r, i, 0));
		cc->held = true;
		strlcpy_(cc->hold_reason, db_result_get(r, i, 1), sizeof(cc->hold_reason));
	}
	db_result_free(r);
	if (count_statuses(db, idbuf, pv) < 0)
		return -1;
	if (rate <= 0) {
		if (db_query_value(db, buf, sizeof(buf),
				   "SELECT rate FROM send_rate WHERE name = 'default'", 0, NULL) < 0)
			return -1;
		if (parse_double(buf, &rate) < 0 || rate <= 0)
			rate = 5;
	}
	pv->rate = rate;
	remaining = pv->send[MSG_PENDING] + pv->send[MSG_SENDING];
	if (remaining > 0 && !campaign_finished(CAMPAIGN_STATUS(c->status))) {
		pv->est_start = c->start_at > now ? c->start_at : now;
		pv->est_finish = window_finish(pv->est_start, (double)remaining / rate,
					       c->window_start, c->window_end,
					       c->nzones ? c->zones[0] : c->tz);
		if (pv->est_finish < 0)
			pv->est_finish = 0;
	}
	if (client && pv->segments > 0) {
		check_credit(client, pv, now);
		for (size_t k = 0; k < pv->ncountries; k++) {
			struct campaign_country *cc = &pv->countries[k];
			if (cc->expires_at > 0 && pv->est_finish > cc->expires_at && cc->segments > 0)
				cc->expires_first = true;
		}
	} else if (!client) {
		snprintf(pv->credit_error, sizeof(pv->credit_error),
			 "credit not checked (no Orange credentials)");
	}
	return 0;
}

void campaign_preview_release(struct campaign_preview *pv)
{
	free(pv->countries);
	memset(pv, 0, sizeof(*pv));
}

void campaign_format_time(const struct campaign *c, double t, char *buf, size_t size)
{
	window_format(t, c->tz, buf, size);
}

static void iso_utc(double t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void window_text(const struct campaign *c, char *buf, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (c->window_start < 0) {
		snprintf(buf, size, "any time");
		return;
	}
	strbuf_addf(&sb, "%02d:%02d-%02d:%02d ", c->window_start / 60, c->window_start % 60,
		    c->window_end / 60, c->window_end % 60);
	if (*c->window_tz) {
		strbuf_addstr(&sb, c->window_tz);
	} else {
		strbuf_addstr(&sb, "recipients' local time (");
		for (i = 0; i < c->nzones; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", c->zones[i]);
		strbuf_addstr(&sb, ")");
	}
	strlcpy_(buf, sb.buf, size);
	strbuf_release(&sb);
}

void campaign_preview_print(const struct campaign *c, const struct campaign_preview *pv)
{
	char tbuf[64], wbuf[400];
	size_t i;
	int k;

	printf("campaign  %s (%s)\n", c->name, c->status);
	if (c->paused_reason && !strcmp(c->status, "paused"))
		printf("paused    %s\n", c->paused_reason);
	printf("sender    %s%s%s%s\n", c->sender_address ? c->sender_address : "(not set)",
	       c->sender_name ? " \"" : "", c->sender_name ? c->sender_name : "",
	       c->sender_name ? "\"" : "");
	if (c->start_at > 0) {
		campaign_format_time(c, c->start_at, tbuf, sizeof(tbuf));
		printf("start     %s\n", tbuf);
	}
	window_text(c, wbuf, sizeof(wbuf));
	printf("window    %s\n", wbuf);
	printf("message   %s\n", c->template ? c->template : "(not set)");
	if (*pv->sample)
		printf("sample    %s\n", pv->sample);
	printf("\nrecipients %lld:", pv->total);
	for (k = 0; k < MSG_STATUS_NR; k++)
		printf(" %s %lld%s", msg_status_names[k], pv->send[k],
		       k < MSG_STATUS_NR - 1 ? "," : "\n");
	printf("delivery  ");
	for (k = 0; k < DLV_STATUS_NR; k++)
		printf(" %s %lld%s", dlv_status_names[k], pv->delivery[k],
		       k < DLV_STATUS_NR - 1 ? "," : "\n");
	printf("to send   %lld messages (GSM-7 %lld, UCS-2 %lld), %lld units, "
	       "at most %lld per message\n", pv->gsm7 + pv->ucs2, pv->gsm7, pv->ucs2,
	       pv->segments, pv->max_segments);
	if (pv->missing) {
		printf("MISSING   %lld message(s) use field '%s' (or another) that is missing or "
		       "empty; lines:", pv->missing, pv->missing_field);
		for (i = 0; i < pv->n_missing_lines; i++)
			printf(" %lld", pv->missing_lines[i]);
		printf("%s\n", (long long)pv->n_missing_lines < pv->missing ? " ..." : "");
	}
	if (pv->ncountries) {
		printf("\n%-8s %10s %10s %10s  %s\n", "country", "messages", "units", "available",
		       "status");
		for (i = 0; i < pv->ncountries; i++) {
			const struct campaign_country *cc = &pv->countries[i];
			char avail[32];

			if (cc->available >= 0)
				snprintf(avail, sizeof(avail), "%lld", cc->available);
			else
				snprintf(avail, sizeof(avail), "?");
			printf("%-8s %10lld %10lld %10s  %s%s%s%s%s\n", cc->country, cc->messages,
			       cc->segments, avail,
			       cc->held ? "HELD: " : "", cc->held ? cc->hold_reason : "",
			       cc->short_credit ? (cc->held ? "; SHORT of credit" : "SHORT of credit") :
			       (pv->credit_checked && !cc->held ? "ok" : ""),
			       cc->expires_first ? "; expires before the estimated finish: " : "",
			       cc->expires_first ? cc->expires : "");
		}
	}
	if (!pv->credit_checked && *pv->credit_error)
		printf("credit    %s\n", pv->credit_error);
	if (pv->est_finish > 0) {
		campaign_format_time(c, pv->est_finish, tbuf, sizeof(tbuf));
		printf("estimate  %s at %.4g messages/s, inside the window\n", tbuf, pv->rate);
	}
}

void campaign_preview_json(struct json_gen *g, const struct campaign *c,
			   const struct campaign_preview *pv)
{
	char tbuf[64];
	size_t i;
	int k;

	json_map_open(g);
	json_kv_str(g, "name", c->name);
	json_kv_str(g, "status", c->status);
	json_kv_str(g, "paused_reason", c->paused_reason);
	json_kv_str(g, "sender", c->sender_address);
	json_kv_str(g, "sender_name", c->sender_name);
	json_kv_str(g, "message", c->template);
	json_kv_str(g, "sample", *pv->sample ? pv->sample : NULL);
	json_key(g, "start_at");
	if (c->start_at > 0) {
		iso_utc(c->start_at, tbuf, sizeof(tbuf));
		json_str(g, tbuf);
	} else {
		json_null(g);
	}
	json_key(g, "window");
	if (c->window_start >= 0) {
		snprintf(tbuf, sizeof(tbuf), "%02d:%02d-%02d:%02d", c->window_start / 60,
			 c->window_start % 60, c->window_end / 60, c->window_end % 60);
		json_str(g, tbuf);
	} else {
		json_null(g);
	}
	json_kv_str(g, "tz", c->tz);
	json_kv_str(g, "window_tz", *c->window_tz ? c->window_tz : NULL);
	json_key(g, "window_zones");
	json_array_open(g);
	for (i = 0; i < c->nzones; i++)
		json_str(g, c->zones[i]);
	json_array_close(g);
	json_kv_int(g, "total", pv->total);
	json_key(g, "send");
	json_map_open(g);
	for (k = 0; k < MSG_STATUS_NR; k++)
		json_kv_int(g, msg_status_names[k], pv->send[k]);
	json_map_close(g);
	json_key(g, "delivery");
	json_map_open(g);
	for (k = 0; k < DLV_STATUS_NR; k++)
		json_kv_int(g, dlv_status_names[k], pv->delivery[k]);
	json_map_close(g);
	json_key(g, "preview");
	json_map_open(g);
	json_kv_int(g, "messages", pv->gsm7 + pv->ucs2);
	json_kv_int(g, "gsm7", pv->gsm7);
	json_kv_int(g, "ucs2", pv->ucs2);
	json_kv_int(g, "units", pv->segments);
	json_kv_int(g, "max_segments", pv->max_segments);
	json_kv_int(g, "missing", pv->missing);
	json_kv_str(g, "missing_field", pv->missing ? pv->missing_field : NULL);
	json_key(g, "missing_lines");
	json_array_open(g);
	for (i = 0; i < pv->n_missing_lines; i++)
		json_int(g, pv->missing_lines[i]);
	json_array_close(g);
	json_kv_bool(g, "credit_checked", pv->credit_checked);
	json_kv_str(g, "credit_error", pv->credit_checked ? NULL : pv->credit_error);
	json_kv_bool(g, "credit_short", pv->credit_short);
	json_kv_double(g, "rate", pv->rate);
	json_key(g, "estimated_finish");
	if (pv->est_finish > 0) {
		iso_utc(pv->est_finish, tbuf, sizeof(tbuf));
		json_str(g, tbuf);
	} else {
		json_null(g);
	}
	json_key(g, "countries");
	json_array_open(g);
	for (i = 0; i < pv->ncountries; i++) {
		const struct campaign_country *cc = &pv->countries[i];

		json_map_open(g);
		json_kv_str(g, "country", cc->country);
		json_kv_int(g, "messages", cc->messages);
		json_kv_int(g, "units", cc->segments);
		json_key(g, "available");
		if (cc->available >= 0)
			json_int(g, cc->available);
		else
			json_null(g);
		json_kv_str(g, "expires", *cc->expires ? cc->expires : NULL);
		json_kv_bool(g, "short", cc->short_credit);
		json_kv_bool(g, "expires_before_finish", cc->expires_first);
		json_kv_bool(g, "held", cc->held);
		json_kv_str(g, "hold_reason", cc->held ? cc->hold_reason : NULL);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);
	json_map_close(g);
}

static int set_status(struct db *db, struct campaign *c, const char *sql,
		      int nparams, const char *const *extra, const char *newstatus)
{
	const char *p[4];
	char idbuf[32];
	int i, n;

	snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
	p[0] = idbuf;
	for (i = 0; i < nparams - 1 && i < 3; i++)
		p[i + 1] = extra[i];
	n = db_query(db, NULL, sql, nparams, p);
	if (n < 0)
		return -1;
	if (n == 0)
		return 1;
	strlcpy_(c->status, newstatus, sizeof(c->status));
	return 0;
}

/* A draft with a sender and a message: GRIOT_OK, else GRIOT_ERR_STATE after error(). */
static enum griot_err schedule_ready(const struct campaign *c)
{
	if (strcmp(c->status, "draft")) {
		error("campaign '%s' is %s: only a draft can be scheduled", c->name, c->status);
		return GRIOT_ERR_STATE;
	}
	if (!c->sender_address || !c->template) {
		error("campaign '%s' has no sender or message yet: run 'griot campaign "
		      "create %s --sender tel:+... --message ...' first", c->name, c->name);
		return GRIOT_ERR_STATE;
	}
	return GRIOT_OK;
}

int campaign_schedule(struct db *db, struct campaign *c, double start_at)
{
	char sbuf[32];
	const char *extra[1] = { sbuf };
	int rc;

	if (schedule_ready(c) != GRIOT_OK)
		return -1;
	snprintf(sbuf, sizeof(sbuf), "%.3f", start_at);
	rc = set_status(db, c, "UPDATE campaigns SET status = 'scheduled',"
			" start_at = to_timestamp($2::float8), paused_reason = NULL, updated_at = now()"
			" WHERE id = $1::bigint AND status = 'draft'", 2, extra, "scheduled");
	if (rc == 1)
		return error("campaign '%s' changed status meanwhile", c->name);
	if (rc == 0)
		c->start_at = start_at;
	return rc;
}

/* The lines a missing template field was found on, for the error. */
static void missing_lines_text(const struct campaign_preview *pv, struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < pv->n_missing_lines; i++)
		strbuf_addf(sb, "%s%lld", i ? ", " : "", pv->missing_lines[i]);
	if ((long long)pv->n_missing_lines < pv->missing)
		strbuf_addstr(sb, ", ...");
}

/* Credit per country for schedule: GRIOT_OK, or GRIOT_ERR_CREDIT after error(). */
static enum griot_err schedule_credit(const struct campaign *c, const struct campaign_preview *pv,
				      bool partial)
{
	size_t i;

	if (!pv->credit_checked) {
		if (!partial) {
			error("campaign '%s': %s; not scheduled (--allow-partial schedules anyway)",
			      c->name, pv->credit_error);
			return GRIOT_ERR_CREDIT;
		}
		warning("%s; scheduling anyway (--allow-partial)", pv->credit_error);
	}
	for (i = 0; i < pv->ncountries; i++) {
		const struct campaign_country *cc = &pv->countries[i];
		if (cc->short_credit && partial)
			warning("%s: %lld units needed, %lld available; that country will be held "
				"when it runs out", cc->country, cc->segments, cc->available);
		else if (cc->short_credit)
			error("%s: %lld units needed, %lld available", cc->country, cc->segments,
			      cc->available);
		if (cc->expires_first)
			warning("%s: the contract expires (%s) before the estimated finish",
				cc->country, cc->expires);
	}
	if (pv->credit_short && !partial) {
		error("campaign '%s': not enough credit; buy units or use --allow-partial", c->name);
		return GRIOT_ERR_CREDIT;
	}
	return GRIOT_OK;
}

enum griot_err campaign_schedule_checked(struct db *db, struct campaign *c,
					 const struct campaign_schedule_opts *o,
					 struct campaign_preview *pv, double *start_at)
{
	enum griot_err e;

	memset(pv, 0, sizeof(*pv));
	if ((e = schedule_ready(c)) != GRIOT_OK)
		return e;
	if (o->start) {
		if (campaign_parse_time(db, o->start, c->tz, start_at) < 0)
			return GRIOT_ERR_USAGE;
	} else {
		*start_at = c->start_at > 0 ? c->start_at : window_now();
	}
	if (campaign_preview(db, c, o->client, true, 0, pv) < 0)
		return GRIOT_ERR_DB;
	if (!o->client)
		snprintf(pv->credit_error, sizeof(pv->credit_error), "credit not checked: %s",
			 o->no_client_why ? o->no_client_why : "no Orange client");
	if (pv->total == 0) {
		error("campaign '%s' has no recipients: import a CSV first", c->name);
		return GRIOT_ERR_DATA;
	}
	if (pv->missing) {
		struct strbuf sb = STRBUF_INIT;
		missing_lines_text(pv, &sb);
		error("campaign '%s': %lld message(s) use template field '%s' (or another) that is "
		      "missing or empty; lines %s; fix the CSV or the message, nothing was scheduled",
		      c->name, pv->missing, pv->missing_field, sb.buf);
		strbuf_release(&sb);
		return GRIOT_ERR_DATA;
	}
	if ((e = schedule_credit(c, pv, o->allow_partial)) != GRIOT_OK)
		return e;
	if (campaign_schedule(db, c, *start_at) < 0)
		return GRIOT_ERR_DB;
	return GRIOT_OK;
}

/* The error of a status change that found c in another status: GRIOT_ERR_STATE. */
static enum griot_err changed_meanwhile(const struct campaign *c)
{
	error("campaign '%s' changed status meanwhile", c->name);
	return GRIOT_ERR_STATE;
}

enum griot_err campaign_pause(struct db *db, struct campaign *c, const char *reason)
{
	int rc;

	if (!campaign_active(CAMPAIGN_STATUS(c->status))) {
		error("campaign '%s' is %s: only a scheduled or running campaign can be paused",
		      c->name, c->status);
		return GRIOT_ERR_STATE;
	}
	rc = campaign_pause_systemic(db, c->id, reason ? reason : "operator", NULL, 0);
	if (rc < 0)
		return GRIOT_ERR_DB;
	if (rc == 0)
		return changed_meanwhile(c);
	strlcpy_(c->status, campaign_status_names[CAMPAIGN_PAUSED], sizeof(c->status));
	return GRIOT_OK;
}

int campaign_pause_systemic(struct db *db, long long id, const char *reason,
			    const long long *requeue, size_t nrequeue)
{
	struct strbuf ids = STRBUF_INIT;
	char idbuf[32], got[8];
	const char *p[3] = { idbuf, reason, NULL };
	int n;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	id_array(&ids, requeue, nrequeue);
	p[2] = ids.buf;
	n = db_query_value(db, got, sizeof(got),
			   "SELECT campaign_pause($1::bigint, $2, $3::bigint[])", 3, p);
	strbuf_release(&ids);
	if (n < 0)
		return -1;
	return !strcmp(got, "t");
}

enum griot_err campaign_retry_failed(struct db *db, const struct campaign *c, const char *match,
				     long long *n)
{
	char idbuf[32], buf[32];
	const char *p[2] = { idbuf, match };

	*n = 0;
	if (!strcmp(c->status, "draft") || !strcmp(c->status, "cancelled")) {
		error("campaign '%s' is %s: nothing to retry", c->name, c->status);
		return GRIOT_ERR_STATE;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
	if (db_query_value(db, buf, sizeof(buf),
			   "SELECT campaign_retry_failed($1::bigint, $2)", 2, p) < 0)
		return GRIOT_ERR_DB;
	*n = atoll(buf);
	return GRIOT_OK;
}

long long campaign_resend_unknown(struct db *db, const char *name)
{
	const char *p[1] = { name };
	char buf[32];

	/* Those with a receipt were accepted after all: never again. */
	if (db_query_value(db, buf, sizeof(buf),
			   "WITH r AS (UPDATE messages SET send_status = 'pending', claimed_by = NULL,"
			   " next_attempt_at = NULL, sending_at = NULL,"
			   " last_error = 'resent on request after: ' || coalesce(last_error, 'unknown'),"
			   " updated_at = now()"
			   " WHERE campaign_id = (SELECT id FROM campaigns WHERE name = $1)"
			   " AND send_status = 'unknown' AND delivery_status IS NULL RETURNING 1),"
			   " c AS (UPDATE campaigns SET status = 'running', finished_at = NULL,"
			   " updated_at = now() WHERE name = $1 AND status = 'done'"
			   " AND EXISTS (SELECT 1 FROM r))"
			   " SELECT count(*) FROM r", 1, p) < 0)
		return -1;
	return atoll(buf);
}

enum griot_err campaign_resume(struct db *db, struct campaign *c, int *holds_cleared)
{
	char idbuf[32];
	const char *p[1] = { idbuf };
	int n, rc = 0, st = CAMPAIGN_STATUS(c->status);

	*holds_cleared = 0;
	if (st != CAMPAIGN_PAUSED && !campaign_active(st)) {
		error("campaign '%s' is %s: nothing to resume", c->name, c->status);
		return GRIOT_ERR_STATE;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
	if (db_begin(db) < 0)
		return GRIOT_ERR_DB;
	n = db_query(db, NULL, "DELETE FROM campaign_country_holds WHERE campaign_id = $1::bigint",
		     1, p);
	if (n < 0)
		goto fail;
	*holds_cleared = n;
	if (st == CAMPAIGN_PAUSED) {
		rc = set_status(db, c, "UPDATE campaigns SET status = CASE WHEN started_at IS NULL"
				" THEN 'scheduled' ELSE 'running' END, paused_reason = NULL,"
				" updated_at = now() WHERE id = $1::bigint AND status = 'paused'",
				1, NULL, c->started_at > 0 ? "running" : "scheduled");
		if (rc < 0)
			goto fail;
	}
	if (db_commit(db) < 0)
		return GRIOT_ERR_DB;
	return GRIOT_OK; /* rc 1: resumed meanwhile by someone else */
fail:
	db_rollback(db);
	return GRIOT_ERR_DB;
}

enum griot_err campaign_cancel(struct db *db, struct campaign *c)
{
	int rc;

	if (campaign_finished(CAMPAIGN_STATUS(c->status))) {
		error("campaign '%s' is already %s", c->name, c->status);
		return GRIOT_ERR_STATE;
	}
	rc = set_status(db, c, "UPDATE campaigns SET status = 'cancelled', updated_at = now(),"
			" finished_at = now() WHERE id = $1::bigint AND NOT "
			CAMPAIGN_FINISHED_SQL("status"), 1, NULL, "cancelled");
	if (rc < 0)
		return GRIOT_ERR_DB;
	return rc == 1 ? changed_meanwhile(c) : GRIOT_OK;
}

enum griot_err campaign_sendable(const struct campaign *c, bool resend_unknown, bool *finished)
{
	*finished = false;
	switch (CAMPAIGN_STATUS(c->status)) {
	case CAMPAIGN_DRAFT:
		error("campaign '%s' is a draft: 'griot campaign schedule %s' first", c->name, c->name);
		return GRIOT_ERR_STATE;
	case CAMPAIGN_CANCELLED:
		error("campaign '%s' is cancelled", c->name);
		return GRIOT_ERR_STATE;
	case CAMPAIGN_PAUSED:
		error("campaign '%s' is paused (%s): 'griot campaign resume %s' first", c->name,
		      c->paused_reason ? c->paused_reason : "operator", c->name);
		return GRIOT_ERR_TEMPFAIL;
	case CAMPAIGN_DONE:
		*finished = !resend_unknown;
		return GRIOT_OK;
	default:
		return GRIOT_OK;
	}
}

#define CAMPAIGN_CHANNEL "griot_campaign"

int campaign_session_init(struct db *db)
{
	char off[64];
	const char *p[1] = { off };

	snprintf(off, sizeof(off), "%.6f", window_now() - time_now());
	if (db_query(db, NULL, "SELECT set_config('griot.window_offset', $1, false)", 1, p) < 0)
		return -1;
	return db_listen(db, CAMPAIGN_CHANNEL);
}

int campaign_work_left(struct db *db, const long long *ids, size_t n, struct campaign_work *w)
{
	struct strbuf sb = STRBUF_INIT;
	struct db_result *r;
	const char *p[1];
	int rc;

	id_array(&sb, ids, n);
	p[0] = sb.buf;
	rc = db_query_cached(db, &r, "SELECT claimable, coalesce(next_retry, -1), sending"
			     " FROM campaign_work_left($1::bigint[])", 1, p);
	strbuf_release(&sb);
	if (rc < 0)
		return -1;
	w->claimable = !strcmp(db_result_get(r, 0, 0), "t");
	w->next_retry = db_result_double(r, 0, 1);
	if (w->next_retry < 0)
		w->next_retry = -1;
	w->sending = !strcmp(db_result_get(r, 0, 2), "t");
	db_result_free(r);
	return 0;
}

long long campaign_open_count(struct db *db, const long long *ids, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[32];
	const char *p[1];
	int rc;

	id_array(&sb, ids, n);
	p[0] = sb.buf;
	rc = db_query_value(db, buf, sizeof(buf), "SELECT campaign_open_count($1::bigint[])", 1, p);
	strbuf_release(&sb);
	return rc < 0 ? -1 : atoll(buf);
}

int campaign_change_parse(const char *channel, const char *payload, long long *id,
			  enum campaign_status *status)
{
	char st[32];

	if (strcmp(channel, CAMPAIGN_CHANNEL))
		return 0;       /* another module's channel on a shared connection */
	if (sscanf(payload, "%lld %31s", id, st) != 2 || CAMPAIGN_STATUS(st) < 0) {
		warning("ignoring a malformed notification on %s: '%s'", channel, payload);
		return 0;
	}
	*status = (enum campaign_status)CAMPAIGN_STATUS(st);
	return 1;
}

int campaign_in_window(const struct campaign *c, double t, bool *inside, double *next)
{
	const char *one = c->tz;
	double first_open = INFINITY, last_close = -INFINITY;
	size_t i, n = c->nzones ? c->nzones : 1;

	*inside = false;
	for (i = 0; i < n; i++) {
		const char *tz = c->nzones ? c->zones[i] : one;
		double o, cl;

		if (window_find(t, c->window_start, c->window_end, tz, &o, &cl) < 0)
			return -1;
		if (o <= t && t < cl) {
			*inside = true;
			if (cl > last_close)
				last_close = cl;
		} else if (o < first_open) {
			first_open = o;
		}
	}
	if (next)
		*next = *inside ? last_close : first_open;
	return 0;
}

int campaign_due(const struct campaign *c, double now, enum campaign_due *due, double *when)
{
	bool inside;
	double next;

	if (campaign_in_window(c, now, &inside, &next) < 0)
		return -1;
	if (CAMPAIGN_STATUS(c->status) == CAMPAIGN_SCHEDULED && c->start_at > now) {
		*due = CAMPAIGN_NOT_DUE;
		*when = c->start_at;
	} else {
		*due = inside ? CAMPAIGN_DUE : CAMPAIGN_OUTSIDE_WINDOW;
		*when = next;
	}
	return 0;
}

int campaign_start_if_due(struct db *db, struct campaign *c, double now, bool *started)
{
	enum campaign_due due;
	double when;
	int rc;

	*started = false;
	if (CAMPAIGN_STATUS(c->status) != CAMPAIGN_SCHEDULED)
		return 0;
	if (campaign_due(c, now, &due, &when) < 0)
		return -1;
	if (due != CAMPAIGN_DUE)
		return 0;
	rc = set_status(db, c, "UPDATE campaigns SET status = 'running',"
			" started_at = coalesce(started_at, now()), updated_at = now()"
			" WHERE id = $1::bigint AND status = 'scheduled'", 1, NULL, "running");
	if (rc < 0)
		return -1;
	if (rc == 1) {
		/* Another sender started (or paused) it first: take its status. */
		char idbuf[32], st[16];
		const char *p[1] = { idbuf };

		snprintf(idbuf, sizeof(idbuf), "%lld", c->id);
		if (db_query_value(db, st, sizeof(st), "SELECT status FROM campaigns WHERE id = $1::bigint",
				   1, p) < 0)
			return -1;
		strlcpy_(c->status, st, sizeof(c->status));
	}
	*started = rc == 0;
	if (rc == 0 && !c->started_at)
		c->started_at = time_now();
	return 0;
}

int campaign_finish_if_done(struct db *db, long long id)
{
	char idbuf[32];
	const char *p[1] = { idbuf };

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	return db_query(db, NULL,
			"UPDATE campaigns SET status = 'done', finished_at = now(), updated_at = now()"
			" WHERE id = $1::bigint AND status = 'running' AND NOT EXISTS"
			" (SELECT 1 FROM messages WHERE campaign_id = $1::bigint"
			"  AND " MSG_OPEN_SQL("send_status") ")", 1, p);
}

int campaign_hold_country(struct db *db, long long id, const char *country, const char *reason)
{
	char idbuf[32];
	const char *p[3] = { idbuf, country, reason };

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	return db_query(db, NULL,
			"INSERT INTO campaign_country_holds (campaign_id, country, reason)"
			" VALUES ($1::bigint, $2, $3) ON CONFLICT DO NOTHING", 3, p);
}
