#include "core/log.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_INFO;
static const char *ident = "griot";
static int tty = -1;
static bool progress_shown;
static _Thread_local char *capture;
static _Thread_local size_t capture_size;

void log_capture(char *buf, size_t size)
{
	capture = buf;
	capture_size = size;
	if (buf && size)
		*buf = '\0';
}

void log_set_level(enum log_level lvl) { level = lvl; }
enum log_level log_get_level(void) { return level; }
void log_set_ident(const char *name) { ident = name; }

bool log_stderr_is_tty(void)
{
	if (tty < 0)
		tty = isatty(2) && getenv("GRIOT_NO_TTY") == NULL;
	return tty;
}

static void vlog(enum log_level lvl, const char *tag, const char *fmt, va_list ap)
{
	char msg[4096];

	if (lvl == LOG_ERROR && capture && !*capture) {
		va_list aq;
		va_copy(aq, ap);
		vsnprintf(capture, capture_size, fmt, aq);
		va_end(aq);
	}
	if (lvl > level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = false;
	}
	if (log_stderr_is_tty()) {
		if (tag)
			fprintf(stderr, "%s: %s\n", tag, msg);
		else
			fprintf(stderr, "%s\n", msg);
	} else {
		char ts[32];
		struct tm tm;
		time_t t = time(NULL);
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s %s[%d] %s: %s\n", ts, ident, (int)getpid(),
			tag ? tag : "info", msg);
	}
	fflush(stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERROR, "error", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_WARN, "warning", fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug", fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERROR, "fatal", fmt, ap);
	va_end(ap);
	exit(code);
}

void progress_update(const char *fmt, ...)
{
	va_list ap;

	if (!log_stderr_is_tty() || level < LOG_INFO)
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
}

void progress_done(void)
{
	if (progress_shown) {
		fputc('\n', stderr);
		progress_shown = false;
	}
}
