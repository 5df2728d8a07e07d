/*
 * phone-oracle [COUNT [SEED]]: compare griot's phone_normalize() with
 * libphonenumber on COUNT (default 120000) generated numbers across the
 * 12 countries, in the forms people type.  Both must agree on "valid
 * mobile number of one of the 12 countries or not" and on the E.164
 * result.  Prints every disagreement (up to 50) and exits 1 if any.
 *
 * Forms (libphonenumber is given the same text and default region,
 * except where noted):
 *   +CC NSN (no region), 00CC NSN, national NSN, trunk prefix + NSN,
 *   CC NSN without + (default region: libphonenumber's country-code
 *   stripping), +CC 0 NSN, and CC NSN without + and without a default
 *   country, which griot reads as international (an extension: it is
 *   compared with libphonenumber parsing "+CC NSN").
 * The national numbers are drawn from griot's mobile ranges, from its
 * general ranges (fixed lines, services) and from random digits, with
 * lengths around the valid ones, and decorated with separators.
 *
 * Half of the inputs are then written as people type them elsewhere:
 * Arabic-Indic, Persian or fullwidth digits (with fullwidth ＋), given to
 * both as they are; en dashes or zero-width spaces as separators (both);
 * bidi marks, embeddings, isolates or a BOM around the number, as copied
 * from right-to-left apps — invisible, so libphonenumber is given the
 * text without them (it reads none of them) and griot the text with.
 */
#include "importer/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static std::mt19937_64 rng;

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

static std::string digits(size_t n)
{
	std::string s;
	for (size_t i = 0; i < n; i++)
		s += (char)('0' + rnd(10));
	return s;
}

static std::string fill(const struct phone_range &r)
{
	return std::string(r.prefix, r.plen) + digits(r.len - r.plen);
}

static std::string nsn_for(const struct phone_country *c)
{
	unsigned k = rnd(100);
	std::string s;

	if (k < 50) {
		s = fill(c->mobile[rnd((unsigned)c->nmobile)]);
	} else if (k < 75) {
		s = fill(c->general[rnd((unsigned)c->ngeneral)]);
	} else {
		const struct phone_range &r = c->mobile[rnd((unsigned)c->nmobile)];
		int len = (int)r.len + (int)rnd(5) - 2;
		s = digits(len < 1 ? 1 : (size_t)len);
	}
	/* Sometimes one digit too many or too few. */
	if (rnd(10) == 0 && s.size() > 2)
		s.erase(s.size() - 1);
	else if (rnd(10) == 0)
		s += (char)('0' + rnd(10));
	return s;
}

/* "70123456" -> "70 12 34 56", "70.12.34.56", "70-12-34-56"... */
static std::string decorate(const std::string &s)
{
	static const char *seps[] = { "", " ", ".", "-", " " };
	const char *sep = seps[rnd(5)];
	std::string out;

	for (size_t i = 0; i < s.size(); i++) {
		if (i && i % 2 == 0 && *sep)
			out += sep;
		out += s[i];
	}
	return out;
}

