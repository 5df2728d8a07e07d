#ifndef CORE_STRBUF_H
#define CORE_STRBUF_H
/*
 * Growable, always NUL-terminated byte buffer (after git's strbuf).
 * A zeroed struct is not valid: use STRBUF_INIT or strbuf_init().
 */
#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_trim(struct strbuf *sb);
/* Append s with every byte outside [A-Za-z0-9-._~] percent-encoded. */
void strbuf_addurlenc(struct strbuf *sb, const char *s);
/* Append s escaped for HTML text and attribute values. */
void strbuf_addhtml(struct strbuf *sb, const char *s);
/* Read a whole file ("-": stdin) into sb, at most max bytes (0: no
 * limit); 0 or -1 with errno set (EFBIG past max). */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);
/* The same from an open descriptor, read to its end (not closed). */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t max);

#endif
