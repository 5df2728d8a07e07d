#ifndef CORE_LOG_H
#define CORE_LOG_H
/*
 * Messages for people and for logs.  error() prints "error: ..." and
 * returns -1 so library code can `return error(...)`; die() is for the
 * command layer only (builtin/ and main), never below it.
 * On a terminal lines are plain; otherwise they carry an ISO timestamp
 * and the level, one line per event, so they read well in journald.
 */
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_QUIET = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Name prefix for lines ("griot", "orange-sim"). */
void log_set_ident(const char *ident);
bool log_stderr_is_tty(void);
/*
 * Keep the first error() of this thread in buf (e.g. to show it to a
 * person in the web console) besides logging it; NULL stops.
 */
void log_capture(char *buf, size_t size);

int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Progress line on a terminal (rewritten in place with \r); call
 * progress_done() to end it.  Off a terminal these do nothing: callers
 * log a line every N items instead.
 */
void progress_update(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void progress_done(void);

#endif
