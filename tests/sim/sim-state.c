/* orange-sim state: randomness, ledger, credits, rate window, segments. */
#include "tests/sim/sim.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const sim_dr_status_names[DR_NSTATUS] = {
	"DeliveredToTerminal", "DeliveredToNetwork", "DeliveryUncertain",
	"DeliveryImpossible", "MessageWaiting",
};

/* The countries of the spec's sender table. */
const struct sim_country sim_countries[SIM_NCOUNTRIES] = {
	{ "BWA", "267", "Botswana", "BWP" },
	{ "BFA", "226", "Burkina Faso", "XOF" },
	{ "CMR", "237", "Cameroon", "XAF" },
	{ "CIV", "225", "Cote d'Ivoire", "XOF" },
	{ "COD", "243", "DR Congo", "CDF" },
	{ "EGY", "20", "Egypt", "EGP" },
	{ "JOR", "962", "Jordan", "JOD" },
	{ "GIN", "224", "Guinea", "GNF" },
	{ "MLI", "223", "Mali", "XOF" },
	{ "NER", "227", "Niger", "XOF" },
	{ "SEN", "221", "Senegal", "XOF" },
	{ "TUN", "216", "Tunisia", "TND" },
};

int sim_country_of(const char *address)
{
	size_t i;

	if (!starts_with(address, "tel:+"))
		return -1;
	address += 5;
	for (i = 0; i < SIM_NCOUNTRIES; i++)
		if (starts_with(address, sim_countries[i].cc))
			return (int)i;
	return -1;
}

int sim_country_index(const char *iso3)
{
	size_t i;

	for (i = 0; i < SIM_NCOUNTRIES; i++)
		if (!strcmp(iso3, sim_countries[i].iso3))
			return (int)i;
	return -1;
}

/* ---- randomness: xoroshiro128+, seeded by splitmix64 ---- */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sim_rand64(void)
{
	uint64_t s0 = sim.rng[0], s1 = sim.rng[1], r = s0 + s1;

	s1 ^= s0;
	sim.rng[0] = rotl(s0, 55) ^ s1 ^ (s1 << 14);
	sim.rng[1] = rotl(s1, 36);
	return r;
}

double sim_rand01(void)
{
	return (double)(sim_rand64() >> 11) / 9007199254740992.0;
}

