/* orange-sim HTTP front: routing, OAuth, send, subscriptions, controls. */
#include "tests/sim/sim.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BODY_MAX (64 * 1024)

static struct MHD_Daemon *daemon_;

struct req {
	struct strbuf body;
	bool too_big;
};

struct hdr {
	const char *name, *value;
};

/* ---- small helpers ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) into out; plus_space for forms.  0 or -1. */
static int url_decode(const char *s, size_t len, bool plus_space, struct strbuf *out)
{
	size_t i;

	strbuf_reset(out);
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= len)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			strbuf_addch(out, h * 16 + l);
			i += 2;
		} else if (plus_space && s[i] == '+') {
			strbuf_addch(out, ' ');
		} else {
			strbuf_addch(out, s[i]);
		}
	}
	return memchr(out->buf, '\0', out->len) ? -1 : 0;
}

/* "tel:+" followed by 1..15 digits. */
static bool valid_tel(const char *s)
{
	size_t n = 0;

	if (!starts_with(s, "tel:+"))
		return false;
	for (s += 5; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n >= 1 && n <= 15;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const struct strbuf *body, const struct hdr *hdrs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(body ? body->len : 0,
					    body ? body->buf : (void *)"",
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (body && body->len)
		MHD_add_response_header(r, "Content-Type", "application/json");
	for (; hdrs && hdrs->name; hdrs++)
		MHD_add_response_header(r, hdrs->name, hdrs->value);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (sim.o.verbose)
		debug("-> %u", status);
	return ret;
}

static enum MHD_Result reply_gen(struct MHD_Connection *c, unsigned status,
				 struct json_gen *g, const struct hdr *hdrs)
{
	struct strbuf sb = STRBUF_INIT;
	enum MHD_Result ret;

	json_gen_to_strbuf(g, &sb);
	json_gen_free(g);
	ret = reply(c, status, &sb, hdrs);
	strbuf_release(&sb);
	return ret;
}

/* Gateway-style error {"code":N,"message":…,"description":…}. */
static enum MHD_Result reply_code(struct MHD_Connection *c, unsigned status, int code,
				  const char *message, const char *desc,
				  const struct hdr *hdrs)
{
	struct json_gen *g = json_gen_new(false);

	json_map_open(g);
	json_kv_int(g, "code", code);
	json_kv_str(g, "message", message);
	json_kv_str(g, "description", desc);
	json_map_close(g);
	return reply_gen(c, status, g, hdrs);
}

/* {"requestError":{kind:{"messageId","text","variables":[var]}}} */
static void request_error(struct strbuf *out, const char *kind, const char *id,
			  const char *text, const char *var)
{
	struct json_gen *g = json_gen_new(false);

	json_map_open(g);
	json_key(g, "requestError");
	json_map_open(g);
	json_key(g, kind);
	json_map_open(g);
	json_kv_str(g, "messageId", id);
	json_kv_str(g, "text", text);
	json_key(g, "variables");
	json_array_open(g);
	json_str(g, var);
	json_array_close(g);
	json_map_close(g);
	json_map_close(g);
	json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}

static enum MHD_Result reply_invalid(struct MHD_Connection *c, const char *field)
{
	struct strbuf sb = STRBUF_INIT;
	enum MHD_Result ret;

	request_error(&sb, "serviceException", "SVC0002",
		      "Invalid input value for message part %1", field);
	ret = reply(c, 400, &sb, NULL);
	strbuf_release(&sb);
	return ret;
}

static enum MHD_Result not_found(struct MHD_Connection *c)
{
	return reply_code(c, 404, 60, "Resource not found",
			  "The requested URI or the requested resource does not exist.", NULL);
}

static enum MHD_Result bad_method(struct MHD_Connection *c)
{
	return reply_code(c, 405, 61, "Method not allowed",
			  "The requested method is not allowed on this resource.", NULL);
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static bool content_type_is(struct MHD_Connection *c, const char *type)
{
	const char *ct = header(c, "Content-Type");
	size_t n = strlen(type);

	return ct && !strncasecmp(ct, type, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* A query argument, percent-decoded into out; NULL when absent. */
static const char *query_arg(struct MHD_Connection *c, const char *name, struct strbuf *out)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);

	if (!v)
		return NULL;
	if (url_decode(v, strlen(v), true, out) < 0)
		return "\x01";   /* undecodable: never a valid value */
	return out->buf;
}

static void latency(void)
{
	int ms;

	pthread_mutex_lock(&sim.lock);
	ms = sim.o.fault_latency_ms;
	pthread_mutex_unlock(&sim.lock);
	if (ms > 0)
		usleep((useconds_t)ms * 1000);
}

static enum MHD_Result reply_429(struct MHD_Connection *c, int retry_after);

/* ---- tokens ---- */

static unsigned token_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % ARRAY_SIZE(sim.tokens);
}

/* 0 when the Bearer token is good, else the Orange error code 41 / 42. */
static int check_token(struct MHD_Connection *c)
{
	const char *auth = header(c, "Authorization");
	struct sim_token *t;
	int ret = 41;

	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return 41;
	auth += 7;
	pthread_mutex_lock(&sim.lock);
	for (t = sim.tokens[token_hash(auth)]; t; t = t->next) {
		if (strcmp(t->value, auth))
			continue;
		if (t->revoke_gen != sim.revoke_gen || t->expires <= time_now())
			ret = 42;
		else
			ret = 0;
		break;
	}
	pthread_mutex_unlock(&sim.lock);
	return ret;
}

static enum MHD_Result reply_auth(struct MHD_Connection *c, int code)
{
	static const struct hdr www[] = { { "WWW-Authenticate", "Bearer realm=\"orange-sim\"" },
					  { NULL, NULL } };
	if (code == 42)
		return reply_code(c, 401, 42, "Expired credentials",
				  "The requested service needs credentials, and the ones provided were out-of-date.",
				  www);
	return reply_code(c, 401, 41, "Invalid credentials",
			  "The requested service needs credentials, but the ones provided were invalid.",
			  www);
}

/* The live API's refusal of the application's credentials. */
static const struct hdr basic_realm[] = {
	{ "WWW-Authenticate", "Basic realm=\"Authorization Required\"" }, { NULL, NULL }
};

static enum MHD_Result oauth_error(struct MHD_Connection *c, unsigned status,
				   const char *err, const char *desc)
{
	struct json_gen *g = json_gen_new(false);

	json_map_open(g);
	json_kv_str(g, "error", err);
	json_kv_str(g, "error_description", desc);
	json_map_close(g);
	return reply_gen(c, status, g, status == 401 ? basic_realm : NULL);
}

/* True when s is base64 of something holding "id:secret". */
static bool basic_decodable(const char *s)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned bits = 0, acc = 0;
	size_t n = strlen(s), i;
	bool colon = false;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n == 0 || n % 4 == 1)
		return false;
	for (i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(al, s[i]) : NULL;
		if (!p)
			return false;
		acc = (acc << 6) | (unsigned)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (((acc >> bits) & 0xff) == ':')
				colon = true;
		}
	}
	return colon;
}

