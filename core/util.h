#ifndef CORE_UTIL_H
#define CORE_UTIL_H
/* Small helpers every module uses: checked allocation, clocks, parsing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sysexits.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Out of memory is the one condition we do not return from. */
__attribute__((noreturn)) void die_oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Seconds since the epoch / since an arbitrary point, as doubles. */
double time_now(void);
double time_mono(void);
/* Sleep for up to `sec` seconds; returns early (1) when interrupted. */
int time_sleep(double sec);

/* Bounded copy that always terminates dst; returns strlen(src). */
size_t strlcpy_(char *dst, const char *src, size_t size);
bool starts_with(const char *s, const char *prefix);
bool ends_with(const char *s, const char *suffix);

/* Strict integer parsing: whole string, in range; 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);
int parse_double(const char *s, double *out);

/* Wipe a secret so the compiler cannot elide it. */
void secure_zero(void *p, size_t n);

/* Hide argv[i] contents (e.g. a secret passed as a flag) from `ps`. */
void hide_arg(char *arg);

#endif
