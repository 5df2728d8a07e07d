#ifndef IMPORTER_PHONE_H
#define IMPORTER_PHONE_H
/*
 * Phone numbers of the 12 Orange SMS countries to E.164.
 *
 * The classification is a compact table (importer/phone-table.c)
 * generated from libphonenumber's metadata; parsing follows
 * libphonenumber's rules (country-code and trunk-prefix stripping) so
 * that both agree, which tests/tools/phone-oracle checks on a large
 * random sample.  A number is accepted only if it is a valid mobile
 * number (libphonenumber type MOBILE or FIXED_LINE_OR_MOBILE).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum phone_status {
	PHONE_OK = 0,
	PHONE_MISSING,          /* empty cell */
	PHONE_INVALID,          /* letters, stray symbols, no digits */
	PHONE_EXCEL,            /* 2.2370123456E+10: digits lost by a spreadsheet */
	PHONE_UNKNOWN_COUNTRY,  /* not one of the 12, or no country to assume */
	PHONE_WRONG_LENGTH,     /* no number of that country has that length */
	PHONE_NOT_MOBILE,       /* fixed line, service or unassigned range */
};

struct phone_range {
	unsigned char len;      /* national significant number length */
	unsigned char plen;     /* prefix length (0: every number of len) */
	char prefix[8];
};

struct phone_country {
	const char *iso3, *iso2, *cc;
	size_t cc_len;
	char trunk;             /* national prefix stripped when parsing, or 0 */
	unsigned lengths;       /* bit n: n-digit national numbers exist */
	unsigned local_lengths; /* bit n: n digits is a local-only length */
	const struct phone_range *mobile;
	size_t nmobile;
	const struct phone_range *general;
	size_t ngeneral;
};

extern const struct phone_country phone_countries[];
extern const size_t phone_ncountries;

struct phone_number {
	char e164[24];          /* "+22370123456" */
	const struct phone_country *country;
	uint64_t key;           /* the E.164 digits as an integer (never 0) */
	/* on failure: a short explanation for people */
	char why[96];
};

/* Country by ISO 3166 alpha-3 or alpha-2 code (any case), or NULL. */
const struct phone_country *phone_country_find(const char *code);
/*
 * Country as a file's country column writes it: ISO 3166 alpha-3 or
 * alpha-2, a French or English name ("Sénégal", "Côte d'Ivoire",
 * "Ivory Coast", "RDC"), or the calling code ("223", "+223", "00223");
 * case, accents, spaces and punctuation ignored.  NULL if none.
 */
const struct phone_country *phone_country_lookup(const char *s, size_t len);
/* Country by the calling code at the start of digits, or NULL. */
const struct phone_country *phone_country_by_cc(const char *digits, size_t len);

/*
 * Normalise s[0..len) (UTF-8).  def is the country assumed for numbers
 * written without + or 00 (NULL: such numbers must start with a country
 * code).  Fills out->e164/country/key on PHONE_OK, out->why otherwise.
 */
enum phone_status phone_normalize(const char *s, size_t len,
				  const struct phone_country *def,
				  struct phone_number *out);

/* "invalid_number", "not_mobile", ... */
const char *phone_status_code(enum phone_status st);

/* E.164 text ("+223...") to its key; 0 if it is not E.164. */
uint64_t phone_key(const char *e164);

#ifdef __cplusplus
}
#endif
#endif
