/* campaign/: templates, GSM-7/UCS-2 segments, windows, slot booking, recovery. */
#include "campaign/campaign.h"
#include "campaign/gsm.h"
#include "campaign/sender.h"
#include "campaign/template.h"
#include "campaign/window.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static struct db *db;

static int count(const char *text, struct gsm_count *gc)
{
	return gsm_count(text, strlen(text), gc);
}

static void repeat(struct strbuf *sb, const char *s, int n)
{
	strbuf_reset(sb);
	while (n--)
		strbuf_addstr(sb, s);
}

static void test_gsm_basic(void)
{
	struct gsm_count gc;

	CU_ASSERT_EQUAL(count("", &gc), 0);
	CU_ASSERT_EQUAL(gc.segments, 0);
	CU_ASSERT_EQUAL(count("Bonjour Awa, votre code est 1234.", &gc), 0);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_GSM7);
	CU_ASSERT_EQUAL(gc.segments, 1);
	/* é è à ù ì ò Ç ñ ü ß £ ¥ ¤ § ¿ ¡ Δ are in the GSM-7 basic table */
	CU_ASSERT_EQUAL(count("éèàùìòÇñüß£¥¤§¿¡ΔΩ", &gc), 0);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_GSM7);
	CU_ASSERT_EQUAL(gc.units, 18);
	/* ç (lower case), ê, â, î, ô are not: UCS-2 */
	CU_ASSERT_EQUAL(count("Reçu", &gc), 0);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_UCS2);
	CU_ASSERT_EQUAL(count("fête", &gc), 0);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_UCS2);
	CU_ASSERT_EQUAL(gc.units, 4);
	/* extension table: two septets each */
	CU_ASSERT_EQUAL(count("{}[]~\\|^€", &gc), 0);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_GSM7);
	CU_ASSERT_EQUAL(gc.units, 18);
	/* invalid UTF-8 is refused */
	CU_ASSERT_EQUAL(gsm_count("a\xC3", 2, &gc), -1);
	CU_ASSERT_EQUAL(gsm_count("\xC0\xAF", 2, &gc), -1); /* overlong '/' */
	CU_ASSERT_EQUAL(gsm_count("\xED\xA0\x80", 3, &gc), -1); /* surrogate */
}

static void test_gsm_segments(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct gsm_count gc;

	repeat(&sb, "a", 160);
	CU_ASSERT_EQUAL(count(sb.buf, &gc), 0);
	CU_ASSERT_EQUAL(gc.segments, 1);
	repeat(&sb, "a", 161);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 2);
	repeat(&sb, "a", 306);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 2);
	repeat(&sb, "a", 307);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 3);
	/* 159 'a' + '€' = 161 septets: two parts */
	repeat(&sb, "a", 159);
	strbuf_addstr(&sb, "€");
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.units, 161);
	CU_ASSERT_EQUAL(gc.segments, 2);
	/* 158 'a' + '€' = 160: one */
	repeat(&sb, "a", 158);
	strbuf_addstr(&sb, "€");
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 1);
	/* an escape pair is not split: 152 'a' + '€' + 152 'a' = 306 septets,
	 * but the € cannot straddle parts 1 and 2, so it takes three */
	repeat(&sb, "a", 152);
	strbuf_addstr(&sb, "€");
	for (int i = 0; i < 152; i++)
		strbuf_addch(&sb, 'a');
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.units, 306);
	CU_ASSERT_EQUAL(gc.segments, 3);
	/* UCS-2: 70 in one, 67 per part */
	repeat(&sb, "ê", 70);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.encoding, GSM_ENC_UCS2);
	CU_ASSERT_EQUAL(gc.segments, 1);
	repeat(&sb, "ê", 71);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 2);
	repeat(&sb, "ê", 134);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 2);
	repeat(&sb, "ê", 135);
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.segments, 3);
	/* outside the BMP: a surrogate pair, two units, never split */
	repeat(&sb, "ê", 66);
	strbuf_addstr(&sb, "😀");
	strbuf_addstr(&sb, "ê");
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.units, 69);
	CU_ASSERT_EQUAL(gc.segments, 1);
	repeat(&sb, "ê", 66);
	strbuf_addstr(&sb, "😀");
	for (int i = 0; i < 4; i++)
		strbuf_addstr(&sb, "ê");
	count(sb.buf, &gc);
	CU_ASSERT_EQUAL(gc.units, 72);
	CU_ASSERT_EQUAL(gc.segments, 2);
	strbuf_release(&sb);
}

