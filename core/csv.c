/* CSV cells: quoting and the formula guard (core/csv.h). */
#include "core/csv.h"
#include "core/strbuf.h"

#include <stdbool.h>

static void put(struct strbuf *sb, const char *guard, const char *s, size_t len, char sep)
{
	size_t i;
	bool q = len && (s[0] == ' ' || s[len - 1] == ' ');
	for (i = 0; i < len && !q; i++)
		if (s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			q = true;
	if (q)
		strbuf_addch(sb, '"');
	strbuf_addstr(sb, guard);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, s[i]);
	}
	if (q)
		strbuf_addch(sb, '"');
}

void csv_quote(struct strbuf *sb, const char *s, size_t len, char sep)
{
	put(sb, "", s, len, sep);
}

void csv_cell(struct strbuf *sb, const char *s, size_t len, char sep)
{
	bool formula = len && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
			       s[0] == '\t' || s[0] == '\r');

	put(sb, formula ? "'" : "", s, len, sep);
}
