/*
 * Phone numbers to E.164, following libphonenumber's parsing rules for the
 * forms people type, with the validity table generated from its metadata.
 */
#include "importer/phone.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_DIGITS 20
#define MIN_NSN 2   /* libphonenumber's kMinLengthForNsn */
#define MAX_NSN 17  /* libphonenumber's kMaxLengthForNsn */
#define MAX_TEXT 128        /* bytes of a phone cell, once in ASCII */
#define PHONE_INVISIBLE 1   /* phone_char(): a mark to drop */

const struct phone_country *phone_country_find(const char *code)
{
	size_t i;

	if (!code)
		return NULL;
	for (i = 0; i < phone_ncountries; i++)
		if (!strcasecmp(code, phone_countries[i].iso3) ||
		    !strcasecmp(code, phone_countries[i].iso2))
			return &phone_countries[i];
	return NULL;
}

/* Names of the countries, folded (utf8_fold_name), French and English,
 * separated by spaces. */
static const struct {
	const char *iso3, *names;
} country_names[] = {
	{ "BWA", "botswana" },
	{ "BFA", "burkinafaso burkina" },
	{ "CMR", "cameroun cameroon" },
	{ "CIV", "cotedivoire ivorycoast" },
	{ "COD", "rdc drc rdcongo drcongo congokinshasa congordc "
		 "republiquedemocratiqueducongo democraticrepublicofthecongo "
		 "democraticrepublicofcongo" },
	{ "EGY", "egypte egypt" },
	{ "JOR", "jordanie jordan" },
	{ "GIN", "guinee guinea guineeconakry" },
	{ "MLI", "mali" },
	{ "NER", "niger" },
	{ "SEN", "senegal" },
	{ "TUN", "tunisie tunisia" },
};

static bool word_in(const char *words, const char *w, size_t wl)
{
	const char *p = words;

	while (*p) {
		size_t n = strcspn(p, " ");
		if (n == wl && !memcmp(p, w, wl))
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

const struct phone_country *phone_country_lookup(const char *s, size_t len)
{
	struct strbuf f = STRBUF_INIT;
	const struct phone_country *c = NULL;
	const char *w;
	size_t i, wl;

	utf8_fold_name(&f, s, len);
	w = f.buf;
	wl = f.len;
	if (wl && w[0] >= '0' && w[0] <= '9') {
		/* A calling code: 223, +223 or 00223, and nothing else. */
		if (wl > 2 && w[0] == '0' && w[1] == '0') {
			w += 2;
			wl -= 2;
		}
		c = phone_country_by_cc(w, wl);
		if (c && c->cc_len != wl)
			c = NULL;
		goto out;
	}
	for (i = 0; i < phone_ncountries && !c; i++) {
		const struct phone_country *k = &phone_countries[i];
		if ((wl == 3 && !strcasecmp(w, k->iso3)) || (wl == 2 && !strcasecmp(w, k->iso2)))
			c = k;
	}
	for (i = 0; i < ARRAY_SIZE(country_names) && !c && wl; i++)
		if (word_in(country_names[i].names, w, wl))
			c = phone_country_find(country_names[i].iso3);
out:
	strbuf_release(&f);
	return c;
}

const struct phone_country *phone_country_by_cc(const char *digits, size_t len)
{
	size_t i;

	/* Calling codes are prefix-free, so at most one matches. */
	for (i = 0; i < phone_ncountries; i++) {
		const struct phone_country *c = &phone_countries[i];
		if (len >= c->cc_len && !memcmp(digits, c->cc, c->cc_len))
			return c;
	}
	return NULL;
}

static int range_match(const struct phone_range *r, size_t n,
		       const char *nsn, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].len == len && !memcmp(nsn, r[i].prefix, r[i].plen))
			return 1;
	return 0;
}

static int general_match(const struct phone_country *c, const char *nsn, size_t len)
{
	return range_match(c->general, c->ngeneral, nsn, len);
}

enum len_result { LEN_POSSIBLE, LEN_LOCAL_ONLY, LEN_TOO_SHORT, LEN_TOO_LONG, LEN_INVALID };

/* libphonenumber's TestNumberLength() for type UNKNOWN. */
static enum len_result test_length(const struct phone_country *c, size_t len)
{
	unsigned min = 0, max = 0, b;

