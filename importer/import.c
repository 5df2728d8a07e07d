/*
 * Recipient CSV -> messages, in one transaction:
 *
 *   BEGIN; create the campaign as a draft if missing; lock it against
 *   other imports; refuse a file already imported (sha256) unless forced;
 *   load the campaign's numbers and the suppression list into a set;
 *   COPY every new, valid, unsuppressed row; record the counts; COMMIT;
 *   then move the rejects file into place.
 *
 * Duplicates are caught in the set before COPY (a unique violation would
 * abort it).  The set is the only memory that grows with the file, so it
 * is capped (IMPORT_SET_MAX numbers, 16 MiB): past the cap, rows whose
 * number is not in the set are staged with COPY in a temporary table
 * and judged at the end by PostgreSQL, with the same verdicts, counts
 * and rejects (see docs/import.md, "Memory bound").
 */
#include "importer/import.h"
#include "importer/csvin.h"
#include "importer/numset.h"
#include "importer/phone.h"
#include "core/afile.h"
#include "core/csv.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_FLUSH (128 * 1024)
#define FETCH_ROWS 20000
#define REJECT_RAW_MAX 4096     /* bytes of a row's text in the rejects file */

/* Tags stored with each number in the set: where it was seen first. */
enum { TAG_FILE = 0, TAG_CAMPAIGN = 1, TAG_SUPPRESSED = 2 };

static const char *const reason_codes[IMPORT_NREASONS] = {
	"missing_phone", "invalid_number", "excel_mangled", "unknown_country",
	"wrong_length", "not_mobile", "country_mismatch", "bad_row",
	"invalid_utf8", "duplicate", "suppressed",
};

const char *import_reason_code(enum import_reason r)
{
	return (unsigned)r < IMPORT_NREASONS ? reason_codes[r] : "?";
}

/* Ctrl-C or SIGTERM (o->cancel) before the commit: roll back, exit 75. */
static bool interrupted(const struct import_opts *o)
{
	return o->cancel && *o->cancel;
}

/* ---- header names ---- */

static const char *const phone_names[] = {
	"phone", "phonenumber", "telephone", "tel", "msisdn", "numero", "num",
	"mobile", "mobilephone", "gsm", "portable", "cellulaire", "cell",
	"cellphone", "numerodetelephone", "numerotelephone", "numtel", "ntel",
	"notel", "ndetelephone", "ndetel", "numerodetel", "numeromobile",
	"numerodeportable", "numeroportable", "telmobile", "telportable",
	"numerogsm", "mobilenumber", "phoneno", "contact", "recipient",
	"destinataire", "number",
	NULL
};

/* Header names of a country column (folded). */
static const char *const country_names[] = {
	"pays", "country", "countrycode", "codepays", "paysiso", "countryiso",
	"indicatif", "indicatifpays", "countrycallingcode", "dialcode", "iso3", "iso",
	NULL
};

/* The first column named like a country, other than skip; -1 if none. */
static int country_column(const struct csvin_row *hdr, int skip)
{
	struct strbuf b = STRBUF_INIT;
	size_t i;
	int k, col = -1;

	for (k = 0; country_names[k] && col < 0; k++)
		for (i = 0; i < hdr->nfields && col < 0; i++) {
			utf8_fold_name(&b, hdr->fields[i], hdr->lens[i]);
			if ((int)i != skip && !strcmp(b.buf, country_names[k]))
				col = (int)i;
		}
	strbuf_release(&b);
	return col;
}

/* Names too vague for a second phone column ("Contact" may be someone
 * else's number): such a column is used only when it is the only one. */
static const char *const weak_phone_names[] = { "num", "contact", "number", NULL };

static bool name_in(const char *const *list, const char *folded)
{
	for (; *list; list++)
		if (!strcmp(*list, folded))
			return true;
	return false;
}

int import_phone_column(const struct csvin_row *hdr, const char *override,
			const char *file)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, list = STRBUF_INIT;
	size_t i;
	int col = -1, k;
	long n;

	for (i = 0; i < hdr->nfields; i++) {
		if (i)
			strbuf_addstr(&list, ", ");
		strbuf_add(&list, hdr->fields[i], hdr->lens[i]);
	}
	if (override) {
		utf8_fold_name(&a, override, strlen(override));
		for (i = 0; i < hdr->nfields && col < 0; i++) {
			utf8_fold_name(&b, hdr->fields[i], hdr->lens[i]);
			if (a.len && !strcmp(a.buf, b.buf))
				col = (int)i;
		}
		if (col < 0 && parse_long(override, 1, (long)hdr->nfields, &n) == 0)
			col = (int)n - 1;
		if (col < 0)
			error("%s: line %lld: no column '%s' (headers: %s)", file, hdr->line,
			      override, list.buf);
		goto out;
	}
	/* Earlier names in the list win: "phone" before "contact". */
	for (k = 0; phone_names[k] && col < 0; k++) {
		for (i = 0; i < hdr->nfields; i++) {
			utf8_fold_name(&b, hdr->fields[i], hdr->lens[i]);
			if (!strcmp(b.buf, phone_names[k])) {
				col = (int)i;
				break;
			}
		}
	}
	if (col < 0) {
		struct phone_number pn;
		bool looks_data = false;
		for (i = 0; i < hdr->nfields; i++)
			if (phone_normalize(hdr->fields[i], hdr->lens[i], NULL, &pn) == PHONE_OK ||
			    pn.country)
				looks_data = true;
		error("%s: line %lld: no phone column among the headers (%s)%s; name it "
		      "phone, téléphone, msisdn, numéro… or use --phone-column", file,
		      hdr->line, list.buf,
		      looks_data ? " — the first line looks like data: a header row is required" : "");
	}