static std::string utf8(long cp)
{
	std::string o;
	if (cp < 0x80) {
		o += (char)cp;
	} else if (cp < 0x800) {
		o += (char)(0xC0 | (cp >> 6));
		o += (char)(0x80 | (cp & 0x3F));
	} else {
		o += (char)(0xE0 | (cp >> 12));
		o += (char)(0x80 | ((cp >> 6) & 0x3F));
		o += (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/* Digits from zero (U+0660 Arabic-Indic, U+06F0 Persian, U+FF10
 * fullwidth), '+' as fullwidth ＋ with the fullwidth digits. */
static std::string in_script(const std::string &s, long zero)
{
	std::string o;
	for (char ch : s) {
		if (ch >= '0' && ch <= '9')
			o += utf8(zero + (ch - '0'));
		else if (ch == '+' && zero == 0xFF10)
			o += utf8(0xFF0B);
		else
			o += ch;
	}
	return o;
}

/* Separators libphonenumber also reads: '-' as an en dash, ' ' as a
 * zero-width space. */
static std::string unicode_separators(const std::string &s)
{
	std::string o;
	for (char ch : s)
		o += ch == '-' ? utf8(0x2013) : ch == ' ' ? utf8(0x200B) : std::string(1, ch);
	return o;
}

/* Bidi marks around the number (invisible). */
static std::string with_marks(const std::string &s)
{
	static const long open[] = { 0x200E, 0x200F, 0x202B, 0x2067, 0xFEFF, 0x202A };
	static const long close[] = { 0x200F, 0x200E, 0x202C, 0x2069, 0x200B, 0x202C };
	unsigned k = rnd(6);
	return utf8(open[k]) + s + utf8(close[k]);
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 120000;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 4720003;
	const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
	long agree = 0, bad = 0, valid = 0, forms[7] = { 0 }, scripts[6] = { 0 };
	long per_valid[16] = { 0 }, per_total[16] = { 0 };

	rng.seed(seed);
	for (long i = 0; i < count; i++) {
		unsigned ci = rnd((unsigned)phone_ncountries);
		const struct phone_country *c = &phone_countries[ci];
		std::string nsn = nsn_for(c), cc(c->cc), input, lpn_input, region = c->iso2;
		const struct phone_country *def = c;
		unsigned form = rnd(7);

		switch (form) {
		case 0:
			input = (rnd(4) == 0 ? "(+" + cc + ")" : "+" + cc + " ") + decorate(nsn);
			region = "ZZ";
			def = rnd(2) ? NULL : &phone_countries[rnd((unsigned)phone_ncountries)];
			if (def)
				region = def->iso2;
			break;
		case 1:
			input = "00" + cc + decorate(nsn);
			break;
		case 2:
			input = decorate(nsn);
			break;
		case 3:
			input = std::string(1, c->trunk ? c->trunk : '0') + decorate(nsn);
			break;
		case 4:
			input = cc + "-" + decorate(nsn);
			break;
		case 5:
			input = "+" + cc + " 0" + decorate(nsn);
			region = "ZZ";
			def = NULL;
			break;
		case 6:
			input = cc + decorate(nsn);
			def = NULL;
			break;
		}
		forms[form]++;
		lpn_input = form == 6 ? "+" + input : input;
		unsigned script = rnd(10);
		scripts[script < 5 ? 0 : script - 4]++;
		switch (script) {
		case 5: case 6: case 7: {
			static const long zeros[] = { 0x0660, 0x06F0, 0xFF10 };
			input = in_script(input, zeros[script - 5]);
			lpn_input = in_script(lpn_input, zeros[script - 5]);
			break;
		}
		case 8:
			input = unicode_separators(input);
			lpn_input = unicode_separators(lpn_input);
			break;
		case 9:
			input = with_marks(input);
			break;
		}
		if (form == 6)
			region = "ZZ";

		bool lpn_ok = false;
		std::string lpn_e164;
		PhoneNumber n;
		if (u->Parse(lpn_input, region, &n) == PhoneNumberUtil::NO_PARSING_ERROR &&
		    u->IsValidNumber(n)) {
			PhoneNumberUtil::PhoneNumberType t = u->GetNumberType(n);
			std::string rc;
			u->GetRegionCodeForNumber(n, &rc);
			if ((t == PhoneNumberUtil::MOBILE || t == PhoneNumberUtil::FIXED_LINE_OR_MOBILE) &&
			    phone_country_find(rc.c_str())) {
				lpn_ok = true;
				u->Format(n, PhoneNumberUtil::E164, &lpn_e164);
			}
		}

		struct phone_number pn;
		enum phone_status st = phone_normalize(input.c_str(), input.size(), def, &pn);
		bool ours_ok = st == PHONE_OK;

		per_total[ci]++;
		if (lpn_ok == ours_ok && (!lpn_ok || lpn_e164 == pn.e164)) {
			agree++;
			if (lpn_ok) {
				valid++;
				per_valid[ci]++;
			}
		} else if (bad++ < 50) {
			printf("DISAGREE form %u input '%s' default %s: libphonenumber %s%s, griot %s %s (%s)\n",
			       form, input.c_str(), def ? def->iso3 : "-",
			       lpn_ok ? "valid " : "invalid", lpn_e164.c_str(),
			       phone_status_code(st), pn.e164, pn.why);
		}
	}
	for (size_t ci = 0; ci < phone_ncountries; ci++)
		printf("%s: %ld numbers, %ld valid mobile\n", phone_countries[ci].iso3,
		       per_total[ci], per_valid[ci]);
	printf("forms:");
	for (int f = 0; f < 7; f++)
		printf(" %ld", forms[f]);
	printf("\nscripts (ASCII, Arabic-Indic, Persian, fullwidth, dash/zero-width, marks):");
	for (int k = 0; k < 6; k++)
		printf(" %ld", scripts[k]);
	printf("\nagree %ld of %ld (%ld valid mobile, %ld rejected by both), %ld disagreements\n",
	       agree, count, valid, agree - valid, bad);
	/* A sample that is all valid or all invalid would prove nothing. */
	if (valid < count / 5 || agree - valid < count / 5) {
		printf("sample is unbalanced\n");
		return 1;
	}
	return bad ? 1 : 0;
}
