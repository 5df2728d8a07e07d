/*
 * libFuzzer target for the send and subscription answers
 * (orange_parse_send_answer, orange_parse_subscription): any bytes, as
 * body and as Location header, never a crash, a leak or undefined
 * behaviour; a resource id found is a non-empty last path segment.
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

static void check_id(const char *id)
{
	if (!id || !*id || strchr(id, '/') || strpbrk(id, "?#"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct orange_subscription s;
	char *rid = NULL, *loc;

	if (orange_parse_send_answer((const char *)data, size, NULL, &rid) == 0)
		check_id(rid);
	else if (rid)
		abort();
	free(rid);
	/* the same bytes as a Location header */
	loc = strndup((const char *)data, size);
	if (loc && orange_parse_send_answer("", 0, loc, &rid) == 0)
		check_id(rid);
	free(rid);
	free(loc);
	if (orange_parse_subscription((const char *)data, size, &s) == 0) {
		check_id(s.id);
		if (!s.resource_url)
			abort();
	}
	orange_subscription_release(&s);
	return 0;
}