out:
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&list);
	return col;
}

/* ---- the import ---- */

struct imp {
	const struct import_opts *o;
	struct import_summary *s;
	struct db *db;
	struct csvin in;
	struct numset set;
	FILE *rej;
	struct afile rej_file;  /* rej is its fp */
	bool copying;           /* COPY in progress, to messages or the stage */
	bool staging;           /* rows the set cannot judge go to griot_stage */
	bool stage_made;
	bool set_exact;         /* the set holds every suppressed and campaign number */
	size_t set_max;
	long long staged;
	bool header_done;
	int phone_col;
	int country_col;        /* -1: every row is in o->country */
	int phone_cols[IMPORT_MAX_PHONE_COLS]; /* s->nphone_cols of them */
	size_t ncols;
	char **keys;            /* JSON keys: header names, made unique */
	struct strbuf copy, prefix, json;
	double t0, last_progress;
	long long next_log;
};

static void reject_raw(struct imp *m, long long line, const char *raw, size_t raw_len,
		       enum import_reason r, const char *detail)
{
	struct strbuf *sb = &m->json;   /* scratch */
	size_t cut = raw_len;

	m->s->by_reason[r]++;
	if (r == IMPORT_DUPLICATE)
		m->s->duplicates++;
	else if (r == IMPORT_SUPPRESSED)
		m->s->suppressed++;
	else
		m->s->rejected++;
	if (!m->rej)
		return;
	/* A row that swallowed half the file must not make the rejects file
	 * as big as the file for every such row: keep its start. */
	if (cut > REJECT_RAW_MAX) {
		cut = REJECT_RAW_MAX;
		while (cut && ((unsigned char)raw[cut] & 0xC0) == 0x80)
			cut--;  /* not inside a UTF-8 sequence */
	}
	strbuf_reset(sb);
	strbuf_addf(sb, "%lld%c", line, m->in.delim);
	csv_cell(sb, raw, cut, m->in.delim);
	strbuf_addf(sb, "%c%s%c", m->in.delim, reason_codes[r], m->in.delim);
	if (cut < raw_len) {
		struct strbuf d = STRBUF_INIT;
		strbuf_addf(&d, "%s (row cut to its first %zu of %zu bytes)", detail, cut, raw_len);
		csv_cell(sb, d.buf, d.len, m->in.delim);
		strbuf_release(&d);
	} else {
		csv_cell(sb, detail, strlen(detail), m->in.delim);
	}
	strbuf_addstr(sb, "\r\n");
	fwrite(sb->buf, 1, sb->len, m->rej);
}

static void reject(struct imp *m, const struct csvin_row *row, enum import_reason r,
		   const char *detail)
{
	reject_raw(m, row->line, row->raw, row->raw_len, r, detail);
}

static int open_rejects(struct imp *m);

/* The columns a row's number may come from, left to right: the phone
 * column, and (unless --phone-column) every other one clearly named like
 * a phone ("Tel", "Mobile"). */
static void phone_candidates(struct imp *m, const struct csvin_row *hdr)
{
	struct strbuf b = STRBUF_INIT;
	size_t i;

	for (i = 0; i < hdr->nfields && m->s->nphone_cols < IMPORT_MAX_PHONE_COLS; i++) {
		utf8_fold_name(&b, hdr->fields[i], hdr->lens[i]);
		if ((int)i == m->phone_col || (!m->o->phone_column && name_in(phone_names, b.buf) &&
					       !name_in(weak_phone_names, b.buf))) {
			m->phone_cols[m->s->nphone_cols] = (int)i;
			snprintf(m->s->phone_cols[m->s->nphone_cols].name,
				 sizeof(m->s->phone_cols[0].name), "%s", m->keys[i]);
			m->s->nphone_cols++;
		}
	}
	strbuf_release(&b);
}

/* The names given so far, each with the next suffix to try for it. */
struct name_set {
	struct name_slot {
		const char *name;
		int next;
	} *slot;
	size_t mask;
	long long probes;       /* lookups, for the debug log (linear: < 3 per column) */
};

static struct name_slot *name_slot(struct name_set *ns, const char *name)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	ns->probes++;
	for (i = (size_t)h & ns->mask; ns->slot[i].name; i = (i + 1) & ns->mask)
		if (!strcmp(ns->slot[i].name, name))
			break;
	return &ns->slot[i];
}

/*
 * The JSON keys of the header's columns: the names trimmed and without
 * BOMs (a file saved twice may hold two), "column_N" for an empty one, a
 * repeated name suffixed (_2, _3...) so that every column is kept.  Each
 * base name remembers its next suffix in a hash set, so 4,000 columns
 * named x take a few lookups each, not a scan of the ones before.
 */