	if (len < 32 && (c->local_lengths & (1u << len)))
		return LEN_LOCAL_ONLY;
	for (b = 1; b < 32; b++) {
		if (c->lengths & (1u << b)) {
			if (!min)
				min = b;
			max = b;
		}
	}
	if (len == min)
		return LEN_POSSIBLE;
	if (len < min)
		return LEN_TOO_SHORT;
	if (len > max)
		return LEN_TOO_LONG;
	return (c->lengths & (1u << len)) ? LEN_POSSIBLE : LEN_INVALID;
}

/* libphonenumber's MaybeStripNationalPrefixAndCarrierCode() for a
 * one-digit national prefix without transform rule: returns the offset
 * to skip (0 or 1). */
static size_t strip_trunk(const struct phone_country *c, const char *n, size_t len)
{
	if (!c->trunk || !len || n[0] != c->trunk)
		return 0;
	if (general_match(c, n, len) && !general_match(c, n + 1, len - 1))
		return 0;
	return 1;
}

/* The trunk stripping done by ParseHelper: kept only if the rest has a
 * possible length. */
static size_t parse_strip_trunk(const struct phone_country *c, const char *n, size_t len)
{
	size_t k = strip_trunk(c, n, len);
	enum len_result r;

	if (!k)
		return 0;
	r = test_length(c, len - k);
	if (r == LEN_TOO_SHORT || r == LEN_LOCAL_ONLY || r == LEN_INVALID)
		return 0;
	return k;
}

static enum phone_status fail(struct phone_number *out, enum phone_status st,
			      const char *fmt, const char *arg)
{
	snprintf(out->why, sizeof(out->why), fmt, arg);
	return st;
}

static int is_space_at(const char *s, size_t i, size_t len, size_t *skip)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
		*skip = 1;
		return 1;
	}
	/* U+00A0 and U+202F/U+2009: French Excel's thousands separators. */
	if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) {
		*skip = 2;
		return 1;
	}
	if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
	    ((unsigned char)s[i + 2] == 0xAF || (unsigned char)s[i + 2] == 0x89)) {
		*skip = 3;
		return 1;
	}
	return 0;
}

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* 2.2370123456E+10, 2,24E+10: a spreadsheet stored the number as a
 * float; the digits shown may be rounded, so never guess them back. */
static int looks_scientific(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && isdig(s[i]))
		i++;
	if (!i)
		return 0;
	if (i < len && (s[i] == '.' || s[i] == ',')) {
		i++;
		while (i < len && isdig(s[i]))
			i++;
	}
	if (i >= len || (s[i] != 'E' && s[i] != 'e'))
		return 0;
	i++;
	if (i < len && s[i] == '+')
		i++;
	if (i >= len || !isdig(s[i]))
		return 0;
	while (i < len && isdig(s[i]))
		i++;
	return i == len;
}

/* 22370123456.0 or 22370123456,00: a float that kept every digit. */
static size_t float_suffix(const char *s, size_t len)
{
	size_t i = len, zeros = 0;

	while (i > 0 && s[i - 1] == '0') {
		i--;
		zeros++;
	}
	if (!zeros || i == 0 || (s[i - 1] != '.' && s[i - 1] != ','))
		return 0;
	i--;
	/* Only a plain run of digits (optionally +) may precede it; "70.12.34.00"
	 * is a grouped number, not a float. */
	if (i < 7)
		return 0;
	for (size_t k = 0; k < i; k++)
		if (!isdig(s[k]) && !(k == 0 && s[k] == '+'))
			return 0;
	return len - i;
}

static enum phone_status classify(const struct phone_country *c, const char *nsn,
				  size_t len, struct phone_number *out)
{
	enum len_result lr;

	if (len < MIN_NSN)
		return fail(out, PHONE_WRONG_LENGTH, "too few digits after the %s country code",
			    c->iso3);
	if (len > MAX_NSN)
		return fail(out, PHONE_WRONG_LENGTH, "too many digits for %s", c->iso3);
	if (range_match(c->mobile, c->nmobile, nsn, len)) {
		out->country = c;
		out->e164[0] = '+';
		memcpy(out->e164 + 1, c->cc, c->cc_len);
		memcpy(out->e164 + 1 + c->cc_len, nsn, len);
		out->e164[1 + c->cc_len + len] = '\0';
		out->key = phone_key(out->e164);
		return PHONE_OK;
	}
	lr = test_length(c, len);
	if (lr != LEN_POSSIBLE) {
		char n[8];
		snprintf(n, sizeof(n), "%zu", len);
		out->country = c;
		return fail(out, PHONE_WRONG_LENGTH,
			    lr == LEN_TOO_SHORT || lr == LEN_LOCAL_ONLY ?
			    "too short: %s digits after the country code" :
			    lr == LEN_TOO_LONG ? "too long: %s digits after the country code" :
			    "no number of this country has %s digits", n);
	}
	out->country = c;
	return fail(out, PHONE_NOT_MOBILE,
		    "not a mobile number of %s (fixed line, service or unassigned range)",
		    c->iso3);
}

