/*
 * receiver/: the receipt parser, address lists, and the receipt rules in
 * the database (precedence, late matching, 'unknown' reconciliation,
 * orphans, the race with the sender) against the throwaway cluster.
 */
#include "core/db.h"
#include "core/util.h"
#include "receiver/acl.h"
#include "receiver/dr-parse.h"
#include "receiver/store.h"
#include "tests/lib/testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static char body[1024];

static const char *dr_json(const char *rid, const char *addr, const char *status)
{
	snprintf(body, sizeof(body),
		 "{\"deliveryInfoNotification\":{\"callbackData\":\"%s\","
		 "\"deliveryInfo\":{\"address\":\"%s\",\"deliveryStatus\":\"%s\"}}}",
		 rid, addr, status);
	return body;
}

static enum dr_error parse(const char *s, struct dr_receipt *dr, char *reason)
{
	return dr_parse(s, strlen(s), dr, reason, 200);
}

static void test_parse_valid(void)
{
	struct dr_receipt dr;
	char reason[200];
	int i;

	for (i = 0; i < DLV_RECEIPT_NR; i++) {
		CU_ASSERT_EQUAL(parse(dr_json("5e1b-aa", "tel:+22370123456", dlv_status_names[i]),
				      &dr, reason), DR_OK);
		CU_ASSERT_STRING_EQUAL(dr.resource_id, "5e1b-aa");
		CU_ASSERT_STRING_EQUAL(dr.address, "tel:+22370123456");
		CU_ASSERT_STRING_EQUAL(dr.status, dlv_status_names[i]);
		CU_ASSERT(dr.status_valid);
		CU_ASSERT_EQUAL(dr.rank, i == DLV_WAITING ? 1 : 2);
	}
	/* extra members and whitespace are fine */
	CU_ASSERT_EQUAL(parse(" {\"x\":[1,2],\"deliveryInfoNotification\":{\"deliveryInfo\":"
			      "{\"deliveryStatus\":\"DeliveryImpossible\",\"address\":\"tel:+2250102030405\","
			      "\"extra\":null},\"callbackData\":\"r1\"}}\n", &dr, reason), DR_OK);
	CU_ASSERT_STRING_EQUAL(dr.status, "DeliveryImpossible");
	/* an undocumented status is accepted but flagged */
	CU_ASSERT_EQUAL(parse(dr_json("r2", "tel:+22370123456", "Expired"), &dr, reason), DR_OK);
	CU_ASSERT_FALSE(dr.status_valid);
	CU_ASSERT_EQUAL(dr.rank, 0);
	CU_ASSERT_STRING_EQUAL(dr.status, "Expired");
}

