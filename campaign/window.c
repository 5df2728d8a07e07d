#include "campaign/window.h"
#include "core/log.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double clock_offset;
static bool clock_ready;

double window_now(void)
{
	if (!clock_ready) {
		const char *s = getenv("GRIOT_NOW");
		double t;

		clock_ready = true;
		if (s && *s) {
			if (window_parse_utc(s, &t) == 0)
				clock_offset = t - time_now();
			else
				warning("ignoring GRIOT_NOW='%s': expected YYYY-MM-DDTHH:MM:SSZ", s);
		}
	}
	return time_now() + clock_offset;
}

int window_parse_utc(const char *s, double *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		return -1;
	if (*end == ':') {
		end = strptime(end, ":%S", &tm);
		if (!end)
			return -1;
	}
	if (strcmp(end, "Z"))
		return -1;
	*out = (double)timegm(&tm);
	return 0;
}

static int parse_hhmm(const char *s, size_t n, int *out)
{
	int h, m;

	if (n != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m))
		return -1;
	*out = h * 60 + m;
	return 0;
}

int window_parse(const char *s, int *start_min, int *end_min)
{
	const char *dash = strchr(s, '-');

	if (!dash || parse_hhmm(s, (size_t)(dash - s), start_min) < 0 ||
	    parse_hhmm(dash + 1, strlen(dash + 1), end_min) < 0 ||
	    *start_min == *end_min || *start_min == 24 * 60)
		return -1;
	return 0;
}

bool window_tz_valid(const char *tz)
{
	char path[512];
	struct stat st;

	if (!tz || !*tz || strstr(tz, "..") || tz[0] == '/' || strlen(tz) > 200)
		return false;
	if (!strcmp(tz, "UTC"))
		return true;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Switch the process's zone for localtime_r/mktime; returns the old one. */
static char *tz_push(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? xstrdup(old) : NULL;

	setenv("TZ", tz, 1);
	tzset();
	return saved;
}

static void tz_pop(char *saved)
{
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

/* Local midnight-relative minute `min` of the local day of `day` + d days. */
static double local_at(const struct tm *day, int d, int min)
{
	struct tm tm = *day;

	tm.tm_mday += d;
	tm.tm_hour = min / 60;
	tm.tm_min = min % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (double)mktime(&tm);
}

int window_find(double t, int start_min, int end_min, const char *tz,
		double *open, double *close)
{
	struct tm day;
	time_t tt = (time_t)floor(t);
	char *saved;
	int d;

	if (start_min < 0) {
		*open = -INFINITY;
		*close = INFINITY;
		return 0;
	}
	if (!window_tz_valid(tz))
		return error("unknown time zone '%s'", tz ? tz : "");
	saved = tz_push(tz);
	localtime_r(&tt, &day);
	for (d = -1; d <= 2; d++) {
		double o = local_at(&day, d, start_min);
		double c = local_at(&day, end_min > start_min ? d : d + 1, end_min);

		if (c > t) {
			*open = o;
			*close = c;
			break;
		}
	}
	tz_pop(saved);
	return d <= 2 ? 0 : error("no send window found after %.0f", t);
}

double window_finish(double start, double seconds, int start_min, int end_min,
		     const char *tz)
{
	double t = start;
	int i;

	if (start_min < 0)
		return start + seconds;
	for (i = 0; i < 100000; i++) {
		double o, c;

		if (window_find(t, start_min, end_min, tz, &o, &c) < 0)
			return -1;
		if (o > t)
			t = o;
		if (seconds <= c - t)
			return t + seconds;
		seconds -= c - t;
		t = c;
	}
	return -1;
}

void window_format(double t, const char *tz, char *buf, size_t size)
{
	time_t tt = (time_t)floor(t);
	struct tm tm;
	char *saved = tz_push(tz && window_tz_valid(tz) ? tz : "UTC");

	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm);
	tz_pop(saved);
}