void sim_uuid4(char out[SIM_ID_LEN])
{
	uint64_t hi = sim_rand64(), lo = sim_rand64();

	hi = (hi & ~0xf000ULL) | 0x4000ULL;                       /* version 4 */
	lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* variant */
	snprintf(out, SIM_ID_LEN, "%08x-%04x-%04x-%04x-%012" PRIx64,
		 (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff),
		 (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
		 (uint64_t)(lo & 0xffffffffffffULL));
}

int64_t sim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- ledger ---- */
void sim_ledger_write(const char *ev, int64_t ts_us, const char *fields, size_t len)
{
	if (!sim.ledger)
		return;
	/*
	 * ts is printed from integer microseconds so that the rate window
	 * (also in microseconds) and the ledger agree exactly.
	 */
	fprintf(sim.ledger, "{\"event\":\"%s\",\"ts\":%" PRId64 ".%06" PRId64, ev,
		ts_us / 1000000, ts_us % 1000000);
	if (len > 2) {   /* fields is "{...}": keep what is inside */
		fputc(',', sim.ledger);
		fwrite(fields + 1, 1, len - 2, sim.ledger);
	}
	fputs("}\n", sim.ledger);
	fflush(sim.ledger);
}

/* ---- time ---- */
void sim_fmt_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

void sim_fmt_time_live(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* "2027-01-01T00:00:00" (UTC, optional Z), or relative "+30d", "-1d",
 * "-2h", "+90s", "-10m". */
int sim_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;

	if (*s == '+' || *s == '-') {
		char *e;
		long v;
		long mult;

		errno = 0;
		v = strtol(s + 1, &e, 10);
		if (errno || e == s + 1)
			return -1;
		switch (*e) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -1;
		}
		if (e[1])
			return -1;
		*out = (int64_t)time(NULL) + (*s == '-' ? -1 : 1) * (int64_t)v * mult;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z")))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* ---- credits ---- */
int sim_add_order(int c, long long units, double amount, const char *currency,
		  int64_t date, int64_t expires)
{
	struct sim_contract *k = &sim.contracts[c];
	struct sim_order *o;
	int64_t now = (int64_t)time(NULL);

	if (c < 0 || c >= SIM_NCOUNTRIES || units <= 0)
		return -1;
	if (!date)
		date = now;
	if (!expires)
		expires = date + 365 * 86400;
	if (!currency || !*currency)
		currency = sim_countries[c].currency;
	if (amount < 0)
		amount = (double)units * 25;
	if (sim.norders == sim.orders_alloc) {
		sim.orders_alloc = sim.orders_alloc ? 2 * sim.orders_alloc : 16;
		sim.orders = xrealloc(sim.orders, sim.orders_alloc * sizeof(*sim.orders));
	}
	o = &sim.orders[sim.norders++];
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%lld", sim.next_order++);
	sim_uuid4(o->bundle_id);
	o->country = c;
	o->units = units;
	o->amount = amount;
	strlcpy_(o->currency, currency, sizeof(o->currency));
	o->date = date;
	o->expires = expires;

	if (!k->exists) {
		k->exists = true;
		sim_uuid4(k->id);
		k->expires = expires;
		k->created = date;
	} else if (k->expires <= now) {
		/* A new bundle on an expired contract: the old units are lost. */
		o->old_expires = k->expires;
		k->available = 0;
		k->expires = expires;
	} else {
		o->old_expires = k->expires;
		if (expires > k->expires)
			k->expires = expires;
	}
	o->old_units = k->available;
	o->new_units = k->available + units;
	o->new_expires = k->expires;
	k->updated = date > k->updated ? date : k->updated;
	k->requested += units;
	k->available += units;
	k->bought += units;
	k->price += amount;
	strlcpy_(k->currency, currency, sizeof(k->currency));
	return 0;
}

/* "MLI:500,CIV:1000@2027-01-01T00:00:00,SEN:10@-1d" */
int sim_parse_credits(const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL, *tok;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':'), *at;
		int64_t expires = 0;
		long units;
		int c;

		if (!colon) {
			ret = error("--credits: '%s': expected COUNTRY:UNITS[@EXPIRY]", tok);
			break;
		}
		*colon = '\0';
		at = strchr(colon + 1, '@');
		if (at) {
			*at = '\0';
			if (sim_parse_time(at + 1, &expires) < 0) {
				ret = error("--credits: %s: bad expiry '%s' (use 2027-01-01T00:00:00 or -1d/+30d)",
					    tok, at + 1);
				break;
			}
		}
		c = sim_country_index(tok);
		if (c < 0) {
			ret = error("--credits: unknown country '%s'", tok);
			break;
		}
		if (parse_long(colon + 1, 1, 1000000000L, &units) < 0) {
			ret = error("--credits: %s: bad units '%s'", tok, colon + 1);
			break;
		}
		/* An order dated before an expiry in the past. */
		sim_add_order(c, units, -1, NULL,
			      expires && expires < (int64_t)time(NULL) ? expires - 30 * 86400 : 0,
			      expires);
	}
	free(copy);
	return ret;
}

/* {"purchaseOrders":[{country,units,amount,currency,date,expires}]} or a
 * top-level array of such objects. */
