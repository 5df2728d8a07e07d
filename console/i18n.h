#ifndef CONSOLE_I18N_H
#define CONSOLE_I18N_H
/*
 * French and English for the console: messages are written in English in
 * the code and looked up in one French table (i18n.c); numbers, money and
 * dates are core/lang.h's, shared with the reports.
 */
#include "core/lang.h"

#include <stdbool.h>

struct strbuf;

/* The language a browser asks for (Accept-Language, q-values honoured);
 * French when it names neither. */
enum lang i18n_from_accept(const char *accept);
/* msg (English) in language l: the French text, or msg itself. */
const char *i18n(enum lang l, const char *msg);
/* True when msg has a French text (tests). */
bool i18n_has_fr(const char *msg);

/* A time (epoch s) in tz: 30/11/2026 21:05 (fr) / 2026-11-30 21:05 (en),
 * followed by the zone's abbreviation; "—" for 0. */
void i18n_time(struct strbuf *sb, enum lang l, double t, const char *tz);
/* A duration: 1 h 05 min / 1 h 05 min; 42 s. */
void i18n_duration(struct strbuf *sb, enum lang l, double seconds);

#endif