static void test_template(void)
{
	struct strbuf sb = STRBUF_INIT;
	char err[128], missing[64];

	CU_ASSERT_EQUAL(template_check("Bonjour {{ prenom }}, {{phone}}", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(template_check("Bonjour {{prenom", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unclosed"));
	CU_ASSERT_EQUAL(template_check("Bonjour {{}}", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(template_render_json("Bonjour {{ prenom }}, solde {{Solde}} F ({{phone}})",
					     "{\"prenom\":\"Awa\",\"solde\":\"1 500\"}",
					     "+22370000001", &sb, missing, sizeof(missing)), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "Bonjour Awa, solde 1 500 F (+22370000001)");
	strbuf_reset(&sb);
	CU_ASSERT_EQUAL(template_render_json("Bonjour {{prenom}} {{nom}}", "{\"prenom\":\"Awa\"}",
					     "+22370000001", &sb, missing, sizeof(missing)), 1);
	CU_ASSERT_STRING_EQUAL(missing, "nom");
	strbuf_reset(&sb);
	/* an empty value is a hole too */
	CU_ASSERT_EQUAL(template_render_json("Bonjour {{prenom}}", "{\"prenom\":\"\"}",
					     "+22370000001", &sb, missing, sizeof(missing)), 1);
	strbuf_reset(&sb);
	/* a value is inserted as is, never re-expanded */
	CU_ASSERT_EQUAL(template_render_json("x {{a}} y", "{\"a\":\"{{b}}\"}", "+1", &sb,
					     missing, sizeof(missing)), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "x {{b}} y");
	strbuf_release(&sb);
}

static void test_window(void)
{
	int ws, we;
	double t, o, c;

	CU_ASSERT_EQUAL(window_parse("08:00-20:00", &ws, &we), 0);
	CU_ASSERT_EQUAL(ws, 480);
	CU_ASSERT_EQUAL(we, 1200);
	CU_ASSERT_EQUAL(window_parse("8:00-20:00", &ws, &we), -1);
	CU_ASSERT_EQUAL(window_parse("08:00-25:00", &ws, &we), -1);
	CU_ASSERT_EQUAL(window_parse("08:00-08:00", &ws, &we), -1);
	CU_ASSERT(window_tz_valid("Africa/Bamako"));
	CU_ASSERT(!window_tz_valid("Africa/Nowhere"));
	CU_ASSERT(!window_tz_valid("../etc/passwd"));

	/* Lagos is UTC+1: 07:59Z is 08:59 local, inside 08:00-20:00 */
	CU_ASSERT_EQUAL(window_parse_utc("2026-11-25T07:59:00Z", &t), 0);
	CU_ASSERT_EQUAL(window_find(t, 480, 1200, "Africa/Lagos", &o, &c), 0);
	CU_ASSERT(o <= t && t < c);
	CU_ASSERT_DOUBLE_EQUAL(o, t - 59 * 60, 0.5);            /* 07:00Z */
	CU_ASSERT_DOUBLE_EQUAL(c, t + 11 * 3600 + 60, 0.5);     /* 19:00Z */
	/* 19:30Z is 20:30 local: the next window opens tomorrow 07:00Z */
	window_parse_utc("2026-11-25T19:30:00Z", &t);
	window_find(t, 480, 1200, "Africa/Lagos", &o, &c);
	CU_ASSERT(o > t);
	CU_ASSERT_DOUBLE_EQUAL(o - t, 11.5 * 3600, 0.5);
	/* a window across midnight, 20:00-02:00 Bamako (UTC) */
	window_parse_utc("2026-11-25T01:00:00Z", &t);
	window_find(t, 1200, 120, "Africa/Bamako", &o, &c);
	CU_ASSERT(o <= t && t < c);
	CU_ASSERT_DOUBLE_EQUAL(c - t, 3600, 0.5);
	window_parse_utc("2026-11-25T03:00:00Z", &t);
	window_find(t, 1200, 120, "Africa/Bamako", &o, &c);
	CU_ASSERT_DOUBLE_EQUAL(o - t, 17 * 3600, 0.5);
	/* DST: New York on 2026-03-08 has a 23-hour day; 09:00 local is 13:00Z */
	window_parse_utc("2026-03-08T12:00:00Z", &t);
	window_find(t, 540, 1020, "America/New_York", &o, &c);
	CU_ASSERT_DOUBLE_EQUAL(o - t, 3600, 0.5);
	/* no window: always open */
	CU_ASSERT_EQUAL(window_find(t, -1, -1, "UTC", &o, &c), 0);
	CU_ASSERT(isinf(o) && isinf(c));

	/* finish: 13 h of sending from 07:00Z in a 12 h window ends next day 08:00Z */
	window_parse_utc("2026-11-25T07:00:00Z", &t);
	o = window_finish(t, 13 * 3600, 480, 1200, "Africa/Lagos");
	window_parse_utc("2026-11-26T08:00:00Z", &c);
	CU_ASSERT_DOUBLE_EQUAL(o, c, 0.5);
}

static void test_clock(void)
{
	double t, now;

	setenv("GRIOT_NOW", "2026-11-25T07:59:00Z", 1);
	window_parse_utc("2026-11-25T07:59:00Z", &t);
	now = window_now();
	CU_ASSERT(now >= t && now < t + 5);
	unsetenv("GRIOT_NOW");
}

/* Two connections book slots concurrently: never closer than the spacing. */
static void test_slot_booking(void)
{
	struct db *db2;
	struct db_result *r;
	double slots[400];
	int n = 0, i, k, bad = 0;
	const char *p[1] = { "0.01" };

	CU_ASSERT_FATAL(db_connect(test_db_conninfo(), &db2) == 0);
	CU_ASSERT_FATAL(db_exec(db, "INSERT INTO send_rate (name, rate) VALUES ('t', 100)") == 0);
	for (i = 0; i < 40; i++) {
		struct db *d = i % 2 ? db2 : db;
		int kk = 1 + i % 7;
		char kbuf[8];
		const char *q[2] = { kbuf, p[0] };

		snprintf(kbuf, sizeof(kbuf), "%d", kk);
		CU_ASSERT_EQUAL_FATAL(db_query(d, &r,
			"SELECT extract(epoch from griot_book_slots('t', $1::int, $2::float8, 0))",
			2, q), 1);
		for (k = 0; k < kk && n < 400; k++)
			slots[n++] = db_result_double(r, 0, 0) + k * 0.01;
		db_result_free(r);
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++)
			if (i != k && fabs(slots[i] - slots[k]) < 0.01 - 1e-6)
				bad++;
	CU_ASSERT_EQUAL(bad, 0);
	/* a 429 pushes every later booking past the pause */
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT griot_rate_backoff('t', 30)", 0, NULL), 1);
	CU_ASSERT_EQUAL(db_query(db2, &r, "SELECT extract(epoch from griot_book_slots('t', 1, 0.01, 0)"
				 " - now())", 0, NULL), 1);
	CU_ASSERT(db_result_double(r, 0, 0) >= 29);
	db_result_free(r);
	CU_ASSERT_EQUAL(db_query(db2, &r, "SELECT griot_book_slots('t', 0, 0.01, 0) IS NULL",
				 0, NULL), 1);
	CU_ASSERT_STRING_EQUAL(db_result_get(r, 0, 0), "t");
	db_result_free(r);
	db_close(db2);
	/* the spacing is the limiter's: one function of its rate */
	CU_ASSERT_EQUAL_FATAL(db_query(db, &r, "SELECT griot_rate_spacing(5)", 0, NULL), 1);
	CU_ASSERT(fabs(db_result_double(r, 0, 0) - 0.2024) < 1e-6);
	db_result_free(r);
}

static long long setup_campaign(const char *name, int n, const char *tpl)
{
	struct campaign_spec spec;
	struct strbuf sb = STRBUF_INIT;
	struct campaign c;
	bool created;
	long long id;

	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.sender = "tel:+2230000";
	spec.message = tpl;
	spec.tz = "Africa/Bamako";
	CU_ASSERT_FATAL(campaign_create(db, &spec, &created) == GRIOT_OK);
	CU_ASSERT(created);
	CU_ASSERT_FATAL(campaign_load(db, name, &c) == 0);
	id = c.id;
	strbuf_addf(&sb, "INSERT INTO messages (campaign_id, line_no, msisdn, country, fields)"
		    " SELECT %lld, g + 1, '+2237' || lpad(g::text, 7, '0'), 'MLI',"
		    " CASE WHEN g %% 10 = 3 THEN '{}'::jsonb ELSE jsonb_build_object('name', 'Awa' || g) END"
		    " FROM generate_series(1, %d) g", id, n);
	CU_ASSERT_FATAL(db_exec(db, sb.buf) == 0);
	strbuf_release(&sb);
	campaign_release(&c);
	return id;
}

static void test_preview_and_lifecycle(void)
{
	struct campaign c;
	struct campaign_preview pv;
	struct campaign_spec spec;
	bool created;

	setup_campaign("prev", 30, "Bonjour {{name}} €");
	CU_ASSERT_FATAL(campaign_load(db, "prev", &c) == 0);
	CU_ASSERT_EQUAL(campaign_preview(db, &c, NULL, false, 5, &pv), 0);
	CU_ASSERT_EQUAL(pv.total, 30);
	CU_ASSERT_EQUAL(pv.missing, 3);                 /* g = 3, 13, 23 */
	CU_ASSERT_EQUAL(pv.n_missing_lines, 3);
	CU_ASSERT_EQUAL(pv.missing_lines[0], 4);        /* line_no = g + 1 */
	CU_ASSERT_STRING_EQUAL(pv.missing_field, "name");
	CU_ASSERT_EQUAL(pv.gsm7, 27);
	CU_ASSERT_EQUAL(pv.segments, 27);
	CU_ASSERT_EQUAL(pv.ncountries, 1);
	CU_ASSERT_EQUAL(pv.countries[0].segments, 27);
	CU_ASSERT(pv.est_finish > pv.est_start);
	CU_ASSERT_STRING_EQUAL(pv.sample, "Bonjour Awa1 €");
	campaign_preview_release(&pv);
	/* nothing stored by a preview */
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE body IS NOT NULL", 0, NULL), 0);
	CU_ASSERT_EQUAL(campaign_preview(db, &c, NULL, true, 5, &pv), 0);
	CU_ASSERT_EQUAL(pv.gsm7, 27);               /* counted once, not twice */
	campaign_preview_release(&pv);
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE body IS NOT NULL", 0, NULL), 27);
	/* the unrenderable ones fail with the field named, never sent empty */
	CU_ASSERT_EQUAL(campaign_fail_unrenderable(db, &c), 3);
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE send_status = 'failed'"
				 " AND last_error LIKE '%field ''name''%line 4%'", 0, NULL), 1);
	/* lifecycle */
	CU_ASSERT_EQUAL(campaign_pause(db, &c, "x"), GRIOT_ERR_STATE);   /* draft */
	CU_ASSERT_EQUAL(campaign_schedule(db, &c, window_now() + 3600), 0);
	CU_ASSERT_STRING_EQUAL(c.status, "scheduled");
	memset(&spec, 0, sizeof(spec));
	spec.name = "prev";
	spec.sender = "tel:+2230000";
	spec.message = "changed";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_STATE);  /* not a draft */
	CU_ASSERT_EQUAL(campaign_pause(db, &c, "operator"), 0);
	CU_ASSERT_STRING_EQUAL(c.status, "paused");
	{
		int cleared;
		CU_ASSERT_EQUAL(campaign_hold_country(db, c.id, "MLI", "no credit"), 1);
		CU_ASSERT_EQUAL(campaign_resume(db, &c, &cleared), 0);
		CU_ASSERT_EQUAL(cleared, 1);
		CU_ASSERT_STRING_EQUAL(c.status, "scheduled");  /* never started */
	}
	CU_ASSERT_EQUAL(campaign_cancel(db, &c), GRIOT_OK);
	CU_ASSERT_EQUAL(campaign_cancel(db, &c), GRIOT_ERR_STATE);
	campaign_release(&c);

	/* validation */
	spec.name = "bad";
	spec.sender = "tel:2230000";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_DATA);
	spec.sender = "tel:+2230000";
	spec.message = "x {{y";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_DATA);
	spec.message = "ok";
	spec.window = "8-20";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_DATA);
	spec.window = NULL;
	spec.tz = "Mars/Olympus";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_DATA);
	spec.tz = NULL;
	spec.message = "caf\xC3";
	CU_ASSERT_EQUAL(campaign_create(db, &spec, &created), GRIOT_ERR_DATA);
	CU_ASSERT_EQUAL(campaign_load(db, "bad", &c), 1);    /* nothing half-written */
}

