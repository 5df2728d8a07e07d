/*
 * The sender's statements (sql/050) against a real PostgreSQL: one shared
 * limiter whose row owns the spacing, the Retry-After cap, answers recorded
 * without losing the batch on a unique violation and with Orange's answer
 * time, and recovery judged by the dead instance's lease and clock error.
 */
#include "campaign/sender.h"
#include "core/db.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static struct db *db;

/* val: the one value of sql as text into buf (asserted to exist). */
static const char *val(const char *sql, char *buf, size_t size)
{
	buf[0] = '\0';
	CU_ASSERT_EQUAL(db_query_value(db, buf, size, sql, 0, NULL), 1);
	return buf;
}

/* A running campaign with n pending rows; its id. */
static long long campaign(const char *name, int n)
{
	char sql[600], buf[32];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO campaigns (name, status, sender_address, template, tz)"
		 " VALUES ('%s', 'running', 'tel:+2230000', 'hi', 'Africa/Bamako') RETURNING id", name);
	val(sql, buf, sizeof(buf));
	snprintf(sql, sizeof(sql),
		 "INSERT INTO messages (campaign_id, line_no, msisdn, country, body)"
		 " SELECT %s, g, '+2237' || lpad(g::text, 7, '0'), 'MLI', 'hi'"
		 " FROM generate_series(1, %d) g", buf, n);
	CU_ASSERT_FATAL(db_exec(db, sql) == 0);
	return atoll(buf);
}

/* Finding 6: one limiter, one spacing; a huge Retry-After is capped. */
static void test_limiter(void)
{
	char buf[64];

	CU_ASSERT_FATAL(db_exec(db, "SELECT griot_limiter_for('lim5', 5)") == 0);
	/* the same rate again is fine; another rate on that limiter is refused */
	CU_ASSERT_EQUAL(db_exec(db, "SELECT griot_limiter_for('lim5', 5)"), 0);
	db_set_quiet(db, true);
	CU_ASSERT(db_exec(db, "SELECT griot_limiter_for('lim5', 10)") < 0);
	CU_ASSERT_STRING_EQUAL(db_last_sqlstate(db), "23514");
	db_set_quiet(db, false);
	CU_ASSERT_STRING_EQUAL(val("SELECT rate FROM send_rate WHERE name = 'lim5'", buf,
				   sizeof(buf)), "5");
	/* bookings use the row's spacing, whoever books */
	CU_ASSERT_STRING_EQUAL(val("SELECT round((b.spacing * 1e4)::numeric) FROM"
				   " griot_book('lim5', 3, 0) b", buf, sizeof(buf)), "2024");
	/* Retry-After: capped at 60 s, applied to the row */
	CU_ASSERT_STRING_EQUAL(val("SELECT griot_rate_backoff('lim5', 86400 * 365)", buf,
				   sizeof(buf)), "60");
	CU_ASSERT_STRING_EQUAL(val("SELECT next_slot <= clock_timestamp() + interval '61 s'"
				   " AND next_slot >= now() + interval '59 s'"
				   " FROM send_rate WHERE name = 'lim5'", buf, sizeof(buf)), "t");
	/* a tiny rate has its own row: the default limiter does not move */
	CU_ASSERT_FATAL(db_exec(db, "SELECT griot_limiter_for('tiny', 0.001)") == 0);
	CU_ASSERT_FATAL(db_exec(db, "SELECT griot_book('tiny', 100, 0)") == 0);
	CU_ASSERT_STRING_EQUAL(val("SELECT next_slot < clock_timestamp() + interval '1 minute'"
				   " FROM send_rate WHERE name = 'default'", buf, sizeof(buf)), "t");
}

/*
 * Finding 4 (second half) and 11: a batch where one resource id is already
 * on another row is recorded row by row (the others keep their answers),
 * and sent_at is the time Orange answered, not the commit.
 */
