#ifndef CORE_CSV_H
#define CORE_CSV_H
/*
 * Writing CSV cells, one way for every file griot writes (reports, the
 * per-recipient export, the importer's rejects).
 */
#include <stddef.h>

struct strbuf;

/* Append s[0..len) as one RFC 4180 field for separator sep: quoted when
 * it holds sep, a quote, CR or LF, or begins or ends with a space (which
 * a reader could trim); quotes inside doubled. */
void csv_quote(struct strbuf *sb, const char *s, size_t len, char sep);

/*
 * csv_quote() for a cell a person opens in a spreadsheet: against CSV
 * formula injection (OWASP), a cell that begins with = + - @ tab or CR
 * gets a leading single quote, so it is shown as text, never run.
 */
void csv_cell(struct strbuf *sb, const char *s, size_t len, char sep);

#endif
