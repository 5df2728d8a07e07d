/*
 * The claim rule (sql/056 griot_claim_candidates): per recipient country,
 * costing the same whatever the number of held rows (issue 10, finding
 * 2), windows in each recipient's zone (finding 10), nothing for a paused
 * campaign (finding 3).
 */
#include "campaign/campaign.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct db *db;

#define HELD_ROWS 500000

/* The rule of the claim on main before sql/056, for comparison. */
static const char old_rule[] =
	"SELECT m.id FROM messages m"
	" WHERE m.campaign_id = $1::bigint AND m.send_status = 'pending'"
	"   AND m.body IS NOT NULL"
	"   AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())"
	"   AND NOT EXISTS (SELECT 1 FROM campaign_country_holds h"
	"                    WHERE h.campaign_id = m.campaign_id AND h.country = m.country)"
	"   AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = m.campaign_id AND k.status = 'running')"
	" ORDER BY m.id LIMIT $2::int FOR UPDATE OF m SKIP LOCKED";

static long long mk_campaign(const char *name, const char *window, const char *window_tz)
{
	char buf[32];
	const char *p[3] = { name, window, window_tz };

	CU_ASSERT_FATAL(db_query_value(db, buf, sizeof(buf),
		"INSERT INTO campaigns (name, status, sender_address, template, window_start,"
		" window_end, window_tz) VALUES ($1, 'running', 'tel:+2230000', 'x',"
		" split_part($2, '-', 1)::time, split_part($2, '-', 2)::time, $3) RETURNING id",
		3, p) == 1);
	return atoll(buf);
}

static void add_rows(long long id, const char *country, const char *prefix, int n)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "INSERT INTO messages (campaign_id, msisdn, country, body)"
		    " SELECT %lld, '+%s' || lpad(g::text, 7, '0'), '%s', 'hi'"
		    " FROM generate_series(1, %d) g", id, prefix, country, n);
	CU_ASSERT_FATAL(db_exec(db, sb.buf) == 0);
	strbuf_release(&sb);
}

/* Shared buffers (hit + read) a statement touches, from EXPLAIN ANALYZE, in a
 * transaction rolled back (the claim locks and nothing else changes). */
static long buffers_of(const char *sql, long long id, int k)
{
	struct strbuf q = STRBUF_INIT;
	char idb[32], kb[16], plan[8192];
	const char *p[2] = { idb, kb };
	const char *s;
	long total = 0;

	snprintf(idb, sizeof(idb), "%lld", id);
	snprintf(kb, sizeof(kb), "%d", k);
	strbuf_addf(&q, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) %s", sql);
	CU_ASSERT_FATAL(db_begin(db) == 0);
	CU_ASSERT_FATAL(db_query_value(db, plan, sizeof(plan), q.buf, 2, p) == 1);
	db_rollback(db);
	strbuf_release(&q);
	/* the top node's counters come first and include its children */
	s = strstr(plan, "\"Shared Hit Blocks\": ");
	if (s)
		total += atol(s + 21);
	s = strstr(plan, "\"Shared Read Blocks\": ");
	if (s)
		total += atol(s + 22);
	return total;
}

static int claim_count(long long id, const char *country)
{
	struct strbuf q = STRBUF_INIT;
	char buf[32];
	int n;

	strbuf_addf(&q, "SELECT count(*) FROM griot_claim_candidates(%lld, 50) c"
		    " JOIN messages m ON m.id = c WHERE ($1::text IS NULL OR m.country = $1)", id);
	CU_ASSERT_FATAL(db_begin(db) == 0);
	n = db_query_value(db, buf, sizeof(buf), q.buf, 1, &country);
	db_rollback(db);
	strbuf_release(&q);
	return n == 1 ? atoi(buf) : -1;
}

static void set_now(const char *iso)
{
	char q[200];

	snprintf(q, sizeof(q), "SELECT set_config('griot.window_offset',"
		 " extract(epoch FROM '%s'::timestamptz - now())::text, false)", iso);
	CU_ASSERT_FATAL(db_exec(db, q) == 0);
}

/*
 * 500,000 rows of a held country come first: the old rule reads them all
 * for every claim; the per-country rule reads a handful of pages, as many
 * as with no held rows.
 */