static void test_record_answers(void)
{
	long long cid = campaign("rec-ans", 3);
	char sql[900], buf[64];

	snprintf(sql, sizeof(sql),
		 "UPDATE messages SET send_status = 'sending', claimed_by = 'me', attempts = 1,"
		 " sending_at = now() WHERE campaign_id = %lld", cid);
	CU_ASSERT_FATAL(db_exec(db, sql) == 0);
	/* a receipt-settled row elsewhere already holds 'rid-x' */
	CU_ASSERT_FATAL(db_exec(db, "INSERT INTO campaigns (name, status) VALUES ('other', 'done')") == 0);
	CU_ASSERT_FATAL(db_exec(db, "INSERT INTO messages (campaign_id, msisdn, country, send_status,"
				" resource_id) SELECT id, '+22370000001', 'MLI', 'sent', 'rid-x'"
				" FROM campaigns WHERE name = 'other'") == 0);
	snprintf(sql, sizeof(sql),
		 "SELECT recorded FROM griot_record_answers('me',"
		 " (SELECT array_agg(id ORDER BY id) FROM messages WHERE campaign_id = %lld),"
		 " '{sent,sent,sent}', '{rid-a,rid-x,rid-c}', '{NULL,NULL,NULL}', '{0,0,0}',"
		 " '{0,0,0}', ARRAY[1000000000, 1000000001, 1000000002]::float8[], 1, 0.01)", cid);
	CU_ASSERT_STRING_EQUAL(val(sql, buf, sizeof(buf)), "3");
	snprintf(sql, sizeof(sql),
		 "SELECT string_agg(send_status || ':' || coalesce(resource_id, '-') || ':'"
		 " || extract(epoch from sent_at)::bigint, ' ' ORDER BY id)"
		 " FROM messages WHERE campaign_id = %lld", cid);
	CU_ASSERT_STRING_EQUAL(val(sql, buf, sizeof(buf)),
			       "sent:rid-a:1000000000 sent:-:1000000001 sent:rid-c:1000000002");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages WHERE campaign_id = %lld"
		 " AND last_error LIKE 'Orange resource id rid-x is already recorded on message %%'", cid);
	CU_ASSERT_STRING_EQUAL(val(sql, buf, sizeof(buf)), "1");
}

/*
 * Finding 8: a dead instance's rows.  Slot beyond its committed lease:
 * provably never started -> pending, even if the slot passed.  Within the
 * lease: unknown, however far ahead the slot looks on the server's clock
 * (that clock may have stepped back: tests/integration/t-send-clock.sh).
 */
static void test_recover_lease(void)
{
	long long cid = campaign("rec-lease", 4), p, u;
	char sql[900], buf[64], id[128];

	/* instance 'dead:1:1': lease ends 10 s ago, clock error 5 s */
	CU_ASSERT_FATAL(db_exec(db, "INSERT INTO sender_instances (id, started_until, clock_error)"
				" VALUES ('dead:1:1', now() - interval '10 s', 5)") == 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE messages SET send_status = 'sending', claimed_by = 'dead:1:1', attempts = 1,"
		 " sending_at = now() + CASE line_no"
		 "   WHEN 1 THEN interval '-20 s'"   /* within the lease, passed: unknown */
		 "   WHEN 2 THEN interval '-5 s'"    /* beyond the lease, passed: pending */
		 "   WHEN 3 THEN interval '1 hour'"  /* beyond: pending */
		 "   ELSE interval '-11 s' END"      /* within the lease: unknown */
		 " WHERE campaign_id = %lld", cid);
	CU_ASSERT_FATAL(db_exec(db, sql) == 0);
	CU_ASSERT_EQUAL_FATAL(sender_register(db, id, sizeof(id)), 0);
	CU_ASSERT_EQUAL(sender_recover(db, id, &p, &u), 0);
	CU_ASSERT_EQUAL(p, 2);
	CU_ASSERT_EQUAL(u, 2);
	snprintf(sql, sizeof(sql), "SELECT string_agg(send_status, ' ' ORDER BY line_no)"
		 " FROM messages WHERE campaign_id = %lld", cid);
	CU_ASSERT_STRING_EQUAL(val(sql, buf, sizeof(buf)), "unknown pending pending unknown");

	/* a lease covering everything: slots an hour ahead are unknown all
	 * the same (sql/050 sent them back to pending, trusting the clock) */
	CU_ASSERT_FATAL(db_exec(db, "INSERT INTO sender_instances (id, started_until, clock_error)"
				" VALUES ('dead:2:2', 'infinity', 0)") == 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE messages SET send_status = 'sending', claimed_by = 'dead:2:2', attempts = 1,"
		 " sending_at = now() + CASE WHEN line_no <= 2 THEN interval '2 s'"
		 "   ELSE interval '1 hour' END WHERE campaign_id = %lld", cid);
	CU_ASSERT_FATAL(db_exec(db, sql) == 0);
	CU_ASSERT_EQUAL(sender_recover(db, id, &p, &u), 0);
	CU_ASSERT_EQUAL(p, 0);
	CU_ASSERT_EQUAL(u, 4);
	CU_ASSERT_STRING_EQUAL(val("SELECT count(*) FROM sender_instances WHERE id LIKE 'dead:%'",
				   buf, sizeof(buf)), "0");
	sender_unregister(db, id);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("sender", NULL, NULL);

	TEST_ADD(s, test_limiter);
	TEST_ADD(s, test_record_answers);
	TEST_ADD(s, test_recover_lease);
}

int main(void)
{
	int rc;

	if (test_db_open(&db) < 0)
		return 1;
	rc = test_main("test-sender", reg);
	test_db_close(db);
	return rc;
}