static void test_parse_rejects(void)
{
	static const struct {
		const char *body;
		enum dr_error want;
		const char *reason;
	} cases[] = {
		{ "", DR_BAD_JSON, "empty" },
		{ "{\"deliveryInfoNotification\":", DR_BAD_JSON, "invalid JSON" },
		{ "not json", DR_BAD_JSON, "invalid JSON" },
		{ "[1]", DR_BAD_JSON, "object" },
		{ "{}", DR_MISSING_FIELD, "deliveryInfoNotification" },
		{ "{\"deliveryInfoNotification\":[]}", DR_WRONG_TYPE, "must be an object" },
		{ "{\"deliveryInfoNotification\":{\"deliveryInfo\":{\"address\":\"tel:+22370123456\","
		  "\"deliveryStatus\":\"MessageWaiting\"}}}", DR_MISSING_FIELD, "callbackData" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":12,\"deliveryInfo\":{\"address\":"
		  "\"tel:+22370123456\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_WRONG_TYPE,
		  "callbackData must be a string" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"\",\"deliveryInfo\":{\"address\":"
		  "\"tel:+22370123456\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_BAD_VALUE, "empty" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"a b\",\"deliveryInfo\":{\"address\":"
		  "\"tel:+22370123456\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_BAD_VALUE, "character" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\"}}", DR_MISSING_FIELD, "deliveryInfo" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":\"x\"}}",
		  DR_WRONG_TYPE, "deliveryInfo must be an object" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"deliveryStatus\":\"MessageWaiting\"}}}", DR_MISSING_FIELD, "address" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":22370123456,\"deliveryStatus\":\"MessageWaiting\"}}}", DR_WRONG_TYPE, "address" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"22370123456\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_BAD_ADDRESS, "tel:+" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+0370123456\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_BAD_ADDRESS, "tel:+" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+2237012345678901\",\"deliveryStatus\":\"MessageWaiting\"}}}",
		  DR_BAD_ADDRESS, "tel:+" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+2237a\",\"deliveryStatus\":\"MessageWaiting\"}}}", DR_BAD_ADDRESS, "tel:+" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+22370123456\"}}}", DR_MISSING_FIELD, "deliveryStatus" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+22370123456\",\"deliveryStatus\":true}}}", DR_WRONG_TYPE, "deliveryStatus" },
		{ "{\"deliveryInfoNotification\":{\"callbackData\":\"r\",\"deliveryInfo\":"
		  "{\"address\":\"tel:+22370123456\",\"deliveryStatus\":\"\"}}}", DR_BAD_VALUE, "empty" },
		{ "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}", DR_BAD_JSON, "nesting" },
	};
	struct dr_receipt dr;
	char reason[200], longid[300];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		enum dr_error e = parse(cases[i].body, &dr, reason);
		if (e != cases[i].want || !strstr(reason, cases[i].reason))
			fprintf(stderr, "case %zu: got %s '%s'\n", i, dr_error_name(e), reason);
		CU_ASSERT_EQUAL(e, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(reason, cases[i].reason));
		CU_ASSERT_STRING_EQUAL(dr.resource_id, ""); /* nothing half-filled */
	}
	memset(longid, 'a', 200);
	longid[200] = '\0';
	CU_ASSERT_EQUAL(parse(dr_json(longid, "tel:+22370123456", "MessageWaiting"), &dr, reason),
			DR_BAD_VALUE);
	/* a NUL byte inside the body */
	CU_ASSERT_EQUAL(dr_parse("{\"a\":\"\0\"}", 9, &dr, reason, sizeof(reason)), DR_BAD_JSON);
	CU_ASSERT_STRING_EQUAL(dr_error_name(DR_BAD_ADDRESS), "bad_address");
}

static void test_acl(void)
{
	struct acl acl;
	struct ip_addr ip;

	acl_init(&acl);
	CU_ASSERT_EQUAL(acl_add_list(&acl, ACL_ORANGE_DEFAULT), 0);
	CU_ASSERT_EQUAL(acl.nr, 4);
	CU_ASSERT_EQUAL(ip_parse("80.12.102.66", &ip), 0);
	CU_ASSERT(acl_match(&acl, &ip));
	CU_ASSERT_EQUAL(ip_parse("80.12.102.67", &ip), 0);
	CU_ASSERT_FALSE(acl_match(&acl, &ip));
	/* an IPv4-mapped IPv6 peer is its IPv4 address */
	CU_ASSERT_EQUAL(ip_parse("::ffff:80.12.13.2", &ip), 0);
	CU_ASSERT_EQUAL(ip.family, AF_INET);
	CU_ASSERT(acl_match(&acl, &ip));
	acl_release(&acl);

	acl_init(&acl);
	CU_ASSERT_EQUAL(acl_add_list(&acl, " 10.1.2.3/8 , 2001:db8::/33,192.168.1.1"), 0);
	CU_ASSERT_EQUAL(acl.nr, 3);
	ip_parse("10.200.0.1", &ip);
	CU_ASSERT(acl_match(&acl, &ip));
	ip_parse("11.0.0.1", &ip);
	CU_ASSERT_FALSE(acl_match(&acl, &ip));
	ip_parse("2001:db8:7fff::1", &ip);
	CU_ASSERT(acl_match(&acl, &ip));
	ip_parse("2001:db8:8000::1", &ip);
	CU_ASSERT_FALSE(acl_match(&acl, &ip));
	ip_parse("192.168.1.1", &ip);
	CU_ASSERT(acl_match(&acl, &ip));
	ip_parse("192.168.1.2", &ip);
	CU_ASSERT_FALSE(acl_match(&acl, &ip));
	acl_release(&acl);

	acl_init(&acl);
	CU_ASSERT_EQUAL(acl_add_list(&acl, "0.0.0.0/0"), 0);
	ip_parse("8.8.8.8", &ip);
	CU_ASSERT(acl_match(&acl, &ip));
	ip_parse("::1", &ip);
	CU_ASSERT_FALSE(acl_match(&acl, &ip)); /* families never mix */
	CU_ASSERT_EQUAL(acl_add_list(&acl, "10.0.0.0/33"), -1);
	CU_ASSERT_EQUAL(acl_add_list(&acl, "example.com"), -1);
	CU_ASSERT_EQUAL(acl_add_list(&acl, "1.2.3.4/x"), -1);
	CU_ASSERT_EQUAL(acl_add_list(&acl, "::/129"), -1);
	acl_release(&acl);
}

