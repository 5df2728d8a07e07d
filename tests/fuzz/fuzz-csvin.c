/*
 * libFuzzer target for the importer's file reader (importer/csvin.c and,
 * for inputs that start like a zip, importer/xlsx.c): any bytes as a
 * recipient file, never a crash, a leak or undefined behaviour; every
 * row handed out has valid UTF-8 fields and raw text, lines that never
 * go back, and a raw text within the row bound.  Seeded by the import
 * fixtures (CSV in every encoding, an Excel workbook).
 * FUZZ_SOURCES: importer/csvin.c importer/xlsx.c core/csv.c core/strbuf.c core/util.c core/log.c core/utf8.c core/sha256.c
 * FUZZ_LIBS: -lcsv -lzip -lexpat
 * FUZZ_SEEDS: tests/data
 * FUZZ_MAX_LEN: 65536
 */
#include "importer/csvin.h"
#include "core/log.h"
#include "core/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_QUIET);
	return 0;
}

static int on_row(const struct csvin_row *row, void *data)
{
	long long *last = data;
	size_t i;

	if (row->line < *last || row->line < 1)
		abort();
	*last = row->line;
	if (utf8_check(row->raw, row->raw_len, false, NULL) != row->raw_len ||
	    row->raw_len > 2 * (size_t)CSVIN_MAX_ROW)
		abort();
	for (i = 0; i < row->nfields; i++)
		if (utf8_check(row->fields[i], row->lens[i], false, NULL) != row->lens[i] ||
		    row->fields[i][row->lens[i]])
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvin in;
	char path[64];
	long long last = 0;
	int fd = memfd_create("fuzz-csvin", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (csvin_open(&in, path, 0) == 0)
		csvin_run(&in, on_row, &last);
	csvin_close(&in);
	close(fd);
	return 0;
}