/* The zero of each script whose digits libphonenumber reads (Unicode
 * decimal digits: Arabic-Indic, Persian, N'Ko, Indic scripts, Thai, Lao,
 * Tibetan, Myanmar, Khmer, Mongolian, fullwidth). */
static const long digit_zeros[] = {
	0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
	0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090,
	0x17E0, 0x1810, 0xFF10,
};

/* What a code point beyond ASCII stands for in a phone number: a digit,
 * '+', a separator, or nothing (marks that are invisible: bidi marks and
 * embeddings, copied with numbers from right-to-left apps, BOM, zero-width
 * spaces, soft hyphen); 0 for anything else. */
static char phone_char(long cp)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(digit_zeros); i++)
		if (cp >= digit_zeros[i] && cp <= digit_zeros[i] + 9)
			return (char)('0' + (cp - digit_zeros[i]));
	if (cp == 0xFF0B)
		return '+';
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFF0D || cp == 0xFE63)
		return '-';
	if (cp == 0xFF0E)
		return '.';
	if (cp == 0xFF0F)
		return '/';
	if (cp == 0xFF08)
		return '(';
	if (cp == 0xFF09)
		return ')';
	if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
	    cp == 0x3000)
		return ' ';
	if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xFEFF || cp == 0xAD || cp == 0x061C)
		return PHONE_INVISIBLE;
	return 0;
}

/*
 * s[0..len) with every character that phone_char() knows turned into its
 * ASCII meaning (invisible ones dropped), the rest copied, into out
 * (size bytes).  The length, or (size_t)-1 if it does not fit.
 */
static size_t to_ascii(const char *s, size_t len, char *out, size_t size)
{
	size_t i = 0, n = 0, used;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		long cp;
		char a;

		if (c < 0x80) {
			if (n == size)
				return (size_t)-1;
			out[n++] = (char)c;
			i++;
			continue;
		}
		cp = utf8_decode((const unsigned char *)s + i, len - i, &used);
		a = cp < 0 ? 0 : phone_char(cp);
		if (a == PHONE_INVISIBLE) {
			i += used;
			continue;
		}
		if (!a) {
			a = (char)c;    /* unknown: left as is, judged invalid below */
			used = 1;
		}
		if (n == size)
			return (size_t)-1;
		out[n++] = a;
		i += used;
	}
	return n;
}

enum phone_status phone_normalize(const char *s, size_t len,
				  const struct phone_country *def,
				  struct phone_number *out)
{
	char d[MAX_DIGITS + 1], text[MAX_TEXT];
	size_t nd = 0, i = 0, skip, k;
	int plus = 0, bad = 0;
	const struct phone_country *c;
	const char *nsn;
	size_t nlen;

	out->e164[0] = '\0';
	out->country = NULL;
	out->key = 0;
	out->why[0] = '\0';

	/* Digits of every script, fullwidth +, dashes, invisible marks. */
	len = to_ascii(s, len, text, sizeof(text));
	if (len == (size_t)-1)
		return fail(out, PHONE_INVALID, "%s", "too long for a phone number");
	s = text;