static void test_forwarded(void)
{
	struct acl trusted;
	struct ip_addr peer, out;
	char buf[64];

	acl_init(&trusted);
	CU_ASSERT_EQUAL(acl_add_list(&trusted, "127.0.0.1/32,10.0.0.0/8"), 0);
	/* from a trusted proxy: the rightmost untrusted entry */
	ip_parse("127.0.0.1", &peer);
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "1.1.1.1, 80.12.13.2, 10.0.0.5", &trusted, &out), 0);
	ip_format(&out, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "80.12.13.2");
	/* a forged leftmost entry is not believed */
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "80.12.13.2,6.6.6.6", &trusted, &out), 0);
	ip_format(&out, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "6.6.6.6");
	/* every hop trusted: the leftmost */
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "10.1.1.1,10.2.2.2", &trusted, &out), 0);
	ip_format(&out, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "10.1.1.1");
	/* no header: the peer */
	CU_ASSERT_EQUAL(acl_client_addr(&peer, NULL, &trusted, &out), 0);
	ip_format(&out, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "127.0.0.1");
	/* garbage from a trusted proxy is refused */
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "1.1.1.1, nonsense", &trusted, &out), -1);
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "1.1.1.1,,", &trusted, &out), -1);
	/* from an untrusted peer the header is ignored */
	ip_parse("127.0.0.2", &peer);
	CU_ASSERT_EQUAL(acl_client_addr(&peer, "80.12.13.2", &trusted, &out), 0);
	ip_format(&out, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "127.0.0.2");
	acl_release(&trusted);
}

static void test_secret(void)
{
	const char *s = "s3cr3t-0123456789";

	CU_ASSERT(secret_equal(s, strlen(s), s));
	CU_ASSERT_FALSE(secret_equal("s3cr3t-012345678", 16, s));
	CU_ASSERT_FALSE(secret_equal("s3cr3t-01234567890", 18, s));
	CU_ASSERT_FALSE(secret_equal("S3cr3t-0123456789", 17, s));
	CU_ASSERT_FALSE(secret_equal("", 0, s));
	CU_ASSERT_FALSE(secret_equal("", 0, ""));
}

/* ---- in the database ---- */

static struct db *db;
static long long campaign_id;

static long long add_message(const char *msisdn, const char *rid, const char *send_status,
			     const char *sending_ago)
{
	char cid[32], buf[32];
	const char *p[5] = { cid, msisdn, rid, send_status, sending_ago };

	snprintf(cid, sizeof(cid), "%lld", campaign_id);
	if (db_query_value(db, buf, sizeof(buf),
			   "INSERT INTO messages (campaign_id, msisdn, country, resource_id,"
			   " send_status, sending_at)"
			   " VALUES ($1::bigint, $2, 'MLI', $3, $4, now() - $5::interval) RETURNING id",
			   5, p) != 1)
		return -1;
	return atoll(buf);
}

