/* importer/phone.c: the forms people type, every rejection reason, and the
 * table agreeing with libphonenumber (tests/tools/phone-oracle). */
#include "importer/phone.h"
#include "importer/numset.h"
#include "core/sha256.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum phone_status norm(const char *s, const char *def, char *e164)
{
	struct phone_number pn;
	enum phone_status st = phone_normalize(s, strlen(s), phone_country_find(def), &pn);

	snprintf(e164, 32, "%s", st == PHONE_OK ? pn.e164 : "");
	if (st == PHONE_OK) {
		CU_ASSERT_EQUAL(pn.key, phone_key(pn.e164));
	} else {
		CU_ASSERT(pn.why[0] != '\0');
	}
	return st;
}

#define OK(in, def, want) do { \
	char e[32]; \
	CU_ASSERT_EQUAL(norm(in, def, e), PHONE_OK); \
	CU_ASSERT_STRING_EQUAL(e, want); \
} while (0)
#define BAD(in, def, st) do { \
	char e[32]; \
	CU_ASSERT_EQUAL(norm(in, def, e), st); \
} while (0)

static void test_forms(void)
{
	OK("+223 70 12 34 56", NULL, "+22370123456");
	OK("+223 70 12 34 56", "MLI", "+22370123456");
	OK("0022370123456", "MLI", "+22370123456");
	OK("0022370123456", NULL, "+22370123456");
	OK("223-70-12-34-56", "MLI", "+22370123456");
	OK("223-70-12-34-56", NULL, "+22370123456");
	OK("70123456", "MLI", "+22370123456");
	OK("70123456", "mli", "+22370123456");
	OK("70123456", "ML", "+22370123456");
	OK("(+223)70.12.34.56", NULL, "+22370123456");
	OK("(+223) 70/12/34/56", "SEN", "+22370123456");
	OK("22370123456.0", "MLI", "+22370123456");
	OK("22370123456,00", NULL, "+22370123456");
	OK("\xC2\xA0+223\xC2\xA0" "70\xE2\x80\xAF" "12 34 56 ", NULL, "+22370123456");
	OK("'0022370123456", NULL, "+22370123456");
	OK("tel:+22370123456", NULL, "+22370123456");
	/* Other countries, with their trunk prefixes. */
	OK("+225 07 01 23 45 67", NULL, "+2250701234567");
	OK("07 01 23 45 67", "CIV", "+2250701234567");
	OK("+20 10 1234 5678", NULL, "+201012345678");
	OK("010 1234 5678", "EGY", "+201012345678");
	OK("+20 010 1234 5678", NULL, "+201012345678");
	OK("0791234567", "JOR", "+962791234567");
	OK("+243 81 234 5678", NULL, "+243812345678");
	OK("081 234 5678", "COD", "+243812345678");
	OK("77 123 45 67", "SEN", "+221771234567");
	OK("+226 70 12 34 56", NULL, "+22670123456");
	OK("6 71 23 45 67", "CMR", "+237671234567");
	OK("+224 621 23 45 67", NULL, "+224621234567");
	OK("+227 90 12 34 56", NULL, "+22790123456");
	OK("+216 20 123 456", NULL, "+21620123456");
	OK("+267 71 234 567", NULL, "+26771234567");
	/* A number of another of the 12 with a default country. */
	OK("+221 77 123 45 67", "MLI", "+221771234567");
	/* libphonenumber keeps "22370123" national for MLI (it is a valid
	 * length there): a fixed-line range, so not mobile. */
	BAD("22370123", "MLI", PHONE_NOT_MOBILE);
}

