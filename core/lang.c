/*
 * French and English (lang.h).
 */
#include "core/lang.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NBSP "\xc2\xa0"

int lang_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "fr"))
		return LANG_FR;
	if (!strcmp(s, "en"))
		return LANG_EN;
	return -1;
}

enum lang lang_from_env(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vars); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return !strncmp(v, "fr", 2) ? LANG_FR : LANG_EN;
	}
	return LANG_EN;
}

const char *lang_code(enum lang l)
{
	return l == LANG_EN ? "en" : "fr";
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct lang_line *)a)->en, ((const struct lang_line *)b)->en);
}

const struct lang_line *lang_find(const struct lang_line *table, size_t n, const char *msg)
{
	struct lang_line key = { msg, NULL };

	return msg ? bsearch(&key, table, n, sizeof(table[0]), cmp_line) : NULL;
}

const char *lang_text(const struct lang_line *table, size_t n, enum lang l, const char *msg)
{
	const struct lang_line *f;

	if (l != LANG_FR || !msg)
		return msg;
	f = lang_find(table, n, msg);
	return f ? f->fr : msg;
}

/* French groups digits with a no-break space, English with a comma. */
static void group(struct strbuf *sb, enum lang l, unsigned long long v)
{
	char digits[32];
	size_t n, i;

	snprintf(digits, sizeof(digits), "%llu", v);
	n = strlen(digits);
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			strbuf_addstr(sb, l == LANG_FR ? NBSP : ",");
		strbuf_addch(sb, digits[i]);
	}
}

void lang_int(struct strbuf *sb, enum lang l, long long v)
{
	if (v < 0) {
		strbuf_addch(sb, '-');
		group(sb, l, (unsigned long long)(-(v + 1)) + 1);
	} else {
		group(sb, l, (unsigned long long)v);
	}
}

void lang_pct(struct strbuf *sb, enum lang l, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.1f", v * 100);
	if (l == LANG_FR) {
		char *dot = strchr(buf, '.');
		if (dot)
			*dot = ',';
		strbuf_addf(sb, "%s" NBSP "%%", buf);
	} else {
		strbuf_addf(sb, "%s%%", buf);
	}
}

int lang_minor_units(const char *cur)
{
	/* ISO 4217 currencies without minor units that our users meet */
	static const char *const none[] = { "XOF", "XAF", "GNF", "KMF", "RWF", "BIF", "DJF",
					    "JPY", "KRW", "UGX", "VND" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(none); i++)
		if (cur && !strcasecmp(cur, none[i]))
			return 0;
	return 2;
}

void lang_money(struct strbuf *sb, enum lang l, double amount, const char *currency)
{
	int mu = lang_minor_units(currency);
	double scale = mu ? 100 : 1;
	long long minor = llround(amount * scale);
	long long whole = minor / (long long)scale, frac = llabs(minor % (long long)scale);

	if (minor < 0 && whole == 0)
		strbuf_addch(sb, '-');
	lang_int(sb, l, whole);
	if (mu)
		strbuf_addf(sb, "%c%02lld", l == LANG_FR ? ',' : '.', frac);
	if (currency && *currency)
		strbuf_addf(sb, NBSP "%s", currency);
}

void lang_iso_date(struct strbuf *sb, enum lang l, const char *iso, bool with_time)
{
	bool ok = iso && strlen(iso) >= 10 && iso[4] == '-' && iso[7] == '-';

	if (!ok)
		strbuf_addstr(sb, iso ? iso : "—");
	else if (l == LANG_FR)
		strbuf_addf(sb, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else
		strbuf_addf(sb, "%.10s", iso);
	if (ok && with_time)
		strbuf_addf(sb, "%s%s", iso[10] == 'T' ? " " : "", iso + (iso[10] == 'T' ? 11 : 10));
}