/*
 * A new access_token of sim.o.token_length characters: below 200 an
 * opaque alphanumeric string (older accounts), else shaped like the live
 * API's ES384 JWT (header.payload.signature, base64url).  Lock held.
 */
static char *new_token_value(void)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char head[] = "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9"; /* {"alg":"ES384","typ":"JWT"} */
	enum { SIG = 128, JWT_MIN = 200 };
	size_t n = (size_t)sim.o.token_length, i, dot2 = n - SIG - 1;
	char *v = xmalloc(n + 1);
	bool jwt = n >= JWT_MIN;

	for (i = 0; i < n; i++)
		v[i] = al[sim_rand64() % (jwt ? 64 : 62)];
	if (jwt) {
		memcpy(v, head, sizeof(head) - 1);
		v[sizeof(head) - 1] = '.';
		v[dot2] = '.';
	}
	v[n] = '\0';
	return v;
}

/* Token requests in the last minute; false when over the limit (lock held).
 * *retry: seconds until the oldest leaves the window. */
static bool token_rate_ok(int *retry)
{
	int64_t now = sim_now_us();
	struct sim_rate *rt = &sim.token_rate;

	if (rt->count == rt->cap && now - rt->ts[rt->head] < 60000000) {
		*retry = (int)ceil((double)(rt->ts[rt->head] + 60000000 - now) / 1e6);
		return false;
	}
	if (rt->count < rt->cap) {
		rt->ts[(rt->head + rt->count) % rt->cap] = now;
		rt->count++;
	} else {
		rt->ts[rt->head] = now;
		rt->head = (rt->head + 1) % rt->cap;
	}
	return true;
}

static enum MHD_Result handle_token(struct MHD_Connection *c, const char *method,
				    struct req *rq)
{
	const char *auth = header(c, "Authorization");
	const char *cred = NULL;
	struct strbuf grant = STRBUF_INIT, key = STRBUF_INIT, body = STRBUF_INIT;
	struct json_gen *g;
	struct sim_token *t;
	char ttl[32];
	const char *p, *end;
	bool have_grant = false, dup = false, limited;
	int retry = 1;
	unsigned h;
	enum MHD_Result ret;

	if (strcmp(method, "POST"))
		return bad_method(c);
	latency();
	/* The scheme is case-insensitive ("basic" works); the credentials not. */
	if (auth && !strncasecmp(auth, "Basic ", 6))
		for (cred = auth + 6; *cred == ' '; cred++)
			;
	if (cred && !basic_decodable(cred))
		return oauth_error(c, 401, "invalid_client", "Unable to decode Basic authorization.");
	if (!cred || strcmp(cred, sim.o.auth_header + 6) || strncasecmp(sim.o.auth_header, "Basic ", 6))
		return oauth_error(c, 401, "invalid_client",
				   "The requested service needs credentials, but the ones provided were invalid.");
	if (!content_type_is(c, "application/x-www-form-urlencoded"))
		return oauth_error(c, 400, "invalid_request",
				   "Content-Type must be application/x-www-form-urlencoded");
	/* Form body: find grant_type (exactly once). */
	for (p = rq->body.buf, end = p + rq->body.len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *stop = amp ? amp : end;

		eq = memchr(p, '=', (size_t)(stop - p));
		if (eq && url_decode(p, (size_t)(eq - p), true, &key) == 0 &&
		    !strcmp(key.buf, "grant_type")) {
			if (have_grant)
				dup = true;
			have_grant = true;
			if (url_decode(eq + 1, (size_t)(stop - eq - 1), true, &grant) < 0)
				dup = true;
		}
		p = stop + 1;
	}
	strbuf_release(&key);
	if (!have_grant || dup) {
		strbuf_release(&grant);
		return oauth_error(c, 400, "invalid_request",
				   "Missing or repeated mandatory parameter: grant_type");
	}
	if (strcmp(grant.buf, "client_credentials")) {
		strbuf_release(&grant);
		return oauth_error(c, 400, "unsupported_grant_type",
				   "The grant_type is not supported: use client_credentials");
	}
	strbuf_release(&grant);