static void test_claim_cost_with_held_rows(void)
{
	long long id = mk_campaign("held", "00:00-00:00", NULL);
	long held_old, held_new, none_new;

	add_rows(id, "MLI", "2237", HELD_ROWS);
	add_rows(id, "SEN", "2217", 1000);
	CU_ASSERT_FATAL(db_exec(db, "VACUUM ANALYZE messages") == 0);
	none_new = buffers_of("SELECT * FROM griot_claim_candidates($1::bigint, $2::int)", id, 5);
	CU_ASSERT_FATAL(campaign_hold_country(db, id, "MLI", "no credit") == 1);
	held_new = buffers_of("SELECT * FROM griot_claim_candidates($1::bigint, $2::int)", id, 5);
	held_old = buffers_of(old_rule, id, 5);
	printf("\n    buffers per claim: old rule %ld, per country %ld (%ld with none held)\n",
	       held_old, held_new, none_new);
	/* 500,000 held rows are thousands of pages: never walked */
	CU_ASSERT(held_new < 100);
	CU_ASSERT(held_new <= none_new + 20);
	CU_ASSERT(held_old > 20 * held_new);   /* what finding 2 measured */
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 0);
	CU_ASSERT_EQUAL(claim_count(id, "SEN"), 50);
	/* paused: nothing, whatever is pending */
	CU_ASSERT_FATAL(db_exec(db, "UPDATE campaigns SET status = 'paused' WHERE name = 'held'") == 0);
	CU_ASSERT_EQUAL(claim_count(id, NULL), 0);
	CU_ASSERT_FATAL(db_exec(db, "DELETE FROM messages WHERE campaign_id = (SELECT id FROM"
				" campaigns WHERE name = 'held')") == 0);
}

/*
 * One campaign, 08:00-20:00, to Mali (Africa/Bamako, UTC+0) and Egypt
 * (Africa/Cairo, UTC+2, UTC+3 in summer): each recipient in their own
 * local time; a window_tz overrides it for everyone.
 */
static void test_two_country_window(void)
{
	long long id = mk_campaign("two", "08:00-20:00", NULL);
	struct campaign c;
	bool inside;
	double next;

	add_rows(id, "MLI", "2237", 10);
	add_rows(id, "EGY", "2010", 10);
	set_now("2026-11-25T18:30:00Z");       /* Bamako 18:30, Cairo 20:30 */
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 10);
	CU_ASSERT_EQUAL(claim_count(id, "EGY"), 0);
	set_now("2026-11-25T06:30:00Z");       /* Bamako 06:30, Cairo 08:30 */
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 0);
	CU_ASSERT_EQUAL(claim_count(id, "EGY"), 10);
	set_now("2026-11-25T17:30:00Z");       /* winter: Cairo 19:30 */
	CU_ASSERT_EQUAL(claim_count(id, "EGY"), 10);
	set_now("2026-07-15T17:30:00Z");       /* summer (DST): Cairo 20:30 */
	CU_ASSERT_EQUAL(claim_count(id, "EGY"), 0);
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 10);
	set_now("2026-11-25T19:59:57Z");       /* Bamako: 3 s before it closes */
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 0);   /* slots would fall after 20:00 */
	set_now("2026-11-25T19:59:50Z");
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 10);
	set_now("2026-11-25T21:00:00Z");       /* night everywhere */
	CU_ASSERT_EQUAL(claim_count(id, NULL), 0);
	{
		struct campaign_work w;
		CU_ASSERT_EQUAL(campaign_work_left(db, &id, 1, &w), 0);
		CU_ASSERT_FALSE(w.claimable);
	}
	/* the campaign-level view: inside while one country is, zones listed */
	CU_ASSERT_FATAL(campaign_load(db, "two", &c) == 0);
	CU_ASSERT_EQUAL(c.nzones, 2);
	CU_ASSERT_EQUAL(campaign_in_window(&c, 1795588200.0 /* 2026-11-25T06:30Z */, &inside, &next), 0);
	CU_ASSERT(inside);
	CU_ASSERT_EQUAL(next, 1795629600.0);  /* 20:00 Cairo (Bamako opens later) */
	campaign_release(&c);
	/* Mali's rows all claimed by a sender: still judged in Bamako too */
	CU_ASSERT_FATAL(db_exec(db, "UPDATE messages SET send_status = 'sending' WHERE country = 'MLI'"
				" AND campaign_id = (SELECT id FROM campaigns WHERE name = 'two')") == 0);
	CU_ASSERT_FATAL(campaign_load(db, "two", &c) == 0);
	CU_ASSERT_EQUAL(c.nzones, 2);
	campaign_release(&c);
	CU_ASSERT_FATAL(db_exec(db, "UPDATE messages SET send_status = 'pending' WHERE country = 'MLI'"
				" AND campaign_id = (SELECT id FROM campaigns WHERE name = 'two')") == 0);
	/* override: everyone in Cairo time */
	CU_ASSERT_FATAL(db_exec(db, "UPDATE campaigns SET window_tz = 'Africa/Cairo' WHERE name = 'two'") == 0);
	set_now("2026-11-25T06:30:00Z");
	CU_ASSERT_EQUAL(claim_count(id, "MLI"), 10);
	CU_ASSERT_EQUAL(claim_count(id, "EGY"), 10);
	CU_ASSERT_FATAL(db_exec(db, "SELECT set_config('griot.window_offset', '', false)") == 0);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("claim", NULL, NULL);

	TEST_ADD(s, test_two_country_window);
	TEST_ADD(s, test_claim_cost_with_held_rows);
}

int main(void)
{
	int ret;

	if (test_db_open(&db) < 0)
		return 2;
	ret = test_main("test-claim", reg);
	test_db_close(db);
	return ret;
}
