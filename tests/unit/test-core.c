/* core/: strbuf, json, config, db (against the throwaway cluster). */
#include "core/afile.h"
#include "core/config.h"
#include "core/db.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "core/utf8.h"
#include "tests/lib/testlib.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	CU_ASSERT_STRING_EQUAL(sb.buf, "");
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	CU_ASSERT(starts_with(sb.buf, "0,1,2,"));
	CU_ASSERT(ends_with(sb.buf, "998,999,"));
	strbuf_reset(&sb);
	strbuf_addurlenc(&sb, "tel:+2230000");
	CU_ASSERT_STRING_EQUAL(sb.buf, "tel%3A%2B2230000");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "  x y \r\n");
	strbuf_trim(&sb);
	CU_ASSERT_STRING_EQUAL(sb.buf, "x y");
	strbuf_reset(&sb);
	strbuf_addhtml(&sb, "<a href=\"x\">&'");
	CU_ASSERT_STRING_EQUAL(sb.buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
	strbuf_release(&sb);
}

static void test_json_roundtrip(void)
{
	struct json_gen *g = json_gen_new(false);
	struct strbuf sb = STRBUF_INIT;
	char err[128];
	json_value *v;
	long long n;

	json_map_open(g);
	json_kv_str(g, "s", "a\"b\n");
	json_kv_int(g, "i", 42);
	json_key(g, "arr");
	json_array_open(g);
	json_str(g, "x");
	json_array_close(g);
	json_map_close(g);
	CU_ASSERT_EQUAL(json_gen_to_strbuf(g, &sb), 0);
	json_gen_free(g);
	CU_ASSERT_STRING_EQUAL(sb.buf, "{\"s\":\"a\\\"b\\n\",\"i\":42,\"arr\":[\"x\"]}");

	v = json_parse(sb.buf, sb.len, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(json_string(json_get(v, "s")), "a\"b\n");
	CU_ASSERT_EQUAL(json_as_int(json_get(v, "i"), false, &n), 0);
	CU_ASSERT_EQUAL(n, 42);
	CU_ASSERT_EQUAL(json_array_len(json_get(v, "arr")), 1);
	CU_ASSERT_PTR_NULL(json_get(v, "missing"));
	json_free(v);
	strbuf_release(&sb);

	v = json_parse("{\"expires_in\":\"3600\"}", 21, 0, err, sizeof(err));
	CU_ASSERT_EQUAL(json_as_int(json_get(v, "expires_in"), true, &n), 0);
	CU_ASSERT_EQUAL(n, 3600);
	CU_ASSERT_EQUAL(json_as_int(json_get(v, "expires_in"), false, &n), -1);
	json_free(v);
}

static void test_json_gen_invalid_utf8(void)
{
	struct json_gen *g = json_gen_new(false);
	struct strbuf sb = STRBUF_INIT;

	json_map_open(g);
	json_kv_str(g, "a", "x\xffy");
	json_kv_str(g, "b", "ok");
	json_map_close(g);
	/* a dropped string would silently shift keys and values */
	CU_ASSERT_EQUAL(json_gen_to_strbuf(g, &sb), -1);
	json_gen_free(g);
	strbuf_release(&sb);
}

static void test_utf8(void)
{
	size_t complete;

	CU_ASSERT(utf8_valid("Aïssata Sékou €"));
	CU_ASSERT(!utf8_valid("caf\xe9"));          /* Latin-1 é */
	CU_ASSERT(!utf8_valid("\xc0\xaf"));         /* overlong '/' */
	CU_ASSERT(!utf8_valid("\xed\xa0\x80"));     /* surrogate */
	CU_ASSERT(!utf8_valid("\xf4\x90\x80\x80")); /* > U+10FFFF */
	CU_ASSERT_EQUAL(utf8_check("ab\xc3", 3, false, NULL), 2);
	CU_ASSERT_EQUAL(utf8_check("ab\xc3", 3, true, &complete), 3);
	CU_ASSERT_EQUAL(complete, 2);
	CU_ASSERT_EQUAL(utf8_check("a\0b", 3, false, NULL), 1);
	{
		size_t used;
		CU_ASSERT_EQUAL(utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &used), 0x20AC);
		CU_ASSERT_EQUAL(used, 3);
		CU_ASSERT_EQUAL(utf8_decode((const unsigned char *)"\xe2\x82", 2, &used), -1);
	}
}

