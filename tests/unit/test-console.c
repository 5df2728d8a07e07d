/*
 * The console's library parts: languages and locale formatting, password
 * hashing, sessions and throttling against a real PostgreSQL.
 */
#include "tests/lib/testlib.h"
#include "console/auth.h"
#include "console/i18n.h"
#include "core/db.h"
#include "core/strbuf.h"

#include <string.h>

#define NBSP "\xc2\xa0"

static void test_locale_numbers(void)
{
	struct strbuf sb = STRBUF_INIT;

	lang_money(&sb, LANG_FR, 8153.33, "XOF");
	CU_ASSERT_STRING_EQUAL(sb.buf, "8" NBSP "153" NBSP "XOF");
	strbuf_reset(&sb);
	lang_money(&sb, LANG_EN, 8153.33, "XOF");
	CU_ASSERT_STRING_EQUAL(sb.buf, "8,153" NBSP "XOF");
	strbuf_reset(&sb);
	lang_money(&sb, LANG_FR, 1234.5, "EUR");
	CU_ASSERT_STRING_EQUAL(sb.buf, "1" NBSP "234,50" NBSP "EUR");
	strbuf_reset(&sb);
	lang_int(&sb, LANG_FR, -1234567);
	CU_ASSERT_STRING_EQUAL(sb.buf, "-1" NBSP "234" NBSP "567");
	strbuf_reset(&sb);
	lang_int(&sb, LANG_EN, 999);
	CU_ASSERT_STRING_EQUAL(sb.buf, "999");
	strbuf_reset(&sb);
	lang_pct(&sb, LANG_FR, 0.886);
	CU_ASSERT_STRING_EQUAL(sb.buf, "88,6" NBSP "%");
	strbuf_reset(&sb);
	i18n_time(&sb, LANG_FR, 1796154000, "Africa/Bamako"); /* 2026-12-01T19:40:00Z */
	CU_ASSERT_STRING_EQUAL(sb.buf, "01/12/2026 19:40 GMT");
	strbuf_reset(&sb);
	i18n_time(&sb, LANG_EN, 1796154000, "Africa/Bamako");
	CU_ASSERT_STRING_EQUAL(sb.buf, "2026-12-01 19:40 GMT");
	strbuf_reset(&sb);
	lang_iso_date(&sb, LANG_FR, "2026-11-02T16:00:00.000Z", false);
	CU_ASSERT_STRING_EQUAL(sb.buf, "02/11/2026");
	strbuf_reset(&sb);
	lang_iso_date(&sb, LANG_EN, "2026-11-02T16:00:00.000Z", false);
	CU_ASSERT_STRING_EQUAL(sb.buf, "2026-11-02");
	strbuf_reset(&sb);
	lang_iso_date(&sb, LANG_FR, "soon", false);
	CU_ASSERT_STRING_EQUAL(sb.buf, "soon");
	strbuf_release(&sb);
}

static void test_languages(void)
{
	CU_ASSERT_EQUAL(i18n_from_accept("fr"), LANG_FR);
	CU_ASSERT_EQUAL(i18n_from_accept("en"), LANG_EN);
	CU_ASSERT_EQUAL(i18n_from_accept("en-US,en;q=0.9"), LANG_EN);
	CU_ASSERT_EQUAL(i18n_from_accept("de-DE,en;q=0.5,fr;q=0.8"), LANG_FR);
	CU_ASSERT_EQUAL(i18n_from_accept("de-DE,en;q=0.5"), LANG_EN);
	CU_ASSERT_EQUAL(i18n_from_accept("ar, de"), LANG_FR);    /* French first */
	CU_ASSERT_EQUAL(i18n_from_accept(NULL), LANG_FR);
	CU_ASSERT_EQUAL(i18n_from_accept("english"), LANG_FR);   /* not "en" */
	CU_ASSERT_STRING_EQUAL(i18n(LANG_FR, "Campaigns"), "Campagnes");
	CU_ASSERT_STRING_EQUAL(i18n(LANG_EN, "Campaigns"), "Campaigns");
	CU_ASSERT_STRING_EQUAL(i18n(LANG_FR, "no such message"), "no such message");
	CU_ASSERT_TRUE(i18n_has_fr("Sign in"));
}

