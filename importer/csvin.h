#ifndef IMPORTER_CSVIN_H
#define IMPORTER_CSVIN_H
/*
 * Streaming CSV reader for files as people export them: sniffs the
 * encoding (UTF-8 with or without BOM, UTF-16 with BOM, else
 * Windows-1252 or Latin-1, converted to UTF-8 with iconv), the
 * delimiter (, ; or tab, from the header line) and the line ends (LF,
 * CRLF or CR), and hands out rows with their original line number and
 * raw text.  Quoted fields may hold delimiters and newlines (libcsv).
 *
 * Memory is bounded by the longest row (at most CSVIN_MAX_ROW bytes),
 * whatever the file size.  A regular file is read twice: once to hash it
 * (SHA-256) and to decide the encoding from all of its bytes, then to
 * parse it; standard input is read once, the encoding decided from its
 * first 256 KiB and the hash known only at the end.
 *
 * A file (or a pipe) that starts like a zip is read as an Excel workbook
 * (.xlsx, first sheet); a pipe is first copied to an unlinked temporary
 * file, since a zip is read from its end.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/strbuf.h"
#include "core/sha256.h"
#include "core/status.h"

#define CSVIN_MAX_ROW (1 << 20)

enum csvin_encoding {
	CSVIN_UTF8, CSVIN_UTF8_BOM, CSVIN_UTF16LE, CSVIN_UTF16BE,
	CSVIN_CP1252, CSVIN_LATIN1,
	CSVIN_XLSX,     /* an Excel workbook: its first sheet (importer/xlsx.h) */
};

struct csvin_row {
	long long line;         /* line of the file where the row starts */
	size_t nfields;
	const char **fields;    /* UTF-8, NUL-terminated */
	const size_t *lens;
	const char *raw;        /* the row's text, UTF-8, without its line end */
	size_t raw_len;
	/* A UTF-8 file's row with invalid bytes (shown as U+FFFD): the
	 * first one's line (0: none), value and column (in characters). */
	long long bad_line;
	unsigned char bad_byte;
	size_t bad_col;
};

/* Called for every row (the header included); return -1 to stop. */
typedef int (*csvin_row_fn)(const struct csvin_row *row, void *data);

struct csvin {
	char *name;             /* path, or "standard input" */
	int fd;
	bool seekable;
	off_t size;             /* bytes, or -1 when unknown */
	long long bytes_read;   /* of the parsing pass */
	enum csvin_encoding enc;
	char delim;             /* 0 until known */
	char sha256[65];        /* known after csvin_open for a file, at EOF for stdin */
	long long lines;        /* upper bound on rows of a file (0 = unknown) */
	enum griot_err error_kind; /* the kind of the last error (core/status.h) */

	/* private */
	struct sha256 hash;
	void *cd;               /* iconv_t, or NULL */
	struct strbuf in, text, raw, fbuf, fix;
	long long bad_line;     /* of the row being read, see csvin_row */
	unsigned char bad_byte;
	size_t bad_col;
	size_t *foff, *flen, nf, af;
	const char **fptr;
	long long line, row_line;
	bool in_row, eof, stop, started;
	struct csv_parser *p;
	csvin_row_fn fn;
	void *fn_data;
	int fn_ret;
};

/*
 * Open path ("-" for standard input) and sniff it; delim 0 = sniff.
 * Returns 0, or -1 after error() with in->error_kind set (GRIOT_ERR_NOINPUT,
 * GRIOT_ERR_DATA, GRIOT_ERR_IO).
 */
int csvin_open(struct csvin *in, const char *path, char delim);
/* Parse every row; fn's -1 stops and is returned.  -1 also after a read
 * or encoding error (message names file and line; in->error_kind). */
int csvin_run(struct csvin *in, csvin_row_fn fn, void *data);
void csvin_close(struct csvin *in);
const char *csvin_encoding_name(enum csvin_encoding enc);



#endif