static char **unique_keys(const struct csvin_row *row)
{
	struct name_set ns;
	char **keys = xcalloc(row->nfields ? row->nfields : 1, sizeof(*keys));
	size_t i, cap = 16;

	while (cap < 2 * row->nfields + 2)
		cap *= 2;
	ns.slot = xcalloc(cap, sizeof(*ns.slot));
	ns.mask = cap - 1;
	ns.probes = 0;
	for (i = 0; i < row->nfields; i++) {
		struct strbuf k = STRBUF_INIT;
		struct name_slot *base, *e;
		size_t blen;

		strbuf_add(&k, row->fields[i], row->lens[i]);
		while (starts_with(k.buf, UTF8_BOM))
			memmove(k.buf, k.buf + 3, (k.len -= 3) + 1);
		strbuf_trim(&k);
		if (!k.len)
			strbuf_addf(&k, "column_%zu", i + 1);
		base = name_slot(&ns, k.buf);
		e = base;
		if (base->name) {
			/* Taken: the next free name_N (names are never removed). */
			blen = k.len;
			for (;;) {
				strbuf_setlen(&k, blen);
				strbuf_addf(&k, "_%d", base->next++);
				e = name_slot(&ns, k.buf);
				if (!e->name)
					break;
			}
		}
		keys[i] = strbuf_detach(&k, NULL);
		e->name = keys[i];
		e->next = 2;
	}
	debug("import: %zu header names made unique with %lld lookups", row->nfields, ns.probes);
	free(ns.slot);
	return keys;
}

static int take_header(struct imp *m, const struct csvin_row *row)
{

	if (row->bad_line) {
		error("%s: line %lld: the header is not valid UTF-8 (byte 0x%02x at column %zu), "
		      "though the rest of the file is", m->in.name, row->bad_line, row->bad_byte,
		      row->bad_col);
		return -1;
	}
	m->phone_col = import_phone_column(row, m->o->phone_column, m->in.name);
	if (m->phone_col < 0) {
		/* Show what was read: a wrong encoding shows at once. */
		error("%s: line %lld as read (%s, '%c'-separated): %.*s%s", m->in.name, row->line,
		      csvin_encoding_name(m->in.enc), m->in.delim,
		      (int)(row->raw_len > 300 ? 300 : row->raw_len), row->raw,
		      row->raw_len > 300 ? "…" : "");
		return -1;
	}
	m->country_col = country_column(row, m->phone_col);
	if (m->country_col >= 0)
		info("import: each row's country from column '%.*s' (default %s)",
		     (int)row->lens[m->country_col], row->fields[m->country_col],
		     m->o->country ? m->o->country->iso3 : "none");
	m->ncols = row->nfields;
	m->keys = unique_keys(row);
	phone_candidates(m, row);
	if (m->s->nphone_cols > 1)
		info("import: each row's number from the first of %d phone columns that holds "
		     "a mobile", m->s->nphone_cols);
	m->header_done = true;
	/* The rejects file uses the input's delimiter, known from now on.
	 * Written even when nothing is rejected, to replace a stale one. */
	if (m->s->rejects_path && open_rejects(m) < 0)
		return -1;
	return 0;
}

static void progress(struct imp *m, bool force)
{
	double now = time_mono(), el = now - m->t0;
	double rate = el > 0 ? m->s->read / el : 0;
	long long rows = m->s->read;

	if (log_stderr_is_tty()) {
		char eta[32] = "?";
		int pct = -1;
		if (!force && now - m->last_progress < 0.25)
			return;
		m->last_progress = now;
		if (m->in.size > 0) {
			double frac = (double)m->in.bytes_read / (double)m->in.size;
			if (frac > 1)
				frac = 1;
			pct = (int)(frac * 100);
			if (frac > 0.01)
				snprintf(eta, sizeof(eta), "%.0fs", el / frac - el);
		}
		if (pct >= 0)
			progress_update("importing: %lld rows, %.0f rows/s, %d%%, ETA %s",
					rows, rate, pct, eta);
		else
			progress_update("importing: %lld rows, %.0f rows/s", rows, rate);
	} else if (rows >= m->next_log) {
		m->next_log += m->o->progress_every > 0 ? m->o->progress_every : 100000;
		if (m->in.size > 0)
			info("import: %lld rows read (%d%%), %.0f rows/s", rows,
			     (int)(100.0 * (double)m->in.bytes_read / (double)m->in.size), rate);
		else
			info("import: %lld rows read, %.0f rows/s", rows, rate);
	}
}

static int start_staging(struct imp *m);

static int flush_copy(struct imp *m)
{
	if (!m->copy.len)
		return 0;
	if (db_copy_put(m->db, m->copy.buf, m->copy.len) < 0) {
		m->s->err = GRIOT_ERR_DB;
		return -1;
	}
	strbuf_reset(&m->copy);
	return 0;
}

/* To messages, or (stage) to griot_stage with the raw row, for a verdict
 * at the end. */
static int add_row(struct imp *m, const struct csvin_row *row,
		   const struct phone_number *pn, bool stage)
{
	struct json_gen *g;
	const char *js;
	size_t i, jl;

	if (stage)
		m->staged++;
	else
		m->s->imported++;
	if (m->o->dry_run && !stage)
		return 0;
	g = json_gen_new(false);
	json_map_open(g);
	for (i = 0; i < m->ncols; i++) {
		if ((int)i == m->phone_col)
			continue;
		json_key(g, m->keys[i]);
		if (i < row->nfields)
			json_strn(g, row->fields[i], row->lens[i]);
		else
			json_str(g, "");
	}
	json_map_close(g);
	if (json_gen_result(g, &js, &jl) < 0) {
		json_gen_free(g);
		return error("%s: line %lld: cannot encode the fields as JSON", m->in.name,
			     row->line);
	}
	if (!stage)
		strbuf_add(&m->copy, m->prefix.buf, m->prefix.len);
	strbuf_addf(&m->copy, "%lld\t%s\t%s\t", row->line, pn->e164, pn->country->iso3);
	db_copy_escape(&m->copy, js, jl);
	if (stage) {
		strbuf_addch(&m->copy, '\t');
		db_copy_escape(&m->copy, row->raw, row->raw_len);
	}
	strbuf_addch(&m->copy, '\n');
	json_gen_free(g);
	if (m->copy.len >= COPY_FLUSH)
		return flush_copy(m);
	return 0;
}

