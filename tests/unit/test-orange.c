/*
 * orange/: the body builders and parsers on fixtures (both admin shapes),
 * then the client against a real orange-sim over loopback: every error
 * class, maybe_accepted, token renewal and the shared token cache, async
 * sends, DR subscriptions.
 */
#include "orange/orange.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIM_AUTH "Basic dGVzdDp0ZXN0"

static char *fixture(const char *name, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, test_data(name), 1 << 20) < 0) {
		strbuf_release(&sb);
		CU_FAIL_FATAL("fixture missing");
	}
	*len = sb.len;
	return strbuf_detach(&sb, NULL);
}

/* orange_token into *t, releasing what t held (start from { 0 }). */
static int get_token(struct orange_client *c, bool force, struct orange_token *t,
		     struct orange_error *err)
{
	orange_token_release(t);
	return orange_token(c, force, t, err);
}

/* orange_send into a fixed buffer (tests only: rid is a UUID). */
static int send_one(struct orange_client *c, const struct orange_sms *sms, char *rid,
		    size_t size, struct orange_error *err)
{
	char *r = NULL;
	int ret = orange_send(c, sms, &r, err);

	strlcpy_(rid, r ? r : "", size);
	CU_ASSERT((ret == 0) == (r != NULL));
	free(r);
	return ret;
}

static int parse_answer(const char *body, size_t len, const char *location, char *rid,
			size_t size)
{
	char *r = NULL;
	int ret = orange_parse_send_answer(body, len, location, &r);

	strlcpy_(rid, r ? r : "", size);
	free(r);
	return ret;
}

static void mask(const char *url, char *out, size_t size)
{
	struct strbuf sb = STRBUF_INIT;

	orange_mask_url(url, &sb);
	strlcpy_(out, sb.buf, size);
	strbuf_release(&sb);
}

/* ---- fixtures: builders and parsers ---- */

static void test_send_body(void)
{
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456",
				  "Réunion \"demain\"\n{ok}", "Griot", NULL };
	char *body = NULL, err[128];
	size_t len = 0;
	json_value *v, *r;

	CU_ASSERT_EQUAL_FATAL(orange_send_body(&sms, &body, &len), 0);
	CU_ASSERT_EQUAL(strlen(body), len);
	v = json_parse(body, len, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	r = json_get(v, "outboundSMSMessageRequest");
	CU_ASSERT_STRING_EQUAL(json_string(json_get(r, "address")), "tel:+22370123456");
	CU_ASSERT_STRING_EQUAL(json_string(json_get(r, "senderAddress")), "tel:+2230000");
	CU_ASSERT_STRING_EQUAL(json_string(json_get(r, "senderName")), "Griot");
	/* quotes, braces and a newline survive: built by the generator */
	CU_ASSERT_STRING_EQUAL(json_string(json_path(r, "outboundSMSTextMessage", "message", NULL)),
			       "Réunion \"demain\"\n{ok}");
	CU_ASSERT_PTR_NULL(json_get(r, "callbackData"));
	json_free(v);
	free(body);

	log_set_level(LOG_QUIET);
	sms.sender = "2230000";
	CU_ASSERT_EQUAL(orange_send_body(&sms, &body, &len), -1);
	sms.sender = "tel:+2230000";
	sms.address = "tel:+2237012345a";
	CU_ASSERT_EQUAL(orange_send_body(&sms, &body, &len), -1);
	sms.address = "tel:+22370123456";
	sms.message = "";
	CU_ASSERT_EQUAL(orange_send_body(&sms, &body, &len), -1);
	sms.message = "bad \xff byte";
	CU_ASSERT_EQUAL(orange_send_body(&sms, &body, &len), -1);
	log_set_level(LOG_INFO);
}

static void test_send_answer(void)
{
	char rid[128], *b;
	size_t len;

	b = fixture("orange/send-answer.json", &len);
	CU_ASSERT_EQUAL(parse_answer(b, len, NULL, rid, sizeof(rid)), 0);
	CU_ASSERT_STRING_EQUAL(rid, "9e4e0a4c-5b2b-4f6e-8a6a-2d1b8f0e1c11");
	free(b);
	/* address echoed as an array */
	b = fixture("orange/send-answer-array.json", &len);
	CU_ASSERT_EQUAL(parse_answer(b, len, NULL, rid, sizeof(rid)), 0);
	CU_ASSERT_STRING_EQUAL(rid, "1f0b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
	free(b);
	/* no resourceURL: the Location header */
	b = fixture("orange/send-answer-noresource.json", &len);
	CU_ASSERT_EQUAL(parse_answer(b, len,
		"https://api.orange.com/smsmessaging/v1/outbound/tel:+2230000/requests/abc-123",
		rid, sizeof(rid)), 0);
	CU_ASSERT_STRING_EQUAL(rid, "abc-123");
	CU_ASSERT_EQUAL(parse_answer(b, len, NULL, rid, sizeof(rid)), -1);
	free(b);
	CU_ASSERT_EQUAL(parse_answer("", 0, "", rid, sizeof(rid)), -1);
}

static void test_token_parse(void)
{
	struct orange_token t = { 0 };
	char *b;
	size_t len;

	b = fixture("orange/token-string.json", &len);
	CU_ASSERT_EQUAL(orange_parse_token(b, len, 1000, &t), 0);
	CU_ASSERT_STRING_EQUAL(t.access_token, "i6m2iIcY0SodWSe...L3ojAXXrH");
	CU_ASSERT_STRING_EQUAL(t.token_type, "Bearer");
	CU_ASSERT_DOUBLE_EQUAL(t.expires_at, 4600, 0.001);
	orange_token_release(&t);
	free(b);
	b = fixture("orange/token-number.json", &len);
	CU_ASSERT_EQUAL(orange_parse_token(b, len, 0, &t), 0);
	CU_ASSERT_DOUBLE_EQUAL(t.expires_at, 7776000, 0.001);
	orange_token_release(&t);
	free(b);
	CU_ASSERT_EQUAL(orange_parse_token("{\"access_token\":\"x\"}", 20, 0, &t), -1);
	CU_ASSERT_EQUAL(orange_parse_token("{\"access_token\":\"x\",\"expires_in\":\"soon\"}", 40, 0, &t), -1);
}

static void check_answer(const char *file, long status, double ra, bool token_call,
			 enum orange_err_kind kind, const char *code, bool maybe)
{
	struct orange_error e = ORANGE_ERROR_INIT;
	char *b;
	size_t len;

	b = fixture(file, &len);
	orange_error_from_answer(status, b, len, ra, token_call, &e);
	CU_ASSERT_EQUAL(e.kind, kind);
	CU_ASSERT_STRING_EQUAL(e.code, code);
	CU_ASSERT_EQUAL(e.maybe_accepted, maybe);
	CU_ASSERT_EQUAL(e.http_status, status);
	free(b);
	orange_error_release(&e);
}

static void test_error_mapping(void)
{
	struct orange_error e = ORANGE_ERROR_INIT;
	char *b;
	size_t len;

	check_answer("orange/error-invalid-client.json", 401, 0, true,
		     ORANGE_ERR_CREDENTIALS, "invalid_client", false);
	check_answer("orange/error-41.json", 401, 0, false, ORANGE_ERR_CREDENTIALS, "41", false);
	check_answer("orange/error-42.json", 401, 0, false, ORANGE_ERR_TOKEN_EXPIRED, "42", false);
	check_answer("orange/error-svc0002.json", 400, 0, false, ORANGE_ERR_INVALID, "SVC0002", false);
	check_answer("orange/error-pol0001.json", 403, 0, false, ORANGE_ERR_POLICY, "POL0001", false);
	check_answer("orange/error-429.json", 429, 7, false, ORANGE_ERR_RATE_LIMITED, "53", false);
	check_answer("orange/error-42.json", 503, 0, false, ORANGE_ERR_SERVER, "42", true);

	b = fixture("orange/error-pol0001.json", &len);
	orange_error_from_answer(403, b, len, 0, false, &e);
	CU_ASSERT_STRING_EQUAL(e.variables, "No more SMS available for country MLI");
	CU_ASSERT(strstr(e.message, "Policy error: No more SMS available for country MLI") != NULL);
	CU_ASSERT_FALSE(orange_err_retryable(&e));
	free(b);
	b = fixture("orange/error-svc0002.json", &len);
	orange_error_from_answer(400, b, len, 0, false, &e);
	CU_ASSERT_STRING_EQUAL(e.variables, "address");
	CU_ASSERT(strstr(e.message, "message part address") != NULL);
	free(b);
	b = fixture("orange/error-429.json", &len);
	orange_error_from_answer(429, b, len, 7, false, &e);
	CU_ASSERT_DOUBLE_EQUAL(e.retry_after, 7, 0.001);
	CU_ASSERT(orange_err_retryable(&e));
	free(b);
	/* found by fuzzing: a path secret echoed in any error form is masked */
	{
		static const char *const bodies[] = {
			"{\"code\":41,\"message\":\"x\",\"description\":\"see https://h/orange/dr/S3CRET1\"}",
			"{\"error\":\"invalid_client\",\"error_description\":\"/orange/dr/S3CRET1\"}",
			"{\"requestError\":{\"serviceException\":{\"messageId\":\"SVC0002/orange/dr/S3CRET1\","
			"\"text\":\"bad %1\",\"variables\":[\"https://h/orange/dr/S3CRET1\"]}}}",
		};
		size_t i;
		for (i = 0; i < ARRAY_SIZE(bodies); i++) {
			orange_error_from_answer(400, bodies[i], strlen(bodies[i]), 0, false, &e);
			CU_ASSERT(strstr(e.message, "S3CRET1") == NULL);
			CU_ASSERT(strstr(e.variables, "S3CRET1") == NULL);
		}
	}
	/* a body that is not JSON still maps by status */
	orange_error_from_answer(502, "<html>bad gateway</html>", 24, 0, false, &e);
	CU_ASSERT_EQUAL(e.kind, ORANGE_ERR_SERVER);
	CU_ASSERT(e.maybe_accepted);
	CU_ASSERT_STRING_EQUAL(orange_err_name(ORANGE_ERR_POLICY), "no-credit");
	orange_error_release(&e);
}


/* ---- the live API's recorded shapes (tests/data/orange/) ---- */

static void test_live_token(void)
{
	static const struct { const char *file; size_t len; } cases[] = {
		{ "orange/token-live.json", 600 }, { "orange/token-live-4000.json", 4000 },
	};
	struct orange_token t = { 0 };
	size_t i, len;
	char *b;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		b = fixture(cases[i].file, &len);
		CU_ASSERT_EQUAL(orange_parse_token(b, len, 1000, &t), 0);
		CU_ASSERT_EQUAL(strlen(t.access_token), cases[i].len);
		CU_ASSERT(starts_with(t.access_token, "eyJ"));
		CU_ASSERT_STRING_EQUAL(t.token_type, "Bearer");
		CU_ASSERT_DOUBLE_EQUAL(t.expires_at, 4600, 0.001); /* a number */
		orange_token_release(&t);
		free(b);
	}
}