static void msg_state(long long id, char *status, size_t n, char *extra, size_t m)
{
	char sid[32];
	const char *p[1] = { sid };

	snprintf(sid, sizeof(sid), "%lld", id);
	db_query_value(db, status, n, "SELECT coalesce(delivery_status, 'none') FROM messages"
		       " WHERE id = $1::bigint", 1, p);
	if (extra)
		db_query_value(db, extra, m,
			       "SELECT send_status || '|' || coalesce(resource_id, '-') || '|' ||"
			       " (final_at IS NOT NULL) || '|' ||"
			       " coalesce(extract(epoch FROM coalesce(final_at, delivery_at))::bigint::text, '-')"
			       " FROM messages WHERE id = $1::bigint", 1, p);
}

static struct dr_row row(const char *rid, const char *addr, const char *status, double t)
{
	struct dr_row r;

	memset(&r, 0, sizeof(r));
	r.resource_id = rid;
	r.address = addr;
	r.status = status;
	r.status_valid = dr_status_rank(status) > 0;
	r.source_addr = "80.12.13.2";
	r.raw = dr_json(rid, addr, status);
	r.received_at = t;
	return r;
}

static int store(const struct dr_row *rows, size_t n)
{
	struct dr_store_result res;
	return dr_store_batch(db, rows, n, &res);
}

static long long count(const char *sql)
{
	char buf[32];
	if (db_query_value(db, buf, sizeof(buf), sql, 0, NULL) != 1)
		return -1;
	return atoll(buf);
}

static int db_setup(void)
{
	char buf[32];

	if (test_db_open(&db) < 0)
		return -1;
	if (db_query_value(db, buf, sizeof(buf),
			   "INSERT INTO campaigns (name) VALUES ('dr') RETURNING id", 0, NULL) != 1)
		return -1;
	campaign_id = atoll(buf);
	return 0;
}

static int db_teardown(void)
{
	test_db_close(db);
	return 0;
}

static void test_precedence(void)
{
	double t = time_now();
	char st[64], ex[128];
	long long a = add_message("+22370000001", "rid-a", "sent", "1 minute");
	long long b = add_message("+22370000002", "rid-b", "sent", "1 minute");
	long long c = add_message("+22370000003", "rid-c", "sent", "1 minute");
	struct dr_row rows[4];

	CU_ASSERT_FATAL(a > 0 && b > 0 && c > 0);
	/* a: waiting, then final, then a late waiting and a duplicate final */
	rows[0] = row("rid-a", "tel:+22370000001", "MessageWaiting", t);
	CU_ASSERT_EQUAL(store(rows, 1), 0);
	msg_state(a, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "MessageWaiting");
	rows[0] = row("rid-a", "tel:+22370000001", "DeliveredToNetwork", t + 10);
	CU_ASSERT_EQUAL(store(rows, 1), 0);
	rows[0] = row("rid-a", "tel:+22370000001", "MessageWaiting", t + 20);
	rows[1] = row("rid-a", "tel:+22370000001", "DeliveredToNetwork", t + 30);
	rows[2] = row("rid-a", "tel:+22370000001", "DeliveredToTerminal", t + 40);
	CU_ASSERT_EQUAL(store(rows, 3), 0);
	msg_state(a, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT_STRING_EQUAL(st, "DeliveredToNetwork"); /* first final kept */
	snprintf(st, sizeof(st), "sent|rid-a|true|%lld", (long long)(t + 10 + 0.5));
	CU_ASSERT_STRING_EQUAL(ex, st);                    /* and its time */

	/* b: out of order inside one batch: the final wins over the waiting */
	rows[0] = row("rid-b", "tel:+22370000002", "DeliveryImpossible", t);
	rows[1] = row("rid-b", "tel:+22370000002", "MessageWaiting", t + 1);
	CU_ASSERT_EQUAL(store(rows, 2), 0);
	msg_state(b, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveryImpossible");

	/* c: an undocumented status is stored, flagged, and changes nothing */
	rows[0] = row("rid-c", "tel:+22370000003", "Bogus", t);
	CU_ASSERT_EQUAL(store(rows, 1), 0);
	msg_state(c, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "none");
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-c'"
			      " AND NOT status_valid AND message_id IS NOT NULL AND applied_at IS NULL"), 1);
	/* every receipt is kept, matched, raw payload and source included */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-a'"
			      " AND message_id IS NOT NULL AND raw LIKE '{%' AND source_addr = '80.12.13.2'"), 5);
}