/*
 * Rows left 'sending' by a dead instance with no lease row: unknown, even a
 * slot an hour ahead (the server's clock may have stepped back); a live
 * instance's rows are untouched.
 */
static void test_recovery(void)
{
	struct db *other;
	char id[128];
	long long p, u, cid;
	char sql[600];

	cid = setup_campaign("rec", 6, "hi {{phone}}");
	snprintf(sql, sizeof(sql),
		 "UPDATE messages SET body = 'hi', send_status = 'sending', attempts = 1,"
		 " claimed_by = CASE WHEN line_no <= 4 THEN 'dead:1:0' ELSE 'alive' END,"
		 " sending_at = CASE WHEN line_no <= 2 THEN now() + interval '1 hour'"
		 "   ELSE now() - interval '1 second' END WHERE campaign_id = %lld", cid);
	CU_ASSERT_FATAL(db_exec(db, sql) == 0);
	/* 'alive' holds its lock on another connection */
	CU_ASSERT_FATAL(db_connect(test_db_conninfo(), &other) == 0);
	CU_ASSERT_EQUAL(db_query(other, NULL, "SELECT pg_advisory_lock(4720020, hashtext('alive'))",
				 0, NULL), 1);
	CU_ASSERT_EQUAL(sender_register(db, id, sizeof(id)), 0);
	CU_ASSERT_EQUAL(sender_recover(db, id, &p, &u), 0);
	CU_ASSERT_EQUAL(p, 0);
	CU_ASSERT_EQUAL(u, 3);
	snprintf(sql, sizeof(sql), "SELECT send_status, count(*) FROM messages WHERE campaign_id = %lld"
		 " AND ((send_status = 'pending' AND claimed_by IS NULL AND attempts = 0)"
		 "  OR (send_status = 'unknown' AND last_error LIKE '%%may have accepted%%')"
		 "  OR (send_status = 'sending' AND claimed_by = 'alive'))"
		 " GROUP BY 1 ORDER BY 1", cid);
	{
		struct db_result *r;
		CU_ASSERT_EQUAL_FATAL(db_query(db, &r, sql, 0, NULL), 2);
		/* the live instance's rows are untouched, until it dies */
		CU_ASSERT_STRING_EQUAL(db_result_get(r, 0, 0), "sending");
		CU_ASSERT_EQUAL(db_result_int(r, 0, 1), 3);
		CU_ASSERT_STRING_EQUAL(db_result_get(r, 1, 0), "unknown");
		CU_ASSERT_EQUAL(db_result_int(r, 1, 1), 3);
		db_result_free(r);
	}
	db_close(other);
	/* its backend may take a moment to go: wait for the lock to be free */
	for (int i = 0; i < 500; i++) {
		CU_ASSERT_EQUAL(sender_recover(db, id, &p, &u), 0);
		if (u)
			break;
		time_sleep(0.01);
	}
	CU_ASSERT_EQUAL(u, 3);
	sender_unregister(db, id);
}