	pthread_mutex_lock(&sim.lock);
	limited = !token_rate_ok(&retry);
	if (limited) {
		sim.token_refused++;
		pthread_mutex_unlock(&sim.lock);
		return reply_429(c, retry);
	}
	t = xcalloc(1, sizeof(*t));
	t->value = new_token_value();
	t->expires = time_now() + sim.o.token_ttl;
	t->revoke_gen = sim.revoke_gen;
	h = token_hash(t->value);
	t->next = sim.tokens[h];
	sim.tokens[h] = t;
	sim.ntokens++;
	snprintf(ttl, sizeof(ttl), "%d", sim.o.token_ttl);
	/* Live: pretty-printed, surrounded by white space, expires_in a number. */
	g = json_gen_new(!sim.o.documented);
	json_map_open(g);
	json_kv_str(g, "token_type", "Bearer");
	json_kv_str(g, "access_token", t->value);
	if (sim.o.expires_in_number || !sim.o.documented)
		json_kv_int(g, "expires_in", sim.o.token_ttl);
	else
		json_kv_str(g, "expires_in", ttl);
	json_map_close(g);
	pthread_mutex_unlock(&sim.lock);
	if (!sim.o.documented)
		strbuf_addstr(&body, "\n  ");
	json_gen_to_strbuf(g, &body);
	json_gen_free(g);
	if (!sim.o.documented)
		strbuf_addstr(&body, "\n");
	ret = reply(c, 200, &body, NULL);
	strbuf_release(&body);
	return ret;
}

/* ---- send ---- */

/* Record a refused send in the ledger and counters, then answer. */
/* ts_us: when the decision was taken (0: now), so that a 429 can be
 * checked against the sms lines of the window it saw. */
static void note_reject(int status, const char *reason, const char *address, int64_t ts_us)
{
	struct json_gen *g = json_gen_new(false);
	const char *buf;
	size_t len;

	json_map_open(g);
	json_kv_int(g, "status", status);
	json_kv_str(g, "reason", reason);
	if (address)
		json_kv_str(g, "address", address);
	json_map_close(g);
	json_gen_result(g, &buf, &len);
	pthread_mutex_lock(&sim.lock);
	if (status >= 0 && status < (int)ARRAY_SIZE(sim.rejected))
		sim.rejected[status]++;
	sim_ledger_write("reject", ts_us ? ts_us : sim_now_us(), buf, len);
	pthread_mutex_unlock(&sim.lock);
	json_gen_free(g);
}

static enum MHD_Result reject_invalid(struct MHD_Connection *c, const char *field,
				      const char *address)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "invalid %s", field);
	note_reject(400, reason, address, 0);
	return reply_invalid(c, field);
}

static enum MHD_Result reply_429(struct MHD_Connection *c, int retry_after)
{
	char ra[16];
	struct hdr h[] = { { "Retry-After", ra }, { NULL, NULL } };

	snprintf(ra, sizeof(ra), "%d", retry_after < 1 ? 1 : retry_after);
	return reply_code(c, 429, 53, "Too many requests",
			  "The application has made too many calls and has exceeded the rate limit for this service.",
			  h);
}

static enum MHD_Result reply_policy(struct MHD_Connection *c, unsigned status, const char *var)
{
	struct strbuf sb = STRBUF_INIT;
	enum MHD_Result ret;

	request_error(&sb, "policyException", "POL0001",
		      sim.o.documented ? "Policy error: %1" : "A policy error occurred. Error code is %1",
		      var);
	ret = reply(c, status, &sb, NULL);
	strbuf_release(&sb);
	return ret;
}

enum verdict { V_ACCEPT, V_5XX, V_429, V_NO_CREDIT, V_EXPIRED };

static enum MHD_Result handle_send(struct MHD_Connection *c, const char *sender,
				   struct req *rq)
{
	char err[128], rid[SIM_ID_LEN], reason[128];
	json_value *root = NULL, *r;
	const char *address, *from, *name, *msg;
	json_value *jname, *jmsg;
	struct strbuf url = STRBUF_INIT, out = STRBUF_INIT;
	struct json_gen *g;
	enum verdict v = V_ACCEPT;
	const char *why429 = "rate limit";
	int64_t decided = 0;
	bool ucs2 = false, drop = false;
	int code, country, segs, retry_after = 1, status5 = 500;
	enum MHD_Result ret;