/* A final receipt committed after another final with an earlier arrival
 * time: the earliest final wins whatever the commit order. */
static void test_commit_order(void)
{
	double t = time_now();
	char st[64];
	long long a = add_message("+22370000011", "rid-o", "sent", "1 minute");
	struct dr_row r;

	r = row("rid-o", "tel:+22370000011", "DeliveredToTerminal", t + 5);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	r = row("rid-o", "tel:+22370000011", "DeliveryUncertain", t + 4);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(a, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveryUncertain");
}

static void test_late_match(void)
{
	double t = time_now();
	char st[64], ex[128];
	long long m = add_message("+22370000021", NULL, "sending", "1 minute");
	struct dr_row rows[2];

	rows[0] = row("rid-late", "tel:+22370000021", "MessageWaiting", t);
	rows[1] = row("rid-late", "tel:+22370000021", "DeliveredToTerminal", t + 1);
	CU_ASSERT_EQUAL(store(rows, 2), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-late'"
			      " AND message_id IS NULL"), 2);
	/* the sender records the id: the trigger applies both receipts */
	CU_ASSERT_EQUAL(db_exec(db, "UPDATE messages SET resource_id = 'rid-late', send_status = 'sent'"
				" WHERE msisdn = '+22370000021'"), 0);
	msg_state(m, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT_STRING_EQUAL(st, "DeliveredToTerminal");
	CU_ASSERT(starts_with(ex, "sent|rid-late|true|"));
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-late'"
			      " AND message_id IS NOT NULL AND applied_at IS NOT NULL"), 2);
	/* a message inserted with its id already set picks its receipts up too */
	rows[0] = row("rid-ins", "tel:+22370000022", "DeliveryImpossible", t);
	CU_ASSERT_EQUAL(store(rows, 1), 0);
	m = add_message("+22370000022", "rid-ins", "sent", "1 minute");
	msg_state(m, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveryImpossible");
}

