#include "receiver/store.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* PostgreSQL timestamptz text; the date part is formatted once per second
 * (*last, base: the previous call's). */
static void format_ts(double t, char *buf, size_t size, time_t *last, char *base,
		      size_t basesize)
{
	time_t sec = (time_t)t;
	long usec = (long)((t - (double)sec) * 1e6);
	struct tm tm;

	if (usec < 0)
		usec = 0;
	if (usec > 999999)
		usec = 999999;
	if (sec != *last || !*base) {
		gmtime_r(&sec, &tm);
		strftime(base, basesize, "%Y-%m-%d %H:%M:%S", &tm);
		*last = sec;
	}
	snprintf(buf, size, "%s.%06ld+00", base, usec);
}

#define DR_INGEST_SQL "SELECT * FROM dr_ingest($1::text[], $2::text[], $3::text[]," \
	" $4::boolean[], $5::inet[], $6::text[], $7::timestamptz[])"

int dr_store_probe(struct db *db)
{
	static const char *const empty[7] = { "{}", "{}", "{}", "{}", "{}", "{}", "{}" };

	return db_query_cached(db, NULL, DR_INGEST_SQL, 7, empty) < 0 ? -1 : 0;
}

int dr_store_batch(struct db *db, const struct dr_row *rows, size_t n,
		   struct dr_store_result *res)
{
	struct strbuf arr[7];
	const char *params[7];
	struct db_result *r = NULL;
	char ts[48], since[64] = "", base[32] = "";
	time_t last = 0;
	size_t i;
	int k, ret = -1;

	memset(res, 0, sizeof(*res));
	if (!n)
		return 0;
	for (k = 0; k < 7; k++)
		strbuf_init(&arr[k], 64 * n);
	for (i = 0; i < n; i++) {
		const struct dr_row *row = &rows[i];
		db_array_add(&arr[0], row->resource_id);
		db_array_add(&arr[1], row->address);
		db_array_add(&arr[2], row->status);
		db_array_add(&arr[3], row->status_valid ? "t" : "f");
		db_array_add(&arr[4], row->source_addr);
		db_array_add(&arr[5], row->raw);
		format_ts(row->received_at, ts, sizeof(ts), &last, base, sizeof(base));
		db_array_add(&arr[6], ts);
	}
	for (k = 0; k < 7; k++) {
		db_array_end(&arr[k]);
		params[k] = arr[k].buf;
	}

	/* one statement, its own transaction: one round trip, one commit
	 * (dr_ingest() in sql/030_receiver.sql takes the lock shared) */
	if (db_query_cached(db, &r, DR_INGEST_SQL, 7, params) < 0)
		goto fail;
	res->unmatched = (int)db_result_int(r, 0, 0);
	res->updated = (int)db_result_int(r, 0, 1);
	if (db_result_get(r, 0, 2))
		strlcpy_(since, db_result_get(r, 0, 2), sizeof(since));
	db_result_free(r);
	r = NULL;
	ret = 0;
	/*
	 * Settling 'unknown' messages (sql/057: only a unique inference) runs
	 * in its own transaction, one statement, without the receipts lock:
	 * the resource_id it sets takes that lock in the trigger like every
	 * writer's.  The receipts are safe already: a failure here leaves
	 * them unmatched (and logged).
	 */
	if (res->unmatched && *since) {
		char buf[32];
		const char *p[1] = { since };

		if (db_query_value(db, buf, sizeof(buf),
				   "SELECT dr_reconcile_unknown($1::timestamptz)", 1, p) < 0) {
			warning("reconciling 'unknown' messages failed: %s", db_last_error(db));
			goto out;
		}
		res->reconciled = atoi(buf);
	}
fail:
out:
	db_result_free(r);
	for (k = 0; k < 7; k++)
		strbuf_release(&arr[k]);
	return ret;
}