static void test_live_send_and_errors(void)
{
	struct orange_error e = ORANGE_ERROR_INIT;
	char rid[128], *b;
	size_t len;

	b = fixture("orange/send-answer-live.json", &len);
	CU_ASSERT_EQUAL(parse_answer(b, len, NULL, rid, sizeof(rid)), 0);
	CU_ASSERT_STRING_EQUAL(rid, "3f1e5d2c-9b8a-4c7d-8e6f-5a4b3c2d1e0f");
	free(b);
	check_answer("orange/error-invalid-client-decode.json", 401, 0, true,
		     ORANGE_ERR_CREDENTIALS, "invalid_client", false);
	check_answer("orange/error-pol0001-live.json", 403, 0, false, ORANGE_ERR_POLICY,
		     "POL0001", false);
	check_answer("orange/error-404.json", 404, 0, false, ORANGE_ERR_NOT_FOUND, "60", false);
	check_answer("orange/error-503.json", 503, 0, false, ORANGE_ERR_SERVER, "5", true);
	b = fixture("orange/error-pol0001-live.json", &len);
	orange_error_from_answer(403, b, len, 0, false, &e);
	CU_ASSERT_STRING_EQUAL(e.variables, "Expired contract");
	CU_ASSERT(strstr(e.message, "A policy error occurred. Error code is Expired contract") != NULL);
	free(b);
	b = fixture("orange/error-invalid-client-decode.json", &len);
	orange_error_from_answer(401, b, len, 0, true, &e);
	CU_ASSERT(strstr(e.message, "Unable to decode Basic authorization.") != NULL);
	free(b);
	orange_error_release(&e);
}