static void test_unknown_reconcile(void)
{
	double t = time_now();
	char st[64], ex[128];
	long long m1 = add_message("+22370000031", NULL, "unknown", "2 hours");
	long long m2 = add_message("+22370000032", NULL, "unknown", "25 hours");
	long long m3, m4;
	struct dr_row r;

	/* within 24 h after sending_at: reconciled */
	r = row("rid-unk1", "tel:+22370000031", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(m1, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT_STRING_EQUAL(st, "DeliveredToTerminal");
	CU_ASSERT(starts_with(ex, "sent|rid-unk1|true|"));
	/* sent more than 24 h before the receipt: not this message */
	r = row("rid-unk2", "tel:+22370000032", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(m2, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT_STRING_EQUAL(st, "none");
	CU_ASSERT(starts_with(ex, "unknown|-|"));
	/* a number with a message that is not 'unknown' is left alone */
	m3 = add_message("+22370000033", NULL, "sending", "1 hour");
	r = row("rid-unk3", "tel:+22370000033", "MessageWaiting", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(m3, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "sending|-|"));
	/* ... until the sender's recovery marks it 'unknown': reconciled then */
	CU_ASSERT_EQUAL(db_exec(db, "UPDATE messages SET send_status = 'unknown'"
				" WHERE msisdn = '+22370000033'"), 0);
	msg_state(m3, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT_STRING_EQUAL(st, "MessageWaiting");
	CU_ASSERT(starts_with(ex, "sent|rid-unk3|false|"));
	/* a receipt whose id belongs to another message never reconciles */
	m4 = add_message("+22370000034", NULL, "unknown", "1 hour");
	add_message("+22370000035", "rid-other", "sent", "1 hour");
	r = row("rid-other", "tel:+22370000034", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(m4, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
}

/* add_message() in campaign `name` (created when missing). */
static long long add_message_in(const char *name, const char *msisdn, const char *rid,
				const char *send_status, const char *sending_ago)
{
	char buf[32];
	const char *p[5] = { name, msisdn, rid, send_status, sending_ago };

	if (db_query_value(db, buf, sizeof(buf),
			   "WITH c AS (INSERT INTO campaigns (name) VALUES ($1)"
			   "  ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id)"
			   " INSERT INTO messages (campaign_id, msisdn, country, resource_id,"
			   " send_status, sending_at)"
			   " SELECT c.id, $2, 'MLI', $3, $4, now() - $5::interval FROM c RETURNING id",
			   5, p) != 1)
		return -1;
	return atoll(buf);
}

/*
 * Finding 4: a receipt settles an 'unknown' message by number only when
 * that is the one possible owner: not when another campaign's message to
 * the number is in flight (its id not recorded yet) or also unknown.
 * Settled ones are marked and counted by the report.
 */
static void test_unknown_settled_only_when_unique(void)
{
	double t = time_now();
	char st[64], ex[128];
	long long u, v, u2, u3;
	struct dr_row r;

	/* campaign B's message to the same number is in flight: its receipt
	 * comes before its resource id is recorded */
	u = add_message_in("x-a", "+22370000071", NULL, "unknown", "3 hours");
	v = add_message_in("x-b", "+22370000071", NULL, "sending", "1 second");
	r = row("rid-b71", "tel:+22370000071", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
	/* B's sender records it: B's message gets it, A's stays unknown */
	CU_ASSERT_EQUAL(db_exec(db, "UPDATE messages SET resource_id = 'rid-b71', send_status = 'sent'"
				" WHERE send_status = 'sending' AND msisdn = '+22370000071'"), 0);
	msg_state(v, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveredToTerminal");
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
	CU_ASSERT_STRING_EQUAL(st, "none");

	/* two unknown messages to one number, one receipt: neither */
	u2 = add_message_in("x-a", "+22370000072", NULL, "unknown", "2 hours");
	u3 = add_message_in("x-b", "+22370000072", NULL, "unknown", "1 hour");
	r = row("rid-72", "tel:+22370000072", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(u2, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
	msg_state(u3, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));

	/* two different unmatched ids to the number (another application's): neither */
	u = add_message_in("x-a", "+22370000073", NULL, "unknown", "2 hours");
	r = row("rid-73a", "tel:+22370000073", "MessageWaiting", t - 3600);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "sent|rid-73a|"));      /* unique so far: settled */
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM messages WHERE settled_by_inference"
			      " AND msisdn = '+22370000073'"), 1);
	CU_ASSERT_EQUAL(count("SELECT report_inferred('x-a', NULL, NULL, NULL)"), 1);
	CU_ASSERT_EQUAL(count("SELECT report_inferred('x-b', NULL, NULL, NULL)"), 0);
	u = add_message_in("x-b", "+22370000074", NULL, "unknown", "2 hours");
	r = row("rid-74a", "tel:+22370000074", "DeliveredToTerminal", t - 60);
	CU_ASSERT_EQUAL(db_exec(db, "INSERT INTO delivery_receipts (resource_id, address,"
				" delivery_status, raw, received_at) VALUES ('rid-74b', 'tel:+22370000074',"
				" 'DeliveredToTerminal', '{}', now() - interval '30 minutes')"), 0);
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
}

static void test_orphans(void)
{
	double t = time_now();
	struct dr_row r[2];

	r[0] = row("rid-orphan-old", "tel:+22370000041", "DeliveredToTerminal", t - 25 * 3600);
	r[1] = row("rid-orphan-new", "tel:+22370000041", "DeliveredToTerminal", t);
	CU_ASSERT_EQUAL(store(r, 2), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM orphaned_receipts WHERE resource_id = 'rid-orphan-old'"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM orphaned_receipts WHERE resource_id = 'rid-orphan-new'"), 0);
}

/* The race: the sender records a resource_id while the receiver commits
 * a receipt for it; neither sees the other's uncommitted row. */
struct race {
	const char *conninfo;
	const char *sql;            /* run on a second connection */
	struct dr_row row;          /* or store this when sql is NULL */
	int rc;
	int done;                   /* set (atomically) when finished */
};

static void *race_thread(void *arg)
{
	struct race *ra = arg;
	struct db *d;
	struct dr_store_result res;

	if (db_connect(ra->conninfo, &d) < 0) {
		ra->rc = -1;
		return NULL;
	}
	ra->rc = ra->sql ? db_exec(d, ra->sql) : dr_store_batch(d, &ra->row, 1, &res);
	db_close(d);
	__atomic_store_n(&ra->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * The settling step must not hold the receipts lock while it waits for a
 * message's row lock: a transaction holding that row and then writing a
 * resource id (which takes the lock in the trigger) would deadlock with it.
 */
static void test_settle_no_deadlock(void)
{
	struct race ra;
	pthread_t th;
	struct db *other;
	char ex[128], st[64];
	long long u = add_message_in("x-d", "+22370000081", NULL, "unknown", "1 hour");
	long long w = add_message_in("x-d", "+22370000082", NULL, "sending", "1 second");
	int i;

	CU_ASSERT_EQUAL_FATAL(db_connect(test_db_conninfo(), &other), 0);
	{
		char q[160];
		snprintf(q, sizeof(q), "BEGIN; SELECT 1 FROM messages WHERE id = %lld FOR UPDATE", u);
		CU_ASSERT_EQUAL(db_exec(other, q), 0);
	}
	memset(&ra, 0, sizeof(ra));
	ra.conninfo = test_db_conninfo();
	ra.row = row("rid-81", "tel:+22370000081", "DeliveredToTerminal", time_now());
	pthread_create(&th, NULL, race_thread, &ra);
	/* the receiver's batch and settling step end without waiting for the row
	 * (before: it waited, holding the receipts lock, for the row) */
	for (i = 0; i < 500 && !__atomic_load_n(&ra.done, __ATOMIC_SEQ_CST); i++)
		time_sleep(0.01);
	CU_ASSERT(__atomic_load_n(&ra.done, __ATOMIC_SEQ_CST));
	/* now the other transaction writes a resource id: takes the receipts lock */
	{
		char q[160];
		snprintf(q, sizeof(q), "UPDATE messages SET resource_id = 'rid-82', send_status = 'sent'"
			 " WHERE id = %lld", w);
		CU_ASSERT_EQUAL(db_exec(other, q), 0);
	}
	CU_ASSERT_EQUAL(db_exec(other, "COMMIT"), 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(ra.rc, 0);
	db_close(other);
	/* the message skipped while locked is settled by the next receipt for it */
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "unknown|-|"));
	CU_ASSERT_EQUAL(count("SELECT dr_reconcile_unknown(now() - interval '1 hour')"), 1);
	msg_state(u, st, sizeof(st), ex, sizeof(ex));
	CU_ASSERT(starts_with(ex, "sent|rid-81|true|"));
}

static int lock_waiters(void)
{
	return (int)count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
			  " AND objid = 4720030 AND NOT granted");
}

static void test_race_with_sender(void)
{
	struct race ra;
	pthread_t th;
	char st[64];
	long long m1 = add_message("+22370000051", NULL, "sending", "1 minute");
	long long m2 = add_message("+22370000052", NULL, "sending", "1 minute");
	struct db *other;

	CU_ASSERT_EQUAL_FATAL(db_connect(test_db_conninfo(), &other), 0);
	/* 1: the sender's transaction is open when the receipt comes */
	CU_ASSERT_EQUAL(db_exec(other, "BEGIN; UPDATE messages SET resource_id = 'rid-race1',"
				" send_status = 'sent' WHERE msisdn = '+22370000051'"), 0);
	memset(&ra, 0, sizeof(ra));
	ra.conninfo = test_db_conninfo();
	ra.row = row("rid-race1", "tel:+22370000051", "DeliveredToTerminal", time_now());
	pthread_create(&th, NULL, race_thread, &ra);
	while (lock_waiters() < 1)     /* the receiver waits for the sender */
		time_sleep(0.01);
	CU_ASSERT_EQUAL(db_exec(other, "COMMIT"), 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(ra.rc, 0);
	msg_state(m1, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveredToTerminal");

	/* 2: the receiver's transaction is open when the sender records */
	CU_ASSERT_EQUAL(db_exec(other, "BEGIN; SELECT pg_advisory_xact_lock_shared(4720030);"
				" INSERT INTO delivery_receipts (resource_id, address, delivery_status, raw)"
				" VALUES ('rid-race2', 'tel:+22370000052', 'DeliveryImpossible', '{}')"), 0);
	memset(&ra, 0, sizeof(ra));
	ra.conninfo = test_db_conninfo();
	ra.sql = "UPDATE messages SET resource_id = 'rid-race2', send_status = 'sent'"
		 " WHERE msisdn = '+22370000052'";
	pthread_create(&th, NULL, race_thread, &ra);
	while (lock_waiters() < 1)     /* the sender's trigger waits */
		time_sleep(0.01);
	CU_ASSERT_EQUAL(db_exec(other, "COMMIT"), 0);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(ra.rc, 0);
	msg_state(m2, st, sizeof(st), NULL, 0);
	CU_ASSERT_STRING_EQUAL(st, "DeliveryImpossible");
	db_close(other);
}

static void test_store_escaping(void)
{
	struct dr_row r = row("rid-esc", "tel:+22370000061", "Weird \"quoted\" \\ {status}", time_now());

	r.raw = "{\"x\":\"a,b\\\"c{}\"}";
	r.source_addr = "2001:db8::1";
	CU_ASSERT_EQUAL(store(&r, 1), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-esc'"
			      " AND delivery_status = 'Weird \"quoted\" \\ {status}'"
			      " AND raw = '{\"x\":\"a,b\\\"c{}\"}' AND source_addr = '2001:db8::1'"), 1);
}

/* Escapes at both ends and back to back; rows of one batch in different
 * seconds keep their own times (the date part is formatted once per second). */
static void test_store_batch_edges(void)
{
	struct dr_row r[3];
	double t = 1767225599.25; /* 2025-12-31 23:59:59.25 UTC */

	r[0] = row("rid-edge-1", "tel:+22370000062", "DeliveredToTerminal", t);
	r[0].raw = "\"\\\\\"";             /* "\\" */
	r[1] = row("rid-edge-2", "tel:+22370000063", "DeliveredToTerminal", t + 1.5);
	r[1].raw = "\\";                       /* a lone backslash */
	r[2] = row("rid-edge-3", "tel:+22370000064", "DeliveredToTerminal", t + 0.125);
	r[2].raw = "x\"";
	CU_ASSERT_EQUAL(store(r, 3), 0);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-edge-1'"
			      " AND raw = E'\"\\\\\\\\\"' AND received_at = '2025-12-31 23:59:59.25+00'"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-edge-2'"
			      " AND raw = E'\\\\' AND received_at = '2026-01-01 00:00:00.75+00'"), 1);
	CU_ASSERT_EQUAL(count("SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-edge-3'"
			      " AND raw = 'x\"' AND received_at = '2025-12-31 23:59:59.375+00'"), 1);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("receiver-pure", NULL, NULL);
	TEST_ADD(s, test_parse_valid);
	TEST_ADD(s, test_parse_rejects);
	TEST_ADD(s, test_acl);
	TEST_ADD(s, test_forwarded);
	TEST_ADD(s, test_secret);
	s = CU_add_suite("receiver-db", db_setup, db_teardown);
	TEST_ADD(s, test_precedence);
	TEST_ADD(s, test_commit_order);
	TEST_ADD(s, test_late_match);
	TEST_ADD(s, test_unknown_reconcile);
	TEST_ADD(s, test_unknown_settled_only_when_unique);
	TEST_ADD(s, test_settle_no_deadlock);
	TEST_ADD(s, test_orphans);
	TEST_ADD(s, test_race_with_sender);
	TEST_ADD(s, test_store_escaping);
	TEST_ADD(s, test_store_batch_edges);
}

int main(void)
{
	return test_main("test-receiver", reg);
}
