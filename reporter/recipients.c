/*
 * The per-recipient CSV and the night's report.
 *
 * The CSV streams through a server-side cursor, a batch at a time, so a
 * million-row campaign never sits in memory; it is written to a
 * temporary file renamed into place at the end.
 */
#include "reporter/internal.h"
#include "core/config.h"
#include "core/afile.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 5000
#define BATCH_STR "5000"
#define MAX_FIELDS 32

static const char *const fixed_cols[] = {
	"campaign", "country", "send_status", "delivery_status", "report_state",
	"sent_at_utc", "delivery_at_utc", "final_at_utc", "segments", "resource_id",
	"last_error",
};

static int write_all(FILE *f, const struct strbuf *sb, const char *path)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return error("cannot write %s: %s", path, strerror(errno));
	return 0;
}

int report_write_recipients(struct db *db, const struct report_opts *scope,
			    const struct report_recipients_opts *ro,
			    const char *path, long long *rows)
{
	struct strbuf sql = STRBUF_INIT, line = STRBUF_INIT;
	struct afile af = { 0 };
	const char *params[5 + MAX_FIELDS];
	char sep = ro->sep ? ro->sep : ',';
	int nf = 0, i, ret = -1, in_tx = 0;
	long long count = 0;
	FILE *f = NULL;

	if (rows)
		*rows = 0;
	while (ro->fields && ro->fields[nf]) {
		if (nf == MAX_FIELDS)
			return error("--fields: at most %d fields", MAX_FIELDS);
		nf++;
	}
	params[0] = scope->campaign;
	params[1] = scope->since;
	params[2] = scope->until;
	params[3] = scope->country;
	params[4] = scope->now ? scope->now : "now";
	strbuf_addstr(&sql, "DECLARE report_recipients NO SCROLL CURSOR FOR"
		      " SELECT s.msisdn");
	for (i = 0; i < nf; i++) {
		params[5 + i] = ro->fields[i];
		strbuf_addf(&sql, ", s.fields->>$%d", 6 + i);
	}
	strbuf_addstr(&sql, ", s.campaign, s.country, s.send_status, s.delivery_status,"
		      " report_state(s.send_status, s.delivery_status, s.sent_at, $5::timestamptz),"
		      " to_char(s.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
		      " to_char(s.delivery_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
		      " to_char(s.final_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
		      " s.segments, s.resource_id, s.last_error"
		      " FROM report_scope($1, $2::timestamptz, $3::timestamptz, $4) s"
		      " ORDER BY s.id");

	/* numbers and personal fields: for the owner only */
	if (afile_open(&af, path, 0600) < 0)
		goto out;
	f = af.fp;
	/* BOM: Excel then reads the file as UTF-8 (accents in names). */
	strbuf_addstr(&line, "\xEF\xBB\xBF");
	report_csv_cell(&line, "number", sep);
	for (i = 0; i < nf; i++) {
		strbuf_addch(&line, sep);
		report_csv_cell(&line, ro->fields[i], sep);
	}
	for (i = 0; i < (int)ARRAY_SIZE(fixed_cols); i++) {
		strbuf_addch(&line, sep);
		report_csv_cell(&line, fixed_cols[i], sep);
	}
	strbuf_addstr(&line, "\r\n");
	if (write_all(f, &line, path) < 0)
		goto out;

	if (db_begin(db) < 0)
		goto out;
	in_tx = 1;
	if (db_query(db, NULL, sql.buf, 5 + nf, params) < 0)
		goto out;
	for (;;) {
		struct db_result *res = NULL;
		int n = db_query(db, &res, "FETCH " BATCH_STR " FROM report_recipients", 0, NULL);
		int r, c, cols;

		if (n < 0)
			goto out;
		cols = db_result_cols(res);
		strbuf_reset(&line);
		for (r = 0; r < n; r++) {
			for (c = 0; c < cols; c++) {
				if (c)
					strbuf_addch(&line, sep);
				report_csv_cell(&line, db_result_get(res, r, c), sep);
			}
			strbuf_addstr(&line, "\r\n");
		}
		db_result_free(res);
		if (write_all(f, &line, path) < 0)
			goto out;
		count += n;
		if (ro->progress)
			progress_update("recipients: %lld rows", count);
		if (n < BATCH)
			break;
	}
	if (ro->progress)
		progress_done();
	db_exec(db, "CLOSE report_recipients");
	if (db_commit(db) < 0)
		goto out;
	in_tx = 0;
	f = NULL;
	if (afile_commit(&af) < 0)
		goto out;
	if (rows)
		*rows = count;
	ret = 0;
out:
	if (in_tx)
		db_rollback(db);
	if (f)
		afile_abort(&af);
	strbuf_release(&sql);
	strbuf_release(&line);
	return ret;
}

int report_write_nightly(struct db *db, struct griot_config *cfg, const char *dir,
			 double now, struct strbuf *html_path)
{
	struct report_opts opts;
	struct report *r = NULL;
	struct strbuf base = STRBUF_INIT, path = STRBUF_INIT, out = STRBUF_INIT;
	char since[32], until[32], day[16];
	time_t t, t0;
	struct tm tm;
	struct stat st;
	int ret = -1;

	if (!now)
		now = time_now();
	t = (time_t)now;
	t0 = t - 86400;
	gmtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	gmtime_r(&t0, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return error("report directory %s: %s", dir, strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return error("report directory %s: not a directory", dir);

	memset(&opts, 0, sizeof(opts));
	opts.since = since;
	opts.until = until;
	opts.now = until;
	if (report_build(db, cfg, &opts, &r) != GRIOT_OK)
		goto out;
	strbuf_addf(&base, "%s/griot-report-%s", dir, day);

	report_render_html(r, lang_from_env(), &out);
	strbuf_addf(&path, "%s.html", base.buf);
	if (afile_write(path.buf, out.buf, out.len, 0644) < 0)
		goto out;
	if (html_path)
		strbuf_addstr(html_path, path.buf);

	strbuf_reset(&out);
	strbuf_reset(&path);
	if (report_render_json(r, true, &out) < 0)
		goto out;
	strbuf_addf(&path, "%s.json", base.buf);
	if (afile_write(path.buf, out.buf, out.len, 0644) < 0)
		goto out;

	strbuf_reset(&out);
	strbuf_reset(&path);
	report_render_csv(r, ',', &out);
	strbuf_addf(&path, "%s.csv", base.buf);
	if (afile_write(path.buf, out.buf, out.len, 0644) < 0)
		goto out;
	if (r->partial)
		warning("the night's report is partial: %s", r->reasons[0]);
	ret = 0;
out:
	report_free(r);
	strbuf_release(&base);
	strbuf_release(&path);
	strbuf_release(&out);
	return ret;
}
