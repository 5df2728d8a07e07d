/*
 * French and English (i18n.h).  The French table is kept sorted by the
 * English text for a binary search; tests/integration/t-console-i18n.sh
 * checks that every message of console/ has its French line.
 */
#include "console/i18n.h"
#include "campaign/window.h"
#include "core/strbuf.h"
#include "core/util.h"
#include "reporter/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fr_line {
	const char *en, *fr;
};

static const struct fr_line fr[] = {
#include "console/fr.h"
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct fr_line *)a)->en, ((const struct fr_line *)b)->en);
}

static const struct fr_line *find(const char *msg)
{
	struct fr_line key = { msg, NULL };

	return bsearch(&key, fr, ARRAY_SIZE(fr), sizeof(fr[0]), cmp_line);
}

const char *i18n(enum console_lang l, const char *msg)
{
	const struct fr_line *f;

	if (l != LANG_FR || !msg)
		return msg;
	f = find(msg);
	return f ? f->fr : msg;
}

bool i18n_has_fr(const char *msg)
{
	return find(msg) != NULL;
}

int i18n_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "fr"))
		return LANG_FR;
	if (!strcmp(s, "en"))
		return LANG_EN;
	return -1;
}

const char *i18n_code(enum console_lang l)
{
	return l == LANG_EN ? "en" : "fr";
}

enum console_lang i18n_from_accept(const char *accept)
{
	double best_q = -1;
	enum console_lang best = LANG_FR;
	const char *p = accept;

	/* "en-GB,en;q=0.9,fr;q=0.8": the first language of the highest q */
	while (p && *p) {
		size_t len = strcspn(p, ",");
		char item[64];
		char *semi, *tag;
		double qv = 1;

		snprintf(item, sizeof(item), "%.*s", (int)(len < 63 ? len : 63), p);
		tag = item;
		while (*tag == ' ')
			tag++;
		semi = strchr(tag, ';');
		if (semi) {
			char *qs = strstr(semi, "q=");
			*semi = '\0';
			if (qs)
				qv = atof(qs + 2);
		}
		if (qv > best_q) {
			if (!strncasecmp(tag, "fr", 2) && (!tag[2] || tag[2] == '-' || tag[2] == ' ')) {
				best = LANG_FR;
				best_q = qv;
			} else if (!strncasecmp(tag, "en", 2) && (!tag[2] || tag[2] == '-' || tag[2] == ' ')) {
				best = LANG_EN;
				best_q = qv;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return best;
}

/* French groups digits with a no-break space, English with a comma. */
static void group(struct strbuf *sb, enum console_lang l, unsigned long long v)
{
	char digits[32];
	size_t n, i;

	snprintf(digits, sizeof(digits), "%llu", v);
	n = strlen(digits);
	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			strbuf_addstr(sb, l == LANG_FR ? "\xc2\xa0" : ",");
		strbuf_addch(sb, digits[i]);
	}
}

void i18n_int(struct strbuf *sb, enum console_lang l, long long v)
{
	if (v < 0) {
		strbuf_addch(sb, '-');
		group(sb, l, (unsigned long long)(-(v + 1)) + 1);
	} else {
		group(sb, l, (unsigned long long)v);
	}
}

void i18n_pct(struct strbuf *sb, enum console_lang l, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.1f", v * 100);
	if (l == LANG_FR) {
		char *dot = strchr(buf, '.');
		if (dot)
			*dot = ',';
		strbuf_addf(sb, "%s\xc2\xa0%%", buf);
	} else {
		strbuf_addf(sb, "%s%%", buf);
	}
}

/* ISO 4217 currencies without minor units that our users meet. */
static int minor_units(const char *cur)
{
	static const char *const none[] = { "XOF", "XAF", "GNF", "KMF", "RWF", "BIF", "DJF",
					    "JPY", "KRW", "UGX", "VND" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(none); i++)
		if (!strcasecmp(cur, none[i]))
			return 0;
	return 2;
}

void i18n_money(struct strbuf *sb, enum console_lang l, double amount, const char *currency)
{
	int mu = minor_units(currency ? currency : "");
	double scale = mu ? 100 : 1;
	long long minor = llround(amount * scale);
	long long whole = minor / (long long)scale, frac = llabs(minor % (long long)scale);

	if (minor < 0 && whole == 0)
		strbuf_addch(sb, '-');
	i18n_int(sb, l, whole);
	if (mu)
		strbuf_addf(sb, "%c%02lld", l == LANG_FR ? ',' : '.', frac);
	if (currency && *currency)
		strbuf_addf(sb, "\xc2\xa0%s", currency);
}

void i18n_time(struct strbuf *sb, enum console_lang l, double t, const char *tz)
{
	char buf[64];

	if (t <= 0) {
		strbuf_addstr(sb, "—");
		return;
	}
	/* "YYYY-MM-DD HH:MM ZONE" */
	window_format(t, tz, buf, sizeof(buf));
	if (l == LANG_FR && strlen(buf) >= 16)
		strbuf_addf(sb, "%.2s/%.2s/%.4s%s", buf + 8, buf + 5, buf, buf + 10);
	else
		strbuf_addstr(sb, buf);
}

void i18n_iso_date(struct strbuf *sb, enum console_lang l, const char *iso)
{
	bool ok = iso && strlen(iso) >= 10 && iso[4] == '-' && iso[7] == '-';

	if (!ok)
		strbuf_addstr(sb, iso ? iso : "—");
	else if (l == LANG_FR)
		strbuf_addf(sb, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else
		strbuf_addf(sb, "%.10s", iso);
}

void i18n_duration(struct strbuf *sb, enum console_lang l, double seconds)
{
	/* "1 h 05 min", "3 min 20 s": the same in both languages, as in reports */
	report_fmt_secs(sb, seconds);
}
