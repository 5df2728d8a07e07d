#ifndef CORE_UTF8_H
#define CORE_UTF8_H
#include <stdbool.h>
#include <stddef.h>

/* Check UTF-8 (NUL counts as invalid): offset of the first bad byte, or
 * len.  A sequence cut at the end is bad unless partial_ok, in which case
 * *complete (if not NULL) receives the length of the complete part. */
size_t utf8_check(const char *s, size_t len, bool partial_ok, size_t *complete);
/* Decode one code point from s[0..n): returns it and sets *used to its
 * length, or returns -1 (with *used = 1) for an invalid sequence. */
long utf8_decode(const unsigned char *s, size_t n, size_t *used);
/* A NUL-terminated string is entirely valid UTF-8. */
bool utf8_valid(const char *s);

/* U+FEFF, the byte order mark, in UTF-8. */
#define UTF8_BOM "\xEF\xBB\xBF"

struct strbuf;
/* Fold a name for matching: lower-case ASCII letters and digits only,
 * Latin-1 accents dropped, everything else skipped ("N° de Téléphone" ->
 * "ndetelephone").  out is reset first. */
void utf8_fold_name(struct strbuf *out, const char *s, size_t len);

#endif
