/* campaign/breaker: systemic errors tell a paused campaign from a bad message. */
#include "campaign/breaker.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <string.h>

static struct orange_error mkerr(enum orange_err_kind kind, int http, const char *code,
				 const char *msg)
{
	struct orange_error e = ORANGE_ERROR_INIT;

	e.kind = kind;
	e.http_status = http;
	e.code = xstrdup(code);
	e.message = xstrdup(msg);
	e.variables = xstrdup("");
	return e;
}

/* A refused sender name: the 5th identical 400 in a row pauses, listing the 4 before. */
static void test_same_refusal_pauses(void)
{
	struct orange_error e = mkerr(ORANGE_ERR_INVALID, 400, "SVC0002",
				      "Invalid input value for message part senderName");
	struct breaker b;
	struct breaker_verdict v;
	long long i;

	breaker_init(&b, NULL);
	for (i = 1; i < BREAKER_SAME_LIMIT; i++) {
		breaker_feed(&b, 7, 100 + i, &e, i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	}
	breaker_feed(&b, 7, 100 + i, &e, i, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_PAUSE);
	CU_ASSERT_EQUAL(v.scope, BREAKER_CAMPAIGN);
	CU_ASSERT_FALSE(v.config);
	CU_ASSERT_EQUAL(v.nrequeue, BREAKER_SAME_LIMIT - 1);
	CU_ASSERT_EQUAL(v.requeue[0], 101);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "senderName"));
	CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "SVC0002"));
	/* answers still in flight: paused again, nothing listed twice */
	breaker_feed(&b, 7, 200, &e, 10, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_PAUSE);
	CU_ASSERT_EQUAL(v.nrequeue, 0);
	breaker_release(&b);
	orange_error_release(&e);
}

/* Bad numbers now and then, with accepted messages between: never a pause. */
static void test_scattered_refusals_go(void)
{
	struct orange_error e = mkerr(ORANGE_ERR_INVALID, 400, "SVC0004", "No valid addresses");
	struct orange_error other = mkerr(ORANGE_ERR_INVALID, 400, "SVC0002", "message too long");
	struct breaker b;
	struct breaker_verdict v;
	int i;

	breaker_init(&b, NULL);
	for (i = 0; i < 50; i++) {
		breaker_feed(&b, 1, i, &e, i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
		breaker_feed(&b, 1, 1000 + i, i % 3 ? NULL : &other, i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	}
	/* runs are per campaign: two campaigns interleaved do not add up */
	for (i = 0; i < 2 * (BREAKER_SAME_LIMIT - 1); i++) {
		breaker_feed(&b, 2 + i % 2, i, &e, i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	}
	breaker_release(&b);
	orange_error_release(&e);
	orange_error_release(&other);
}

static void test_credentials_pause_all(void)
{
	struct orange_error e = mkerr(ORANGE_ERR_CREDENTIALS, 401, "", "invalid_client");
	struct breaker b;
	struct breaker_verdict v;

	breaker_init(&b, NULL);
	breaker_feed(&b, 1, 1, &e, 0, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_PAUSE);
	CU_ASSERT_EQUAL(v.scope, BREAKER_ALL);
	CU_ASSERT(v.config);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "credentials"));
	breaker_release(&b);
	orange_error_release(&e);
}

/* Orange down: go, go, then wait (growing), then pause everything after outage_pause s. */
static void test_outage_waits_then_pauses(void)
{
	struct breaker_conf conf = { .outage_limit = 3, .outage_pause = 30, .backoff_max = 8 };
	struct orange_error net = mkerr(ORANGE_ERR_NETWORK, 0, "", "connection refused");
	struct orange_error srv = mkerr(ORANGE_ERR_SERVER, 503, "", "Service Unavailable");
	struct breaker b;
	struct breaker_verdict v;
	double last = 0;
	int i;

	breaker_init(&b, &conf);
	breaker_feed(&b, 1, 1, &net, 100, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	breaker_feed(&b, 1, 2, &srv, 101, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	for (i = 0; i < 6; i++) {
		breaker_feed(&b, 1, 3 + i, &net, 102 + i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_WAIT);
		CU_ASSERT_EQUAL(v.scope, BREAKER_ALL);
		CU_ASSERT(v.wait >= last && v.wait <= 8);
		last = v.wait;
	}
	CU_ASSERT_EQUAL(last, 8);
	breaker_feed(&b, 2, 20, &srv, 130, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_PAUSE);
	CU_ASSERT_EQUAL(v.scope, BREAKER_ALL);
	CU_ASSERT_FALSE(v.config);
	CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "503"));
	/* one accepted message ends the outage */
	breaker_feed(&b, 1, 21, NULL, 131, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	breaker_feed(&b, 1, 22, &net, 132, &v);
	CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	/* a 429 comes from a working Orange too */
	{
		struct orange_error rl = mkerr(ORANGE_ERR_RATE_LIMITED, 429, "53", "Too many");
		breaker_feed(&b, 1, 23, &net, 133, &v);
		breaker_feed(&b, 1, 24, &rl, 134, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
		breaker_feed(&b, 1, 25, &net, 135, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
		orange_error_release(&rl);
	}
	breaker_release(&b);
	orange_error_release(&net);
	orange_error_release(&srv);
}

/* Two refusals alike in their first thousand characters are still two
 * errors: the comparison uses the whole text. */
static void test_long_texts_differ(void)
{
	struct strbuf a = STRBUF_INIT, b2 = STRBUF_INIT;
	struct orange_error e, other;
	struct breaker b;
	struct breaker_verdict v;
	int i;

	for (i = 0; i < 1000; i++) {
		strbuf_addch(&a, 'x');
		strbuf_addch(&b2, 'x');
	}
	strbuf_addstr(&a, " first");
	strbuf_addstr(&b2, " second");
	e = mkerr(ORANGE_ERR_INVALID, 400, "SVC0002", a.buf);
	other = mkerr(ORANGE_ERR_INVALID, 400, "SVC0002", b2.buf);
	breaker_init(&b, NULL);
	for (i = 0; i < 2 * BREAKER_SAME_LIMIT; i++) {
		breaker_feed(&b, 1, i, i % 2 ? &other : &e, i, &v);
		CU_ASSERT_EQUAL(v.action, BREAKER_GO);
	}
	breaker_release(&b);
	orange_error_release(&e);
	orange_error_release(&other);
	strbuf_release(&a);
	strbuf_release(&b2);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("breaker", NULL, NULL);

	TEST_ADD(s, test_same_refusal_pauses);
	TEST_ADD(s, test_scattered_refusals_go);
	TEST_ADD(s, test_credentials_pause_all);
	TEST_ADD(s, test_outage_waits_then_pauses);
	TEST_ADD(s, test_long_texts_differ);
}

int main(void)
{
	return test_main("test-breaker", reg);
}
