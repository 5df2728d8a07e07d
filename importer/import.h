#ifndef IMPORTER_IMPORT_H
#define IMPORTER_IMPORT_H
/*
 * `griot import`: a recipient CSV, or the first sheet of an Excel
 * workbook (.xlsx), into a campaign's messages, in one transaction,
 * through COPY.  See docs/import.md.
 *
 * import_opts.path may be a file, "-" or a pipe (/dev/fd/N): a workbook
 * is recognised by its content (a zip), whatever its name, and a pipe
 * holding one is copied to an unlinked temporary file first (a zip is
 * read from its end).  Its rows get the same verdicts and rejects as a
 * CSV's; a row's line is its sheet row number.
 */
#include "core/status.h"

#include <signal.h>
#include <stdbool.h>

struct db;
struct csvin_row;
struct phone_country;

enum import_reason {
	IMPORT_MISSING_PHONE,
	IMPORT_INVALID_NUMBER,
	IMPORT_EXCEL_MANGLED,
	IMPORT_UNKNOWN_COUNTRY,
	IMPORT_WRONG_LENGTH,
	IMPORT_NOT_MOBILE,
	IMPORT_COUNTRY_MISMATCH,        /* the number is another country's than the row's */
	IMPORT_BAD_ROW,
	IMPORT_INVALID_UTF8,            /* a UTF-8 file's row with bytes that are not */
	IMPORT_DUPLICATE,
	IMPORT_SUPPRESSED,
	IMPORT_NREASONS
};

struct import_opts {
	const char *campaign;
	const char *path;               /* "-": standard input */
	const char *rejects_path;       /* NULL: <path>.rejects.csv */
	const char *phone_column;       /* NULL: found by header name */
	/* For numbers without country code, in rows without a country
	 * column (pays, country, indicatif...) or with it empty. */
	const struct phone_country *country;
	char delimiter;                 /* 0: sniffed */
	bool dry_run;
	bool force;                     /* import a file already imported */
	long long progress_every;       /* rows per log line off a terminal; 0: 100000 */
	/* Most numbers held in memory for de-duplication; beyond, the rest
	 * is de-duplicated in PostgreSQL.  0: $GRIOT_IMPORT_SET_MAX (a test
	 * knob), else IMPORT_SET_MAX. */
	long long set_max;
	/* Non-zero: stop and roll back (until the commit).  The caller's
	 * signal handler also sends db_cancel_send() so that work the server
	 * is doing (end of COPY, verdicts, commit) stops too. */
	const volatile sig_atomic_t *cancel;
};

/* 3/4 of 2^21 slots: the set never takes more than 16 MiB. */
#define IMPORT_SET_MAX 1572864

#define IMPORT_MAX_PHONE_COLS 8

struct import_summary {
	long long read, imported, duplicates, suppressed, rejected;
	long long by_reason[IMPORT_NREASONS];
	long long campaign_id, import_id;
	bool campaign_created;
	bool dry_run;
	char sha256[65];
	char *rejects_path;             /* written file, or NULL */
	const char *encoding;
	char delimiter;
	long long set_bytes;            /* memory of the de-duplication set */
	long long set_max;              /* the cap used */
	long long staged;               /* rows de-duplicated in PostgreSQL */
	/* Where the numbers came from: when several columns are named like
	 * a phone, each row's number is taken from the first (left to
	 * right) that holds a valid mobile. */
	int nphone_cols;
	struct import_phone_col {
		char name[64];
		long long rows;
	} phone_cols[IMPORT_MAX_PHONE_COLS];
	double seconds;
	enum griot_err err;             /* the kind of error when import_run fails */
};

/* 0, or -1 after error() with s->err set; nothing is committed
 * then.  s is filled in both cases (release it). */
int import_run(struct db *db, const struct import_opts *o, struct import_summary *s);
void import_summary_release(struct import_summary *s);
const char *import_reason_code(enum import_reason r);

/*
 * The phone column of a header row: by --phone-column (a name, matched
 * like the headers, or a 1-based number), else the first header named
 * like a phone number (phone, téléphone, tel, msisdn, numéro, mobile,
 * gsm...; case, accents, spaces and punctuation ignored).  -1 after
 * error() naming file and headers.
 */
int import_phone_column(const struct csvin_row *hdr, const char *override,
			const char *file);

#endif