static const char *cell(const struct csvin_row *row, int col, size_t *len)
{
	if (col < 0 || (size_t)col >= row->nfields) {
		*len = 0;
		return "";
	}
	*len = row->lens[col];
	return row->fields[col];
}

/*
 * The row's number in E.164, judged in the row's country (its country
 * column, else o->country).  A number is never moved to another country
 * than the row says: one written with another country's code is a
 * country_mismatch, and one that is valid only as another country's
 * national number is rejected with that hint.  0, or -1 after rejecting
 * the row.
 */
static int judge_number(struct imp *m, const struct csvin_row *row, struct phone_number *pn)
{
	const struct phone_country *c = m->o->country;
	const char *num, *cs;
	size_t nl, cl, i;
	enum phone_status st;
	char detail[256];

	cs = cell(row, m->country_col, &cl);
	if (cl) {
		c = phone_country_lookup(cs, cl);
		if (!c) {
			snprintf(detail, sizeof(detail), "country '%.*s' (column %s) is not one of "
				 "BWA BFA CMR CIV COD EGY JOR GIN MLI NER SEN TUN", (int)cl, cs,
				 m->keys[m->country_col]);
			reject(m, row, IMPORT_UNKNOWN_COUNTRY, detail);
			return -1;
		}
	}
	for (i = 0; i < (size_t)m->s->nphone_cols; i++) {
		/* The first phone column that holds a mobile of the row's country. */
		num = cell(row, m->phone_cols[i], &nl);
		if (phone_normalize(num, nl, c, pn) == PHONE_OK && (!cl || pn->country == c)) {
			m->s->phone_cols[i].rows++;
			return 0;
		}
	}
	/* None: the phone column's verdict. */
	num = cell(row, m->phone_col, &nl);
	st = phone_normalize(num, nl, c, pn);
	if (st == PHONE_OK && cl && pn->country != c) {
		snprintf(detail, sizeof(detail), "%s is a %s number but the row's %s is %s",
			 pn->e164, pn->country->iso3, m->keys[m->country_col], c->iso3);
		reject(m, row, IMPORT_COUNTRY_MISMATCH, detail);
		return -1;
	}
	snprintf(detail, sizeof(detail), "%s", pn->why);
	if (cl && (st == PHONE_WRONG_LENGTH || st == PHONE_NOT_MOBILE)) {
		/* Say so when the row's country is probably the mistake. */
		struct phone_number other;
		char valid[64] = "";
		for (i = 0; i < phone_ncountries; i++) {
			const struct phone_country *k = &phone_countries[i];
			if (k != c && phone_normalize(num, nl, k, &other) == PHONE_OK &&
			    other.country == k)
				snprintf(valid + strlen(valid), sizeof(valid) - strlen(valid),
					 "%s%s", *valid ? " " : "", k->iso3);
		}
		if (*valid)
			snprintf(detail, sizeof(detail), "%s; it would be a valid number of %s: "
				 "check the row's %s (%s)", pn->why, valid,
				 m->keys[m->country_col], c->iso3);
	}
	/* phone_status order matches import_reason from MISSING_PHONE on. */
	reject(m, row, (enum import_reason)(st - PHONE_MISSING), detail);
	return -1;
}

static int on_row(const struct csvin_row *row, void *data)
{
	struct imp *m = data;
	struct phone_number pn;
	size_t i;
	int seen;
	char detail[160];

	if (interrupted(m->o)) {
		m->s->err = GRIOT_ERR_TEMPFAIL;
		return error("interrupted at line %lld", row->line);
	}
	if (!m->header_done)
		return take_header(m, row);
	for (i = 0; i < row->nfields; i++)
		if (row->lens[i])
			break;
	if (i == row->nfields)
		return 0;   /* blank row (";;;" from a spreadsheet) */
	m->s->read++;
	if ((m->s->read & 1023) == 0)
		progress(m, false);
	if (row->bad_line) {
		snprintf(detail, sizeof(detail), "line %lld: byte 0x%02x at column %zu is not "
			 "UTF-8, though the rest of the file is: correct this line",
			 row->bad_line, row->bad_byte, row->bad_col);
		reject(m, row, IMPORT_INVALID_UTF8, detail);
		return 0;
	}

	for (i = m->ncols; i < row->nfields; i++)
		if (row->lens[i])
			break;
	if (i < row->nfields) {
		snprintf(detail, sizeof(detail),
			 "%zu fields but the header has %zu (an unquoted '%c' in a value?)",
			 row->nfields, m->ncols, m->in.delim);
		reject(m, row, IMPORT_BAD_ROW, detail);
		return 0;
	}
	if (judge_number(m, row, &pn) < 0)
		return 0;
	if (!m->staging && m->set.count >= m->set_max &&
	    !numset_find(&m->set, pn.key) && start_staging(m) < 0)
		return -1;
	if (m->staging) {
		/* The set still judges the numbers it holds, if it holds all
		 * the suppressed and campaign ones; PostgreSQL the others. */
		seen = m->set_exact ? numset_find(&m->set, pn.key) : 0;
		if (!seen)
			return add_row(m, row, &pn, true);
	} else {
		seen = numset_add(&m->set, pn.key, TAG_FILE);
	}
	if (seen == 1 + TAG_SUPPRESSED) {
		snprintf(detail, sizeof(detail), "%s is on the suppression list", pn.e164);
		reject(m, row, IMPORT_SUPPRESSED, detail);
		return 0;
	}
	if (seen) {
		snprintf(detail, sizeof(detail), "%s is %s", pn.e164,
			 seen == 1 + TAG_CAMPAIGN ? "already in the campaign" :
			 "on an earlier line of this file");
		reject(m, row, IMPORT_DUPLICATE, detail);
		return 0;
	}
	return add_row(m, row, &pn, false);
}