static void test_live_admin(void)
{
	struct orange_contract *k = NULL;
	struct orange_usage *u = NULL;
	struct orange_purchase *p = NULL;
	double now = time_now();
	size_t n = 0, len;
	char *b;

	b = fixture("orange/contracts-live.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, len, &k, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(k[0].contract_id, "9a7c1e2f-0d3b-4c55-8e61-2f4b6d8a0c13");
	CU_ASSERT_STRING_EQUAL(k[0].service, "SMS_OCB");
	CU_ASSERT_STRING_EQUAL(k[0].status, "ACTIVE");
	CU_ASSERT_EQUAL(orange_contract_spendable(&k[0], now), 184);
	/* EXPIRED with units left: those units cannot be spent */
	CU_ASSERT_STRING_EQUAL(k[1].country, "SEN");
	CU_ASSERT_STRING_EQUAL(k[1].status, "EXPIRED");
	CU_ASSERT_EQUAL(k[1].available_units, 73);
	CU_ASSERT_EQUAL(orange_contract_spendable(&k[1], now), 0);
	CU_ASSERT_STRING_EQUAL(k[1].expires, "2023-01-31T23:59:59.000Z");
	orange_contracts_free(k, n);
	free(b);
	/* found by fuzzing: an expiry of 1e999 (inf) is no date */
	b = xstrdup("[{\"country\":\"MLI\",\"availableUnits\":5,\"expirationDate\":1e999}]");
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, strlen(b), &k, &n), 0);
	CU_ASSERT_DOUBLE_EQUAL(k[0].expires_at, 0, 0.001);
	orange_contracts_free(k, n);
	free(b);
	/* found by fuzzing: a country that is not three letters is unknown */
	b = xstrdup("[{\"country\":\",IV\",\"availableUnits\":5}]");
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, strlen(b), &k, &n), 0);
	CU_ASSERT_STRING_EQUAL(k[0].country, "");
	orange_contracts_free(k, n);
	free(b);
	/* the status alone decides, whatever the date says */
	b = xstrdup("[{\"id\":\"x\",\"country\":\"MLI\",\"availableUnits\":5,"
		    "\"status\":\"EXPIRED\",\"expirationDate\":\"2099-01-01T00:00:00.000Z\"}]");
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, strlen(b), &k, &n), 0);
	CU_ASSERT_EQUAL(orange_contract_spendable(&k[0], now), 0);
	orange_contracts_free(k, n);
	free(b);

	b = fixture("orange/statistics-live.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_statistics(b, len, &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(u[0].country, "CIV");
	CU_ASSERT_STRING_EQUAL(u[0].app_id, ""); /* appid: null */
	CU_ASSERT_EQUAL(u[0].usage, 13);
	CU_ASSERT_STRING_EQUAL(u[1].app_id, "Xy3kP9qLm2");
	orange_usage_free(u, n);
	free(b);

	b = fixture("orange/purchaseorders-live.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_purchase_orders(b, len, &p, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	/* newest first, as Orange lists them; units = new - old */
	CU_ASSERT_STRING_EQUAL(p[0].id, "6553f1c2a8b4e90012345678");
	CU_ASSERT_EQUAL(p[0].units, 100);
	CU_ASSERT_DOUBLE_EQUAL(p[0].amount, 725, 0.001);
	CU_ASSERT_STRING_EQUAL(p[0].currency, "XOF");
	CU_ASSERT_STRING_EQUAL(p[0].date, "2023-11-14T21:05:38.000Z");
	CU_ASSERT_STRING_EQUAL(p[0].contract_id, "9a7c1e2f-0d3b-4c55-8e61-2f4b6d8a0c13");
	CU_ASSERT_EQUAL(p[1].units, 100);
	orange_purchases_free(p, n);
	free(b);
}

/* griot's own JSON form goes round: what is written is read back. */
static void test_admin_json_roundtrip(void)
{
	struct orange_contract *k = NULL, *k2 = NULL;
	struct json_gen *g = json_gen_new(false);
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, n2 = 0, len, i;
	json_value *v;
	char *b, err[128];

	b = fixture("orange/contracts-live.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, len, &k, &n), 0);
	json_array_open(g);
	for (i = 0; i < n; i++) {
		json_map_open(g);
		orange_contract_kv(g, &k[i]);
		json_map_close(g);
	}
	json_array_close(g);
	json_gen_to_strbuf(g, &sb);
	v = json_parse(sb.buf, sb.len, 0, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(orange_contracts_from_json(v, &k2, &n2), 0);
	CU_ASSERT_EQUAL_FATAL(n2, n);
	for (i = 0; i < n; i++) {
		CU_ASSERT_STRING_EQUAL(k2[i].country, k[i].country);
		CU_ASSERT_STRING_EQUAL(k2[i].contract_id, k[i].contract_id);
		CU_ASSERT_STRING_EQUAL(k2[i].status, k[i].status);
		CU_ASSERT_EQUAL(k2[i].available_units, k[i].available_units);
		CU_ASSERT_DOUBLE_EQUAL(k2[i].expires_at, k[i].expires_at, 0.001);
		CU_ASSERT_EQUAL(orange_contract_spendable(&k2[i], time_now()),
				orange_contract_spendable(&k[i], time_now()));
	}
	json_free(v);
	json_gen_free(g);
	strbuf_release(&sb);
	orange_contracts_free(k, n);
	orange_contracts_free(k2, n2);
	free(b);
}

static void test_contracts_parse(void)
{
	struct orange_contract *k = NULL;
	size_t n = 0, len;
	char *b;

	b = fixture("orange/contracts-documented.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, len, &k, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(k[0].country, "CIV");
	CU_ASSERT_EQUAL(k[0].available_units, 324);
	CU_ASSERT_STRING_EQUAL(k[0].contract_id, "2117fc27-a121-46f2-933c-cd4ec6475d67");
	CU_ASSERT_STRING_EQUAL(k[0].service, "SMS_OCB");
	CU_ASSERT_STRING_EQUAL(k[0].expires, "2015-05-01T14:38:14");
	CU_ASSERT_DOUBLE_EQUAL(k[0].expires_at, 1430491094, 0.5);
	CU_ASSERT(strstr(k[0].description, "324 SMS") != NULL);
	CU_ASSERT_STRING_EQUAL(k[1].country, "MLI");
	CU_ASSERT_EQUAL(k[1].available_units, 1500); /* sent as a string */
	orange_contracts_free(k, n);
	free(b);

	b = fixture("orange/contracts-array.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_contracts(b, len, &k, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(k[0].country, "SEN");
	CU_ASSERT_EQUAL(k[0].available_units, 975);
	CU_ASSERT_DOUBLE_EQUAL(k[0].expires_at, 1798761599, 0.5);
	CU_ASSERT(strstr(k[0].description, "1 000 SMS") != NULL);
	CU_ASSERT_STRING_EQUAL(k[1].country, "MLI");
	CU_ASSERT_EQUAL(k[1].available_units, 0);
	CU_ASSERT_DOUBLE_EQUAL(k[1].expires_at, 1767225600, 0.5); /* milliseconds */
	CU_ASSERT_STRING_EQUAL(k[1].expires, "2026-01-01T00:00:00");
	orange_contracts_free(k, n);
	free(b);

	log_set_level(LOG_QUIET);
	CU_ASSERT_EQUAL(orange_parse_contracts("{\"x\":1}", 7, &k, &n), -1);
	CU_ASSERT_EQUAL(orange_parse_contracts("[1,", 3, &k, &n), -1);
	log_set_level(LOG_INFO);
}

static void test_statistics_parse(void)
{
	struct orange_usage *u = NULL;
	size_t n = 0, len;
	char *b;

	b = fixture("orange/statistics-documented.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_statistics(b, len, &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(u[0].country, "CIV");
	CU_ASSERT_STRING_EQUAL(u[0].app_id, "45153daa87e...84e8e4ba");
	CU_ASSERT_EQUAL(u[0].usage, 153);
	CU_ASSERT_EQUAL(u[1].usage, 23);
	CU_ASSERT_STRING_EQUAL(u[2].country, "MLI");
	CU_ASSERT_EQUAL(u[2].usage, 7);
	orange_usage_free(u, n);
	free(b);
	b = fixture("orange/statistics-array.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_statistics(b, len, &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(u[0].country, "SEN");
	CU_ASSERT_EQUAL(u[0].usage, 42);
	CU_ASSERT_STRING_EQUAL(u[1].app_id, "app-2");
	CU_ASSERT_EQUAL(u[1].usage, 5);
	orange_usage_free(u, n);
	free(b);
}

static void test_purchase_parse(void)
{
	struct orange_purchase *p = NULL;
	size_t n = 0, len;
	char *b;

	b = fixture("orange/purchaseorders-documented.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_purchase_orders(b, len, &p, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(p[0].id, "24031977");
	CU_ASSERT_STRING_EQUAL(p[0].country, "CIV");
	CU_ASSERT_STRING_EQUAL(p[0].currency, "XOF");
	CU_ASSERT_DOUBLE_EQUAL(p[0].amount, 15000, 0.001);
	CU_ASSERT_EQUAL(p[0].units, 500); /* from "Bundle 2 - 500 SMS for 15 000 FCFA)" */
	CU_ASSERT_STRING_EQUAL(p[0].date, "2015-04-01T14:38:40");
	CU_ASSERT_STRING_EQUAL(p[0].bundle_id, "bc8cda15-3409-495a-b5ab-87c7017816b1");
	CU_ASSERT_STRING_EQUAL(p[1].country, "MLI");
	CU_ASSERT_EQUAL(p[1].units, -1); /* "Starter bundle": unknown */
	orange_purchases_free(p, n);
	free(b);

	b = fixture("orange/purchaseorders-array.json", &len);
	CU_ASSERT_EQUAL_FATAL(orange_parse_purchase_orders(b, len, &p, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(p[0].country, "SEN");
	CU_ASSERT_EQUAL(p[0].units, 1000); /* "1 000 SMS" */
	CU_ASSERT_DOUBLE_EQUAL(p[0].amount, 25000, 0.001);
	CU_ASSERT_STRING_EQUAL(p[0].contract_id, "c-1");
	CU_ASSERT_EQUAL(p[1].units, 2500); /* the units field wins */
	CU_ASSERT_DOUBLE_EQUAL(p[1].amount, 60000.5, 0.001);
	CU_ASSERT_STRING_EQUAL(p[1].date, "2026-02-01T00:00:00Z");
	orange_purchases_free(p, n);
	free(b);

	CU_ASSERT_EQUAL(orange_units_from_description("Bundle 2 - 500 SMS for 15 000 FCFA)"), 500);
	CU_ASSERT_EQUAL(orange_units_from_description("Pack 10\xc2\xa0" "000 sms pour 250 000 FCFA"), 10000);
	CU_ASSERT_EQUAL(orange_units_from_description("Starter: 25 SMS"), 25);
	CU_ASSERT_EQUAL(orange_units_from_description("SMS bundle"), -1);
	CU_ASSERT_EQUAL(orange_units_from_description("500 SMSC credits"), -1);
	CU_ASSERT_EQUAL(orange_units_from_description(NULL), -1);
}

static void test_subscription_parse(void)
{
	struct orange_subscription s;
	char *b, *body = NULL, err[128], m[256];
	size_t len;
	json_value *v;

	b = fixture("orange/subscription.json", &len);
	CU_ASSERT_EQUAL(orange_parse_subscription(b, len, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.id, "5f1d1f3c-7b7e-4d61-9a59-0c3e4c1f2a10");
	CU_ASSERT_STRING_EQUAL(s.notify_url, "https://dr.example.com:443/orange/smsdr.php");
	orange_subscription_release(&s);
	free(b);

	CU_ASSERT_EQUAL_FATAL(orange_dr_body("https://h.example/orange/dr/s3cr\"t", &body, &len), 0);
	v = json_parse(body, len, 0, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(json_string(json_path(v, "deliveryReceiptSubscription",
		"callbackReference", "notifyURL", NULL)), "https://h.example/orange/dr/s3cr\"t");
	json_free(v);
	free(body);

	CU_ASSERT(orange_notify_url_ok("https://dr.example.com/x", false));
	CU_ASSERT_FALSE(orange_notify_url_ok("http://dr.example.com/x", false));
	CU_ASSERT(orange_notify_url_ok("http://127.0.0.1:8080/x", true));
	CU_ASSERT_FALSE(orange_notify_url_ok("https://", false));
	CU_ASSERT_FALSE(orange_notify_url_ok("ftp://x", true));
	CU_ASSERT_FALSE(orange_notify_url_ok("https://a b", false));

	mask("https://h.example/orange/dr/S3CRET", m, sizeof(m));
	CU_ASSERT_STRING_EQUAL(m, "https://h.example/orange/dr/***");
	mask("https://h.example:443/base/orange/dr/S3CRET/x?y=1", m, sizeof(m));
	CU_ASSERT_STRING_EQUAL(m, "https://h.example:443/base/orange/dr/***/x?y=1");
	mask("https://h.example/plain", m, sizeof(m));
	CU_ASSERT_STRING_EQUAL(m, "https://h.example/plain");
}

/* ---- against orange-sim ---- */

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
	strbuf_add(arg, p, s * n);
	return s * n;
}

/* Control endpoint of the simulator (no auth); body NULL = GET. */
static int sim_ctl(const struct test_sim *sim, const char *what, const char *body,
		   struct strbuf *out)
{
	struct strbuf url = STRBUF_INIT, tmp = STRBUF_INIT;
	CURL *e = curl_easy_init();
	long st = 0;
	CURLcode rc;

	strbuf_addf(&url, "%s/_sim/%s", sim->base, what);
	curl_easy_setopt(e, CURLOPT_URL, url.buf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out ? out : &tmp);
	if (body)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(e);
	strbuf_release(&url);
	strbuf_release(&tmp);
	return rc == CURLE_OK && st == 200 ? 0 : -1;
}

static long long sim_state(const struct test_sim *sim, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	char err[128];
	json_value *v;
	long long n = -1;

	if (sim_ctl(sim, "state", NULL, &sb) == 0) {
		v = json_parse(sb.buf, sb.len, 0, err, sizeof(err));
		if (json_as_int(json_get(v, key), false, &n) < 0)
			n = -1;
		json_free(v);
	}
	strbuf_release(&sb);
	return n;
}

static struct orange_client *client(const struct test_sim *sim, const char *auth,
				    const char *cache, double timeout)
{
	struct orange_client_opts o = { 0 };

	o.api_base = sim->base;
	o.auth_header = auth ? auth : SIM_AUTH;
	o.token_cache = cache;
	o.timeout = timeout;
	return orange_client_new(&o);
}

static const char *cache_path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", test_tmpdir(), name);
	return p;
}

static void test_sim_token_cache_shared(void)
{
	static const char *const args[] = { NULL };
	struct test_sim sim;
	struct orange_client *a, *b, *other;
	struct orange_token ta = { 0 }, tb = { 0 }, tc = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	struct orange_stats st;
	struct stat sb;
	char cache[512];

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	strlcpy_(cache, cache_path("token-shared"), sizeof(cache));
	a = client(&sim, NULL, cache, 0);
	b = client(&sim, NULL, cache, 0);
	CU_ASSERT_EQUAL_FATAL(get_token(a, false, &ta, &err), 0);
	CU_ASSERT_STRING_EQUAL(ta.token_type, "Bearer");
	CU_ASSERT(ta.expires_at > time_now() + 3000);
	/* the file: 0600, holds no authorization header */
	CU_ASSERT_EQUAL(stat(cache, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	{
		struct strbuf f = STRBUF_INIT;
		strbuf_read_file(&f, cache, 1 << 20);
		CU_ASSERT(strstr(f.buf, "dGVzdDp0ZXN0") == NULL);
		CU_ASSERT(strstr(f.buf, ta.access_token) != NULL);
		strbuf_release(&f);
	}
	/* the second instance reads the cache: no new token at the sim */
	CU_ASSERT_EQUAL(get_token(b, false, &tb, &err), 0);
	CU_ASSERT_STRING_EQUAL(tb.access_token, ta.access_token);
	orange_client_stats(b, &st);
	CU_ASSERT_EQUAL(st.token_requests, 0);
	CU_ASSERT_EQUAL(st.token_from_cache, 1);
	CU_ASSERT_EQUAL(sim_state(&sim, "tokens"), 1);
	/* and then keeps it in memory: asking again reads nothing */
	CU_ASSERT_EQUAL(get_token(b, false, &tb, &err), 0);
	orange_client_stats(b, &st);
	CU_ASSERT_EQUAL(st.token_from_cache, 1);

	/* another account on the same file never gets this token */
	other = client(&sim, "Basic b3RoZXI6YWNjb3VudA==", cache, 0);
	CU_ASSERT_EQUAL(get_token(other, false, &tc, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_CREDENTIALS);
	CU_ASSERT_EQUAL(err.http_status, 401);
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT(strstr(err.message, "b3RoZXI6") == NULL);
	CU_ASSERT(strstr(err.message, "dGVzdDp0ZXN0") == NULL);

	/* forcing a renewal gives a new token, which b then adopts on a 401 */
	CU_ASSERT_EQUAL(get_token(a, true, &tc, &err), 0);
	CU_ASSERT_STRING_NOT_EQUAL(tc.access_token, ta.access_token);
	CU_ASSERT_EQUAL(sim_state(&sim, "tokens"), 2);

	orange_token_release(&ta);
	orange_token_release(&tb);
	orange_token_release(&tc);
	orange_client_free(a);
	orange_client_free(b);
	orange_client_free(other);
	test_sim_stop(&sim);
	orange_error_release(&err);
}


/*
 * The cache file is checked and read through one descriptor: while
 * another process keeps swapping the path between the genuine file and
 * a symbolic link to a file readable by others holding another token, a
 * client never takes that token (griot once checked one open and read
 * through a second one, which followed the link).
 */
static void test_token_cache_swapped_link(void)
{
	static const char *const args[] = { "--token-rate", "1000000", NULL };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_token t = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	struct strbuf f = STRBUF_INIT, evil = STRBUF_INIT;
	char cache[512], good[600], bad[600], tmp[600], *at;
	int i, hits = 0, got = 0;
	double until;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	strlcpy_(cache, cache_path("token-swap"), sizeof(cache));
	snprintf(good, sizeof(good), "%s.good", cache);
	snprintf(bad, sizeof(bad), "%s.evil", cache);
	c = client(&sim, NULL, cache, 0);
	CU_ASSERT_EQUAL_FATAL(get_token(c, false, &t, &err), 0);
	orange_client_free(c);
	/* the attacker's copy: same entry, another token, mode 0644 */
	CU_ASSERT_EQUAL_FATAL(strbuf_read_file(&f, cache, 1 << 20), 0);
	at = strstr(f.buf, t.access_token);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	strbuf_add(&evil, f.buf, (size_t)(at - f.buf));
	strbuf_addstr(&evil, "EVILTOKEN");
	strbuf_addstr(&evil, at + strlen(t.access_token));
	{
		FILE *fp = fopen(bad, "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
		fwrite(evil.buf, 1, evil.len, fp);
		fclose(fp);
		chmod(bad, 0644);
	}
	CU_ASSERT_EQUAL_FATAL(rename(cache, good), 0);
	pid = fork();
	if (pid == 0) {
		/* swap for at most 20 s (the parent kills us sooner) */
		double end = time_now() + 20;
		snprintf(tmp, sizeof(tmp), "%s.tmp", cache);
		while (time_now() < end) {
			unlink(tmp);
			if (link(good, tmp) == 0)
				rename(tmp, cache);
			unlink(tmp);
			if (symlink(bad, tmp) == 0)
				rename(tmp, cache);
		}
		_exit(0);
	}
	log_set_level(LOG_QUIET);
	until = time_now() + 3;
	for (i = 0; time_now() < until; i++) {
		struct orange_token u = { 0 };
		c = client(&sim, NULL, cache, 0);
		if (get_token(c, false, &u, &err) == 0) {
			got++;
			if (!strcmp(u.access_token, "EVILTOKEN"))
				hits++;
		}
		orange_token_release(&u);
		orange_client_free(c);
	}
	log_set_level(LOG_INFO);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CU_ASSERT(got > 0);
	CU_ASSERT_EQUAL(hits, 0);
	if (hits)
		fprintf(stderr, "the swapped-in token was taken %d times in %d tries\n", hits, i);
	orange_token_release(&t);
	strbuf_release(&f);
	strbuf_release(&evil);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

/* Read a pipe to its end into a string (at most size - 1 bytes). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/*
 * Several processes at once with a cold cache: one asks Orange, all use
 * its token, also when it is a 4,000-character JWT (the live API's are
 * about 600; griot once kept them in 512 bytes).
 */
static void test_sim_token_cache_concurrent(void)
{
	static const char *const args[] = { "--fault-latency", "200", "--token-length", "4000", NULL };
	enum { N = 4, TOKMAX = 8192 };
	struct test_sim sim;
	char cache[512];
	static char toks[N][TOKMAX];
	int fds[N][2], i, st;
	pid_t pids[N];

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	strlcpy_(cache, cache_path("token-concurrent"), sizeof(cache));
	for (i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(pipe(fds[i]), 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct orange_client *c = client(&sim, NULL, cache, 0);
			struct orange_token t = { 0 };
			struct orange_error err = ORANGE_ERROR_INIT;
			int ok;
			close(fds[i][0]);
			ok = c && get_token(c, false, &t, &err) == 0;
			if (ok && write(fds[i][1], t.access_token, strlen(t.access_token)) < 0)
				ok = 0;
			_exit(ok ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < N; i++) {
		read_all(fds[i][0], toks[i], sizeof(toks[i]));
		close(fds[i][0]);
		CU_ASSERT_EQUAL(waitpid(pids[i], &st, 0), pids[i]);
		CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CU_ASSERT_EQUAL(strlen(toks[0]), 4000);
	for (i = 1; i < N; i++)
		CU_ASSERT_STRING_EQUAL(toks[i], toks[0]);
	CU_ASSERT_EQUAL(sim_state(&sim, "tokens"), 1);
	test_sim_stop(&sim);
}

/* A JWT-sized token (600 and 4,000 characters) is obtained, used for a
 * send and an admin call, renewed on a revocation, and cached. */
static void test_sim_token_long(void)
{
	static const char *const lens[] = { "600", "4000" };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "long token", NULL, NULL };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		const char *args[] = { "--credits", "MLI:10", "--token-length", lens[i], NULL };
		struct orange_contract *k = NULL;
		struct orange_token t = { 0 }, t2 = { 0 };
		struct orange_client *c, *c2;
		struct orange_error err = ORANGE_ERROR_INIT;
		struct test_sim sim;
		char rid[128], cache[512];
		size_t n = 0;

		CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
		snprintf(cache, sizeof(cache), "%s/token-long-%s", test_tmpdir(), lens[i]);
		c = client(&sim, NULL, cache, 0);
		CU_ASSERT_EQUAL_FATAL(get_token(c, false, &t, &err), 0);
		CU_ASSERT_EQUAL(strlen(t.access_token), (size_t)atoi(lens[i]));
		CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
		CU_ASSERT_EQUAL(orange_contracts(c, NULL, &k, &n, &err), 0);
		CU_ASSERT_EQUAL(n, 1);
		orange_contracts_free(k, n);
		CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
		/* refused, renewed, not resent: the caller sends it again */
		CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
		CU_ASSERT(err.send_again);
		CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
		/* a second process takes the renewed token from the cache */
		c2 = client(&sim, NULL, cache, 0);
		CU_ASSERT_EQUAL(get_token(c2, false, &t2, &err), 0);
		CU_ASSERT_EQUAL(get_token(c, false, &t, &err), 0);
		CU_ASSERT_STRING_EQUAL(t2.access_token, t.access_token);
		CU_ASSERT_EQUAL(sim_state(&sim, "tokens"), 2);
		CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 2);
		orange_token_release(&t);
		orange_token_release(&t2);
		orange_error_release(&err);
		orange_client_free(c);
		orange_client_free(c2);
		test_sim_stop(&sim);
	}
}

static void test_sim_token_renewal(void)
{
	static const char *const args[] = { "--credits", "MLI:100", "--expires-in-number", NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "renew", NULL, NULL };
	struct orange_client_opts o = { 0 };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_token t1 = { 0 }, t2 = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	struct orange_stats st;
	char rid[128];

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(get_token(c, false, &t1, &err), 0);
	/* expires_in as a number */
	CU_ASSERT(t1.expires_at > time_now() + 3500 && t1.expires_at < time_now() + 3700);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);

	/* revoked behind our back: one 401 code 42, one renewal, sent
	 * again by the caller, success */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT(err.send_again);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.renewals_on_401, 1);
	CU_ASSERT_EQUAL(st.token_requests, 2);
	CU_ASSERT_EQUAL(get_token(c, false, &t2, &err), 0);
	CU_ASSERT_STRING_NOT_EQUAL(t2.access_token, t1.access_token);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 2);
	orange_client_free(c);

	/* renewed before expiry: a lifetime shorter than the margin is
	 * renewed on every use; the default margin keeps a fresh one */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"token_ttl\":30}", NULL), 0);
	o.api_base = sim.base;
	o.auth_header = SIM_AUTH;
	o.renew_margin = 40;
	c = orange_client_new(&o);
	CU_ASSERT_EQUAL(get_token(c, false, &t1, &err), 0);
	CU_ASSERT_EQUAL(get_token(c, false, &t2, &err), 0);
	CU_ASSERT_STRING_NOT_EQUAL(t1.access_token, t2.access_token);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.token_requests, 2);
	orange_client_free(c);
	c = client(&sim, NULL, NULL, 0); /* default margin: 10% of 30 s */
	CU_ASSERT_EQUAL(get_token(c, false, &t1, &err), 0);
	CU_ASSERT_EQUAL(get_token(c, false, &t2, &err), 0);
	CU_ASSERT_STRING_EQUAL(t1.access_token, t2.access_token);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.token_requests, 1);
	orange_client_free(c);
	orange_token_release(&t1);
	orange_token_release(&t2);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

static void test_sim_send_and_errors(void)
{
	static const char *const args[] = { "--credits", "MLI:2", "--echo-address", "array", NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "Bonjour", NULL, NULL };
	struct test_sim sim;
	struct orange_client *c, *bad;
	struct orange_error err = ORANGE_ERROR_INIT;
	char rid[128], needle[200];

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0);

	/* accepted: 201, id from resourceURL, address echoed as an array */
	CU_ASSERT_EQUAL_FATAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
	CU_ASSERT_EQUAL(strlen(rid), 36);
	snprintf(needle, sizeof(needle), "\"resource_id\":\"%s\"", rid);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, needle), 1);

	/* invalid request: an address of no Orange country */
	sms.address = "tel:+99912345678";
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_INVALID);
	CU_ASSERT_EQUAL(err.http_status, 400);
	CU_ASSERT_STRING_EQUAL(err.code, "SVC0004");
	CU_ASSERT_STRING_EQUAL(err.variables, "address");
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT_FALSE(orange_err_retryable(&err));
	/* and refused before sending when it is not tel:+digits */
	sms.address = "+22370123456";
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_INVALID);
	CU_ASSERT_EQUAL(err.http_status, 0);
	sms.address = "tel:+22370123456";

	/* rate limited: 429 with Retry-After, surely not accepted */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_429\":1}", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_RATE_LIMITED);
	CU_ASSERT_EQUAL(err.http_status, 429);
	CU_ASSERT(err.retry_after >= 1);
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT(orange_err_retryable(&err));

	/* 5xx: maybe accepted */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_429\":0,\"fault_5xx\":1}", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_SERVER);
	CU_ASSERT(err.http_status == 500 || err.http_status == 503);
	CU_ASSERT(err.maybe_accepted);

	/* dropped after the request was read: accepted, we cannot know */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_5xx\":0,\"fault_drop\":1}", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_NETWORK);
	CU_ASSERT_EQUAL(err.http_status, 0);
	CU_ASSERT(err.maybe_accepted);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"drop\""), 1); /* it really was */

	/* no credit left (2 units bought, 2 used): policy error */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_drop\":0}", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_POLICY);
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_STRING_EQUAL(err.code, "POL0001");
	CU_ASSERT(strstr(err.variables, "MLI") != NULL);
	CU_ASSERT_FALSE(err.maybe_accepted);

	/* bad credentials */
	bad = client(&sim, "Basic bm9wZTpub3Bl", NULL, 0);
	CU_ASSERT_EQUAL(send_one(bad, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(err.code, "invalid_client");
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT(strstr(err.message, "bm9wZTpub3Bl") == NULL);
	orange_client_free(bad);
	orange_client_free(c);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

/* A timeout while the send itself waits for its answer. */
static void test_sim_timeout_after_send(void)
{
	static const char *const args[] = { "--credits", "MLI:10", NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "slow", NULL, NULL };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_token t = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	char rid[128];

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0.5);
	CU_ASSERT_EQUAL_FATAL(get_token(c, false, &t, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_latency_ms\":1500}", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_NETWORK);
	CU_ASSERT(err.maybe_accepted);
	CU_ASSERT(strstr(err.message, "after the request was sent") != NULL);
	orange_client_free(c);
	orange_token_release(&t);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

static void test_connection_refused(void)
{
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "x", NULL, NULL };
	struct orange_client_opts o = { 0 };
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct orange_client *c;
	struct orange_error err = ORANGE_ERROR_INIT;
	char base[64], rid[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a bound port nobody listens on: connections are refused */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	o.api_base = base;
	o.auth_header = SIM_AUTH;
	c = orange_client_new(&o);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_NETWORK);
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT(orange_err_retryable(&err));
	orange_client_free(c);
	close(fd);
	orange_error_release(&err);
}

static void check_admin(const char *shape)
{
	const char *args[] = { "--credits", "MLI:500,CIV:1000", "--admin-shape", shape, NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "Bonjour", NULL, NULL };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_contract *k;
	struct orange_usage *u;
	struct orange_purchase *p;
	struct orange_error err = ORANGE_ERROR_INIT;
	size_t n, i;
	char rid[128];
	int seen = 0;

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);

	CU_ASSERT_EQUAL_FATAL(orange_contracts(c, NULL, &k, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	for (i = 0; i < n; i++) {
		if (!strcmp(k[i].country, "MLI")) {
			CU_ASSERT_EQUAL(k[i].available_units, 499);
			seen++;
		} else if (!strcmp(k[i].country, "CIV")) {
			CU_ASSERT_EQUAL(k[i].available_units, 1000);
			seen++;
		}
		CU_ASSERT(k[i].expires_at > time_now());
		CU_ASSERT(k[i].contract_id[0] != '\0');
	}
	CU_ASSERT_EQUAL(seen, 2);
	orange_contracts_free(k, n);
	CU_ASSERT_EQUAL_FATAL(orange_contracts(c, "CIV", &k, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(k[0].country, "CIV");
	orange_contracts_free(k, n);

	CU_ASSERT_EQUAL_FATAL(orange_statistics(c, "MLI", NULL, &u, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(u[0].usage, 1);
	CU_ASSERT_STRING_EQUAL(u[0].app_id, "sim-app");
	orange_usage_free(u, n);
	CU_ASSERT_EQUAL_FATAL(orange_statistics(c, NULL, "no such app", &u, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	orange_usage_free(u, n);

	CU_ASSERT_EQUAL_FATAL(orange_purchase_orders(c, "MLI", &p, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(p[0].country, "MLI");
	CU_ASSERT_EQUAL(p[0].units, 500);
	CU_ASSERT(p[0].currency[0] != '\0');
	CU_ASSERT(p[0].date[0] != '\0');
	orange_purchases_free(p, n);

	/* a filter Orange refuses: invalid request, nothing parsed */
	CU_ASSERT_EQUAL(orange_contracts(c, "mali", &k, &n, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_INVALID);
	CU_ASSERT_PTR_NULL(k);
	orange_client_free(c);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

static void test_sim_admin_documented(void) { check_admin("documented"); }
static void test_sim_admin_array(void) { check_admin("array"); }

struct async_tally {
	int ok, failed, kinds[16], maybe, again;
	char last_rid[128];
};

static void on_done(void *arg, const char *rid, const struct orange_error *err)
{
	struct async_tally *t = arg;

	if (rid) {
		t->ok++;
		strlcpy_(t->last_rid, rid, sizeof(t->last_rid));
	} else {
		t->failed++;
		t->kinds[err->kind]++;
		t->maybe += err->maybe_accepted;
		t->again += err->send_again;
	}
}

/* A fresh tally t, n submits of sms, run until all are done. */
static void send_n(struct orange_client *c, const struct orange_sms *sms, int n,
		   struct async_tally *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++)
		orange_send_submit(c, sms, on_done, t);
	while (orange_send_run(c, 5) > 0)
		;
}

static void test_sim_async(void)
{
	static const char *const args[] = { "--credits", "MLI:1000", "--rate", "100000", NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370000000", "lot", NULL, NULL };
	struct orange_client_opts o = { 0 };
	struct async_tally t = { 0 };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_stats st;
	char addr[32];
	int i, left;

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	o.api_base = sim.base;
	o.auth_header = SIM_AUTH;
	o.max_parallel = 4;
	c = orange_client_new(&o);
	for (i = 0; i < 60; i++) {
		snprintf(addr, sizeof(addr), "tel:+2237000%04d", i);
		sms.address = addr; /* copied by submit */
		CU_ASSERT_EQUAL(orange_send_submit(c, &sms, on_done, &t), 0);
	}
	sms.address = "not a number";
	CU_ASSERT_EQUAL(orange_send_submit(c, &sms, on_done, &t), 0);
	CU_ASSERT_EQUAL(orange_send_in_flight(c), 61);
	while ((left = orange_send_run(c, 5)) > 0)
		;
	CU_ASSERT_EQUAL(left, 0);
	CU_ASSERT_EQUAL(t.ok, 60);
	CU_ASSERT_EQUAL(t.failed, 1);
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_INVALID], 1);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 60);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.token_requests, 1);
	CU_ASSERT_EQUAL(st.requests, 60);
	/* keep-alive: a handful of connections for 60 requests */
	CU_ASSERT(st.connects <= 4 + 1);

	/* revoked while requests are in flight: one renewal for all; those
	 * on the wire are handed back to be sent again, the queued ones
	 * leave with the new token (test_sim_revoked_not_resent) */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
	sms.address = "tel:+22370000001";
	send_n(c, &sms, 20, &t);
	CU_ASSERT(t.again >= 1 && t.again <= 4);
	CU_ASSERT_EQUAL(t.again + t.ok, 20);
	left = t.again;
	send_n(c, &sms, left, &t);
	CU_ASSERT_EQUAL(t.ok, left);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.token_requests, 2);
	CU_ASSERT_EQUAL(st.renewals_on_401, 1);

	/* ambiguous outcomes arrive through done() as well */
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_drop\":1}", NULL), 0);
	for (i = 0; i < 3; i++)
		orange_send_submit(c, &sms, on_done, &t);
	while (orange_send_run(c, 5) > 0)
		;
	CU_ASSERT_EQUAL(t.failed, 3);
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_NETWORK], 3);
	CU_ASSERT_EQUAL(t.maybe, 3);
	/* and none was sent twice on a fresh connection behind our back */
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"drop\""), 3);
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "config", "{\"fault_drop\":0,\"fault_429\":1}", NULL), 0);
	memset(&t, 0, sizeof(t));
	orange_send_submit(c, &sms, on_done, &t);
	while (orange_send_run(c, 5) > 0)
		;
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_RATE_LIMITED], 1);
	CU_ASSERT_EQUAL(t.maybe, 0);

	/* freed with work queued: every request still gets its done() */
	memset(&t, 0, sizeof(t));
	orange_send_submit(c, &sms, on_done, &t);
	orange_send_submit(c, &sms, on_done, &t);
	orange_client_free(c);
	CU_ASSERT_EQUAL(t.failed, 2);
	CU_ASSERT_EQUAL(t.maybe, 0);
	test_sim_stop(&sim);
}

