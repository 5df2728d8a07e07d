#ifndef IMPORTER_XLSX_H
#define IMPORTER_XLSX_H
/*
 * The first sheet of an Excel workbook (.xlsx) as CSV-like rows, read
 * streamed with libzip and expat (importer/xlsx.c).  csvin uses it when
 * the file starts like a zip; the importer sees the same rows, verdicts
 * and rejects as for a CSV (a row's line is its sheet row number).
 */
#include <stdbool.h>
#include <stddef.h>

#include "importer/csvin.h"

/* The first bytes of a file are a zip's (an .xlsx is one). */
bool xlsx_magic(const char *b, size_t n);
/* Hand every non-empty row of the first sheet to fn (the header first);
 * in->fd must be seekable.  fn's -1 stops and is returned; -1 also after
 * error() naming the file (in->error_kind). */
int xlsx_run(struct csvin *in, csvin_row_fn fn, void *data);

#endif
