/* importer/: griot import and the suppression list against a real
 * PostgreSQL, with the fixture files tests/data/import-*. */
#include "importer/import.h"
#include "importer/phone.h"
#include "importer/suppress.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct db *db;

static int setup(void)
{
	return test_db_open(&db);
}

static int teardown(void)
{
	test_db_close(db);
	return 0;
}

static long long q_int(const char *sql, const char *param)
{
	char buf[64];
	const char *p[1] = { param };

	if (db_query_value(db, buf, sizeof(buf), sql, param ? 1 : 0, p) < 0)
		return -1;
	return atoll(buf);
}

static char *q_str(const char *sql, const char *param)
{
	static char buf[4096];
	const char *p[1] = { param };

	if (db_query_value(db, buf, sizeof(buf), sql, param ? 1 : 0, p) < 0)
		return NULL;
	return buf;
}

static long long campaign_rows(const char *campaign)
{
	return q_int("SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
		     "WHERE c.name = $1", campaign);
}

/* Run an import of a fixture; checks the invariants every import keeps. */
static int run(const char *campaign, const char *fixture, const char *country,
	       struct import_opts *extra, struct import_summary *s)
{
	struct import_opts o;
	char rej[512];
	int ret, i;
	long long reasons = 0;

	if (extra)
		o = *extra;
	else
		memset(&o, 0, sizeof(o));
	o.campaign = campaign;
	o.path = fixture[0] == '/' ? fixture : test_data(fixture);
	o.country = country ? phone_country_find(country) : NULL;
	if (!o.rejects_path) {
		snprintf(rej, sizeof(rej), "%s/%s.%s.rejects.csv", test_tmpdir(), campaign,
			 strrchr(o.path, '/') + 1);
		o.rejects_path = rej;
	}
	ret = import_run(db, &o, s);
	if (ret == 0) {
		/* The summary adds up. */
		CU_ASSERT_EQUAL(s->read, s->imported + s->duplicates + s->suppressed + s->rejected);
		for (i = 0; i < IMPORT_NREASONS; i++)
			reasons += s->by_reason[i];
		CU_ASSERT_EQUAL(reasons, s->duplicates + s->suppressed + s->rejected);
		CU_ASSERT_EQUAL(s->by_reason[IMPORT_DUPLICATE], s->duplicates);
		CU_ASSERT_EQUAL(s->by_reason[IMPORT_SUPPRESSED], s->suppressed);
		if (!o.dry_run) {
			char id[32];
			snprintf(id, sizeof(id), "%lld", s->import_id);
			CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages WHERE import_id = $1", id),
					s->imported);
			CU_ASSERT_EQUAL(q_int("SELECT rows_read FROM imports WHERE id = $1", id), s->read);
			CU_ASSERT_EQUAL(q_int("SELECT imported + duplicates + suppressed + rejected "
					      "FROM imports WHERE id = $1", id), s->read);
			/* The rejects file has one line per row not imported (+ header). */
			if (s->rejects_path) {
				struct strbuf sb = STRBUF_INIT;
				long long lines = 0;
				size_t k;
				CU_ASSERT_EQUAL_FATAL(strbuf_read_file(&sb, s->rejects_path, 0), 0);
				for (k = 0; k < sb.len; k++)
					if (sb.buf[k] == '\n')
						lines++;
				/* Multi-line rows add lines; only count for simple files. */
				CU_ASSERT(lines >= 1 + s->duplicates + s->suppressed + s->rejected);
				strbuf_release(&sb);
			}
		}
	}
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, 0) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static void test_delimiters(void)
{
	struct import_summary s;

	CU_ASSERT_EQUAL_FATAL(run("delim-comma", "import-comma.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(s.delimiter, ',');
	CU_ASSERT_TRUE(s.campaign_created);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields->>'city' FROM messages WHERE msisdn = '+22370123402' "
				     "AND campaign_id = $1", "1"), "Segou, Mali");
	CU_ASSERT_STRING_EQUAL(q_str("SELECT status FROM campaigns WHERE name = $1", "delim-comma"),
			       "draft");
	import_summary_release(&s);

	CU_ASSERT_EQUAL_FATAL(run("delim-semi", "import-semicolon.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(s.delimiter, ';');
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages WHERE fields->>'Ville' = 'Kayes; Mali' "
			      "AND fields ? 'Nom' AND NOT fields ? 'Téléphone'", NULL), 1);
	import_summary_release(&s);

	CU_ASSERT_EQUAL_FATAL(run("delim-tab", "import-tab.tsv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(s.delimiter, '\t');
	/* An empty last field is kept as "" (tabs are not trimmed as spaces). */
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
			      "WHERE c.name = 'delim-tab' AND fields->>'city' = ''", NULL), 1);
	import_summary_release(&s);
}