/* The next campaign status change received on db: 1, 0 none yet, -1. */
static int next_change(struct db *d, long long *id, enum campaign_status *st)
{
	char chan[64], payload[64];
	int rc;

	while ((rc = db_next_notify(d, chan, sizeof(chan), payload, sizeof(payload))) > 0)
		if (campaign_change_parse(chan, payload, id, st))
			return 1;
	return rc;
}

/*
 * A systemic pause: the campaign pauses with the reason, the failed rows
 * the breaker lists go back to pending (only those, only if failed), every
 * listener hears of it without a query, and retry-failed requeues the rest.
 */
static void test_pause_systemic(void)
{
	struct db *other;
	struct campaign c;
	long long id = setup_campaign("sysp", 10, "Hi"), got_id = 0, ids[3], n = -1;
	enum campaign_status st = CAMPAIGN_DRAFT;
	char buf[64];
	int i, rc = 0;

	CU_ASSERT_FATAL(db_connect(test_db_conninfo(), &other) == 0);
	CU_ASSERT_EQUAL(campaign_session_init(other), 0);
	CU_ASSERT_EQUAL(next_change(other, &got_id, &st), 0);
	CU_ASSERT_FATAL(db_exec(db, "UPDATE campaigns SET status = 'running' WHERE name = 'sysp'") == 0);
	CU_ASSERT_FATAL(db_exec(db, "UPDATE messages SET send_status = 'failed', attempts = 1,"
				" last_error = 'invalid HTTP 400: senderName' WHERE campaign_id ="
				" (SELECT id FROM campaigns WHERE name = 'sysp') AND line_no <= 6") == 0);
	/* ids of lines 2, 3 (failed) and 7 (pending: left alone); lines run from 2 */
	for (i = 0; i < 3; i++) {
		char q[160];
		snprintf(q, sizeof(q), "SELECT id FROM messages WHERE campaign_id = %lld AND line_no = %d",
			 id, i < 2 ? i + 2 : 7);
		CU_ASSERT_FATAL(db_query_value(db, buf, sizeof(buf), q, 0, NULL) == 1);
		ids[i] = atoll(buf);
	}
	CU_ASSERT_EQUAL(campaign_pause_systemic(db, id, "Orange refused senderName", ids, 3), 1);
	CU_ASSERT_EQUAL(campaign_pause_systemic(db, id, "again", ids, 0), 0);  /* already paused */
	CU_ASSERT_FATAL(campaign_load(db, "sysp", &c) == 0);
	CU_ASSERT_STRING_EQUAL(c.status, "paused");
	CU_ASSERT_STRING_EQUAL(c.paused_reason, "Orange refused senderName");
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE send_status = 'failed'"
				 " AND campaign_id = (SELECT id FROM campaigns WHERE name = 'sysp')",
				 0, NULL), 3);
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE send_status = 'pending'"
				 " AND attempts = 0 AND last_error LIKE 'requeued (campaign paused%'",
				 0, NULL), 2);
	/* the listener hears it as soon as it arrives, without a query */
	for (i = 0; i < 500 && rc == 0; i++) {
		rc = next_change(other, &got_id, &st);
		if (rc == 0 || (rc == 1 && st != CAMPAIGN_PAUSED)) {
			rc = 0;
			time_sleep(0.01);
		}
	}
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL(got_id, id);
	CU_ASSERT_EQUAL(st, CAMPAIGN_PAUSED);
	/* retry-failed: only the matching ones, then all; a cancelled campaign refuses */
	CU_ASSERT_EQUAL(campaign_retry_failed(db, &c, "no such text", &n), GRIOT_OK);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(campaign_retry_failed(db, &c, "senderName", &n), GRIOT_OK);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(db_query(db, NULL, "SELECT 1 FROM messages WHERE send_status = 'failed'"
				 " AND campaign_id = (SELECT id FROM campaigns WHERE name = 'sysp')",
				 0, NULL), 0);
	CU_ASSERT_EQUAL(campaign_cancel(db, &c), 0);
	CU_ASSERT_EQUAL(campaign_retry_failed(db, &c, NULL, &n), GRIOT_ERR_STATE);
	campaign_release(&c);
	db_close(other);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("campaign", NULL, NULL);

	TEST_ADD(s, test_gsm_basic);
	TEST_ADD(s, test_gsm_segments);
	TEST_ADD(s, test_template);
	TEST_ADD(s, test_window);
	TEST_ADD(s, test_clock);
	TEST_ADD(s, test_slot_booking);
	TEST_ADD(s, test_preview_and_lifecycle);
	TEST_ADD(s, test_recovery);
	TEST_ADD(s, test_pause_systemic);
}

int main(void)
{
	int ret;

	if (test_db_open(&db) < 0)
		return 2;
	ret = test_main("test-campaign", reg);
	test_db_close(db);
	return ret;
}
