/*
 * libFuzzer target for the parser of Orange's token answer
 * (orange_parse_token): any bytes in, never a crash, a leak or undefined
 * behaviour; an accepted answer gives a token of any length, without a
 * line break (it goes into a header), a type and a lifetime in the
 * future.  Seeded by the recorded answers in tests/data/orange/.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct orange_token t;

	if (orange_parse_token((const char *)data, size, 1000, &t) == 0) {
		if (!t.access_token || !*t.access_token || strpbrk(t.access_token, "\r\n") ||
		    !t.token_type || !*t.token_type || !(t.expires_at > 1000))
			abort();
		orange_token_release(&t);
	} else if (t.access_token || t.token_type) {
		abort(); /* nothing half-filled on failure */
	}
	return 0;
}
