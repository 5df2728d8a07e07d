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

static const struct lang_line fr[] = {
#include "console/fr.h"
};

const char *i18n(enum lang l, const char *msg)
{
	return lang_text(fr, ARRAY_SIZE(fr), l, msg);
}

bool i18n_has_fr(const char *msg)
{
	return lang_find(fr, ARRAY_SIZE(fr), msg) != NULL;
}

enum lang i18n_from_accept(const char *accept)
{
	double best_q = -1;
	enum lang best = LANG_FR;
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

void i18n_time(struct strbuf *sb, enum lang l, double t, const char *tz)
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

void i18n_duration(struct strbuf *sb, enum lang l, double seconds)
{
	/* "1 h 05 min", "3 min 20 s": the same in both languages, as in reports */
	report_fmt_secs(sb, seconds);
}