static void test_afile(void)
{
	struct afile af;
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char path[512];

	snprintf(path, sizeof(path), "%s/out.txt", test_tmpdir());
	CU_ASSERT_EQUAL(afile_write(path, "old\n", 4, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(afile_open(&af, path, 0644), 0);
	fputs("new, half written", af.fp);
	fflush(af.fp);
	/* readers still see the old file until the commit */
	CU_ASSERT_EQUAL(strbuf_read_file(&sb, path, 0), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "old\n");
	afile_abort(&af);
	strbuf_reset(&sb);
	CU_ASSERT_EQUAL(strbuf_read_file(&sb, path, 0), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "old\n");

	CU_ASSERT_EQUAL_FATAL(afile_open(&af, path, 0600), 0);
	fputs("new\n", af.fp);
	CU_ASSERT_EQUAL(afile_commit(&af), 0);
	strbuf_reset(&sb);
	CU_ASSERT_EQUAL(strbuf_read_file(&sb, path, 0), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "new\n");
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

	/* a device is written in place, never renamed over */
	CU_ASSERT_EQUAL(afile_write("/dev/null", "x", 1, 0644), 0);
	CU_ASSERT_EQUAL(stat("/dev/null", &st), 0);
	CU_ASSERT(S_ISCHR(st.st_mode));

	snprintf(path, sizeof(path), "%s/no/such/dir/out.txt", test_tmpdir());
	CU_ASSERT_EQUAL(afile_open(&af, path, 0644), -1);
	strbuf_release(&sb);
}

static void test_json_rejects(void)
{
	char err[128], deep[400];
	int i;

	CU_ASSERT_PTR_NULL(json_parse("{\"a\":", 5, 0, err, sizeof(err)));
	CU_ASSERT(strstr(err, "invalid JSON") != NULL);
	for (i = 0; i < 200; i++)
		deep[i] = '[';
	for (; i < 399; i++)
		deep[i] = ']';
	deep[399] = '\0';
	CU_ASSERT_PTR_NULL(json_parse(deep, 399, 32, err, sizeof(err)));
	CU_ASSERT(strstr(err, "nesting") != NULL);
	/* brackets inside strings do not count */
	json_value *v = json_parse("[\"[[[[[[[[[[\"]", 14, 2, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(v);
	json_free(v);
}

/* Strict JSON: no comments (they hid nesting from a pre-scan), depth
 * bounded by the parser at any length, exactly at the limit. */
static void test_json_strict(void)
{
	static const char *const bad[] = {
		"{\"a\":1 /* c */}", "// c\n{}", "{\"a\":/*\"*/[[]]}", "{} x", "[1,]", "{'a':1}",
		"[\"\xff\"]", "NaN",
	};
	char err[128];
	size_t n = 300000, i;
	char *deep = xmalloc(2 * n + 1);
	json_value *v;
	long long x;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = json_parse(bad[i], strlen(bad[i]), 0, err, sizeof(err));
		CU_ASSERT_PTR_NULL(v);
		json_free(v);
	}
	/* 300,000 levels, also hidden behind a comment: refused, no crash */
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	CU_ASSERT_PTR_NULL(json_parse(deep, 2 * n, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 64"));
	memcpy(deep, "[/*\"*/", 6);
	CU_ASSERT_PTR_NULL(json_parse(deep, 2 * n, 0, err, sizeof(err)));
	/* exactly at the limit is fine, one more is not */
	memset(deep, '[', 32);
	memset(deep + 32, ']', 32);
	CU_ASSERT_PTR_NOT_NULL(v = json_parse(deep, 64, 32, err, sizeof(err)));
	json_free(v);
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	CU_ASSERT_PTR_NULL(json_parse(deep, 66, 32, err, sizeof(err)));
	free(deep);
	/* numbers as before: integers when they fit, doubles otherwise */
	v = json_parse("{\"i\":42,\"big\":123456789012345678901,\"d\":1.5,\"o\":{\"k\":[true,null]}}",
		       66, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(json_as_int(json_get(v, "i"), false, &x), 0);
	CU_ASSERT_EQUAL(x, 42);
	CU_ASSERT(!json_is_integer(json_get(v, "big")) && json_is_number(json_get(v, "big")));
	CU_ASSERT(json_is_true(json_array_at(json_path(v, "o", "k", NULL), 0)));
	CU_ASSERT(json_is_null(json_array_at(json_path(v, "o", "k", NULL), 1)));
	json_free(v);
}

static void test_config_credentials(void)
{
	struct griot_config cfg;
	const char *hdr = NULL;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/creds", test_tmpdir());
	f = fopen(path, "w");
	fputs("Basic c2VjcmV0\n", f);
	fclose(f);

	config_init(&cfg);
	config_set(&cfg.credentials_file, path);
	chmod(path, 0644);
	CU_ASSERT_EQUAL(config_auth_header(&cfg, &hdr), -1);
	chmod(path, 0600);
	CU_ASSERT_EQUAL(config_auth_header(&cfg, &hdr), 0);
	CU_ASSERT_STRING_EQUAL(hdr, "Basic c2VjcmV0");
	config_release(&cfg);
}

static void test_config_file(void)
{
	struct griot_config cfg;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/griot.conf", test_tmpdir());
	f = fopen(path, "w");
	fputs("# comment\norange_api_base = http://127.0.0.1:1\nwindow = \"08:00-20:00\"\n", f);
	fclose(f);
	unsetenv("ORANGE_API_BASE");
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path), 0);
	CU_ASSERT_STRING_EQUAL(cfg.api_base, "http://127.0.0.1:1");
	CU_ASSERT_STRING_EQUAL(config_get(&cfg, "window"), "08:00-20:00");
	config_release(&cfg);

	f = fopen(path, "w");
	fputs("ok = 1\nthis line is bad\n", f);
	fclose(f);
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path), -1);
	config_release(&cfg);
}

/* A config file that holds a secret key must be private; others need not. */
static void test_config_file_secrets(void)
{
	static const char *const secret_lines[] = {
		"orange_auth_header = Basic c2VjcmV0\n", "dr_secret = s3cret-s3cret-s3cret\n",
	};
	struct griot_config cfg;
	char path[512];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/secret.conf", test_tmpdir());
	for (i = 0; i < ARRAY_SIZE(secret_lines); i++) {
		f = fopen(path, "w");
		fputs("orange_api_base = http://127.0.0.1:1\n", f);
		fputs(secret_lines[i], f);
		fclose(f);
		chmod(path, 0644);
		config_init(&cfg);
		CU_ASSERT_EQUAL(config_load(&cfg, path), -1);
		config_release(&cfg);
		chmod(path, 0600);
		config_init(&cfg);
		CU_ASSERT_EQUAL(config_load(&cfg, path), 0);
		config_release(&cfg);
	}
	f = fopen(path, "w");
	fputs("orange_api_base = http://127.0.0.1:1\ndr_secret =\n", f);
	fclose(f);
	chmod(path, 0644);
	config_init(&cfg);
	CU_ASSERT_EQUAL(config_load(&cfg, path), 0); /* no secret in it */
	config_release(&cfg);
}

static void test_db_migrate_twice(void)
{
	struct db *db;
	int applied = -1;
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0); /* migrates once */
	CU_ASSERT(db_schema_version(db) >= 1);
	CU_ASSERT_EQUAL(db_migrate(db, &applied), 0);
	CU_ASSERT_EQUAL(applied, 0);
	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf),
				       "SELECT rate FROM send_rate WHERE name='default'", 0, NULL), 1);
	CU_ASSERT_STRING_EQUAL(buf, "5");
	test_db_close(db);
}