static void test_passwords(void)
{
	char h1[128], h2[128];

	CU_ASSERT_EQUAL(console_password_hash("correct horse battery", h1, sizeof(h1)), 0);
	CU_ASSERT_EQUAL(console_password_hash("correct horse battery", h2, sizeof(h2)), 0);
	CU_ASSERT_TRUE(!strncmp(h1, "$argon2id$", 10));
	CU_ASSERT_STRING_NOT_EQUAL(h1, h2);               /* salted */
	CU_ASSERT_EQUAL(console_password_verify(h1, "correct horse battery"), 1);
	CU_ASSERT_EQUAL(console_password_verify(h1, "correct horse batterY"), 0);
	CU_ASSERT_EQUAL(console_password_verify("not a hash", "x"), -1);
	CU_ASSERT_PTR_NOT_NULL(console_password_weak("short"));
	CU_ASSERT_PTR_NULL(console_password_weak("long enough"));
	CU_ASSERT_TRUE(console_user_name_ok("awa.kone@orange"));
	CU_ASSERT_FALSE(console_user_name_ok("awa kone"));
	CU_ASSERT_FALSE(console_user_name_ok(""));
	CU_ASSERT_TRUE(console_token_equal("abc", "abc"));
	CU_ASSERT_FALSE(console_token_equal("abc", "abd"));
	CU_ASSERT_FALSE(console_token_equal("abc", "abcd"));
}

static void test_sessions(void)
{
	struct db *db;
	struct console_user u, v;
	char sid[CONSOLE_TOKEN_HEX + 1], sid2[CONSOLE_TOKEN_HEX + 1], c1[65], c2[65];
	int wait, i;

	if (test_db_open(&db) < 0) {
		CU_FAIL("database");
		return;
	}
	CU_ASSERT_EQUAL(console_user_add(db, "awa", ROLE_OPERATOR, "operator-pass"), GRIOT_OK);
	CU_ASSERT_EQUAL(console_user_add(db, "awa", ROLE_ADMIN, "operator-pass"), GRIOT_ERR_DATA);
	CU_ASSERT_EQUAL(console_login(db, "awa", "operator-pass", NULL, "10.0.0.1", sid, &u, &wait), LOGIN_OK);
	CU_ASSERT_EQUAL(u.role, ROLE_OPERATOR);
	CU_ASSERT_EQUAL(console_session_user(db, sid, &v), 0);
	CU_ASSERT_STRING_EQUAL(v.name, "awa");
	console_csrf_token(sid, c1);
	CU_ASSERT_EQUAL(console_login(db, "awa", "operator-pass", NULL, "10.0.0.1", sid2, &u, &wait), LOGIN_OK);
	console_csrf_token(sid2, c2);
	CU_ASSERT_STRING_NOT_EQUAL(sid, sid2);
	CU_ASSERT_STRING_NOT_EQUAL(c1, c2);
	CU_ASSERT_EQUAL(console_session_user(db, "0000000000000000000000000000000000000000000000000000000000000000", &v), 1);
	/* a new password ends the sessions */
	CU_ASSERT_EQUAL(console_user_passwd(db, "awa", "another-pass"), GRIOT_OK);
	CU_ASSERT_EQUAL(console_session_user(db, sid, &v), 1);
	CU_ASSERT_EQUAL(console_user_passwd(db, "nobody", "another-pass"), GRIOT_ERR_NOUSER);
	/* an unknown user is a failure like a wrong password, and counts */
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(console_login(db, "awa", "wrong-pass", NULL, "10.0.0.2", sid, &u, &wait), LOGIN_BAD);
	CU_ASSERT_EQUAL(console_login(db, "awa", "another-pass", NULL, "10.0.0.3", sid, &u, &wait), LOGIN_THROTTLED);
	CU_ASSERT_TRUE(wait > 800 && wait <= 900);
	CU_ASSERT_EQUAL(console_login(db, "ghost", "whatever-pass", NULL, "10.0.0.3", sid, &u, &wait), LOGIN_BAD);
	/* a session that expired is gone */
	CU_ASSERT_EQUAL(console_user_add(db, "moussa", ROLE_VIEWER, "viewer-pass"), GRIOT_OK);
	CU_ASSERT_EQUAL(console_login(db, "moussa", "viewer-pass", NULL, "10.0.0.4", sid, &u, &wait), LOGIN_OK);
	CU_ASSERT_EQUAL(db_exec(db, "UPDATE console_sessions SET expires_at = now() - interval '1 second'"), 0);
	CU_ASSERT_EQUAL(console_session_user(db, sid, &v), 1);
	test_db_close(db);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("console", NULL, NULL);
	TEST_ADD(s, test_locale_numbers);
	TEST_ADD(s, test_languages);
	TEST_ADD(s, test_passwords);
	TEST_ADD(s, test_sessions);
}

int main(void)
{
	return test_main("test-console", reg);
}
