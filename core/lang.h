#ifndef CORE_LANG_H
#define CORE_LANG_H
/*
 * French and English for whatever people read (the console, the reports):
 * the language, its code, a lookup in a French table, and numbers, money
 * and dates as each language writes them (8 153 XOF in French, 8,153 XOF
 * in English; XOF has no minor unit).
 */
#include <stdbool.h>
#include <stddef.h>

struct strbuf;

enum lang { LANG_FR = 0, LANG_EN };

/* "fr"/"en" -> language; -1 otherwise. */
int lang_parse(const char *s);
/* The language of the environment (LC_ALL, LC_MESSAGES, LANG: fr_* is
 * French), English otherwise. */
enum lang lang_from_env(void);
const char *lang_code(enum lang l);

/* One line of a French table: English text -> French. */
struct lang_line {
	const char *en, *fr;
};
/* msg in language l from table (n lines, sorted by en with strcmp): the
 * French text, or msg itself when l is English or the table lacks it. */
const char *lang_text(const struct lang_line *table, size_t n, enum lang l, const char *msg);
/* The line of msg in table, NULL when missing. */
const struct lang_line *lang_find(const struct lang_line *table, size_t n, const char *msg);

/* 8 153 (no-break space) / 8,153 */
void lang_int(struct strbuf *sb, enum lang l, long long v);
/* 12,5 % / 12.5% ; v a ratio 0..1, one decimal */
void lang_pct(struct strbuf *sb, enum lang l, double v);
/* Digits after the decimal point of an ISO 4217 currency: 0 for XOF,
 * XAF, GNF, KMF... , 2 otherwise. */
int lang_minor_units(const char *currency);
/* 8 153 XOF / 1 234,50 EUR (rounded to the currency's minor unit); no
 * currency code when currency is NULL or "". */
void lang_money(struct strbuf *sb, enum lang l, double amount, const char *currency);
/* The date of an ISO 8601 text (as Orange sends them): 02/11/2026 /
 * 2026-11-02, the rest of the text (time) kept when with_time; anything
 * else as it is. */
void lang_iso_date(struct strbuf *sb, enum lang l, const char *iso, bool with_time);

#endif