static void test_db_copy(void)
{
	struct db *db;
	struct strbuf row = STRBUF_INIT;
	char buf[64];

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0);
	CU_ASSERT_EQUAL(db_exec(db, "CREATE TEMP TABLE t (a text, b text)"), 0);
	CU_ASSERT_EQUAL(db_copy_begin(db, "COPY t FROM STDIN"), 0);
	db_copy_escape(&row, "tab\there", 8);
	strbuf_addch(&row, '\t');
	db_copy_escape(&row, "back\\slash\nnl", 13);
	strbuf_addch(&row, '\n');
	CU_ASSERT_EQUAL(db_copy_put(db, row.buf, row.len), 0);
	CU_ASSERT_EQUAL(db_copy_end(db, NULL), 0);
	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf), "SELECT b FROM t", 0, NULL), 1);
	CU_ASSERT_STRING_EQUAL(buf, "back\\slash\nnl");
	db_set_quiet(db, true);
	CU_ASSERT_EQUAL(db_exec(db, "SELECT nope FROM t"), -1);
	CU_ASSERT_STRING_EQUAL(db_last_sqlstate(db), "42703");
	strbuf_release(&row);
	test_db_close(db);
}

static void test_db_array(void)
{
	struct db *db;
	struct strbuf a = STRBUF_INIT, empty = STRBUF_INIT;
	const char *p[1];
	char buf[128];

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0);
	db_array_add(&a, "plain");
	db_array_add(&a, "quote\" back\\slash, {brace}");
	db_array_add(&a, NULL);
	db_array_end(&a);
	p[0] = a.buf;
	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf),
				       "SELECT string_agg(coalesce(x, '<null>'), '|') FROM unnest($1::text[]) x",
				       1, p), 1);
	CU_ASSERT_STRING_EQUAL(buf, "plain|quote\" back\\slash, {brace}|<null>");
	db_array_end(&empty);
	CU_ASSERT_STRING_EQUAL(empty.buf, "{}");
	strbuf_release(&a);
	strbuf_release(&empty);
	test_db_close(db);
}