	latency();
	code = check_token(c);
	if (code) {
		note_reject(401, code == 42 ? "expired credentials" : "invalid credentials", NULL, 0);
		return reply_auth(c, code);
	}
	if (!content_type_is(c, "application/json"))
		return reject_invalid(c, "Content-Type", NULL);
	if (rq->too_big)
		return reject_invalid(c, "body", NULL);
	root = json_parse(rq->body.buf, rq->body.len, 16, err, sizeof(err));
	if (!root)
		return reject_invalid(c, "body", NULL);
	r = json_get(root, "outboundSMSMessageRequest");
	if (!json_is_object(r)) {
		ret = reject_invalid(c, "outboundSMSMessageRequest", NULL);
		goto out;
	}
	address = json_string(json_get(r, "address"));
	if (!address || !valid_tel(address)) {
		ret = reject_invalid(c, "address", NULL);
		goto out;
	}
	from = json_string(json_get(r, "senderAddress"));
	if (!from || !valid_tel(from) || strcmp(from, sender)) {
		ret = reject_invalid(c, "senderAddress", address);
		goto out;
	}
	jname = json_get(r, "senderName");
	name = json_string(jname);
	if (jname && !json_is_null(jname) && (!name || !*name)) {
		ret = reject_invalid(c, "senderName", address);
		goto out;
	}
	jmsg = json_path(r, "outboundSMSTextMessage", "message", NULL);
	msg = json_string(jmsg);
	if (!msg || !*msg) {
		ret = reject_invalid(c, "message", address);
		goto out;
	}
	segs = sim_segments(msg, strlen(msg), &ucs2);
	if (segs < 0) {
		ret = reject_invalid(c, "message", address);
		goto out;
	}
	if (name && !sim_name_allowed(name)) {
		char var[160];
		snprintf(var, sizeof(var), "SenderName %s is not allowed for this account", name);
		note_reject(400, "sender name not allowed", address, 0);
		ret = reply_policy(c, 400, var);
		goto out;
	}
	country = sim_country_of(address);
	if (country < 0) {
		struct strbuf sb = STRBUF_INIT;
		note_reject(400, "no contract country for address", address, 0);
		request_error(&sb, "serviceException", "SVC0004",
			      "No valid addresses provided in message part %1", "address");
		ret = reply(c, 400, &sb, NULL);
		strbuf_release(&sb);
		goto out;
	}

	pthread_mutex_lock(&sim.lock);
	{
		int64_t now = sim_now_us();
		struct sim_contract *k = &sim.contracts[country];
		struct sim_rate *rt = &sim.rate;

		decided = now;

		if (sim.o.fault_5xx > 0 && sim_rand01() < sim.o.fault_5xx) {
			v = V_5XX;
			status5 = sim_rand01() < 0.5 ? 500 : 503;
		} else if (sim.burst_left > 0) {
			sim.burst_left--;
			v = V_429;
			why429 = "429 burst";
			retry_after = sim.o.fault_retry_after;
		} else if (sim.o.fault_429 > 0 && sim_rand01() < sim.o.fault_429) {
			v = V_429;
			why429 = "injected 429";
			retry_after = sim.o.fault_retry_after;
		} else if (rt->count == rt->cap && now - rt->ts[rt->head] < 1000000) {
			v = V_429;
			retry_after = (int)ceil((double)(rt->ts[rt->head] + 1000000 - now) / 1e6);
		} else if (!k->exists) {
			v = V_NO_CREDIT;
		} else if (k->expires <= (int64_t)(now / 1000000)) {
			v = V_EXPIRED;
		} else if (k->available < segs) {
			v = V_NO_CREDIT;
		}
		if (v == V_ACCEPT) {
			const char *buf;
			size_t len;

			sim_uuid4(rid);
			if (rt->count < rt->cap) {
				rt->ts[(rt->head + rt->count) % rt->cap] = now;
				rt->count++;
			} else {
				rt->ts[rt->head] = now;
				rt->head = (rt->head + 1) % rt->cap;
			}
			k->available -= segs;
			k->used += segs;
			k->messages++;
			sim.accepted++;
			sim.segments += segs;
			if (sim.o.revoke_every > 0 && ++sim.revoke_accepted >= sim.o.revoke_every) {
				/* This answer still goes out; the next call needs a new token. */
				sim.revoke_accepted = 0;
				sim.revoke_gen++;
			}
			if (sim.o.burst_every > 0 && ++sim.burst_accepted >= sim.o.burst_every) {
				sim.burst_accepted = 0;
				sim.burst_left = sim.o.burst_len;
			}
			g = json_gen_new(false);
			json_map_open(g);
			json_kv_str(g, "resource_id", rid);
			json_kv_str(g, "sender", from);
			json_kv_str(g, "address", address);
			json_kv_str(g, "message", msg);
			json_kv_str(g, "country", sim_countries[country].iso3);
			json_kv_int(g, "segments", segs);
			json_kv_str(g, "encoding", ucs2 ? "UCS-2" : "GSM-7");
			json_kv_str(g, "sender_name", name);
			json_kv_str(g, "app_id", sim.o.app_id);
			json_map_close(g);
			json_gen_result(g, &buf, &len);
			sim_ledger_write("sms", now, buf, len);
			json_gen_free(g);
			sim_dr_plan(rid, address);
			if (sim.o.fault_drop > 0 && sim_rand01() < sim.o.fault_drop) {
				drop = true;
				sim.dropped++;
				g = json_gen_new(false);
				json_map_open(g);
				json_kv_str(g, "resource_id", rid);
				json_kv_str(g, "address", address);
				json_map_close(g);
				json_gen_result(g, &buf, &len);
				sim_ledger_write("drop", sim_now_us(), buf, len);
				json_gen_free(g);
			}
		}
	}
	pthread_mutex_unlock(&sim.lock);