/* Load the numbers of a query into the set with a cursor, a slice at a
 * time, so a big campaign does not sit in memory twice. */
static int load_numbers(struct imp *m, const char *query, unsigned tag)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_result *r = NULL;
	int n, i, ret = -1;
	char fetch[64];

	snprintf(fetch, sizeof(fetch), "FETCH %d FROM griot_load", FETCH_ROWS);
	strbuf_addf(&sql, "DECLARE griot_load NO SCROLL CURSOR FOR %s", query);
	if (db_exec(m->db, sql.buf) < 0)
		goto out;
	do {
		if (interrupted(m->o))
			goto out;
		n = db_query(m->db, &r, fetch, 0, NULL);
		if (n < 0)
			goto out;
		for (i = 0; i < n && m->set_exact; i++) {
			uint64_t k = phone_key(db_result_get(r, i, 0));
			/* More than counted (suppressions added meanwhile):
			 * give up the set, PostgreSQL checks them all. */
			if (k && m->set.count >= m->set_max && !numset_find(&m->set, k))
				m->set_exact = false;
			else if (k)
				numset_add(&m->set, k, tag);
		}
		db_result_free(r);
		r = NULL;
	} while (n == FETCH_ROWS && m->set_exact);
	ret = db_exec(m->db, "CLOSE griot_load");
out:
	db_result_free(r);
	strbuf_release(&sql);
	return ret;
}

/* ---- past the cap: de-duplication in PostgreSQL ---- */

static size_t set_max_for(const struct import_opts *o)
{
	const char *env = getenv("GRIOT_IMPORT_SET_MAX");
	long n;

	if (o->set_max > 0)
		return (size_t)o->set_max;
	if (env && *env) {
		if (parse_long(env, 1, LONG_MAX, &n) == 0)
			return (size_t)n;
		warning("GRIOT_IMPORT_SET_MAX=%s is not a positive number; using %d",
			env, IMPORT_SET_MAX);
	}
	return IMPORT_SET_MAX;
}

/* No index: judged once, in one sort, at the end. */
static int make_stage(struct imp *m)
{
	if (db_exec(m->db, "CREATE TEMP TABLE griot_stage (line_no bigint, msisdn text, "
		    "country text, fields jsonb, raw text) ON COMMIT DROP") < 0)
		return -1;
	m->stage_made = true;
	return 0;
}

/* From here on, rows the set cannot judge are COPYed to griot_stage. */
static int start_staging(struct imp *m)
{
	if (m->copying) {
		if (flush_copy(m) < 0)
			return -1;
		m->copying = false;
		if (db_copy_end(m->db, NULL) < 0)
			goto fail;
	}
	if (!m->stage_made && make_stage(m) < 0)
		goto fail;
	if (db_copy_begin(m->db, "COPY griot_stage (line_no, msisdn, country, fields, raw) "
			  "FROM STDIN") < 0)
		goto fail;
	m->copying = true;
	m->staging = true;
	info("import: %s than %zu numbers to check: the rest of the file is "
	     "de-duplicated in PostgreSQL", m->set_exact ? "more" : "the campaign and "
	     "suppressions alone have more", m->set_max);
	return 0;
fail:
	m->s->err = GRIOT_ERR_DB;
	return -1;
}

/*
 * The verdict on every staged row, as the set would have given it:
 * suppressed first, then already in the campaign, then the first line
 * of each number imported and the later ones duplicates.  Staged numbers
 * are never in the set, so the campaign rows this import has already
 * added cannot match.  Rejects are written in line order, after those
 * found while reading.
 */
static const char verdict_sql[] =
	"SELECT line_no, msisdn, raw, verdict FROM ("
	" SELECT s.line_no, s.msisdn, s.raw, CASE"
	"  WHEN EXISTS (SELECT 1 FROM suppressions p WHERE p.msisdn = s.msisdn) THEN 'S'"
	"  WHEN EXISTS (SELECT 1 FROM messages c WHERE c.campaign_id = %lld"
	"               AND c.msisdn = s.msisdn) THEN 'C'"
	"  WHEN s.line_no > min(s.line_no) OVER (PARTITION BY s.msisdn) THEN 'D'"
	"  ELSE 'I' END AS verdict"
	" FROM griot_stage s) v WHERE verdict <> 'I' ORDER BY line_no";

static const char insert_sql[] =
	"WITH ins AS (INSERT INTO messages (campaign_id, import_id, line_no, msisdn, "
	"country, fields)"
	" SELECT DISTINCT ON (s.msisdn) %lld, %lld, s.line_no, s.msisdn, s.country, s.fields"
	" FROM griot_stage s"
	" WHERE NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.msisdn = s.msisdn)"
	"   AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.campaign_id = %lld"
	"                   AND c.msisdn = s.msisdn)"
	" ORDER BY s.msisdn, s.line_no ON CONFLICT DO NOTHING RETURNING 1) "
	"SELECT count(*) FROM ins";