static void test_db_query_cached(void)
{
	struct db *db;
	struct db_result *r;
	const char *p[1] = { "21" };
	char buf[32];
	int i;

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(db_query_cached(db, &r, "SELECT $1::int * 2", 1, p), 1);
		CU_ASSERT_STRING_EQUAL(db_result_get(r, 0, 0), "42");
		db_result_free(r);
		if (i == 1)
			CU_ASSERT_EQUAL(db_reconnect(db), 0); /* forgets the session's statements */
	}
	/* prepared once per session: one statement on the server now */
	CU_ASSERT_EQUAL(db_query_value(db, buf, sizeof(buf),
				       "SELECT count(*) FROM pg_prepared_statements", 0, NULL), 1);
	CU_ASSERT_STRING_EQUAL(buf, "1");
	db_set_quiet(db, true);
	CU_ASSERT_EQUAL(db_query_cached(db, NULL, "SELECT nope", 0, NULL), -1);
	test_db_close(db);
}

/* Server errors with DETAIL and HINT lines come back as one line. */
static void test_db_error_one_line(void)
{
	struct db *db;

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0);
	db_set_quiet(db, true);
	CU_ASSERT_EQUAL(db_exec(db, "CREATE TEMP TABLE u (k int PRIMARY KEY);"
				"INSERT INTO u VALUES (1)"), 0);
	CU_ASSERT_EQUAL(db_exec(db, "INSERT INTO u VALUES (1)"), -1);
	CU_ASSERT_STRING_EQUAL(db_last_sqlstate(db), "23505");
	CU_ASSERT_PTR_NULL(strchr(db_last_error(db), '\n'));
	CU_ASSERT_PTR_NOT_NULL(strstr(db_last_error(db), "; DETAIL:"));
	test_db_close(db);
}

