/*
 * reporter/: CSV cells, formats, and report_build() against an oracle —
 * the scenario's raw rows classified and aggregated here in C (states,
 * rates, percentile_disc by sorting), independently of the SQL.
 */
#include "core/config.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "reporter/report.h"
#include "tests/lib/testlib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static struct db *db;
static const char *NOW = "2024-05-02T12:00:00Z";

static void test_csv_cell(void)
{
	static const struct { const char *in; char sep; const char *out; } cases[] = {
		{ "plain", ',', "plain" },
		{ "a,b", ',', "\"a,b\"" },
		{ "a,b", ';', "a,b" },
		{ "a;b", ';', "\"a;b\"" },
		{ "say \"hi\"", ',', "\"say \"\"hi\"\"\"" },
		{ "two\nlines", ',', "\"two\nlines\"" },
		{ "=1+1", ',', "'=1+1" },
		{ "+22370000001", ';', "'+22370000001" },
		{ "-2", ',', "'-2" },
		{ "@SUM(A1)", ',', "'@SUM(A1)" },
		{ "\tx", ',', "'\tx" },
		{ "=HYPERLINK(\"u\",\"v\")", ',', "\"'=HYPERLINK(\"\"u\"\",\"\"v\"\")\"" },
		{ "Aïssata", ',', "Aïssata" },
		{ "", ',', "" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		report_csv_cell(&sb, cases[i].in, cases[i].sep);
		CU_ASSERT_STRING_EQUAL(sb.buf, cases[i].out);
		if (strcmp(sb.buf, cases[i].out))
			fprintf(stderr, "csv cell %zu: got [%s]\n", i, sb.buf);
		strbuf_release(&sb);
	}
}

static void test_formats(void)
{
	CU_ASSERT_EQUAL(report_format_from_path("/x/r.html"), REPORT_HTML);
	CU_ASSERT_EQUAL(report_format_from_path("r.HTM"), REPORT_HTML);
	CU_ASSERT_EQUAL(report_format_from_path("r.json"), REPORT_JSON);
	CU_ASSERT_EQUAL(report_format_from_path("r.csv"), REPORT_CSV);
	CU_ASSERT_EQUAL(report_format_from_path("r.txt"), REPORT_TEXT);
	CU_ASSERT_EQUAL(report_format_from_path("r.pdf"), -1);
	CU_ASSERT_EQUAL(report_format_from_path("report"), -1);
	CU_ASSERT_EQUAL(report_format_parse("HTML"), REPORT_HTML);
	CU_ASSERT_EQUAL(report_format_parse("xml"), -1);
}

/* ---- the oracle ---- */

struct expect {
	long long total, states[RS_NR], accepted, units;
	double lat[64];
	int nlat;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* percentile_disc: the first value whose cumulative share reaches p. */
static double pdisc(double *v, int n, double p)
{
	int k = (int)ceil(p * n);

	qsort(v, n, sizeof(*v), cmp_double);
	return v[k < 1 ? 0 : k - 1];
}

static int classify(const char *st, const char *ds, double sent, double now)
{
	if (!strcmp(st, "pending") || !strcmp(st, "sending"))
		return RS_NOT_SENT;
	if (!strcmp(st, "failed"))
		return RS_SEND_FAILED;
	if (!strcmp(st, "unknown"))
		return RS_SEND_UNKNOWN;
	if (ds) {
		int s;
		for (s = 0; s <= RS_WAITING; s++)
			if (!strcmp(ds, report_states[s].key))
				return s;
		return -1;
	}
	return sent <= now - 86400 ? RS_NO_RECEIPT : RS_AWAITING;
}

static void oracle(const char *campaign, const char *country, struct expect *e)
{
	struct db_result *res = NULL;
	const char *p[3] = { campaign, country, NOW };
	double now;
	int n, i;

	memset(e, 0, sizeof(*e));
	n = db_query(db, &res,
		     "SELECT m.send_status, m.delivery_status, extract(epoch FROM m.sent_at),"
		     " extract(epoch FROM m.final_at), m.segments, extract(epoch FROM $3::timestamptz)"
		     " FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
		     " WHERE ($1::text IS NULL OR c.name = $1) AND ($2::text IS NULL OR m.country = $2)",
		     3, p);
	CU_ASSERT_FATAL(n > 0);
	now = db_result_double(res, 0, 5);
	for (i = 0; i < n; i++) {
		const char *st = db_result_get(res, i, 0);
		const char *ds = db_result_get(res, i, 1);
		double sent = db_result_isnull(res, i, 2) ? 0 : db_result_double(res, i, 2);
		int s = classify(st, ds, sent, now);

		CU_ASSERT_FATAL(s >= 0);
		e->total++;
		e->states[s]++;
		if (!strcmp(st, "sent")) {
			e->accepted++;
			e->units += db_result_isnull(res, i, 4) ? 1 : db_result_int(res, i, 4);
		}
		if (!db_result_isnull(res, i, 3) && e->nlat < 64)
			e->lat[e->nlat++] = db_result_double(res, i, 3) - sent;
	}
	db_result_free(res);
}

static void check_group(const struct report_group *g, const char *campaign, const char *country)
{
	struct expect e;
	long long delivered;
	int s;

	oracle(campaign, country, &e);
	CU_ASSERT_EQUAL(g->total, e.total);
	for (s = 0; s < RS_NR; s++)
		CU_ASSERT_EQUAL(g->states[s], e.states[s]);
	CU_ASSERT_EQUAL(g->accepted, e.accepted);
	CU_ASSERT_EQUAL(g->units, e.units);
	delivered = e.states[RS_DELIVERED_TERMINAL] + e.states[RS_DELIVERED_NETWORK];
	CU_ASSERT_EQUAL(g->delivered, delivered);
	if (e.accepted) {
		CU_ASSERT_DOUBLE_EQUAL(g->delivery_rate, (double)delivered / e.accepted, 1e-12);
	} else {
		CU_ASSERT(g->delivery_rate < 0);
	}
	CU_ASSERT_EQUAL(g->latency_count, e.nlat);
	if (e.nlat) {
		CU_ASSERT_DOUBLE_EQUAL(g->p50, pdisc(e.lat, e.nlat, 0.5), 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(g->p90, pdisc(e.lat, e.nlat, 0.9), 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(g->p99, pdisc(e.lat, e.nlat, 0.99), 1e-9);
	}
}

static int load_scenario(void)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (strbuf_read_file(&sb, test_data("report-scenario.sql"), 1 << 20) == 0)
		ret = db_exec(db, sb.buf);
	else
		perror(test_data("report-scenario.sql"));
	strbuf_release(&sb);
	return ret;
}

static void test_build_against_oracle(void)
{
	struct report_opts o;
	struct report *r = NULL;
	size_t i, j;

	memset(&o, 0, sizeof(o));
	o.now = NOW;
	o.offline = true;
	CU_ASSERT_FATAL(report_build(db, NULL, &o, &r) == GRIOT_OK);
	CU_ASSERT(r->partial);            /* offline: no balance, prices, usage */
	CU_ASSERT(!r->have_balance && !r->have_prices && !r->have_usage);
	check_group(&r->total, NULL, NULL);
	CU_ASSERT_EQUAL(r->nr_campaigns, 3);
	for (i = 0; i < r->nr_campaigns; i++)
		check_group(&r->campaigns[i], r->campaigns[i].campaign, NULL);
	CU_ASSERT_EQUAL(r->nr_countries, 3);
	for (i = 0; i < r->nr_countries; i++)
		check_group(&r->countries[i], NULL, r->countries[i].country);
	for (i = 0; i < r->nr_cells; i++)
		check_group(&r->cells[i], r->cells[i].campaign, r->cells[i].country);
	/* Without prices every accepted unit is reported unpriced, not free. */
	CU_ASSERT_EQUAL(r->total.cost.n, 0);
	CU_ASSERT_EQUAL(r->total.cost.unpriced_units, r->total.units);
	/* Each campaign's cells add up to the campaign. */
	for (i = 0; i < r->nr_campaigns; i++) {
		long long sum = 0;
		for (j = 0; j < r->nr_cells; j++)
			if (r->cells[j].campaign_id == r->campaigns[i].campaign_id)
				sum += r->cells[j].total;
		CU_ASSERT_EQUAL(sum, r->campaigns[i].total);
	}
	report_free(r);

	/* A scoped report equals the oracle on the same scope. */
	memset(&o, 0, sizeof(o));
	o.now = NOW;
	o.offline = true;
	o.campaign = "promo-mai";
	o.country = "CIV";
	CU_ASSERT_FATAL(report_build(db, NULL, &o, &r) == GRIOT_OK);
	check_group(&r->total, "promo-mai", "CIV");
	CU_ASSERT_EQUAL(r->nr_campaigns, 1);
	report_free(r);

	o.campaign = "no such campaign";
	CU_ASSERT_EQUAL(report_build(db, NULL, &o, &r), GRIOT_ERR_NOINPUT);
	o.campaign = NULL;
	o.since = "not a date";
	CU_ASSERT_EQUAL(report_build(db, NULL, &o, &r), GRIOT_ERR_USAGE);
	CU_ASSERT_PTR_NULL(r);
}

static void test_recipients_stream(void)
{
	struct report_opts o;
	struct report_recipients_opts ro;
	const char *fields[] = { "prenom", NULL };
	char path[512], line[512];
	long long rows = 0;
	FILE *f;
	int lines = 0;

	/* More rows than one cursor batch (5,000). */
	CU_ASSERT_FATAL(db_exec(db,
		"INSERT INTO campaigns (name, status) VALUES ('big', 'done');"
		"INSERT INTO messages (campaign_id, msisdn, country, fields, send_status)"
		" SELECT c.id, '+2237100' || lpad(g::text, 5, '0'), 'MLI',"
		"        jsonb_build_object('prenom', 'P' || g), 'pending'"
		" FROM campaigns c, generate_series(1, 12345) g WHERE c.name = 'big'") == 0);
	memset(&o, 0, sizeof(o));
	memset(&ro, 0, sizeof(ro));
	o.campaign = "big";
	o.now = NOW;
	ro.fields = fields;
	ro.sep = ';';
	snprintf(path, sizeof(path), "%s/rec.csv", test_tmpdir());
	CU_ASSERT_FATAL(report_write_recipients(db, &o, &ro, path, &rows) == 0);
	CU_ASSERT_EQUAL(rows, 12345);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		if (lines == 0) {
			CU_ASSERT(starts_with(line, "\xEF\xBB\xBFnumber;prenom;campaign;"));
		}
		if (lines == 12345) {
			CU_ASSERT(starts_with(line, "'+223710012345;P12345;big;MLI;pending;;not_sent;"));
		}
		lines++;
	}
	fclose(f);
	CU_ASSERT_EQUAL(lines, 12346);
}

static void test_nightly(void)
{
	struct griot_config cfg;
	struct strbuf html = STRBUF_INIT, sb = STRBUF_INIT;
	char dir[512], path[600];
	struct stat st;

	config_init(&cfg);
	/* Nothing listens on port 1: the night's report is written, partial. */
	config_set(&cfg.api_base, "http://127.0.0.1:1");
	config_set(&cfg.auth_header, "Basic dGVzdDp0ZXN0");
	snprintf(dir, sizeof(dir), "%s/nightly", test_tmpdir());
	/* 2024-05-02T06:00:00Z */
	CU_ASSERT_FATAL(report_write_nightly(db, &cfg, dir, 1714629600, &html) == 0);
	snprintf(path, sizeof(path), "%s/griot-report-2024-05-02.html", dir);
	CU_ASSERT_STRING_EQUAL(html.buf, path);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size > 1000);
	CU_ASSERT(strbuf_read_file(&sb, path, 1 << 22) == 0);
	CU_ASSERT(strstr(sb.buf, "id=partial") != NULL);
	CU_ASSERT(strstr(sb.buf, "Orange is unreachable") != NULL);
	snprintf(path, sizeof(path), "%s/griot-report-2024-05-02.json", dir);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size > 100);
	snprintf(path, sizeof(path), "%s/griot-report-2024-05-02.csv", dir);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size > 100);
	strbuf_release(&html);
	strbuf_release(&sb);
	config_release(&cfg);
}

static void reg(void)
{
	CU_pSuite s = CU_add_suite("reporter", NULL, NULL);

	TEST_ADD(s, test_csv_cell);
	TEST_ADD(s, test_formats);
	TEST_ADD(s, test_build_against_oracle);
	TEST_ADD(s, test_recipients_stream);
	TEST_ADD(s, test_nightly);
}

int main(void)
{
	int ret;

	if (test_db_open(&db) < 0)
		return 1;
	if (load_scenario() < 0) {
		test_db_close(db);
		return 1;
	}
	ret = test_main("test-reporter", reg);
	test_db_close(db);
	return ret;
}