static int finish_staging(struct imp *m)
{
	struct strbuf sql = STRBUF_INIT;
	struct db_result *r = NULL;
	long long rejected = 0, want;
	char fetch[64], detail[160], buf[32];
	int n, i, ret = -1;

	m->s->err = GRIOT_ERR_DB;
	debug("import: judging %lld staged rows after %.2f s", m->staged, time_mono() - m->t0);
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM griot_verdicts", FETCH_ROWS);
	strbuf_addstr(&sql, "DECLARE griot_verdicts NO SCROLL CURSOR FOR ");
	strbuf_addf(&sql, verdict_sql, m->s->campaign_id);
	if (db_exec(m->db, sql.buf) < 0)
		goto out;
	do {
		if (interrupted(m->o))
			goto out;
		n = db_query(m->db, &r, fetch, 0, NULL);
		if (n < 0)
			goto out;
		for (i = 0; i < n; i++) {
			const char *e164 = db_result_get(r, i, 1), *raw = db_result_get(r, i, 2);
			char v = db_result_get(r, i, 3)[0];
			enum import_reason why = IMPORT_DUPLICATE;

			if (v == 'S') {
				snprintf(detail, sizeof(detail), "%s is on the suppression list", e164);
				why = IMPORT_SUPPRESSED;
			} else {
				snprintf(detail, sizeof(detail), "%s is %s", e164, v == 'C' ?
					 "already in the campaign" : "on an earlier line of this file");
			}
			reject_raw(m, db_result_int(r, i, 0), raw, strlen(raw), why, detail);
			rejected++;
		}
		db_result_free(r);
		r = NULL;
	} while (n == FETCH_ROWS);
	if (db_exec(m->db, "CLOSE griot_verdicts") < 0)
		goto out;
	want = m->staged - rejected;
	m->s->imported += want;
	/* A Ctrl-C between two statements cancels nothing on the server:
	 * look before each. */
	if (interrupted(m->o))
		goto out;
	if (!m->o->dry_run) {
		strbuf_reset(&sql);
		strbuf_addf(&sql, insert_sql, m->s->campaign_id, m->s->import_id,
			    m->s->campaign_id);
		if (db_query_value(m->db, buf, sizeof(buf), sql.buf, 0, NULL) < 0)
			goto out;
		if (atoll(buf) != want) {
			/* Cannot happen under the campaign's lock; never commit
			 * counts that do not match the rows. */
			error("import: %s rows inserted from the stage, %lld expected",
			      buf, want);
			goto out;
		}
	}
	debug("import: %lld staged rows imported after %.2f s", want, time_mono() - m->t0);
	ret = 0;
out:
	db_result_free(r);
	strbuf_release(&sql);
	return ret;
}

static char *default_rejects(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (!strcmp(path, "-"))
		strbuf_addstr(&sb, "stdin.rejects.csv");
	else
		strbuf_addf(&sb, "%s.rejects.csv", path);
	return strbuf_detach(&sb, NULL);
}

/*
 * The rejects file is an afile: given its name only after the commit, so
 * an import killed even with SIGKILL leaves no partial file behind.  Its
 * rows hold numbers and personal fields: owner only, like the
 * per-recipient report.
 */
static int open_rejects(struct imp *m)
{
	if (afile_open(&m->rej_file, m->s->rejects_path, 0600) < 0) {
		m->s->err = GRIOT_ERR_CANTCREAT;
		return -1;
	}
	m->rej = m->rej_file.fp;
	/* UTF-8 BOM so that spreadsheets show accents; same delimiter as the input. */
	fputs("\xEF\xBB\xBF", m->rej);
	fprintf(m->rej, "line%crow%creason%cdetail\r\n", m->in.delim, m->in.delim, m->in.delim);
	return 0;
}

/* Before the commit: everything on disk. */
static int sync_rejects(struct imp *m)
{
	if (afile_sync(&m->rej_file) < 0) {
		m->s->err = GRIOT_ERR_IO;
		return -1;
	}
	return 0;
}

/* After the commit: give the file its name, atomically replacing any
 * older one. */
static int publish_rejects(struct imp *m)
{
	m->rej = NULL;
	if (afile_commit(&m->rej_file) < 0) {
		m->s->err = GRIOT_ERR_CANTCREAT;
		return error("the import is committed, but the rejects file %s "
			     "could not be written", m->s->rejects_path);
	}
	return 0;
}

static void drop_rejects(struct imp *m)
{
	if (m->rej)
		afile_abort(&m->rej_file);
	m->rej = NULL;
}

static int setup_campaign(struct imp *m)
{
	struct db_result *r = NULL;
	const char *p[2];
	char id[32], status[32];
	int n, ret = -1;

	p[0] = m->o->campaign;
	if (!m->o->dry_run) {
		n = db_query(m->db, &r,
			     "INSERT INTO campaigns (name) VALUES ($1) ON CONFLICT (name) DO NOTHING "
			     "RETURNING id", 1, p);
		if (n < 0)
			goto out;
		m->s->campaign_created = n == 1;
		db_result_free(r);
		r = NULL;
	}
	n = db_query(m->db, &r, "SELECT id, status FROM campaigns WHERE name = $1", 1, p);
	if (n < 0)
		goto out;
	if (n == 0) {   /* dry run: it would be created */
		m->s->campaign_id = 0;
		m->s->campaign_created = true;
		ret = 0;
		goto out;
	}
	m->s->campaign_id = db_result_int(r, 0, 0);
	strlcpy_(status, db_result_get(r, 0, 1), sizeof(status));
	if (campaign_finished(CAMPAIGN_STATUS(status))) {
		m->s->err = GRIOT_ERR_USAGE;
		error("campaign '%s' is %s: import into a new campaign", m->o->campaign, status);
		goto out;
	}
	snprintf(id, sizeof(id), "%lld", m->s->campaign_id);
	p[0] = id;
	/* One import at a time per campaign: the set must see every number. */
	if (db_query(m->db, NULL, "SELECT pg_advisory_xact_lock(" LOCK_CLASS_IMPORT_SQL ", ($1::bigint % 2147483647)::int)",
		     1, p) < 0)
		goto out;
	ret = 0;
out:
	db_result_free(r);
	return ret;
}