int sim_load_seed(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char err[256];
	json_value *root = NULL, *arr;
	size_t i;
	int ret = -1;

	if (strbuf_read_file(&sb, path, 16 << 20) < 0) {
		error("--seed %s: %s", path, strerror(errno));
		goto out;
	}
	root = json_parse(sb.buf, sb.len, 0, err, sizeof(err));
	if (!root) {
		error("--seed %s: invalid JSON: %s", path, err);
		goto out;
	}
	arr = json_is_array(root) ? root : json_get(root, "purchaseOrders");
	if (!json_is_array(arr)) {
		error("--seed %s: expected an array or {\"purchaseOrders\":[…]}", path);
		goto out;
	}
	for (i = 0; i < json_array_len(arr); i++) {
		json_value *o = json_array_at(arr, i);
		const char *country = json_string(json_get(o, "country"));
		const char *date = json_string(json_get(o, "date"));
		const char *exp = json_string(json_get(o, "expires"));
		const char *cur = json_string(json_get(o, "currency"));
		long long units;
		double amount = -1;
		int64_t d = 0, e = 0;
		int c;

		if (!exp)
			exp = json_string(json_get(o, "expirationDate"));
		c = country ? sim_country_index(country) : -1;
		if (c < 0) {
			error("--seed %s: order %zu: field country: missing or unknown", path, i + 1);
			goto out;
		}
		if (json_as_int(json_get(o, "units"), true, &units) < 0 || units <= 0) {
			error("--seed %s: order %zu: field units: missing or not a positive integer",
			      path, i + 1);
			goto out;
		}
		if (json_get(o, "amount") &&
		    json_as_double(json_get(o, "amount"), true, &amount) < 0) {
			error("--seed %s: order %zu: field amount: not a number", path, i + 1);
			goto out;
		}
		if (date && sim_parse_time(date, &d) < 0) {
			error("--seed %s: order %zu: field date: bad time '%s'", path, i + 1, date);
			goto out;
		}
		if (exp && sim_parse_time(exp, &e) < 0) {
			error("--seed %s: order %zu: field expires: bad time '%s'", path, i + 1, exp);
			goto out;
		}
		sim_add_order(c, units, amount, cur, d, e);
	}
	ret = 0;
out:
	json_free(root);
	strbuf_release(&sb);
	return ret;
}

/* ---- rate windows: a ring of the last `cap` accept times ---- */
static void ring_init(struct sim_rate *rt, int cap)
{
	free(rt->ts);
	rt->ts = xcalloc((size_t)cap, sizeof(int64_t));
	rt->cap = cap;
	rt->head = 0;
	rt->count = 0;
}

int sim_rate_set(int rate)
{
	if (rate < 1)
		return -1;
	ring_init(&sim.rate, rate);
	sim.o.rate = rate;
	return 0;
}

int sim_token_rate_set(int per_minute)
{
	if (per_minute < 1)
		return -1;
	ring_init(&sim.token_rate, per_minute);
	sim.o.token_rate = per_minute;
	return 0;
}

/* ---- sender names ---- */
bool sim_name_allowed(const char *name)
{
	size_t i;

	if (!sim.nnames)
		return true;
	for (i = 0; i < sim.nnames; i++)
		if (!strcmp(sim.names[i], name))
			return true;
	return false;
}

/* ---- segments ----
 * Deliberately independent of campaign/gsm.c: the simulator is the oracle
 * the sender's segment counts are checked against, so it must not share
 * their code (and their bugs). */

/* Decode one UTF-8 sequence; returns its length or 0 if invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) { n = 2; c &= 0x1f; }
	else if ((c & 0xf0) == 0xe0) { n = 3; c &= 0x0f; }
	else if ((c & 0xf8) == 0xf0) { n = 4; c &= 0x07; }
	else return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Septets of a code point in GSM 03.38 (basic 1, extension 2), 0 if none. */
