#ifndef CONSOLE_I18N_H
#define CONSOLE_I18N_H
/*
 * French and English for the console: messages are written in English in
 * the code and looked up in one French table (i18n.c); numbers, money and
 * times follow the language (8 153 XOF in French, 8,153 XOF in English).
 */
#include <stdbool.h>

struct strbuf;

enum console_lang { LANG_FR = 0, LANG_EN };

/* The language a browser asks for (Accept-Language, q-values honoured);
 * French when it names neither. */
enum console_lang i18n_from_accept(const char *accept);
/* "fr"/"en" -> language; -1 otherwise. */
int i18n_parse(const char *s);
const char *i18n_code(enum console_lang l);
/* msg (English) in language l: the French text, or msg itself. */
const char *i18n(enum console_lang l, const char *msg);
/* True when msg has a French text (tests). */
bool i18n_has_fr(const char *msg);

/* 8 153 / 8,153 */
void i18n_int(struct strbuf *sb, enum console_lang l, long long v);
/* 12,5 % / 12.5% ; v a ratio 0..1, one decimal */
void i18n_pct(struct strbuf *sb, enum console_lang l, double v);
/* 8 153 XOF / 1 234,50 EUR (minor units of the currency) */
void i18n_money(struct strbuf *sb, enum console_lang l, double amount, const char *currency);
/* A time (epoch s) in tz: 30/11/2026 21:05 (fr) / 2026-11-30 21:05 (en),
 * followed by the zone's abbreviation; "—" for 0. */
void i18n_time(struct strbuf *sb, enum console_lang l, double t, const char *tz);
/* The date of an ISO 8601 text (as Orange sends them): 02/11/2026 /
 * 2026-11-02; anything else as it is. */
void i18n_iso_date(struct strbuf *sb, enum console_lang l, const char *iso);
/* A duration: 1 h 05 min / 1 h 05 min; 42 s. */
void i18n_duration(struct strbuf *sb, enum console_lang l, double seconds);

#endif