/* A file with this content already imported into the campaign? */
static int check_reimport(struct imp *m)
{
	struct db_result *r = NULL;
	char id[32], self[32];
	const char *p[3] = { id, m->in.sha256, self };
	int n;

	if (!m->s->campaign_id)
		return 0;
	snprintf(id, sizeof(id), "%lld", m->s->campaign_id);
	snprintf(self, sizeof(self), "%lld", m->s->import_id);
	n = db_query(m->db, &r,
		     "SELECT id, to_char(created_at, 'YYYY-MM-DD HH24:MI'), filename FROM imports "
		     "WHERE campaign_id = $1 AND sha256 = $2 AND id <> $3 ORDER BY id LIMIT 1",
		     3, p);
	if (n < 0)
		return -1;
	if (n == 1 && !m->o->force) {
		m->s->err = GRIOT_ERR_DATA;
		error("%s: the same content was already imported into campaign '%s' "
		      "(import #%s of %s, %s, %s); use --force to import it again",
		      m->in.name, m->o->campaign, db_result_get(r, 0, 0),
		      db_result_get(r, 0, 2), db_result_get(r, 0, 1), m->in.sha256);
		db_result_free(r);
		return -1;
	}
	db_result_free(r);
	return 0;
}

static int record_import(struct imp *m)
{
	struct db_result *r = NULL;
	char id[32];
	const char *p[4] = { id, m->in.name, m->in.sha256, m->o->force ? "t" : "f" };
	int n;

	snprintf(id, sizeof(id), "%lld", m->s->campaign_id);
	n = db_query(m->db, &r,
		     "INSERT INTO imports (campaign_id, filename, sha256, forced) "
		     "VALUES ($1, $2, $3, $4) RETURNING id", 4, p);
	if (n != 1) {
		db_result_free(r);
		return -1;
	}
	m->s->import_id = db_result_int(r, 0, 0);
	db_result_free(r);
	return 0;
}

static int update_import(struct imp *m)
{
	char v[7][32];
	const char *p[7];
	int i;

	snprintf(v[0], 32, "%lld", m->s->import_id);
	snprintf(v[1], 32, "%lld", m->s->read);
	snprintf(v[2], 32, "%lld", m->s->imported);
	snprintf(v[3], 32, "%lld", m->s->duplicates);
	snprintf(v[4], 32, "%lld", m->s->suppressed);
	snprintf(v[5], 32, "%lld", m->s->rejected);
	for (i = 0; i < 6; i++)
		p[i] = v[i];
	p[6] = m->in.sha256;
	return db_query(m->db, NULL,
			"UPDATE imports SET rows_read = $2, imported = $3, duplicates = $4, "
			"suppressed = $5, rejected = $6, sha256 = $7 WHERE id = $1", 7, p) < 0 ? -1 : 0;
}

