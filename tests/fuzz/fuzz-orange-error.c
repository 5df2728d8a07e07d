/*
 * libFuzzer target for Orange's error answers (orange_error_from_answer)
 * under every status class, token call or not: any bytes in, never a
 * crash or undefined behaviour; the error always has a kind, strings
 * NUL-terminated without control characters, and the path secret of a
 * notify URL never comes out unmasked.
 * FUZZ_SOURCES: orange/parse.c orange/admin-json.c core/json.c core/strbuf.c core/util.c core/log.c core/utf8.c
 * FUZZ_SEEDS: tests/data/orange
 * FUZZ_MAX_LEN: 16384
 */
#include "orange/orange.h"
#include "core/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_QUIET);
	return 0;
}

/* s is set (never NULL once filled) and free of control characters. */
static void check_text(const char *s)
{
	size_t n, i;

	if (!s)
		abort();
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			abort();
}

/* After every "/orange/dr/" comes the mask, a delimiter or the end
 * (the message is never cut). */
static void check_masked(const char *m)
{
	const char *p;

	for (p = m; (p = strstr(p, "/orange/dr/")); p++) {
		const char *a = p + 11;
		if (*a && !strchr("*/?#\" ", *a))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 301, 400, 401, 403, 404, 429, 500, 503 };
	struct orange_error e = ORANGE_ERROR_INIT;
	size_t i;
	int t;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		for (t = 0; t < 2; t++) {
			orange_error_from_answer(statuses[i], (const char *)data, size, 3, t, &e);
			if (e.kind == ORANGE_OK || e.http_status != statuses[i])
				abort();
			check_text(e.code);
			check_text(e.message);
			check_text(e.variables);
			check_masked(e.message);
		}
	}
	orange_error_release(&e);
	return 0;
}
