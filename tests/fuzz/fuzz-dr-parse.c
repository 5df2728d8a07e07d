/*
 * libFuzzer target for the delivery-receipt parser (receiver/dr-parse.c):
 * any bytes in, never a crash, a leak or undefined behaviour, and what it
 * accepts always satisfies the parser's promises.  Run by scripts/fuzz.
 * Inputs up to the largest body griot receive accepts (--max-body 16 MiB);
 * the corpus holds nesting 300,000 levels deep, also behind a comment.
 * FUZZ_SOURCES: receiver/dr-parse.c core/json.c core/strbuf.c core/util.c core/log.c
 * FUZZ_MAX_LEN: 16777216
 */
#include "receiver/dr-parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond)
{
	if (!cond)
		abort();
}

static int printable(const char *s, int spaces)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || (*s == ' ' && !spaces))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dr_receipt dr;
	char reason[200], tiny[2];
	enum dr_error e, e2;
	const char *a;

	e = dr_parse((const char *)data, size, &dr, reason, sizeof(reason));
	check((unsigned)e < DR_ERROR_COUNT);
	if (e == DR_OK) {
		check(dr.resource_id[0] && strlen(dr.resource_id) <= DR_RESOURCE_ID_MAX);
		check(printable(dr.resource_id, 0));
		check(dr.status[0] && strlen(dr.status) <= DR_STATUS_MAX && printable(dr.status, 1));
		check(dr.rank == dr_status_rank(dr.status));
		check(dr.status_valid == (dr.rank > 0));
		a = dr.address;
		check(!strncmp(a, "tel:+", 5) && a[5] >= '1' && a[5] <= '9');
		check(strspn(a + 5, "0123456789") == strlen(a + 5));
		check(strlen(a + 5) >= 4 && strlen(a + 5) <= 15);
	} else {
		check(reason[0] != '\0');              /* a 400 always says why */
		check(dr.resource_id[0] == '\0');      /* nothing half-filled */
		check(strcmp(dr_error_name(e), "unknown") != 0);
	}
	/* same verdict with no room for the reason */
	e2 = dr_parse((const char *)data, size, &dr, tiny, sizeof(tiny));
	check(e2 == e);
	check(dr_parse((const char *)data, size, &dr, NULL, 0) == e);
	return 0;
}
