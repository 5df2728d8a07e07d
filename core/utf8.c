/* UTF-8 validation and decoding, strict (RFC 3629): no overlong forms,
 * no surrogates, nothing beyond U+10FFFF. */
#include "core/utf8.h"
#include "core/strbuf.h"

#include <string.h>

size_t utf8_check(const char *str, size_t len, bool partial_ok, size_t *complete)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	if (complete)
		*complete = len;
	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned cp;

		if (c >= 0x01 && c < 0x80) {
			i++;
			continue;
		}
		if (c == 0)
			return i;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1; cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2; cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3; cp = c & 0x07;
		} else {
			return i;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len) {
				if (partial_ok) {
					if (complete)
						*complete = i;
					return len;
				}
				return i;
			}
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return i;
		i += n + 1;
	}
	return len;
}

bool utf8_valid(const char *s)
{
	size_t len = strlen(s);
	return utf8_check(s, len, false, NULL) == len;
}

long utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
	long cp, min;
	size_t need, i;

	*used = 1;
	if (!n)
		return -1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xE0) == 0xC0) {
		need = 2; cp = s[0] & 0x1F; min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		need = 3; cp = s[0] & 0x0F; min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		need = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return -1;
	}
	if (n < need)
		return -1;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*used = need;
	return cp;
}

void utf8_fold_name(struct strbuf *out, const char *s, size_t len)
{
	static const char latin1[64 + 1] =
		"aaaaaa_ceeeeiiii_nooooo_ouuuuy__aaaaaa_ceeeeiiii_nooooo_ouuuuy_y";
	size_t i;

	strbuf_reset(out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z') {
			strbuf_addch(out, (char)(c - 'A' + 'a'));
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			strbuf_addch(out, (char)c);
		} else if (c == 0xC3 && i + 1 < len) {
			char f = latin1[(unsigned char)s[i + 1] & 0x3F];
			if (f != '_')
				strbuf_addch(out, f);
			i++;
		}
	}
}