static void test_reasons(void)
{
	BAD("", "MLI", PHONE_MISSING);
	BAD("   ", "MLI", PHONE_MISSING);
	BAD("\xC2\xA0", NULL, PHONE_MISSING);
	BAD("call me", "MLI", PHONE_INVALID);
	BAD("70 12 34 5x", "MLI", PHONE_INVALID);
	BAD("+", "MLI", PHONE_INVALID);
	BAD("70+123456", "MLI", PHONE_INVALID);
	BAD("2.2370123456E+10", "MLI", PHONE_EXCEL);
	BAD("2,24E+10", "MLI", PHONE_EXCEL);
	BAD("2.2370123456e10", NULL, PHONE_EXCEL);
	BAD("+33 6 12 34 56 78", "MLI", PHONE_UNKNOWN_COUNTRY);
	BAD("0033612345678", "MLI", PHONE_UNKNOWN_COUNTRY);
	BAD("70123456", NULL, PHONE_UNKNOWN_COUNTRY);
	BAD("+223 70 12 34", NULL, PHONE_WRONG_LENGTH);
	BAD("+223 70 12 34 56 7", NULL, PHONE_WRONG_LENGTH);
	BAD("7012345", "MLI", PHONE_WRONG_LENGTH);
	BAD("+223 20 21 23 45", NULL, PHONE_NOT_MOBILE);   /* Bamako fixed line */
	BAD("+223 80 12 34 56", NULL, PHONE_NOT_MOBILE);   /* toll free */
	BAD("+20 2 2345 6789", NULL, PHONE_NOT_MOBILE);    /* Cairo fixed line */
	BAD("+221 33 821 23 45", NULL, PHONE_NOT_MOBILE);  /* Dakar fixed line */
	CU_ASSERT_STRING_EQUAL(phone_status_code(PHONE_NOT_MOBILE), "not_mobile");
	CU_ASSERT_STRING_EQUAL(phone_status_code(PHONE_EXCEL), "excel_mangled");
}

static void test_countries(void)
{
	CU_ASSERT_EQUAL(phone_ncountries, 12);
	CU_ASSERT_PTR_NOT_NULL(phone_country_find("TUN"));
	CU_ASSERT_PTR_NULL(phone_country_find("FRA"));
	CU_ASSERT_PTR_NULL(phone_country_find(NULL));
	CU_ASSERT_STRING_EQUAL(phone_country_by_cc("2237", 4)->iso3, "MLI");
	CU_ASSERT_STRING_EQUAL(phone_country_by_cc("2010", 4)->iso3, "EGY");
	CU_ASSERT_PTR_NULL(phone_country_by_cc("33", 2));
	CU_ASSERT_EQUAL(phone_key("+22370123456"), 22370123456ULL);
	CU_ASSERT_EQUAL(phone_key("22370123456"), 0);
	CU_ASSERT_EQUAL(phone_key("+0123456789"), 0);
	CU_ASSERT_EQUAL(phone_key("+2237012345a"), 0);
}

static void test_numset(void)
{
	struct numset s;
	uint64_t i;

	numset_init(&s, 10);
	CU_ASSERT_EQUAL(numset_add(&s, 22370123456ULL, 2), 0);
	CU_ASSERT_EQUAL(numset_add(&s, 22370123456ULL, 0), 3);  /* 1 + tag 2 */
	/* Grows past its initial size and still finds everything. */
	for (i = 1; i <= 100000; i++)
		CU_ASSERT_EQUAL_FATAL(numset_add(&s, 22370000000ULL + i * 7, 0),
				      22370000000ULL + i * 7 == 22370123456ULL ? 3 : 0);
	for (i = 1; i <= 100000; i++)
		CU_ASSERT_EQUAL_FATAL(numset_add(&s, 22370000000ULL + i * 7, 1) != 0, 1);
	CU_ASSERT(s.count <= 100001);
	CU_ASSERT(numset_bytes(&s) <= 8 * 262144);
	numset_release(&s);
}

static void test_sha256(void)
{
	struct sha256 c;
	char hex[65];
	char big[1000];

	sha256_init(&c);
	sha256_hex(&c, hex);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_hex(&c, hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* Fed in odd pieces: same as at once. */
	memset(big, 'a', sizeof(big));
	sha256_init(&c);
	sha256_update(&c, big, 1);
	sha256_update(&c, big, 63);
	sha256_update(&c, big, 936);
	sha256_hex(&c, hex);
	CU_ASSERT_STRING_EQUAL(hex, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

/* The libphonenumber agreement test: 120,000 generated numbers. */
static void test_oracle(void)
{
	char path[512], out[8192];
	const char *build = getenv("GRIOT_BUILD");
	const char *argv[4];
	int rc;

	snprintf(path, sizeof(path), "%s/tests/tools/phone-oracle", build ? build : "build");
	argv[0] = path;
	argv[1] = "120000";
	argv[2] = NULL;
	rc = test_spawn(argv, out, sizeof(out));
	printf("\n%s", out);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(strstr(out, "agree 120000 of 120000") != NULL);
	CU_ASSERT(strstr(out, ", 0 disagreements") != NULL);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("phone", NULL, NULL);
	TEST_ADD(s, test_forms);
	TEST_ADD(s, test_reasons);
	TEST_ADD(s, test_countries);
	TEST_ADD(s, test_numset);
	TEST_ADD(s, test_sha256);
	TEST_ADD(s, test_oracle);
}

int main(void)
{
	return test_main("test-phone", reg);
}
