#ifndef CAMPAIGN_WINDOW_H
#define CAMPAIGN_WINDOW_H
/*
 * Time for scheduling: the (injectable) clock, daily send windows in a
 * campaign's time zone, and the finish-time estimate.
 *
 * The clock: GRIOT_NOW=2026-11-25T07:59:00Z makes window_now() start at
 * that instant and advance with real time, so tests of schedules and
 * windows need no sleeping.  Only scheduling decisions use it; the rate
 * limiter always uses PostgreSQL's real clock.
 */
#include <stdbool.h>
#include <stddef.h>

/* Seconds since the epoch, honouring GRIOT_NOW. */
double window_now(void);

/* "YYYY-MM-DDTHH:MM[:SS]Z" (UTC) to epoch seconds; 0 or -1. */
int window_parse_utc(const char *s, double *out);

/* "08:00-20:00" to minutes after midnight; end <= start crosses midnight. */
int window_parse(const char *s, int *start_min, int *end_min);

/* True when tz names a zone of the system tz database. */
bool window_tz_valid(const char *tz);

/*
 * The daily window [*open, *close) that contains t or comes next after
 * it, for a window of start_min..end_min local time in tz.  start_min < 0
 * means no window: always open.  0 or -1 (bad tz).
 */
int window_find(double t, int start_min, int end_min, const char *tz,
		double *open, double *close);

/* When sending `seconds` worth of messages from `start`, only inside
 * the window, ends.  -1 when it cannot be computed. */
double window_finish(double start, double seconds, int start_min, int end_min,
		     const char *tz);

/* "2026-11-25 08:00 GMT" style, local time in tz ("UTC" when NULL). */
void window_format(double t, const char *tz, char *buf, size_t size);

#endif
