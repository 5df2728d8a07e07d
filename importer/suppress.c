#include "importer/suppress.h"
#include "importer/csvin.h"
#include "importer/import.h"
#include "importer/phone.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <string.h>

static int normalise_all(const char *const *numbers, int n, const struct phone_country *def,
			 char (**out)[24])
{
	struct phone_number pn;
	int i;

	*out = xcalloc(n ? (size_t)n : 1, sizeof(**out));
	for (i = 0; i < n; i++) {
		enum phone_status st = phone_normalize(numbers[i], strlen(numbers[i]), def, &pn);
		if (st != PHONE_OK) {
			free(*out);
			*out = NULL;
			return error("'%s': %s (%s)", numbers[i], phone_status_code(st), pn.why);
		}
		memcpy((*out)[i], pn.e164, sizeof(pn.e164));
	}
	return 0;
}

enum griot_err suppress_add(struct db *db, const char *const *numbers, int n, const char *reason,
			    const struct phone_country *def, struct suppress_counts *c)
{
	char (*e164)[24];
	int i, k;

	memset(c, 0, sizeof(*c));
	if (normalise_all(numbers, n, def, &e164) < 0)
		return GRIOT_ERR_DATA;
	if (db_begin(db) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *p[2] = { e164[i], reason };
		k = db_query(db, NULL, "INSERT INTO suppressions (msisdn, reason) VALUES ($1, $2) "
			     "ON CONFLICT (msisdn) DO NOTHING", 2, p);
		if (k < 0) {
			db_rollback(db);
			goto fail;
		}
		c->read++;
		if (k)
			c->added++;
		else
			c->already++;
	}
	if (db_commit(db) < 0)
		goto fail;
	free(e164);
	return GRIOT_OK;
fail:
	free(e164);
	return GRIOT_ERR_DB;
}

enum griot_err suppress_remove(struct db *db, const char *const *numbers, int n,
			       const struct phone_country *def, struct suppress_counts *c)
{
	char (*e164)[24];
	int i, k;

	memset(c, 0, sizeof(*c));
	if (normalise_all(numbers, n, def, &e164) < 0)
		return GRIOT_ERR_DATA;
	for (i = 0; i < n; i++) {
		const char *p[1] = { e164[i] };
		k = db_query(db, NULL, "DELETE FROM suppressions WHERE msisdn = $1", 1, p);
		if (k < 0) {
			free(e164);
			return GRIOT_ERR_DB;
		}
		c->read++;
		if (k)
			c->added++;
		else
			c->already++;
	}
	free(e164);
	return GRIOT_OK;
}

int suppress_list(struct db *db, struct db_result **res)
{
	return db_query(db, res, "SELECT msisdn, reason, "
			"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
			"FROM suppressions ORDER BY msisdn", 0, NULL) < 0 ? -1 : 0;
}

struct simp {
	struct csvin *in;
	struct db *db;
	const char *phone_column, *reason;
	const struct phone_country *def;
	struct suppress_counts *c;
	struct strbuf copy;
	int col;
	bool header;
};

static int on_row(const struct csvin_row *row, void *data)
{
	struct simp *m = data;
	struct phone_number pn;
	enum phone_status st;

	if (!m->header) {
		m->col = import_phone_column(row, m->phone_column, m->in->name);
		m->header = true;
		return m->col < 0 ? -1 : 0;
	}
	if ((size_t)m->col >= row->nfields || !row->lens[m->col])
		return 0;
	m->c->read++;
	st = phone_normalize(row->fields[m->col], row->lens[m->col], m->def, &pn);
	if (st != PHONE_OK) {
		m->c->rejected++;
		warning("%s: line %lld: %s: %s", m->in->name, row->line, phone_status_code(st),
			pn.why);
		return 0;
	}
	strbuf_addf(&m->copy, "%s\n", pn.e164);
	if (m->copy.len > 65536) {
		if (db_copy_put(m->db, m->copy.buf, m->copy.len) < 0)
			return -1;
		strbuf_reset(&m->copy);
	}
	return 0;
}

int suppress_import(struct db *db, const char *path, const char *phone_column,
		    const struct phone_country *def, const char *reason,
		    struct suppress_counts *c, enum griot_err *kind)
{
	struct csvin in;
	struct simp m = { &in, db, phone_column, reason, def, c, STRBUF_INIT, -1, false };
	const char *p[1] = { reason };
	bool copying = false, tx = false;
	int k, ret = -1;

	memset(c, 0, sizeof(*c));
	*kind = GRIOT_ERR_DATA;
	if (csvin_open(&in, path, 0) < 0) {
		*kind = in.error_kind;
		goto out;
	}
	*kind = GRIOT_ERR_DB;
	if (db_begin(db) < 0)
		goto out;
	tx = true;
	if (db_exec(db, "CREATE TEMP TABLE griot_suppress_in (msisdn text) ON COMMIT DROP") < 0 ||
	    db_copy_begin(db, "COPY griot_suppress_in (msisdn) FROM STDIN") < 0)
		goto out;
	copying = true;
	*kind = GRIOT_ERR_DATA;
	if (csvin_run(&in, on_row, &m) < 0) {
		if (in.error_kind != GRIOT_ERR_DATA)
			*kind = in.error_kind;
		goto out;
	}
	*kind = GRIOT_ERR_DB;
	if (m.copy.len && db_copy_put(db, m.copy.buf, m.copy.len) < 0)
		goto out;
	copying = false;
	if (db_copy_end(db, NULL) < 0)
		goto out;
	k = db_query(db, NULL, "INSERT INTO suppressions (msisdn, reason) "
		     "SELECT DISTINCT msisdn, $1::text FROM griot_suppress_in "
		     "ON CONFLICT (msisdn) DO NOTHING", 1, p);
	if (k < 0)
		goto out;
	c->added = k;
	c->already = c->read - c->rejected - k;
	if (db_commit(db) < 0)
		goto out;
	tx = false;
	*kind = GRIOT_OK;
	ret = 0;
out:
	if (copying)
		db_copy_end(db, "griot suppress import failed");
	if (tx && db_ok(db))
		db_rollback(db);
	csvin_close(&in);
	strbuf_release(&m.copy);
	return ret;
}
