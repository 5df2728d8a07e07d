#include "receiver/store.h"
#include "core/db.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* One element of a text-format array literal: always quoted. */
static void array_add(struct strbuf *sb, const char *s)
{
	const char *p;

	strbuf_addch(sb, sb->len ? ',' : '{');
	if (!s) {
		strbuf_addstr(sb, "NULL");
		return;
	}
	strbuf_addch(sb, '"');
	for (p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

static void format_ts(double t, char *buf, size_t size)
{
	time_t sec = (time_t)t;
	long usec = (long)((t - (double)sec) * 1e6);
	struct tm tm;
	char base[32];

	if (usec < 0)
		usec = 0;
	if (usec > 999999)
		usec = 999999;
	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ld+00", base, usec);
}

static const char batch_sql[] =
	"WITH b AS ("
	"  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[],"
	"                       $5::inet[], $6::text[], $7::timestamptz[])"
	"    WITH ORDINALITY AS t(resource_id, address, status, valid, src, raw, received_at, ord)"
	"), m AS ("
	"  SELECT b.*, msg.id AS message_id FROM b"
	"  LEFT JOIN messages msg ON msg.resource_id = b.resource_id"
	"), ins AS ("
	"  INSERT INTO delivery_receipts (received_at, resource_id, address, delivery_status,"
	"                                 status_valid, source_addr, raw, message_id, applied_at)"
	"  SELECT received_at, resource_id, address, status, valid, src, raw, message_id,"
	"         CASE WHEN message_id IS NOT NULL AND valid THEN now() END"
	"  FROM m ORDER BY ord"
	"), best AS ("
	"  SELECT DISTINCT ON (message_id) message_id, status, received_at, dr_rank(status) AS rk"
	"  FROM m WHERE message_id IS NOT NULL AND valid AND dr_rank(status) > 0"
	"  ORDER BY message_id, dr_rank(status) DESC, received_at, ord"
	"), upd AS ("
	"  UPDATE messages SET delivery_status = best.status,"
	"         delivery_at = best.received_at,"
	"         final_at = CASE WHEN best.rk = 2 THEN best.received_at ELSE messages.final_at END,"
	"         updated_at = now()"
	"  FROM best WHERE messages.id = best.message_id"
	"    AND (best.rk > dr_rank(messages.delivery_status)"
	"         OR (best.rk = dr_rank(messages.delivery_status)"
	"             AND best.received_at < messages.delivery_at))"
	"  RETURNING 1"
	")"
	" SELECT (SELECT count(*) FROM m WHERE message_id IS NULL),"
	"        (SELECT count(*) FROM upd),"
	"        (SELECT min(received_at) FROM m WHERE message_id IS NULL)";

int dr_store_batch(struct db *db, const struct dr_row *rows, size_t n,
		   struct dr_store_result *res)
{
	struct strbuf arr[7];
	const char *params[7];
	struct db_result *r = NULL;
	char ts[48], since[64] = "";
	size_t i;
	int k, ret = -1;

	memset(res, 0, sizeof(*res));
	if (!n)
		return 0;
	for (k = 0; k < 7; k++)
		strbuf_init(&arr[k], 64 * n);
	for (i = 0; i < n; i++) {
		const struct dr_row *row = &rows[i];
		array_add(&arr[0], row->resource_id);
		array_add(&arr[1], row->address);
		array_add(&arr[2], row->status);
		array_add(&arr[3], row->status_valid ? "t" : "f");
		array_add(&arr[4], row->source_addr);
		array_add(&arr[5], row->raw);
		format_ts(row->received_at, ts, sizeof(ts));
		array_add(&arr[6], ts);
	}
	for (k = 0; k < 7; k++) {
		strbuf_addch(&arr[k], '}');
		params[k] = arr[k].buf;
	}

	if (db_exec(db, "BEGIN; SELECT pg_advisory_xact_lock(4720030)") < 0)
		goto fail;
	if (db_query(db, &r, batch_sql, 7, params) < 0)
		goto fail;
	res->unmatched = (int)db_result_int(r, 0, 0);
	res->updated = (int)db_result_int(r, 0, 1);
	if (db_result_get(r, 0, 2))
		strlcpy_(since, db_result_get(r, 0, 2), sizeof(since));
	db_result_free(r);
	r = NULL;
	if (res->unmatched && *since) {
		char buf[32];
		const char *p[1] = { since };

		if (db_query_value(db, buf, sizeof(buf),
				   "SELECT dr_reconcile_unknown($1::timestamptz)", 1, p) < 0)
			goto fail;
		res->reconciled = atoi(buf);
	}
	if (db_commit(db) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	if (db_ok(db))
		db_rollback(db);
out:
	db_result_free(r);
	for (k = 0; k < 7; k++)
		strbuf_release(&arr[k]);
	return ret;
}