static int gsm7_septets(uint32_t c)
{
	static const uint32_t basic_hi[] = {
		0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7,
		0x00d8, 0x00f8, 0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b,
		0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6,
		0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6, 0x00d1, 0x00dc,
		0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
	};
	size_t i;

	if (c == '\n' || c == '\r')
		return 1;
	if (c == '^' || c == '{' || c == '}' || c == '\\' || c == '[' || c == '~' ||
	    c == ']' || c == '|' || c == 0x20ac || c == '\f')
		return 2;
	if (c >= 0x20 && c < 0x7f)
		return c == '`' ? 0 : 1;   /* backtick is not in GSM 03.38 */
	for (i = 0; i < ARRAY_SIZE(basic_hi); i++)
		if (basic_hi[i] == c)
			return 1;
	return 0;
}

/*
 * Concatenated parts carry a header: 153 septets (GSM-7) or 67 UTF-16 units
 * (UCS-2) each.  An escape pair or a surrogate pair is never split across
 * parts, as handsets and SMSCs do.
 */
int sim_segments(const char *msg, size_t len, bool *ucs2)
{
	const unsigned char *s = (const unsigned char *)msg;
	size_t i = 0, n;
	int total = 0, part = 0, parts = 1, w;
	bool gsm = true;
	uint32_t cp;

	/* First pass: alphabet and total length. */
	while (i < len) {
		n = utf8_next(s + i, len - i, &cp);
		if (!n)
			return -1;
		if (gsm && !gsm7_septets(cp))
			gsm = false;
		i += n;
	}
	*ucs2 = !gsm;
	for (i = 0; i < len; i += n) {
		n = utf8_next(s + i, len - i, &cp);
		w = gsm ? gsm7_septets(cp) : (cp >= 0x10000 ? 2 : 1);
		total += w;
	}
	if (total <= (gsm ? 160 : 70))
		return 1;
	/* Second pass: pack into parts without splitting a pair. */
	for (i = 0; i < len; i += n) {
		int cap = gsm ? 153 : 67;
		n = utf8_next(s + i, len - i, &cp);
		w = gsm ? gsm7_septets(cp) : (cp >= 0x10000 ? 2 : 1);
		if (part + w > cap) {
			parts++;
			part = 0;
		}
		part += w;
	}
	return parts;
}

/* ---- life cycle ---- */
int sim_state_init(void)
{
	uint64_t x;

	pthread_mutex_init(&sim.lock, NULL);
	if (sim.o.seeded) {
		x = sim.o.seed;
	} else {
		int fd = open("/dev/urandom", O_RDONLY);
		if (fd < 0 || read(fd, &x, sizeof(x)) != sizeof(x))
			x = (uint64_t)sim_now_us() ^ ((uint64_t)getpid() << 32);
		if (fd >= 0)
			close(fd);
	}
	sim.rng[0] = splitmix(&x);
	sim.rng[1] = splitmix(&x);
	sim.next_order = 24031977;
	if (sim_rate_set(sim.o.rate) < 0)
		return error("--rate must be at least 1");
	if (sim_token_rate_set(sim.o.token_rate) < 0)
		return error("--token-rate must be at least 1");
	if (sim.o.sender_names && *sim.o.sender_names) {
		char *copy = xstrdup(sim.o.sender_names), *save = NULL, *tok;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			sim.names = xrealloc(sim.names, (sim.nnames + 1) * sizeof(char *));
			sim.names[sim.nnames++] = xstrdup(tok);
		}
		free(copy);
	}
	return 0;
}

void sim_state_release(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sim.tokens); i++) {
		struct sim_token *t = sim.tokens[i], *next;
		for (; t; t = next) {
			next = t->next;
			free(t->value);
			free(t);
		}
		sim.tokens[i] = NULL;
	}
	for (i = 0; i < sim.nnames; i++)
		free(sim.names[i]);
	free(sim.names);
	free(sim.orders);
	free(sim.rate.ts);
	free(sim.token_rate.ts);
	free(sim.sub_url);
	free(sim.sub_callback_data);
	if (sim.ledger)
		fclose(sim.ledger);
	sim.ledger = NULL;
	pthread_mutex_destroy(&sim.lock);
}
