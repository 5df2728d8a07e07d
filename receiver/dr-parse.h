#ifndef RECEIVER_DR_PARSE_H
#define RECEIVER_DR_PARSE_H
/*
 * The delivery-receipt parser: bytes in, a receipt or a reason out.  Pure
 * (no I/O, no globals) so that the server and the fuzz target share it.
 *
 *   {"deliveryInfoNotification": {"callbackData": "<resource_id>",
 *     "deliveryInfo": {"address": "tel:+<number>",
 *                      "deliveryStatus": "<status>"}}}
 *
 * Unknown extra members are ignored.  A deliveryStatus outside the five
 * documented values is accepted with status_valid = false: it is stored,
 * flagged, and never changes a message.
 */
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

#define DR_RESOURCE_ID_MAX 128
#define DR_ADDRESS_MAX     24  /* "tel:+" and at most 15 digits */
#define DR_STATUS_MAX      64
#define DR_MAX_DEPTH       8

enum dr_error {
	DR_OK = 0,
	DR_BAD_JSON,        /* not JSON, too deep, not an object */
	DR_MISSING_FIELD,
	DR_WRONG_TYPE,
	DR_BAD_ADDRESS,     /* not tel:+<digits> */
	DR_BAD_VALUE,       /* empty, too long or unprintable */
	DR_ERROR_COUNT
};

struct dr_receipt {
	char resource_id[DR_RESOURCE_ID_MAX + 1];
	char address[DR_ADDRESS_MAX + 1];
	char status[DR_STATUS_MAX + 1];
	bool status_valid;
	int rank;           /* 0 invalid, 1 MessageWaiting, 2 final */
};

/*
 * Parse body[0..len).  Returns DR_OK and fills *out, or an error code with
 * a short reason (for the 400 answer) in reason.
 */
enum dr_error dr_parse(const char *body, size_t len, struct dr_receipt *out,
		       char *reason, size_t reasonlen);
/* Metric label for an error code: "bad_json", "missing_field", ... */
const char *dr_error_name(enum dr_error e);
/* Rank of a status (docs/statuses.md): 0 none/invalid, 1, 2. */
int dr_status_rank(const char *status);

#endif