static void test_encodings(void)
{
	struct import_summary s;

	CU_ASSERT_EQUAL_FATAL(run("enc-bom", "import-utf8-bom.csv", NULL, NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.encoding, "UTF-8 (BOM)");
	CU_ASSERT_EQUAL(s.imported, 1);
	/* The BOM is not part of the first header name. */
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages WHERE fields->>'Prénom' = 'Hélène'", NULL), 1);
	import_summary_release(&s);

	CU_ASSERT_EQUAL_FATAL(run("enc-1252", "import-cp1252.csv", NULL, NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.encoding, "Windows-1252");
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields->>'Note' FROM messages WHERE msisdn = '+22370123401' "
				     "AND fields ? 'Note' AND fields->>'Prénom' = 'Hélène'", NULL), "coût 5€ – ok");
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields->>'Note' FROM messages WHERE fields->>'Prénom' = $1",
				     "François"), "Œuvre");
	import_summary_release(&s);

	CU_ASSERT_EQUAL_FATAL(run("enc-latin1", "import-latin1.csv", NULL, NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.encoding, "ISO-8859-1");
	CU_ASSERT_EQUAL(s.imported, 1);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields->>'X' FROM messages m JOIN campaigns c ON "
				     "c.id = m.campaign_id WHERE c.name = $1", "enc-latin1"), "a\xC2\x81" "b");
	import_summary_release(&s);

	CU_ASSERT_EQUAL_FATAL(run("enc-utf16", "import-utf16le.csv", NULL, NULL, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.encoding, "UTF-16LE");
	CU_ASSERT_EQUAL(s.delimiter, '\t');
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
			      "WHERE c.name = 'enc-utf16' AND fields->>'Prénom' IN ('Hélène', 'Awa')",
			      NULL), 2);
	import_summary_release(&s);

	/* Every stored value is valid UTF-8 (PostgreSQL would refuse otherwise,
	 * but check the text round-trips through convert_to as well). */
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages WHERE "
			      "convert_from(convert_to(fields::text, 'UTF8'), 'UTF8') <> fields::text",
			      NULL), 0);
}