/*
 * A request refused because its token was revoked is not sent again by
 * the client (issue 10, finding 7): the client renews the token and
 * hands the fact back (send_again), so that a paced caller resends in a
 * slot of its own.  One submit, one request on the wire; the blocking
 * orange_send() likewise.
 */
static void test_sim_revoked_not_resent(void)
{
	static const char *const args[] = { "--credits", "MLI:1000", "--rate", "100000", NULL };
	struct orange_sms sms = { "tel:+2230000", "tel:+22370000002", "again", NULL, NULL };
	struct async_tally t = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	struct test_sim sim;
	struct orange_client *c;
	struct orange_stats st;
	char rid[128];
	int i;

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0);
	send_n(c, &sms, 1, &t);
	CU_ASSERT_EQUAL_FATAL(t.ok, 1);

	/* revoked: three submits, three requests, none accepted, none resent */
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
	send_n(c, &sms, 3, &t);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.requests, 1 + 3);
	CU_ASSERT_EQUAL(st.renewals_on_401, 1);
	CU_ASSERT_EQUAL(st.token_requests, 2);
	CU_ASSERT_EQUAL(t.ok, 0);
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_TOKEN_EXPIRED], 3);
	CU_ASSERT_EQUAL(t.again, 3);
	CU_ASSERT_EQUAL(t.maybe, 0);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 1);
	/* the caller sends them again: the renewed token is used */
	send_n(c, &sms, 3, &t);
	CU_ASSERT_EQUAL(t.ok, 3);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 4);

	/* renewed tokens refused again and again with no success between:
	 * credentials are broken, not a token to renew (final) */
	for (i = 0; i < ORANGE_RENEWALS_IN_ROW; i++) {
		CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
		send_n(c, &sms, 1, &t);
		CU_ASSERT_EQUAL(t.again, 1);
	}
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
	send_n(c, &sms, 1, &t);
	CU_ASSERT_EQUAL(t.failed, 1);
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_TOKEN_EXPIRED], 1);
	CU_ASSERT_EQUAL(t.again, 0);
	orange_client_free(c);

	/* blocking: one call, one request */
	c = client(&sim, NULL, NULL, 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
	CU_ASSERT_EQUAL_FATAL(sim_ctl(&sim, "revoke", "", NULL), 0);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	orange_client_stats(c, &st);
	CU_ASSERT_EQUAL(st.requests, 2);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_TOKEN_EXPIRED);
	CU_ASSERT(err.send_again);
	CU_ASSERT(!err.maybe_accepted);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
	CU_ASSERT_EQUAL(test_ledger_count(&sim, "\"sms\""), 6);
	orange_client_free(c);
	orange_error_release(&err);
	test_sim_stop(&sim);
}

