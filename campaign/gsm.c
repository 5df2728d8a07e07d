#include "campaign/gsm.h"
#include "core/utf8.h"
#include "core/log.h"
#include "core/util.h"

#include <stdbool.h>

/* GSM 03.38 basic table, as Unicode code points (0x1B, escape, excluded). */
static const unsigned short gsm_basic[] = {
	'@', 0x00A3, '$', 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	0x00F2, 0x00C7, '\n', 0x00D8, 0x00F8, '\r', 0x00C5, 0x00E5,
	0x0394, '_', 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	0x03A3, 0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	' ', '!', '"', '#', 0x00A4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	0x00A1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

static const unsigned short gsm_ext[] = {
	0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC,
};

static bool in_table(const unsigned short *t, size_t n, long cp)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == cp)
			return true;
	return false;
}

/* Septets for cp: 1 basic, 2 extension, 0 not representable. */
static int gsm_septets(long cp)
{
	if (in_table(gsm_basic, sizeof(gsm_basic) / sizeof(gsm_basic[0]), cp))
		return 1;
	if (in_table(gsm_ext, sizeof(gsm_ext) / sizeof(gsm_ext[0]), cp))
		return 2;
	return 0;
}

/*
 * Segments when units of size 1 or 2 (never split) fill parts of `part`
 * units, unless everything fits in `single`.
 */
static int fill_parts(const unsigned char *w, size_t n, size_t total,
		      size_t single, size_t part)
{
	size_t i, used = 0;
	int segs = 1;

	if (!total)
		return 0;
	if (total <= single)
		return 1;
	for (i = 0; i < n; i++) {
		if (used + w[i] > part) {
			segs++;
			used = 0;
		}
		used += w[i];
	}
	return segs;
}

int gsm_count(const char *text, size_t len, struct gsm_count *out)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned char *w7, *w16;
	size_t i = 0, n = 0, septets = 0, utf16 = 0;
	bool gsm = true;

	w7 = xmalloc(len);
	w16 = xmalloc(len);
	while (i < len) {
		size_t used;
		long cp = utf8_decode(s + i, len - i, &used);
		int sep;

		if (cp < 0) {
			free(w7);
			free(w16);
			return error("invalid UTF-8 at byte %zu", i);
		}
		i += used;
		sep = gsm_septets(cp);
		if (!sep)
			gsm = false;
		w7[n] = (unsigned char)sep;
		w16[n] = cp > 0xFFFF ? 2 : 1;
		septets += (size_t)sep;
		utf16 += w16[n];
		n++;
	}
	if (gsm) {
		out->encoding = GSM_ENC_GSM7;
		out->units = septets;
		out->segments = fill_parts(w7, n, septets, 160, 153);
	} else {
		out->encoding = GSM_ENC_UCS2;
		out->units = utf16;
		out->segments = fill_parts(w16, n, utf16, 70, 67);
	}
	free(w7);
	free(w16);
	return 0;
}

const char *gsm_encoding_name(enum gsm_encoding e)
{
	return e == GSM_ENC_GSM7 ? "GSM7" : "UCS2";
}
