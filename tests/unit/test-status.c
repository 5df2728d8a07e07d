/*
 * core/status.h against sql/: the names and keys defined once on each
 * side must not drift apart.  The status lists equal the CHECK
 * constraints of the tables, the lock keys equal what griot_lock_*()
 * return, no function in the schema writes a lock key as a literal
 * instead of calling griot_lock_*(), and the rules on the lists
 * (campaign_active, campaign_finished, dlv_delivered, the receipt ranks) give the same
 * answer in C and in SQL for every status.
 */
#include "core/db.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "receiver/dr-parse.h"
#include "tests/lib/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct db *db;

/* The names quoted in the CHECK constraint of table.column, sorted, joined by ','. */
static void sql_check_names(const char *table, const char *column, char *buf, size_t size)
{
	const char *p[2] = { table, column };

	CU_ASSERT_EQUAL(db_query_value(db, buf, size,
		"SELECT string_agg(m[1], ',' ORDER BY m[1] COLLATE \"C\")"
		" FROM pg_constraint c, regexp_matches(pg_get_constraintdef(c.oid),"
		"  '''([A-Za-z_]+)''', 'g') m"
		" WHERE c.conrelid = $1::regclass AND c.contype = 'c'"
		"  AND pg_get_constraintdef(c.oid) LIKE '%' || $2 || '%'", 2, p), 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* names[0..n), sorted, joined by ','. */
static void c_names(const char *const *names, int n, struct strbuf *sb)
{
	const char *v[16];
	int i;

	CU_ASSERT_FATAL(n <= 16);
	memcpy(v, names, (size_t)n * sizeof(*v));
	qsort(v, (size_t)n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%s", i ? "," : "", v[i]);
}

static void check_list(const char *table, const char *column, const char *const *names, int n)
{
	struct strbuf want = STRBUF_INIT;
	char got[512] = "";

	c_names(names, n, &want);
	sql_check_names(table, column, got, sizeof(got));
	if (strcmp(got, want.buf))
		fprintf(stderr, "%s.%s: SQL has {%s}, core/status.h {%s}\n", table, column, got,
			want.buf);
	CU_ASSERT_STRING_EQUAL(got, want.buf);
	strbuf_release(&want);
}

static void test_status_lists(void)
{
	check_list("messages", "send_status", msg_status_names, MSG_STATUS_NR);
	/* DLV_NONE is SQL NULL: the receipt statuses are those before it. */
	check_list("messages", "delivery_status", dlv_status_names, DLV_RECEIPT_NR);
	check_list("campaigns", "status", campaign_status_names, CAMPAIGN_STATUS_NR);
}

static void test_lock_keys(void)
{
	char buf[64];

	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf), "SELECT griot_lock_sender()", 0, NULL), 1);
	CU_ASSERT_EQUAL(atoll(buf), LOCK_CLASS_SENDER);
	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf), "SELECT griot_lock_receipts()", 0, NULL), 1);
	CU_ASSERT_EQUAL(atoll(buf), LOCK_KEY_RECEIPTS);
}

/* Every key of core/status.h is written in SQL only inside griot_lock_*(). */
static void test_no_literal_lock_keys(void)
{
	static const long long keys[] = {
		LOCK_KEY_MIGRATE, LOCK_CLASS_IMPORT, LOCK_CLASS_SENDER, LOCK_KEY_RECEIPTS,
	};
	char key[32], buf[1024];
	const char *p[1] = { key };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(key, sizeof(key), "%lld", keys[i]);
		CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf),
			"SELECT coalesce(string_agg(p.proname, ' ' ORDER BY p.proname), '')"
			" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
			" WHERE n.nspname = current_schema() AND p.proname NOT LIKE 'griot\\_lock\\_%'"
			"  AND p.prosrc ~ ('\\m' || $1 || '\\M')", 1, p), 1);
		if (*buf)
			fprintf(stderr, "lock key %s written as a literal in: %s\n", key, buf);
		CU_ASSERT_STRING_EQUAL(buf, "");
	}
}

/* SQL `expr` of status s ($1) as text. */
static void sql_of(const char *expr, const char *s, char *buf, size_t size)
{
	const char *p[1] = { s };
	char q[128];

	snprintf(q, sizeof(q), "SELECT %s", expr);
	CU_ASSERT_EQUAL(db_query_value(db, buf, size, q, 1, p), 1);
}

static void test_rules_agree(void)
{
	char buf[16];
	int i;

	for (i = 0; i < CAMPAIGN_STATUS_NR; i++) {
		sql_of(CAMPAIGN_ACTIVE_SQL("$1::text"), campaign_status_names[i], buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, campaign_active(i) ? "t" : "f");
		sql_of(CAMPAIGN_FINISHED_SQL("$1::text"), campaign_status_names[i], buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, campaign_finished(i) ? "t" : "f");
	}
	for (i = 0; i < DLV_RECEIPT_NR; i++) {
		sql_of(DLV_DELIVERED_SQL("$1::text"), dlv_status_names[i], buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, dlv_delivered(i) ? "t" : "f");
		sql_of("dr_rank($1::text)", dlv_status_names[i], buf, sizeof(buf));
		CU_ASSERT_EQUAL(atoi(buf), dr_status_rank(dlv_status_names[i]));
	}
	sql_of("dr_rank($1::text)", "DeliveredSomewhere", buf, sizeof(buf));
	CU_ASSERT_EQUAL(atoi(buf), dr_status_rank("DeliveredSomewhere"));
}

static int suite_init(void)
{
	return test_db_open(&db);
}

static int suite_clean(void)
{
	test_db_close(db);
	return 0;
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("status", suite_init, suite_clean);
	TEST_ADD(s, test_status_lists);
	TEST_ADD(s, test_lock_keys);
	TEST_ADD(s, test_no_literal_lock_keys);
	TEST_ADD(s, test_rules_agree);
}

int main(void)
{
	return test_main("test-status", reg);
}