	switch (v) {
	case V_5XX:
		snprintf(reason, sizeof(reason), "injected %d", status5);
		note_reject(status5, reason, address, 0);
		if (status5 == 503)
			ret = reply_code(c, 503, 5, "The service is temporarily unavailable",
					 "The server is temporarily unable to handle the request; try again later.",
					 NULL);
		else
			ret = reply_code(c, 500, 1, "Internal error",
					 "An internal error occurred; the request was not processed.", NULL);
		goto out;
	case V_429:
		note_reject(429, why429, address, decided);
		ret = reply_429(c, retry_after);
		goto out;
	case V_NO_CREDIT:
	case V_EXPIRED: {
		char var[96];
		if (v == V_EXPIRED && !sim.o.documented)
			snprintf(var, sizeof(var), "Expired contract"); /* as recorded */
		else
			snprintf(var, sizeof(var), "%s for country %s",
				 v == V_EXPIRED ? "Expired contract" : "No more SMS available",
				 sim_countries[country].iso3);
		note_reject(403, var, address, 0);
		ret = reply_policy(c, 403, var);
		goto out;
	}
	case V_ACCEPT:
		break;
	}
	if (drop) {
		/* Accepted, counted and charged; the client never hears of it. */
		ret = MHD_NO;
		goto out;
	}

	strbuf_addf(&url, "%s/smsmessaging/v1/outbound/%s/requests/%s", sim.base, sender, rid);
	g = json_gen_new(false);
	json_map_open(g);
	json_key(g, "outboundSMSMessageRequest");
	json_map_open(g);
	if (!strcmp(sim.o.echo_address, "string")) {
		json_kv_str(g, "address", address);
	} else if (!strcmp(sim.o.echo_address, "array")) {
		json_key(g, "address");
		json_array_open(g);
		json_str(g, address);
		json_array_close(g);
	}
	json_kv_str(g, "senderAddress", from);
	if (name)
		json_kv_str(g, "senderName", name);
	json_key(g, "outboundSMSTextMessage");
	json_map_open(g);
	json_kv_str(g, "message", msg);
	json_map_close(g);
	json_kv_str(g, "resourceURL", url.buf);
	json_map_close(g);
	json_map_close(g);
	json_gen_to_strbuf(g, &out);
	json_gen_free(g);
	{
		struct hdr h[] = { { "Location", url.buf }, { NULL, NULL } };
		ret = reply(c, 201, &out, h);
	}
out:
	strbuf_release(&url);
	strbuf_release(&out);
	json_free(root);
	return ret;
}

/* ---- DR subscriptions ---- */

static void subscription_json(struct strbuf *out, const char *id, const char *notify,
			      const char *cbdata)
{
	struct json_gen *g = json_gen_new(false);
	struct strbuf url = STRBUF_INIT;

	strbuf_addf(&url, "%s/smsmessaging/v1/outbound/subscriptions/%s", sim.base, id);
	json_map_open(g);
	json_key(g, "deliveryReceiptSubscription");
	json_map_open(g);
	json_key(g, "callbackReference");
	json_map_open(g);
	json_kv_str(g, "notifyURL", notify);
	if (cbdata)
		json_kv_str(g, "callbackData", cbdata);
	json_map_close(g);
	json_kv_str(g, "resourceURL", url.buf);
	json_map_close(g);
	json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
	strbuf_release(&url);
}

static enum MHD_Result handle_subscribe(struct MHD_Connection *c, struct req *rq)
{
	char err[128], id[SIM_ID_LEN];
	json_value *root;
	json_value *cb;
	const char *notify, *cbdata;
	struct strbuf out = STRBUF_INIT, loc = STRBUF_INIT;
	enum MHD_Result ret;
	int code;

	latency();
	code = check_token(c);
	if (code)
		return reply_auth(c, code);
	if (!content_type_is(c, "application/json"))
		return reply_invalid(c, "Content-Type");
	root = json_parse(rq->body.buf, rq->body.len, 16, err, sizeof(err));
	if (!root)
		return reply_invalid(c, "body");
	cb = json_path(root, "deliveryReceiptSubscription", "callbackReference", NULL);
	notify = json_string(json_get(cb, "notifyURL"));
	cbdata = json_string(json_get(cb, "callbackData"));
	if (!notify || !(starts_with(notify, "https://") ||
			 (sim.o.allow_http_notify && starts_with(notify, "http://"))) ||
	    strlen(notify) > 2000 || strpbrk(notify, " \t\r\n")) {
		json_free(root);
		return reply_invalid(c, "notifyURL");
	}
	pthread_mutex_lock(&sim.lock);
	sim_uuid4(id);
	memcpy(sim.sub_id, id, sizeof(id));
	free(sim.sub_url);
	sim.sub_url = xstrdup(notify);
	free(sim.sub_callback_data);
	sim.sub_callback_data = cbdata ? xstrdup(cbdata) : NULL;
	subscription_json(&out, id, notify, cbdata);
	pthread_mutex_unlock(&sim.lock);
	info("DR subscription %s created", id);   /* the URL may hold a secret */
	strbuf_addf(&loc, "%s/smsmessaging/v1/outbound/subscriptions/%s", sim.base, id);
	{
		struct hdr h[] = { { "Location", loc.buf }, { NULL, NULL } };
		ret = reply(c, 201, &out, h);
	}
	strbuf_release(&out);
	strbuf_release(&loc);
	json_free(root);
	return ret;
}