/* The wait hook's record: calls, and their times (monotonic). */
struct hook_tally {
	int calls;
	double first, last;
};

/* A hook that waits at most 10 ms for the socket at each call. */
static void count_hook(void *arg, int fd)
{
	struct hook_tally *h = arg;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (!h->calls++)
		h->first = time_mono();
	h->last = time_mono();
	poll(&p, 1, 10);
}

/*
 * While a statement waits for the server, the wait hook does the waiting
 * (here 10 ms at a time) and the answer is the same as without it:
 * for db_query, db_query_cached and db_exec, errors and several
 * statements in one db_exec included.
 */
static void test_db_wait_hook(void)
{
	struct hook_tally h = { 0 };
	struct db *db;
	struct db_result *r;
	const char *p[1] = { "21" };
	double t0;

	CU_ASSERT_EQUAL_FATAL(test_db_open(&db), 0);
	db_set_wait_hook(db, count_hook, &h);
	t0 = time_mono();
	CU_ASSERT_EQUAL(db_query(db, &r, "SELECT pg_sleep(0.3), $1::int * 2", 1, p), 1);
	CU_ASSERT_STRING_EQUAL(db_result_get(r, 0, 1), "42");
	db_result_free(r);
	/* called at once and about every 10 ms until the answer */
	CU_ASSERT(h.first - t0 < 0.1);
	CU_ASSERT(h.calls >= 10);
	CU_ASSERT(h.last - h.first >= 0.2);
	h.calls = 0;
	db_set_quiet(db, true);
	CU_ASSERT_EQUAL(db_query_cached(db, &r, "SELECT $1::int / 0", 1, p), -1);
	CU_ASSERT_STRING_EQUAL(db_last_sqlstate(db), "22012");
	CU_ASSERT_EQUAL(db_query_cached(db, &r, "SELECT $1::int * 3", 1, p), 1);
	CU_ASSERT_STRING_EQUAL(db_result_get(r, 0, 0), "63");
	db_result_free(r);
	CU_ASSERT(h.calls >= 1);
	h.calls = 0;
	CU_ASSERT_EQUAL(db_exec(db, "CREATE TEMP TABLE w (k int PRIMARY KEY); SELECT pg_sleep(0.05);"
				"INSERT INTO w VALUES (1)"), 0);
	CU_ASSERT_EQUAL(db_exec(db, "INSERT INTO w VALUES (1)"), -1);
	CU_ASSERT_STRING_EQUAL(db_last_sqlstate(db), "23505");
	CU_ASSERT(h.calls >= 3);
	/* without the hook: never called */
	db_set_wait_hook(db, NULL, NULL);
	h.calls = 0;
	CU_ASSERT_EQUAL(db_exec(db, "SELECT pg_sleep(0.05)"), 0);
	CU_ASSERT_EQUAL(h.calls, 0);
	test_db_close(db);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("core", NULL, NULL);
	TEST_ADD(s, test_strbuf);
	TEST_ADD(s, test_json_roundtrip);
	TEST_ADD(s, test_json_rejects);
	TEST_ADD(s, test_json_strict);
	TEST_ADD(s, test_afile);
	TEST_ADD(s, test_utf8);
	TEST_ADD(s, test_json_gen_invalid_utf8);
	TEST_ADD(s, test_config_credentials);
	TEST_ADD(s, test_config_file);
	TEST_ADD(s, test_config_file_secrets);
	TEST_ADD(s, test_db_migrate_twice);
	TEST_ADD(s, test_db_copy);
	TEST_ADD(s, test_db_array);
	TEST_ADD(s, test_db_query_cached);
	TEST_ADD(s, test_db_error_one_line);
	TEST_ADD(s, test_db_wait_hook);
}

int main(void)
{
	return test_main("test-core", reg);
}