static void test_sim_dr_subscriptions(void)
{
	static const char *const args[] = { NULL };
	struct test_sim sim;
	struct orange_client *c;
	struct orange_subscription s, chk;
	struct orange_error err = ORANGE_ERROR_INIT;
	long long before;

	CU_ASSERT_EQUAL_FATAL(test_sim_start(&sim, args), 0);
	c = client(&sim, NULL, NULL, 0);

	/* http:// is refused locally, before anything is sent */
	before = sim_state(&sim, "requests");
	CU_ASSERT_EQUAL(orange_dr_subscribe(c, "tel:+2230000", "http://dr.example.com/orange/dr/S3CRET",
					    false, &s, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_INVALID);
	CU_ASSERT_EQUAL(err.http_status, 0);
	CU_ASSERT(strstr(err.message, "https://") != NULL);
	CU_ASSERT(strstr(err.message, "S3CRET") == NULL);
	CU_ASSERT_EQUAL(sim_state(&sim, "requests"), before);
	/* allowed locally, refused by an Orange that wants https */
	CU_ASSERT_EQUAL(orange_dr_subscribe(c, "tel:+2230000", "http://127.0.0.1:9/x",
					    true, &s, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(err.variables, "notifyURL");

	CU_ASSERT_EQUAL_FATAL(orange_dr_subscribe(c, "tel:+2230000",
		"https://dr.example.com/orange/dr/S3CRET", false, &s, &err), 0);
	CU_ASSERT_EQUAL(strlen(s.id), 36);
	CU_ASSERT_STRING_EQUAL(s.notify_url, "https://dr.example.com/orange/dr/S3CRET");
	CU_ASSERT(strstr(s.resource_url, s.id) != NULL);

	CU_ASSERT_EQUAL_FATAL(orange_dr_check(c, s.id, &chk, &err), 0);
	CU_ASSERT_STRING_EQUAL(chk.id, s.id);
	CU_ASSERT_STRING_EQUAL(chk.notify_url, s.notify_url);
	orange_subscription_release(&chk);

	CU_ASSERT_EQUAL(orange_dr_unsubscribe(c, "tel:+2230000", s.id, &err), 0);
	CU_ASSERT_EQUAL(err.http_status, 204);
	CU_ASSERT_EQUAL(orange_dr_check(c, s.id, &chk, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(orange_dr_unsubscribe(c, "tel:+2230000", s.id, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_NOT_FOUND);
	orange_subscription_release(&s);
	orange_client_free(c);
	test_sim_stop(&sim);
	orange_error_release(&err);
}

/*
 * A raw HTTP server in a child process: each connection gets the next
 * canned answer, and every request read is appended to a capture file,
 * so that tests see the bytes the client really sends.
 */
static pid_t raw_server(const char *capture, const char *const *answers, int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	pid_t pid;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	for (; *answers; answers++) {
		struct strbuf req = STRBUF_INIT;
		char buf[4096], *end, *cl;
		size_t want = 0;
		FILE *f;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(1);
		for (;;) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r <= 0)
				break;
			strbuf_add(&req, buf, (size_t)r);
			end = strstr(req.buf, "\r\n\r\n");
			if (!end)
				continue;
			cl = strcasestr(req.buf, "\r\ncontent-length:");
			want = (size_t)(end + 4 - req.buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
			if (req.len >= want)
				break;
		}
		f = fopen(capture, "a");
		fwrite(req.buf, 1, req.len, f);
		fputs("\n----\n", f);
		fclose(f);
		if (write(fd, *answers, strlen(*answers)) < 0)
			_exit(1);
		close(fd);
		strbuf_release(&req);
	}
	_exit(0);
}

/* What goes on the wire: the token form, tel:+ encoded in the path, the
 * generated body, the query encoded; the Location header as fallback. */
static void test_wire_format(void)
{
	static const char tok[] = "{\"token_type\":\"Bearer\",\"access_token\":\"rawtoken123456\",\"expires_in\":\"3600\"}";
	static const char echo[] = "{\"outboundSMSMessageRequest\":{\"address\":[\"tel:+22370123456\"]}}";
	static const char stats[] = "[{\"country\":\"MLI\",\"applicationId\":\"a b/c\",\"usage\":3}]";
	char a1[512], a2[512], a3[512], a4[512], a5[512];
	const char *answers[6];
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "Salut \"toi\"", NULL, NULL };
	struct orange_client_opts o = { 0 };
	struct orange_client *c;
	struct orange_error err = ORANGE_ERROR_INIT;
	struct orange_usage *u;
	struct orange_contract *k;
	struct strbuf cap = STRBUF_INIT;
	char capture[512], base[64], rid[128], *body;
	size_t n;
	int port = 0, st;
	pid_t pid;

	snprintf(a1, sizeof(a1), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", strlen(tok), tok);
	snprintf(a2, sizeof(a2), "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
		 "Location: http://x/smsmessaging/v1/outbound/tel:+2230000/requests/loc-id-42\r\n"
		 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", strlen(echo), echo);
	snprintf(a3, sizeof(a3), "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
		 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", strlen(echo), echo);
	snprintf(a4, sizeof(a4), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", strlen(stats), stats);
	snprintf(a5, sizeof(a5), "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\n"
		 "Connection: close\r\nContent-Length: 0\r\n\r\n");
	answers[0] = a1;
	answers[1] = a2;
	answers[2] = a3;
	answers[3] = a4;
	answers[4] = a5;
	answers[5] = NULL;
	snprintf(capture, sizeof(capture), "%s/wire.txt", test_tmpdir());
	unlink(capture);
	pid = raw_server(capture, answers, &port);
	CU_ASSERT_FATAL(pid > 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port); /* trailing '/' dropped */
	o.api_base = base;
	o.auth_header = SIM_AUTH;
	c = orange_client_new(&o);

	/* 201 with the id only in Location, address echoed as an array */
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), 0);
	CU_ASSERT_STRING_EQUAL(rid, "loc-id-42");
	/* 201 without any id: accepted, so maybe_accepted */
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_PROTOCOL);
	CU_ASSERT_EQUAL(err.http_status, 201);
	CU_ASSERT(err.maybe_accepted);
	CU_ASSERT_EQUAL(orange_statistics(c, "MLI", "a b/c", &u, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	orange_usage_free(u, n);
	/* a 429 with Retry-After and no body at all */
	CU_ASSERT_EQUAL(orange_contracts(c, NULL, &k, &n, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_RATE_LIMITED);
	CU_ASSERT_DOUBLE_EQUAL(err.retry_after, 3, 0.001);
	CU_ASSERT_FALSE(err.maybe_accepted);
	orange_client_free(c);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	CU_ASSERT_EQUAL_FATAL(strbuf_read_file(&cap, capture, 1 << 20), 0);
	CU_ASSERT(starts_with(cap.buf, "POST /oauth/v3/token HTTP/1.1\r\n"));
	CU_ASSERT(strstr(cap.buf, "\r\nAuthorization: Basic dGVzdDp0ZXN0\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "\r\nContent-Type: application/x-www-form-urlencoded\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "\r\n\r\ngrant_type=client_credentials\n----\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "POST /smsmessaging/v1/outbound/tel%3A%2B2230000/requests HTTP/1.1\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "\r\nAuthorization: Bearer rawtoken123456\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "\r\nContent-Type: application/json\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "GET /sms/admin/v1/statistics?country=MLI&appid=a%20b%2Fc HTTP/1.1\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "GET /sms/admin/v1/contracts HTTP/1.1\r\n") != NULL);
	CU_ASSERT(strstr(cap.buf, "Expect:") == NULL);
	/* the body on the wire is exactly the generator's */
	CU_ASSERT_EQUAL_FATAL(orange_send_body(&sms, &body, &n), 0);
	CU_ASSERT(strstr(cap.buf, body) != NULL);
	free(body);
	strbuf_release(&cap);
	orange_error_release(&err);
}

/* A client of a raw_server() answering answers, capturing into
 * name under the test directory; *pid is the server's. */
static struct orange_client *raw_client(const char *name, const char *const *answers,
					pid_t *pid)
{
	struct orange_client_opts o = { 0 };
	char capture[512], base[64];
	int port = 0;

	snprintf(capture, sizeof(capture), "%s/%s", test_tmpdir(), name);
	*pid = raw_server(capture, answers, &port);
	if (*pid <= 0)
		return NULL;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	o.api_base = base;
	o.auth_header = SIM_AUTH;
	return orange_client_new(&o);
}

/* A failing token request never makes a send look maybe-accepted. */
static void test_token_failure_not_sent(void)
{
	const char *answers[] = {
		"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
		"", /* closes without answering */
		NULL
	};
	struct orange_sms sms = { "tel:+2230000", "tel:+22370123456", "x", NULL, NULL };
	struct orange_client *c;
	struct orange_error err = ORANGE_ERROR_INIT;
	struct async_tally t = { 0 };
	char rid[128];
	int st;
	pid_t pid;

	c = raw_client("wire-token.txt", answers, &pid);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(send_one(c, &sms, rid, sizeof(rid), &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_SERVER);
	CU_ASSERT_EQUAL(err.http_status, 503);
	CU_ASSERT_FALSE(err.maybe_accepted);
	CU_ASSERT(starts_with(err.message, "not sent, no token"));
	/* and through the async path */
	orange_send_submit(c, &sms, on_done, &t);
	while (orange_send_run(c, 5) > 0)
		;
	CU_ASSERT_EQUAL(t.failed, 1);
	CU_ASSERT_EQUAL(t.kinds[ORANGE_ERR_NETWORK], 1);
	CU_ASSERT_EQUAL(t.maybe, 0);
	orange_client_free(c);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	orange_error_release(&err);
}

/* An error text of any length comes through whole: text, messageId and
 * variables are not cut at some buffer size. */
static void test_long_error_text(void)
{
	enum { LONG_TEXT = 10000 };
	static const char tok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		"Connection: close\r\nContent-Length: 65\r\n\r\n"
		"{\"token_type\":\"Bearer\",\"access_token\":\"t\",\"expires_in\":3600}     ";
	const char *answers[3];
	struct orange_client *c;
	struct orange_error err = ORANGE_ERROR_INIT;
	struct orange_contract *k;
	struct strbuf text = STRBUF_INIT, var = STRBUF_INIT, body = STRBUF_INIT;
	struct strbuf answer = STRBUF_INIT;
	size_t i, n;
	int st;
	pid_t pid;

	for (i = 0; i < LONG_TEXT; i++) {
		strbuf_addch(&text, (char)('a' + i % 26));
		strbuf_addch(&var, (char)('A' + i % 26));
	}
	strbuf_addf(&body, "{\"requestError\":{\"policyException\":{\"messageId\":\"POL0001\","
		    "\"text\":\"%s\",\"variables\":[\"%s\"]}}}", text.buf, var.buf);
	strbuf_addf(&answer, "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
		    "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", body.len, body.buf);
	answers[0] = tok;
	answers[1] = answer.buf;
	answers[2] = NULL;
	c = raw_client("wire-long.txt", answers, &pid);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(orange_contracts(c, NULL, &k, &n, &err), -1);
	CU_ASSERT_EQUAL(err.kind, ORANGE_ERR_POLICY);
	CU_ASSERT_EQUAL(err.http_status, 403);
	CU_ASSERT_STRING_EQUAL(err.code, "POL0001");
	CU_ASSERT(strstr(err.message, text.buf) != NULL);
	CU_ASSERT_STRING_EQUAL(err.variables, var.buf);
	orange_error_release(&err);
	orange_client_free(c);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	strbuf_release(&text);
	strbuf_release(&var);
	strbuf_release(&body);
	strbuf_release(&answer);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("orange-fixtures", NULL, NULL);
	TEST_ADD(s, test_send_body);
	TEST_ADD(s, test_send_answer);
	TEST_ADD(s, test_token_parse);
	TEST_ADD(s, test_error_mapping);
	TEST_ADD(s, test_contracts_parse);
	TEST_ADD(s, test_statistics_parse);
	TEST_ADD(s, test_purchase_parse);
	TEST_ADD(s, test_subscription_parse);
	TEST_ADD(s, test_live_token);
	TEST_ADD(s, test_live_send_and_errors);
	TEST_ADD(s, test_live_admin);
	TEST_ADD(s, test_admin_json_roundtrip);
	TEST_ADD(s, test_wire_format);
	TEST_ADD(s, test_token_failure_not_sent);
	TEST_ADD(s, test_long_error_text);
	s = CU_add_suite("orange-sim", NULL, NULL);
	TEST_ADD(s, test_sim_token_cache_shared);
	TEST_ADD(s, test_sim_token_cache_concurrent);
	TEST_ADD(s, test_sim_token_long);
	TEST_ADD(s, test_token_cache_swapped_link);
	TEST_ADD(s, test_sim_token_renewal);
	TEST_ADD(s, test_sim_send_and_errors);
	TEST_ADD(s, test_sim_timeout_after_send);
	TEST_ADD(s, test_connection_refused);
	TEST_ADD(s, test_sim_admin_documented);
	TEST_ADD(s, test_sim_admin_array);
	TEST_ADD(s, test_sim_async);
	TEST_ADD(s, test_sim_revoked_not_resent);
	TEST_ADD(s, test_sim_dr_subscriptions);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return test_main("test-orange", reg);
}
