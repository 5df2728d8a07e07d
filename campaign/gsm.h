#ifndef CAMPAIGN_GSM_H
#define CAMPAIGN_GSM_H
/*
 * Which SMS alphabet a text needs and how many segments it costs.
 * GSM 03.38 default alphabet: 160 septets in one SMS, 153 per part of a
 * concatenated one; extension-table characters ({ } [ ] ~ \ | ^ € and
 * form feed) take two septets and are never split across parts.
 * Anything else forces UCS-2: 70 UTF-16 units, 67 per part, a surrogate
 * pair never split.  Orange bills per segment.
 */
#include <stddef.h>

enum gsm_encoding { GSM_ENC_GSM7, GSM_ENC_UCS2 };

struct gsm_count {
	enum gsm_encoding encoding;
	size_t units;       /* septets (GSM-7) or UTF-16 code units (UCS-2) */
	int segments;       /* 0 for an empty text */
};

/* Count text (UTF-8).  -1 after error() when it is not valid UTF-8. */
int gsm_count(const char *text, size_t len, struct gsm_count *out);
const char *gsm_encoding_name(enum gsm_encoding e); /* "GSM7" / "UCS2" */

#endif