static enum MHD_Result handle_subscription(struct MHD_Connection *c, const char *method,
					   const char *id)
{
	struct strbuf out = STRBUF_INIT;
	enum MHD_Result ret;
	bool found;
	int code;

	latency();
	code = check_token(c);
	if (code)
		return reply_auth(c, code);
	pthread_mutex_lock(&sim.lock);
	found = sim.sub_url && !strcmp(sim.sub_id, id);
	if (found && !strcmp(method, "GET"))
		subscription_json(&out, id, sim.sub_url, sim.sub_callback_data);
	if (found && !strcmp(method, "DELETE")) {
		free(sim.sub_url);
		sim.sub_url = NULL;
		free(sim.sub_callback_data);
		sim.sub_callback_data = NULL;
		sim.sub_id[0] = '\0';
	}
	pthread_mutex_unlock(&sim.lock);
	if (!found)
		return not_found(c);
	if (!strcmp(method, "DELETE")) {
		info("DR subscription %s deleted", id);
		return reply(c, 204, NULL, NULL);
	}
	ret = reply(c, 200, &out, NULL);
	strbuf_release(&out);
	return ret;
}

/* /smsmessaging/v1/outbound/<rest> */
static enum MHD_Result route_outbound(struct MHD_Connection *c, const char *method,
				      const char *rest, struct req *rq)
{
	const char *seg[4];
	size_t segl[4];
	int n = 0;
	const char *p = rest;
	struct strbuf sender = STRBUF_INIT;
	enum MHD_Result ret;

	while (n < 4) {
		const char *slash = strchr(p, '/');
		seg[n] = p;
		segl[n] = slash ? (size_t)(slash - p) : strlen(p);
		n++;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (n == 4 || segl[n - 1] == 0)
		return not_found(c);
	/* GET /outbound/subscriptions/{id} */
	if (n == 2 && segl[0] == 13 && !strncmp(seg[0], "subscriptions", 13)) {
		char id[SIM_ID_LEN + 8];
		if (strcmp(method, "GET"))
			return bad_method(c);
		if (segl[1] >= sizeof(id))
			return not_found(c);
		memcpy(id, seg[1], segl[1]);
		id[segl[1]] = '\0';
		return handle_subscription(c, method, id);
	}
	if (n < 2)
		return not_found(c);
	/* The sender: "tel%3A%2B2230000" as documented, or decoded "tel:+2230000". */
	if (url_decode(seg[0], segl[0], false, &sender) < 0 || !valid_tel(sender.buf)) {
		strbuf_release(&sender);
		if ((n == 2 && segl[1] == 8 && !strncmp(seg[1], "requests", 8)) ||
		    (segl[1] == 13 && !strncmp(seg[1], "subscriptions", 13))) {
			if (n == 2 && segl[1] == 8 && !strcmp(method, "POST"))
				note_reject(400, "invalid sender in path", NULL, 0);
			return reply_invalid(c, "senderAddress");
		}
		return not_found(c);
	}
	if (n == 2 && segl[1] == 8 && !strncmp(seg[1], "requests", 8)) {
		ret = strcmp(method, "POST") ? bad_method(c) : handle_send(c, sender.buf, rq);
	} else if (n == 2 && segl[1] == 13 && !strncmp(seg[1], "subscriptions", 13)) {
		ret = strcmp(method, "POST") ? bad_method(c) : handle_subscribe(c, rq);
	} else if (n == 3 && segl[1] == 13 && !strncmp(seg[1], "subscriptions", 13)) {
		char id[SIM_ID_LEN + 8];
		if (strcmp(method, "DELETE")) {
			ret = bad_method(c);
		} else if (segl[2] >= sizeof(id)) {
			ret = not_found(c);
		} else {
			memcpy(id, seg[2], segl[2]);
			id[segl[2]] = '\0';
			ret = handle_subscription(c, method, id);
		}
	} else {
		ret = not_found(c);
	}
	strbuf_release(&sender);
	return ret;
}

/* ---- admin ---- */

static enum MHD_Result handle_admin(struct MHD_Connection *c, const char *method,
				    const char *what)
{
	struct strbuf out = STRBUF_INIT, qc = STRBUF_INIT, qa = STRBUF_INIT;
	const char *country, *appid = NULL;
	enum MHD_Result ret;
	int idx = -1, code;
	bool stats = !strcmp(what, "statistics");

	if (strcmp(what, "contracts") && !stats && strcmp(what, "purchaseorders"))
		return not_found(c);
	if (strcmp(method, "GET"))
		return bad_method(c);
	latency();
	code = check_token(c);
	if (code)
		return reply_auth(c, code);
	country = query_arg(c, "country", &qc);
	if (country) {
		if (strlen(country) != 3 || !isupper((unsigned char)country[0]) ||
		    !isupper((unsigned char)country[1]) || !isupper((unsigned char)country[2])) {
			ret = reply_invalid(c, "country");
			goto out;
		}
		idx = sim_country_index(country);
	}
	if (stats)
		appid = query_arg(c, "appid", &qa);
	pthread_mutex_lock(&sim.lock);
	if (!strcmp(what, "contracts"))
		sim_admin_contracts(&out, idx, !country);
	else if (stats)
		sim_admin_statistics(&out, idx, !country, appid);
	else
		sim_admin_orders(&out, idx, !country);
	pthread_mutex_unlock(&sim.lock);
	ret = reply(c, 200, &out, NULL);
out:
	strbuf_release(&out);
	strbuf_release(&qc);
	strbuf_release(&qa);
	return ret;
}

/* ---- /_sim/ controls (no auth) ---- */

static enum MHD_Result sim_error(struct MHD_Connection *c, const char *msg)
{
	struct json_gen *g = json_gen_new(false);

	json_map_open(g);
	json_kv_str(g, "error", msg);
	json_map_close(g);
	return reply_gen(c, 400, g, NULL);
}

static void config_json(struct strbuf *out)
{
	struct json_gen *g = json_gen_new(false);
	char burst[32];

	snprintf(burst, sizeof(burst), "%d:%d", sim.o.burst_every, sim.o.burst_len);
	json_map_open(g);
	json_kv_double(g, "fault_5xx", sim.o.fault_5xx);
	json_kv_double(g, "fault_drop", sim.o.fault_drop);
	json_kv_double(g, "fault_429", sim.o.fault_429);
	json_kv_str(g, "fault_429_burst", burst);
	json_kv_int(g, "fault_latency_ms", sim.o.fault_latency_ms);
	json_kv_int(g, "fault_revoke", sim.o.revoke_every);
	json_kv_int(g, "rate", sim.o.rate);
	json_kv_int(g, "token_ttl", sim.o.token_ttl);
	json_kv_int(g, "dr_delay_ms", sim.o.dr_delay_ms);
	json_kv_double(g, "dr_dup", sim.o.dr_dup);
	json_kv_double(g, "dr_waiting", sim.o.dr_waiting);
	json_kv_bool(g, "dr_reorder", sim.o.dr_reorder);
	json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}

static int get_prob(json_value *root, const char *key, double *out)
{
	json_value *v = json_get(root, key);
	double d;

	if (!v)
		return 0;
	if (json_as_double(v, false, &d) < 0 || d < 0 || d > 1)
		return -1;
	*out = d;
	return 0;
}

static int get_int(json_value *root, const char *key, int min, int max, int *out)
{
	json_value *v = json_get(root, key);
	long long d;

	if (!v)
		return 0;
	if (json_as_int(v, false, &d) < 0 || d < min || d > max)
		return -1;
	*out = (int)d;
	return 0;
}

static enum MHD_Result handle_control(struct MHD_Connection *c, const char *method,
				      const char *what, struct req *rq)
{
	struct strbuf out = STRBUF_INIT;
	json_value *root = NULL;
	char err[128];
	enum MHD_Result ret;

	if (!strcmp(what, "state")) {
		if (strcmp(method, "GET"))
			return bad_method(c);
		pthread_mutex_lock(&sim.lock);
		sim_state_json(&out);
		pthread_mutex_unlock(&sim.lock);
		goto ok;
	}
	if (strcmp(what, "credits") && strcmp(what, "revoke") && strcmp(what, "config"))
		return not_found(c);
	if (strcmp(method, "POST"))
		return bad_method(c);
	if (!strcmp(what, "revoke")) {
		struct json_gen *g = json_gen_new(false);
		pthread_mutex_lock(&sim.lock);
		sim.revoke_gen++;
		json_map_open(g);
		json_kv_int(g, "revoked", sim.ntokens);
		json_map_close(g);
		pthread_mutex_unlock(&sim.lock);
		info("all tokens revoked");
		return reply_gen(c, 200, g, NULL);
	}
	root = json_parse(rq->body.buf, rq->body.len, 8, err, sizeof(err));
	if (!json_is_object(root)) {
		ret = sim_error(c, "body must be a JSON object");
		goto out;
	}
	if (!strcmp(what, "credits")) {
		const char *country = json_string(json_get(root, "country"));
		const char *exp = json_string(json_get(root, "expires"));
		const char *cur = json_string(json_get(root, "currency"));
		long long units;
		double amount = -1;
		int64_t e = 0;
		int idx = country ? sim_country_index(country) : -1;

		if (idx < 0) {
			ret = sim_error(c, "country: missing or unknown");
			goto out;
		}
		if (json_as_int(json_get(root, "units"), false, &units) < 0 || units <= 0) {
			ret = sim_error(c, "units: missing or not a positive integer");
			goto out;
		}
		if (json_get(root, "amount") &&
		    json_as_double(json_get(root, "amount"), false, &amount) < 0) {
			ret = sim_error(c, "amount: not a number");
			goto out;
		}
		if (exp && sim_parse_time(exp, &e) < 0) {
			ret = sim_error(c, "expires: bad time");
			goto out;
		}
		pthread_mutex_lock(&sim.lock);
		sim_add_order(idx, units, amount, cur, 0, e);
		sim_admin_contracts(&out, idx, false);
		pthread_mutex_unlock(&sim.lock);
		goto ok;
	}
	/* config */
	{
		struct sim_opts o;
		const char *burst = json_string(json_get(root, "fault_429_burst"));
		int rate;

		pthread_mutex_lock(&sim.lock);
		o = sim.o;
		pthread_mutex_unlock(&sim.lock);
		rate = o.rate;
		if (get_prob(root, "fault_5xx", &o.fault_5xx) < 0 ||
		    get_prob(root, "fault_drop", &o.fault_drop) < 0 ||
		    get_prob(root, "fault_429", &o.fault_429) < 0 ||
		    get_prob(root, "dr_dup", &o.dr_dup) < 0 ||
		    get_prob(root, "dr_waiting", &o.dr_waiting) < 0 ||
		    get_int(root, "rate", 1, 1000000, &rate) < 0 ||
		    get_int(root, "fault_latency_ms", 0, 600000, &o.fault_latency_ms) < 0 ||
		    get_int(root, "dr_delay_ms", 0, 86400000, &o.dr_delay_ms) < 0 ||
		    get_int(root, "token_ttl", 1, 100000000, &o.token_ttl) < 0 ||
		    get_int(root, "fault_revoke", 0, 100000000, &o.revoke_every) < 0) {
			ret = sim_error(c, "bad value (probabilities are 0..1, integers in range)");
			goto out;
		}
		if (burst && sscanf(burst, "%d:%d", &o.burst_every, &o.burst_len) != 2) {
			ret = sim_error(c, "fault_429_burst: expected \"N:M\"");
			goto out;
		}
		pthread_mutex_lock(&sim.lock);
		sim.o.fault_5xx = o.fault_5xx;
		sim.o.fault_drop = o.fault_drop;
		sim.o.fault_429 = o.fault_429;
		sim.o.dr_dup = o.dr_dup;
		sim.o.dr_waiting = o.dr_waiting;
		sim.o.fault_latency_ms = o.fault_latency_ms;
		sim.o.dr_delay_ms = o.dr_delay_ms;
		sim.o.token_ttl = o.token_ttl;
		if (o.revoke_every != sim.o.revoke_every)
			sim.revoke_accepted = 0;
		sim.o.revoke_every = o.revoke_every;
		if (burst) {
			sim.o.burst_every = o.burst_every;
			sim.o.burst_len = o.burst_len;
			sim.burst_accepted = 0;
			sim.burst_left = 0;
		}
		if (rate != sim.o.rate)
			sim_rate_set(rate);
		config_json(&out);
		pthread_mutex_unlock(&sim.lock);
		info("config changed: %s", out.buf);
	}
ok:
	ret = reply(c, 200, &out, NULL);
out:
	json_free(root);
	strbuf_release(&out);
	return ret;
}

/* ---- MHD glue ---- */

static enum MHD_Result dispatch(struct MHD_Connection *c, const char *url, const char *method,
				struct req *rq)
{
	if (sim.o.verbose)
		debug("%s %s", method, url);
	if (starts_with(url, "/_sim/"))
		return handle_control(c, method, url + 6, rq);
	pthread_mutex_lock(&sim.lock);
	sim.requests++;
	pthread_mutex_unlock(&sim.lock);
	if (!strcmp(url, "/oauth/v3/token"))
		return handle_token(c, method, rq);
	if (starts_with(url, "/smsmessaging/v1/outbound/"))
		return route_outbound(c, method, url + 26, rq);
	if (starts_with(url, "/sms/admin/v1/"))
		return handle_admin(c, method, url + 14);
	return not_found(c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;

	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		strbuf_init(&rq->body, 0);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > BODY_MAX)
			rq->too_big = true;
		else
			strbuf_add(&rq->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	if (rq) {
		strbuf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* Keep paths as sent: the sender segment is decoded by route_outbound, so
 * that "tel%3A%2B…" and "tel:+…" are both seen for what they are. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

int sim_http_start(void)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)sim.o.listen_port);
	if (inet_pton(AF_INET, sim.o.listen_host, &sa.sin_addr) != 1)
		return error("--listen: '%s' is not an IPv4 address", sim.o.listen_host);
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				   MHD_USE_ERROR_LOG,
				   (uint16_t)sim.o.listen_port, NULL, NULL, on_request, NULL,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				   MHD_OPTION_THREAD_POOL_SIZE, (unsigned)sim.o.threads,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				   MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
				   MHD_OPTION_END);
	if (!daemon_)
		return error("cannot listen on %s:%d", sim.o.listen_host, sim.o.listen_port);
	return 0;
}

int sim_http_port(void)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : sim.o.listen_port;
}

void sim_http_stop(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