static void test_bad_files(void)
{
	struct import_summary s;

	/* A NUL byte: a bad file, named with its line; nothing committed. */
	CU_ASSERT_EQUAL(run("bad-nul", "import-bad-utf8-nul.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM campaigns WHERE name = $1", "bad-nul"), 0);

	CU_ASSERT_EQUAL(run("bad-nophone", "import-no-phone.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(run("bad-noheader", "import-no-header.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(run("bad-empty", "import-empty.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(run("bad-unclosed", "import-unclosed.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(run("bad-missing", "/nonexistent/file.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_NOINPUT);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM campaigns WHERE name LIKE 'bad-%'", NULL), 0);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM imports i JOIN campaigns c ON c.id = i.campaign_id "
			      "WHERE c.name LIKE 'bad-%'", NULL), 0);
}

static void test_line_ends(void)
{
	struct import_summary s;

	CU_ASSERT_EQUAL_FATAL(run("eol-crlf", "import-crlf.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	import_summary_release(&s);
	CU_ASSERT_EQUAL_FATAL(run("eol-cr", "import-cr.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
			      "WHERE c.name IN ('eol-crlf', 'eol-cr') AND fields->>'name' IN ('Amadou', 'Awa')",
			      NULL), 4);

	CU_ASSERT_EQUAL_FATAL(run("eol-multi", "import-multiline.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 3);
	import_summary_release(&s);
	/* Embedded newline and delimiter; the original line numbers. */
	CU_ASSERT_STRING_EQUAL(q_str("SELECT line_no || '|' || (fields->>'address') || '|' || (fields->>'note') "
				     "FROM messages WHERE msisdn = $1 AND fields ? 'address'", "+22370123401"),
			       "2|Rue 12;\nPorte 3|dit \"bonjour\"");
	CU_ASSERT_STRING_EQUAL(q_str("SELECT line_no || '|' || (fields->>'address') FROM messages "
				     "WHERE msisdn = $1 AND fields ? 'address'", "+22370123402"),
			       "4|a\r\nb");
	CU_ASSERT_EQUAL(q_int("SELECT line_no FROM messages WHERE msisdn = $1 AND fields ? 'address'",
			      "+22370123403"), 6);
}

static void test_forms(void)
{
	struct import_summary s;

	CU_ASSERT_EQUAL_FATAL(run("forms", "import-forms.csv", "MLI", NULL, &s), 0);
	CU_ASSERT_EQUAL(s.read, 12);
	CU_ASSERT_EQUAL(s.imported, 12);
	CU_ASSERT_EQUAL(s.rejected, 0);
	import_summary_release(&s);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT string_agg(msisdn || ' ' || country, ',' ORDER BY line_no) "
				     "FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = $1",
				     "forms"),
			       "+22370123401 MLI,+22370123402 MLI,+22370123403 MLI,+22370123404 MLI,"
			       "+22370123405 MLI,+22370123406 MLI,+22370123407 MLI,+2250701234567 CIV,"
			       "+221771234567 SEN,+201012345678 EGY,+201012345679 EGY,+21620123456 TUN");
}

static void test_reasons(void)
{
	struct import_summary s;
	struct suppress_counts c;
	const char *num[1] = { "+22370123499" };
	char *rej;
	/* Rows starting with + carry the formula guard ('). */
	static const char *const want[] = {
		"\n2;\";missing;\";missing_phone;",
		"\n3;\"call me;invalid;\";invalid_number;",
		"\n4;\"2.2370123456E+10;excel;\";excel_mangled;",
		"\n5;\"'+33 6 12 34 56 78;unknown country;\";unknown_country;",
		"\n6;\"'+223 70 12 34;wrong length;\";wrong_length;",
		"\n7;\"'+223 20 21 23 45;fixed line;\";not_mobile;",
		"\n8;\"'+22370123401;bad row;x;surplus\";bad_row;",
		"\n10;\"'+223 70.12.34.02;duplicate;\";duplicate;",
		"\n11;\"'+22370123499;suppressed;\";suppressed;",
	};
	size_t i;

	CU_ASSERT_EQUAL_FATAL(suppress_add(db, num, 1, "STOP", NULL, &c), 0);
	CU_ASSERT_EQUAL_FATAL(run("reasons", "import-reasons.csv", "MLI", NULL, &s), 0);
	CU_ASSERT_EQUAL(s.read, 10);
	CU_ASSERT_EQUAL(s.imported, 1);
	CU_ASSERT_EQUAL(s.duplicates, 1);
	CU_ASSERT_EQUAL(s.suppressed, 1);
	CU_ASSERT_EQUAL(s.rejected, 7);
	for (i = 0; i < IMPORT_NREASONS; i++)
		CU_ASSERT_EQUAL(s.by_reason[i], i == IMPORT_COUNTRY_MISMATCH ||
				i == IMPORT_INVALID_UTF8 ? 0 : 1);
	rej = slurp(s.rejects_path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rej);
	CU_ASSERT(starts_with(rej, "\xEF\xBB\xBFline;row;reason;detail\r\n"));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const char *l = strstr(rej, want[i]);
		CU_ASSERT_PTR_NOT_NULL(l);
		if (!l)
			printf("missing in rejects: %s\n", want[i] + 1);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(rej, "on the suppression list"));
	free(rej);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(campaign_rows("reasons"), 1);
}

static void test_duplicates(void)
{
	struct import_summary s;
	char *rej;

	CU_ASSERT_EQUAL_FATAL(run("dups", "import-dups.csv", "MLI", NULL, &s), 0);
	CU_ASSERT_EQUAL(s.read, 6);
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(s.duplicates, 4);
	import_summary_release(&s);
	/* The first occurrence wins. */
	CU_ASSERT_EQUAL(q_int("SELECT line_no FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
			      "WHERE c.name = 'dups' AND msisdn = $1", "+22370123401"), 2);

	/* Against the numbers already in the campaign. */
	CU_ASSERT_EQUAL_FATAL(run("dups", "import-dups2.csv", "MLI", NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 1);
	CU_ASSERT_EQUAL(s.duplicates, 1);
	CU_ASSERT_FALSE(s.campaign_created);
	rej = slurp(s.rejects_path);
	CU_ASSERT_PTR_NOT_NULL(rej && strstr(rej, "+22370123402 is already in the campaign"));
	free(rej);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(campaign_rows("dups"), 3);
}

static void test_reimport(void)
{
	struct import_summary s;
	struct import_opts o;

	CU_ASSERT_EQUAL_FATAL(run("again", "import-comma.csv", NULL, NULL, &s), 0);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(run("again", "import-comma.csv", NULL, NULL, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_DATA);
	import_summary_release(&s);
	memset(&o, 0, sizeof(o));
	o.force = true;
	CU_ASSERT_EQUAL_FATAL(run("again", "import-comma.csv", NULL, &o, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 0);
	CU_ASSERT_EQUAL(s.duplicates, 2);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM imports i JOIN campaigns c ON c.id = i.campaign_id "
			      "WHERE c.name = $1", "again"), 2);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM imports i JOIN campaigns c ON c.id = i.campaign_id "
			      "WHERE c.name = $1 AND forced", "again"), 1);
	/* Same content into another campaign is fine. */
	CU_ASSERT_EQUAL_FATAL(run("again2", "import-comma.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	import_summary_release(&s);
}

static void test_dry_run(void)
{
	struct import_summary s;
	struct import_opts o;
	char rej[512];

	memset(&o, 0, sizeof(o));
	o.dry_run = true;
	snprintf(rej, sizeof(rej), "%s/dry.rejects.csv", test_tmpdir());
	o.rejects_path = rej;
	CU_ASSERT_EQUAL_FATAL(run("dry", "import-reasons.csv", "MLI", &o, &s), 0);
	CU_ASSERT_EQUAL(s.read, 10);
	CU_ASSERT_EQUAL(s.imported + s.suppressed, 2);
	CU_ASSERT_TRUE(s.campaign_created);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM campaigns WHERE name = $1", "dry"), 0);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM messages WHERE line_no IS NULL OR import_id IS NULL", NULL), 0);
	/* The rejects file only because it was asked for. */
	CU_ASSERT_EQUAL(access(rej, F_OK), 0);
}

static void test_headers(void)
{
	struct import_summary s;
	struct import_opts o;

	CU_ASSERT_EQUAL_FATAL(run("hdr-fancy", "import-header-fancy.csv", "MLI", NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 1);
	import_summary_release(&s);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields::text FROM messages m JOIN campaigns c ON "
				     "c.id = m.campaign_id WHERE c.name = $1", "hdr-fancy"),
			       "{\"Nom\": \"Diallo\", \"Ville\": \"Bamako\"}");

	/* Repeated and empty header names keep every column. */
	CU_ASSERT_EQUAL_FATAL(run("hdr-dup", "import-dup-headers.csv", NULL, NULL, &s), 0);
	import_summary_release(&s);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields::text FROM messages m JOIN campaigns c ON "
				     "c.id = m.campaign_id WHERE c.name = $1", "hdr-dup"),
			       "{\"name\": \"a\", \"name_2\": \"b\", \"column_4\": \"c\"}");

	memset(&o, 0, sizeof(o));
	o.phone_column = "2";
	CU_ASSERT_EQUAL_FATAL(run("hdr-num", "import-comma.csv", NULL, &o, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	import_summary_release(&s);
	o.phone_column = "CITY";
	CU_ASSERT_EQUAL_FATAL(run("hdr-name", "import-comma.csv", NULL, &o, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 0);
	CU_ASSERT_EQUAL(s.by_reason[IMPORT_INVALID_NUMBER], 2);
	import_summary_release(&s);
	o.phone_column = "nope";
	CU_ASSERT_EQUAL(run("hdr-none", "import-comma.csv", NULL, &o, &s), -1);
	import_summary_release(&s);

	/* Short rows: missing cells are empty fields; trailing empty cells are fine. */
	CU_ASSERT_EQUAL_FATAL(run("hdr-short", "import-short-rows.csv", NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	import_summary_release(&s);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT fields::text FROM messages m JOIN campaigns c ON "
				     "c.id = m.campaign_id WHERE c.name = $1 AND line_no = 2", "hdr-short"),
			       "{\"a\": \"x\", \"b\": \"\", \"c\": \"\"}");
}

static void test_cancel(void)
{
	struct import_summary s;
	struct import_opts o;
	static volatile sig_atomic_t flag = 1;

	memset(&o, 0, sizeof(o));
	o.cancel = &flag;
	CU_ASSERT_EQUAL(run("cancelled", "import-forms.csv", "MLI", &o, &s), -1);
	CU_ASSERT_EQUAL(s.err, GRIOT_ERR_TEMPFAIL);
	CU_ASSERT_PTR_NULL(s.rejects_path);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM campaigns WHERE name = $1", "cancelled"), 0);
	CU_ASSERT_TRUE(db_ok(db));
}

static void test_suppress(void)
{
	struct suppress_counts c;
	const char *nums[3] = { "+223 70 11 11 11", "0022370111111", "70222222" };
	const char *bad[2] = { "+22370333333", "not a number" };
	struct db_result *r;
	enum griot_err code;
	char path[512];
	FILE *f;

	CU_ASSERT_EQUAL(suppress_add(db, nums, 3, NULL, phone_country_find("MLI"), &c), 0);
	CU_ASSERT_EQUAL(c.added, 2);
	CU_ASSERT_EQUAL(c.already, 1);
	/* All or nothing when one is invalid. */
	CU_ASSERT_EQUAL(suppress_add(db, bad, 2, NULL, NULL, &c), GRIOT_ERR_DATA);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM suppressions WHERE msisdn = $1", "+22370333333"), 0);
	CU_ASSERT_EQUAL(suppress_list(db, &r), 0);
	CU_ASSERT(db_result_rows(r) >= 2);
	db_result_free(r);
	CU_ASSERT_EQUAL(suppress_remove(db, nums + 2, 1, phone_country_find("MLI"), &c), 0);
	CU_ASSERT_EQUAL(c.added, 1);
	CU_ASSERT_EQUAL(q_int("SELECT count(*) FROM suppressions WHERE msisdn = $1", "+22370222222"), 0);

	snprintf(path, sizeof(path), "%s/stop.csv", test_tmpdir());
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("Téléphone;motif\n70444444;STOP\n+223 70 44 44 44;again\nxx;bad\n70555555;STOP\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(suppress_import(db, path, NULL, phone_country_find("MLI"), "STOP SMS",
					&c, &code), 0);
	CU_ASSERT_EQUAL(c.read, 4);
	CU_ASSERT_EQUAL(c.added, 2);
	CU_ASSERT_EQUAL(c.already, 1);
	CU_ASSERT_EQUAL(c.rejected, 1);
	CU_ASSERT_STRING_EQUAL(q_str("SELECT reason FROM suppressions WHERE msisdn = $1", "+22370555555"),
			       "STOP SMS");
}

/* ---- the set's cap: the spill path gives the same answers ---- */

struct step {
	const char *fixture;    /* tests/data name or absolute path */
	bool force, dry_run;
};

/* The rejects file's lines after the header, sorted: the spill path
 * writes its rejects after those found while reading. */
static char *sorted_rejects(const char *path)
{
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
	char **lines = NULL, *p, *nl;
	size_t n = 0, i;

	if (strbuf_read_file(&sb, path, 0) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	p = strchr(sb.buf, '\n');
	for (p = p ? p + 1 : sb.buf + sb.len; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		lines = xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = p;
	}
	if (n)
		qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++)
		strbuf_addf(&out, "%s\n", lines[i]);
	free(lines);
	strbuf_release(&sb);
	return strbuf_detach(&out, NULL);
}

/* What a run leaves: the summary, the rejects and the rows it added. */
struct outcome {
	struct import_summary s;
	char *rejects;
	char rows[40];
	long long campaign_total;
};

static int run_step(const char *campaign, const struct step *st, long long cap,
		    struct outcome *out)
{
	struct import_opts o;
	char id[32];
	int ret;

	memset(&o, 0, sizeof(o));
	memset(out, 0, sizeof(*out));
	o.force = st->force;
	o.dry_run = st->dry_run;
	o.set_max = cap;
	if (st->dry_run) {
		static char rej[512];
		snprintf(rej, sizeof(rej), "%s/%s.dry.rejects.csv", test_tmpdir(), campaign);
		o.rejects_path = rej;
	}
	ret = run(campaign, st->fixture, "MLI", &o, &out->s);
	if (ret < 0)
		return ret;
	out->rejects = sorted_rejects(out->s.rejects_path);
	snprintf(id, sizeof(id), "%lld", out->s.import_id);
	strlcpy_(out->rows, q_str("SELECT coalesce(md5(string_agg(line_no || ' ' || msisdn || ' ' || "
				  "country || ' ' || fields::text, ',' ORDER BY line_no)), '-') "
				  "FROM messages WHERE import_id = $1", st->dry_run ? "0" : id),
		 sizeof(out->rows));
	out->campaign_total = campaign_rows(campaign);
	return 0;
}

static void outcome_release(struct outcome *o)
{
	free(o->rejects);
	import_summary_release(&o->s);
}

/* Numbers the set would start with for a campaign: suppressions + rows. */
static long long known_numbers(const char *campaign)
{
	return q_int("SELECT count(*) FROM suppressions", NULL) + campaign_rows(campaign);
}

/*
 * Run the steps into a fresh campaign with the default cap, then again
 * into fresh campaigns with tiny caps: none, only the file, or the file
 * and the campaign's numbers beyond the cap.  Every step must give the
 * same summary, reason for reason, the same rejects and the same rows.
 */
static void same_with_caps(const char *name, const struct step *steps, size_t nsteps)
{
	struct outcome ref[8], got;
	long long caps[5], imported;
	char camp[128];
	size_t k, c, i;

	CU_ASSERT_FATAL(nsteps <= ARRAY_SIZE(ref));
	imported = 0;
	snprintf(camp, sizeof(camp), "%s-default", name);
	for (k = 0; k < nsteps; k++) {
		CU_ASSERT_EQUAL_FATAL(run_step(camp, &steps[k], 0, &ref[k]), 0);
		CU_ASSERT_EQUAL(ref[k].s.staged, 0);
		CU_ASSERT_EQUAL(ref[k].s.set_max, IMPORT_SET_MAX);
		imported += ref[k].s.imported;
	}
	caps[0] = 1;
	caps[1] = 3;
	/* The suppressions fit, the file's numbers do not. */
	caps[2] = known_numbers("none") + 1;
	caps[3] = known_numbers("none") + 2;
	caps[4] = known_numbers("none") + 5;
	for (c = 0; c < ARRAY_SIZE(caps); c++) {
		long long staged = 0;

		snprintf(camp, sizeof(camp), "%s-cap%lld", name, caps[c]);
		for (k = 0; k < nsteps; k++) {
			CU_ASSERT_EQUAL_FATAL(run_step(camp, &steps[k], caps[c], &got), 0);
			/* The suppressions alone exceed caps 1 and 3: every
			 * valid row is judged by PostgreSQL. */
			if (c < 2)
				CU_ASSERT_EQUAL(got.s.staged, got.s.read - got.s.rejected);
			staged += got.s.staged;
			CU_ASSERT_EQUAL(got.s.read, ref[k].s.read);
			CU_ASSERT_EQUAL(got.s.imported, ref[k].s.imported);
			CU_ASSERT_EQUAL(got.s.duplicates, ref[k].s.duplicates);
			CU_ASSERT_EQUAL(got.s.suppressed, ref[k].s.suppressed);
			CU_ASSERT_EQUAL(got.s.rejected, ref[k].s.rejected);
			for (i = 0; i < IMPORT_NREASONS; i++)
				CU_ASSERT_EQUAL(got.s.by_reason[i], ref[k].s.by_reason[i]);
			CU_ASSERT_PTR_NOT_NULL_FATAL(got.rejects);
			CU_ASSERT_STRING_EQUAL(got.rejects, ref[k].rejects);
			CU_ASSERT_STRING_EQUAL(got.rows, ref[k].rows);
			CU_ASSERT_EQUAL(got.campaign_total, ref[k].campaign_total);
			if (strcmp(got.rejects, ref[k].rejects))
				printf("\n%s cap %lld step %zu: rejects\n%s\nvs default\n%s\n", name,
				       caps[c], k, got.rejects, ref[k].rejects);
			outcome_release(&got);
		}
		/* One new number fits with this cap: the others spill. */
		if (c == 2 && imported > 1)
			CU_ASSERT(staged > 0);
	}
	for (k = 0; k < nsteps; k++)
		outcome_release(&ref[k]);
}

/* 400 rows over 60 numbers in three forms, invalid rows, suppressed numbers. */
static const char *gen_fixture(const char *name, int rows, int numbers, int first)
{
	static char path[512];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("Téléphone;nom\n", f);
	for (i = 0; i < rows; i++) {
		int v = first + (i * 7) % numbers;
		if (i % 17 == 5)
			fprintf(f, "call me %d;n%d\n", i, i);
		else if (i % 3 == 0)
			fprintf(f, "+2237098%04d;n%d\n", v, i);
		else if (i % 3 == 1)
			fprintf(f, "002237098%04d;n%d\n", v, i);
		else
			fprintf(f, "70 98 %02d %02d;n%d\n", v / 100, v % 100, i);
	}
	fclose(f);
	return path;
}

static void test_cap_same(void)
{
	struct suppress_counts c;
	const char *sup[3] = { "+22370980003", "+22370980010", "+22370123499" };
	char big[512], small[512];
	struct step s1[1] = { { "import-dups.csv", false, false } };
	struct step s2[2] = { { "import-dups.csv", false, false },
			      { "import-dups2.csv", false, false } };
	struct step s3[1] = { { "import-reasons.csv", false, false } };
	struct step s4[3] = { { "import-comma.csv", false, false },
			      { "import-comma.csv", true, false },
			      { "import-dups.csv", false, true } };
	struct step s5[3];

	CU_ASSERT_EQUAL_FATAL(suppress_add(db, sup, 3, "STOP", NULL, &c), 0);
	same_with_caps("cap-dups", s1, 1);
	same_with_caps("cap-existing", s2, 2);
	same_with_caps("cap-reasons", s3, 1);
	same_with_caps("cap-force", s4, 3);

	/* Bigger: the campaign has numbers of the file before it comes,
	 * then the file again with --force, then a dry run of a third. */
	strlcpy_(small, gen_fixture("cap-small.csv", 30, 20, 0), sizeof(small));
	strlcpy_(big, gen_fixture("cap-big.csv", 400, 60, 10), sizeof(big));
	s5[0] = (struct step){ small, false, false };
	s5[1] = (struct step){ big, false, false };
	s5[2] = (struct step){ big, true, false };
	same_with_caps("cap-gen", s5, 3);
	s5[0] = (struct step){ big, false, true };
	same_with_caps("cap-gen-dry", s5, 1);
}

/* The test knob: GRIOT_IMPORT_SET_MAX when the option is not given. */
static void test_cap_env(void)
{
	struct import_summary s;

	setenv("GRIOT_IMPORT_SET_MAX", "2", 1);
	CU_ASSERT_EQUAL_FATAL(run("cap-env", "import-dups.csv", "MLI", NULL, &s), 0);
	unsetenv("GRIOT_IMPORT_SET_MAX");
	CU_ASSERT_EQUAL(s.set_max, 2);
	CU_ASSERT(s.staged > 0);
	CU_ASSERT_EQUAL(s.imported, 2);
	CU_ASSERT_EQUAL(s.duplicates, 4);
	import_summary_release(&s);
	CU_ASSERT_EQUAL(q_int("SELECT line_no FROM messages m JOIN campaigns c ON c.id = m.campaign_id "
			      "WHERE c.name = 'cap-env' AND msisdn = $1", "+22370123401"), 2);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("importer", setup, teardown);
	TEST_ADD(s, test_delimiters);
	TEST_ADD(s, test_encodings);
	TEST_ADD(s, test_bad_files);
	TEST_ADD(s, test_line_ends);
	TEST_ADD(s, test_forms);
	TEST_ADD(s, test_reasons);
	TEST_ADD(s, test_duplicates);
	TEST_ADD(s, test_reimport);
	TEST_ADD(s, test_dry_run);
	TEST_ADD(s, test_headers);
	TEST_ADD(s, test_cancel);
	TEST_ADD(s, test_suppress);
	TEST_ADD(s, test_cap_same);
	TEST_ADD(s, test_cap_env);
}

int main(void)
{
	return test_main("test-importer", reg);
}