	/* Trim blanks (ASCII and Unicode no-break spaces). */
	while (len && is_space_at(s, 0, len, &skip)) {
		s += skip;
		len -= skip;
	}
	while (len) {
		if ((unsigned char)s[len - 1] <= ' ') {
			len--;
		} else if (len >= 2 && (unsigned char)s[len - 2] == 0xC2 &&
			   (unsigned char)s[len - 1] == 0xA0) {
			len -= 2;
		} else if (len >= 3 && (unsigned char)s[len - 3] == 0xE2 &&
			   (unsigned char)s[len - 2] == 0x80 &&
			   ((unsigned char)s[len - 1] == 0xAF || (unsigned char)s[len - 1] == 0x89)) {
			len -= 3;
		} else {
			break;
		}
	}
	/* A leading apostrophe is the spreadsheet "this is text" marker. */
	if (len && s[0] == '\'') {
		s++;
		len--;
	}
	if (len >= 4 && !strncasecmp(s, "tel:", 4)) {
		s += 4;
		len -= 4;
	}
	if (!len)
		return fail(out, PHONE_MISSING, "%s", "the phone cell is empty");
	if (looks_scientific(s, len))
		return fail(out, PHONE_EXCEL, "%s",
			    "scientific notation (a spreadsheet rounded it): format the column as text");
	len -= float_suffix(s, len);

	while (i < len) {
		char ch = s[i];
		if (isdig(ch)) {
			if (nd == MAX_DIGITS)
				return fail(out, PHONE_INVALID, "%s", "too many digits");
			d[nd++] = ch;
			i++;
		} else if (ch == '+' && !nd && !plus) {
			plus = 1;
			i++;
		} else if (ch == '-' || ch == '.' || ch == '/' || ch == '(' || ch == ')' ||
			   is_space_at(s, i, len, &skip)) {
			i += (ch == '-' || ch == '.' || ch == '/' || ch == '(' || ch == ')') ? 1 : skip;
		} else {
			bad = 1;
			break;
		}
	}
	if (bad)
		return fail(out, PHONE_INVALID, "%s",
			    "contains characters other than digits, spaces, + - . / ( )");
	if (nd < MIN_NSN)
		return fail(out, PHONE_INVALID, "%s", "not a phone number (too few digits)");
	d[nd] = '\0';

	if (!plus && nd >= 2 && d[0] == '0' && d[1] == '0' && !(nd > 2 && d[2] == '0')) {
		/* 00 is the international prefix in all 12 countries. */
		memmove(d, d + 2, nd - 1);
		nd -= 2;
		plus = 1;
	}
	if (plus || !def) {
		c = phone_country_by_cc(d, nd);
		if (!c) {
			if (!plus && !def)
				return fail(out, PHONE_UNKNOWN_COUNTRY, "%s",
					    "no country code (+223, 00223...) and no default country (--country)");
			return fail(out, PHONE_UNKNOWN_COUNTRY, "%s",
				    "country code is not one of BWA BFA CMR CIV COD EGY JOR GIN MLI NER SEN TUN");
		}
		nsn = d + c->cc_len;
		nlen = nd - c->cc_len;
	} else {
		/* libphonenumber's MaybeExtractCountryCode() for a default region:
		 * "22370123456" with MLI is +223 70123456, but "22370123" is a
		 * national number. */
		c = def;
		nsn = d;
		nlen = nd;
		if (nd > c->cc_len && !memcmp(d, c->cc, c->cc_len)) {
			const char *p = d + c->cc_len;
			size_t plen = nd - c->cc_len;
			k = strip_trunk(c, p, plen);
			p += k;
			plen -= k;
			if ((!general_match(c, d, nd) && general_match(c, p, plen)) ||
			    test_length(c, nd) == LEN_TOO_LONG) {
				nsn = p;
				nlen = plen;
			}
		}
	}
	if (nlen < MIN_NSN)
		return fail(out, PHONE_WRONG_LENGTH, "%s", "too few digits after the country code");
	k = parse_strip_trunk(c, nsn, nlen);
	return classify(c, nsn + k, nlen - k, out);
}

const char *phone_status_code(enum phone_status st)
{
	switch (st) {
	case PHONE_OK: return "ok";
	case PHONE_MISSING: return "missing_phone";
	case PHONE_INVALID: return "invalid_number";
	case PHONE_EXCEL: return "excel_mangled";
	case PHONE_UNKNOWN_COUNTRY: return "unknown_country";
	case PHONE_WRONG_LENGTH: return "wrong_length";
	case PHONE_NOT_MOBILE: return "not_mobile";
	}
	return "invalid_number";
}

uint64_t phone_key(const char *e164)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!e164 || *e164++ != '+' || *e164 < '1' || *e164 > '9')
		return 0;
	for (; *e164; e164++, n++) {
		if (!isdig(*e164) || n >= 15)
			return 0;
		v = v * 10 + (uint64_t)(*e164 - '0');
	}
	return n >= 7 ? v : 0;
}