int import_run(struct db *db, const struct import_opts *o, struct import_summary *s)
{
	struct imp m;
	struct strbuf q = STRBUF_INIT;
	bool in_tx = false, committed = false;
	long long expect, known;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	memset(&m, 0, sizeof(m));
	m.o = o;
	m.s = s;
	m.db = db;
	m.t0 = time_mono();
	m.next_log = o->progress_every > 0 ? o->progress_every : 100000;
	strbuf_init(&m.copy, COPY_FLUSH + 4096);
	strbuf_init(&m.prefix, 0);
	strbuf_init(&m.json, 0);
	s->dry_run = o->dry_run;
	s->err = GRIOT_ERR_DATA;

	if (csvin_open(&m.in, o->path, o->delimiter) < 0) {
		s->err = m.in.error_kind;
		goto out;
	}
	s->encoding = csvin_encoding_name(m.in.enc);
	if (!o->dry_run || o->rejects_path)
		s->rejects_path = o->rejects_path ? xstrdup(o->rejects_path) : default_rejects(o->path);

	s->err = GRIOT_ERR_DB;
	if (db_exec(db, "BEGIN") < 0)
		goto out;
	in_tx = true;
	/* A dry run may need the stage; nothing else is written. */
	if (o->dry_run && (make_stage(&m) < 0 || db_exec(db, "SET TRANSACTION READ ONLY") < 0))
		goto out;
	if (setup_campaign(&m) < 0)
		goto out;
	if (m.in.seekable && check_reimport(&m) < 0)
		goto out;

	/* Size the set once for the campaign, the suppressions and the file,
	 * so it does not double (and briefly hold both copies) midway. */
	m.set_max = set_max_for(o);
	s->set_max = (long long)m.set_max;
	if (s->campaign_id) {
		char buf[32], id[32];
		const char *p[1] = { id };
		snprintf(id, sizeof(id), "%lld", s->campaign_id);
		if (db_query_value(db, buf, sizeof(buf),
				   "SELECT (SELECT count(*) FROM messages WHERE campaign_id = $1) + "
				   "(SELECT count(*) FROM suppressions)", 1, p) < 0)
			goto out;
		known = atoll(buf);
	} else {
		char buf[32];
		if (db_query_value(db, buf, sizeof(buf), "SELECT count(*) FROM suppressions",
				   0, NULL) < 0)
			goto out;
		known = atoll(buf);
	}
	expect = (m.in.lines > 0 ? m.in.lines : 1 << 16) + known;
	if ((size_t)expect > m.set_max)
		expect = (long long)m.set_max;
	/* Too many to hold: PostgreSQL checks them and every row. */
	m.set_exact = (size_t)known < m.set_max;
	numset_init(&m.set, m.set_exact ? (size_t)expect : 0);
	/* Suppressions first: a suppressed number is counted as suppressed
	 * even if the campaign already has it. */
	if (m.set_exact &&
	    load_numbers(&m, "SELECT msisdn FROM suppressions", TAG_SUPPRESSED) < 0)
		goto out;
	if (m.set_exact && s->campaign_id) {
		strbuf_addf(&q, "SELECT msisdn FROM messages WHERE campaign_id = %lld", s->campaign_id);
		if (load_numbers(&m, q.buf, TAG_CAMPAIGN) < 0)
			goto out;
	}

	if (!m.set_exact) {
		/* Only part of them made it: an empty set judges nothing. */
		numset_release(&m.set);
		numset_init(&m.set, 0);
	}
	debug("import: %zu numbers loaded from the campaign and suppressions after %.2f s",
	      m.set.count, time_mono() - m.t0);
	if (!o->dry_run) {
		if (record_import(&m) < 0)
			goto out;
		strbuf_addf(&m.prefix, "%lld\t%lld\t", s->campaign_id, s->import_id);
		if (m.set_exact) {
			if (db_copy_begin(db, "COPY messages (campaign_id, import_id, line_no, "
					  "msisdn, country, fields) FROM STDIN") < 0)
				goto out;
			m.copying = true;
		}
	}
	if (!m.set_exact && start_staging(&m) < 0)
		goto out;
	s->err = GRIOT_ERR_DATA;
	if (csvin_run(&m.in, on_row, &m) < 0) {
		if (s->err == GRIOT_ERR_DATA && m.in.error_kind != GRIOT_ERR_DATA)
			s->err = m.in.error_kind;
		goto out;
	}
	if (!m.header_done) {
		error("%s: no header row", m.in.name);
		goto out;
	}
	s->err = GRIOT_ERR_DB;
	if (m.copying) {
		if (flush_copy(&m) < 0)
			goto out;
		debug("import: all rows sent after %.2f s, ending COPY", time_mono() - m.t0);
		if (interrupted(o))
			goto out;       /* still copying: out: aborts the COPY */
		m.copying = false;
		if (db_copy_end(db, NULL) < 0)
			goto out;
		debug("import: COPY ended after %.2f s", time_mono() - m.t0);
	}
	if (m.staging && finish_staging(&m) < 0)
		goto out;
	s->staged = m.staged;
	memcpy(s->sha256, m.in.sha256, sizeof(s->sha256));
	s->delimiter = m.in.delim;
	s->set_bytes = (long long)numset_bytes(&m.set);
	if (!m.in.seekable) {
		/* Standard input: the hash is known only now. */
		if (check_reimport(&m) < 0)
			goto out;
	}
	if (!o->dry_run && update_import(&m) < 0)
		goto out;
	if (m.rej && sync_rejects(&m) < 0)
		goto out;
	/* Cancelled after the last row (Ctrl-C, or the console's upload cut
	 * short at a row boundary): the last moment to say no. */
	if (interrupted(o)) {
		s->err = GRIOT_ERR_TEMPFAIL;
		error("interrupted before the commit");
		goto out;
	}
	if (o->dry_run) {
		db_exec(db, "ROLLBACK");
	} else if (db_commit(db) < 0) {
		goto out;
	} else {
		committed = true;
		debug("import: committed after %.2f s", time_mono() - m.t0);
		if (interrupted(o))
			info("interrupted after the commit: the import is complete");
	}
	in_tx = false;
	if (m.rej && publish_rejects(&m) < 0)
		goto out;
	s->err = GRIOT_OK;
	ret = 0;
out:
	if (log_stderr_is_tty())
		progress_done();
	if (ret < 0 && !committed && interrupted(o)) {
		/* Whatever the server said about the statement Ctrl-C cancelled. */
		if (s->err != GRIOT_ERR_TEMPFAIL)
			error("interrupted");
		s->err = GRIOT_ERR_TEMPFAIL;
	}
	if (m.copying)
		db_copy_end(db, "griot import failed");
	if (in_tx && db_ok(db)) {
		db_set_quiet(db, true);
		db_exec(db, "ROLLBACK");
		db_set_quiet(db, false);
	}
	if (ret < 0 && committed) {
		/* Only the rejects file failed; the error says it is committed. */
		free(s->rejects_path);
		s->rejects_path = NULL;
	} else if (ret < 0) {
		drop_rejects(&m);
		free(s->rejects_path);
		s->rejects_path = NULL;
		if (in_tx || s->err != GRIOT_ERR_NOINPUT)
			error("nothing was imported%s", o->dry_run ? " (dry run)" :
			      " (the transaction was rolled back)");
	}
	s->seconds = time_mono() - m.t0;
	if (m.keys) {
		size_t i;
		for (i = 0; i < m.ncols; i++)
			free(m.keys[i]);
		free(m.keys);
	}
	numset_release(&m.set);
	csvin_close(&m.in);
	strbuf_release(&m.copy);
	strbuf_release(&m.prefix);
	strbuf_release(&m.json);
	strbuf_release(&q);
	return ret;
}

void import_summary_release(struct import_summary *s)
{
	free(s->rejects_path);
	s->rejects_path = NULL;
}
