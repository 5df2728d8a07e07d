/*
 * Orange's JSON: request bodies (built with the generator, never pasted)
 * and the parsers for its answers, in the documented shapes and in the
 * newer top-level-array shape seen in the wild.
 */
#include "orange/internal.h"
#include "core/utf8.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

bool orange_tel_valid(const char *s)
{
	size_t n = 0;

	if (!s || !starts_with(s, "tel:+"))
		return false;
	for (s += 5; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n >= 4 && n <= 15;
}

int orange_send_body_why(const struct orange_sms *sms, char **out, size_t *len,
			 char *why, size_t why_size)
{
	struct json_gen *g;
	struct strbuf sb = STRBUF_INIT;
	const char *bad = NULL;
	int ret = -1;

	if (!orange_tel_valid(sms->sender))
		bad = "sender address must look like tel:+2230000";
	else if (!orange_tel_valid(sms->address))
		bad = "recipient address must look like tel:+22370123456";
	else if (!sms->message || !*sms->message)
		bad = "empty message";
	else if (!utf8_valid(sms->message) ||
		 (sms->sender_name && !utf8_valid(sms->sender_name)) ||
		 (sms->callback_data && !utf8_valid(sms->callback_data)))
		bad = "message or sender name is not valid UTF-8";
	if (bad) {
		snprintf(why, why_size, "%s", bad);
		return -1;
	}
	g = json_gen_new(false);
	json_map_open(g);
	json_key(g, "outboundSMSMessageRequest");
	json_map_open(g);
	json_kv_str(g, "address", sms->address);
	json_kv_str(g, "senderAddress", sms->sender);
	if (sms->sender_name && *sms->sender_name)
		json_kv_str(g, "senderName", sms->sender_name);
	json_key(g, "outboundSMSTextMessage");
	json_map_open(g);
	json_kv_str(g, "message", sms->message);
	json_map_close(g);
	if (sms->callback_data && *sms->callback_data)
		json_kv_str(g, "callbackData", sms->callback_data);
	json_map_close(g);
	json_map_close(g);
	/* The generator validates UTF-8: a bad byte makes this fail. */
	if (json_gen_to_strbuf(g, &sb) < 0) {
		snprintf(why, why_size, "message or sender name is not valid UTF-8");
		goto out;
	}
	if (len)
		*len = sb.len;
	*out = strbuf_detach(&sb, NULL);
	ret = 0;
out:
	json_gen_free(g);
	strbuf_release(&sb);
	return ret;
}

int orange_send_body(const struct orange_sms *sms, char **out, size_t *len)
{
	char why[128];

	if (orange_send_body_why(sms, out, len, why, sizeof(why)) < 0)
		return error("%s", why);
	return 0;
}

/* Last path segment of a URL (query and fragment dropped), malloc'ed
 * into *out; -1 when there is none. */
static int last_segment(const char *url, char **out)
{
	const char *end, *start;

	if (!url || !*url)
		return -1;
	end = url + strcspn(url, "?#");
	while (end > url && end[-1] == '/')
		end--;
	start = end;
	while (start > url && start[-1] != '/')
		start--;
	if (end == start)
		return -1;
	*out = xstrndup(start, (size_t)(end - start));
	return 0;
}

int orange_parse_send_answer(const char *body, size_t len, const char *location,
			     char **resource_id)
{
	json_value *v = NULL;
	const char *url = NULL;
	char err[128];
	int ret = -1;

	*resource_id = NULL;
	if (body && len)
		v = json_parse(body, len, 32, err, sizeof(err));
	/* address may be echoed as a string or an array: it is not needed
	 * here, so its shape never makes an accepted send look failed. */
	url = json_string(json_path(v, "outboundSMSMessageRequest", "resourceURL", NULL));
	if (url && last_segment(url, resource_id) == 0)
		ret = 0;
	else if (location && last_segment(location, resource_id) == 0)
		ret = 0;
	json_free(v);
	return ret;
}

void orange_token_release(struct orange_token *t)
{
	if (!t)
		return;
	if (t->access_token)
		secure_zero(t->access_token, strlen(t->access_token));
	free(t->access_token);
	free(t->token_type);
	memset(t, 0, sizeof(*t));
}

int orange_parse_token(const char *body, size_t len, double now,
		       struct orange_token *out)
{
	json_value *v;
	const char *tok, *type;
	double exp;
	char err[128];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	v = json_parse(body, len, 16, err, sizeof(err));
	if (!v)
		return -1;
	tok = json_string(json_get(v, "access_token"));
	type = json_string(json_get(v, "token_type"));
	/* Documented as a string ("3600"), a number in the live API. */
	if (!tok || !*tok || strpbrk(tok, "\r\n") ||
	    json_as_double(json_get(v, "expires_in"), true, &exp) < 0 || exp <= 0)
		goto out;
	out->access_token = xstrdup(tok);
	out->token_type = xstrdup(type && *type && !strpbrk(type, "\r\n") ? type
								     : ORANGE_TOKEN_TYPE);
	out->expires_at = now + exp;
	ret = 0;
out:
	json_free(v);
	return ret;
}

/* ---- errors ---- */

/* A malloc'ed copy of Orange's text, control characters made spaces. */
static char *clean_dup(const char *src)
{
	char *d = xstrdup(src ? src : ""), *p;

	for (p = d; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return d;
}

/* "Policy error: %1" with variables → "Policy error: No more SMS ...",
 * malloc'ed, control characters made spaces. */
static char *expand_text(const char *text, const json_value *vars)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	char *out;

	for (p = text; *p; p++) {
		if (*p == '%' && isdigit((unsigned char)p[1])) {
			size_t idx = (size_t)(p[1] - '1');
			const char *s = json_string(json_array_at(vars, idx));
			if (s) {
				strbuf_addstr(&sb, s);
				p++;
				continue;
			}
		}
		strbuf_addch(&sb, *p);
	}
	out = clean_dup(sb.buf);
	strbuf_release(&sb);
	return out;
}

/* Replace *field (malloc'ed or NULL) with a malloc'ed copy of text, any
 * receiver path secret masked (orange_mask_url); text is not freed. */
static void set_masked(char **field, const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	orange_mask_url(text, &sb);
	if (*field) {
		secure_zero(*field, strlen(*field));
		free(*field);
	}
	*field = strbuf_detach(&sb, NULL);
}

/* Replace *field (malloc'ed or NULL) with clean_dup(text). */
static void set_clean(char **field, const char *text)
{
	free(*field);
	*field = clean_dup(text);
}

void orange_parse_error_body(const char *body, size_t len, struct orange_error *err)
{
	static const char *const kinds[] = { "policyException", "serviceException" };
	json_value *v, *x = NULL;
	char perr[128], *msg = NULL;
	long long code;
	size_t i;

	if (!body || !len)
		return;
	v = json_parse(body, len, 32, perr, sizeof(perr));
	if (!v)
		return;
	for (i = 0; i < ARRAY_SIZE(kinds) && !x; i++)
		x = json_path(v, "requestError", kinds[i], NULL);
	if (x) {
		const char *id = json_string(json_get(x, "messageId"));
		const char *text = json_string(json_get(x, "text"));
		json_value *vars = json_get(x, "variables");
		struct strbuf sb = STRBUF_INIT;

		set_clean(&err->code, id);
		if (json_is_array(vars)) {
			for (i = 0; i < json_array_len(vars); i++) {
				const char *s = json_string(json_array_at(vars, i));
				if (!s)
					continue;
				if (sb.len)
					strbuf_addstr(&sb, ", ");
				strbuf_addstr(&sb, s);
			}
		} else if (json_string(vars)) {
			strbuf_addstr(&sb, json_string(vars));
		}
		set_clean(&err->variables, sb.buf);
		strbuf_release(&sb);
		if (text)
			msg = expand_text(text, json_is_array(vars) ? vars : NULL);
	} else if (json_string(json_get(v, "error"))) {
		/* OAuth: {"error":"invalid_client","error_description":"..."} */
		const char *d = json_string(json_get(v, "error_description"));
		set_clean(&err->code, json_string(json_get(v, "error")));
		msg = clean_dup(d ? d : err->code);
	} else if (json_as_int(json_get(v, "code"), true, &code) == 0) {
		/* Gateway: {"code":42,"message":"Expired credentials",...} */
		const char *m = json_string(json_get(v, "message"));
		const char *d = json_string(json_get(v, "description"));
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%lld", code);
		set_clean(&err->code, sb.buf);
		strbuf_reset(&sb);
		if (m && d)
			strbuf_addf(&sb, "%s: %s", m, d);
		else
			strbuf_addstr(&sb, m ? m : d ? d : "");
		msg = clean_dup(sb.buf);
		strbuf_release(&sb);
	}
	if (msg) {
		set_masked(&err->message, msg);
		free(msg);
	}
	json_free(v);
}

void orange_error_from_answer(long status, const char *body, size_t len,
			      double retry_after, bool token_call,
			      struct orange_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *what;

	orange_error_release(err);
	err->http_status = (int)status;
	err->retry_after = retry_after > 0 ? retry_after : 0;
	orange_parse_error_body(body, len, err);
	if (!err->code)
		err->code = xstrdup("");
	if (!err->variables)
		err->variables = xstrdup("");
	if (status == 401) {
		if (token_call || !strcmp(err->code, "41") || !*err->code ||
		    !strcmp(err->code, "invalid_client"))
			err->kind = ORANGE_ERR_CREDENTIALS;
		else
			err->kind = ORANGE_ERR_TOKEN_EXPIRED;
		if (!token_call && !strcmp(err->code, "42"))
			err->kind = ORANGE_ERR_TOKEN_EXPIRED;
	} else if (status == 429) {
		err->kind = ORANGE_ERR_RATE_LIMITED;
	} else if (status == 403) {
		/* policyException: no credit left or the contract expired;
		 * any other 403 means the app may not use this API. */
		err->kind = starts_with(err->code, "POL") ? ORANGE_ERR_POLICY
							  : ORANGE_ERR_CREDENTIALS;
	} else if (status == 404) {
		err->kind = ORANGE_ERR_NOT_FOUND;
	} else if (status >= 400 && status < 500) {
		err->kind = ORANGE_ERR_INVALID;
	} else if (status >= 500) {
		err->kind = ORANGE_ERR_SERVER;
		err->maybe_accepted = true;
	} else {
		/* 1xx/3xx where an answer was due: nothing was done on a
		 * redirect, but a 2xx we could not read may have been. */
		err->kind = ORANGE_ERR_PROTOCOL;
		err->maybe_accepted = status < 300 || status >= 400;
	}
	what = err->message; /* already masked, or NULL */
	err->message = NULL;
	strbuf_addf(&sb, "Orange answered HTTP %ld", status);
	if (*err->code)
		strbuf_addf(&sb, " %s", err->code);
	if (what && *what)
		strbuf_addf(&sb, ": %s", what);
	/* Orange may echo a notify URL: its path secret never shows */
	set_masked(&err->message, sb.buf);
	free(what);
	what = xstrdup(err->variables);
	set_masked(&err->variables, what);
	free(what);
	strbuf_release(&sb);
}

/* ---- admin ---- */

/* Year 10000: no later time is a date Orange sends. */
#define MAX_EPOCH 253402300800.0

/* UTC ISO time ("2015-05-01T14:38:14", fraction, Z or ±hh:mm) or a
 * number (epoch seconds, or milliseconds when it is that large). */
static double parse_when(const json_value *v, struct strbuf *text)
{
	double d;
	const char *s;
	struct tm tm;
	int y, mo, da, h = 0, mi = 0, se = 0, n = 0;

	if (json_as_double(v, false, &d) == 0) {
		char buf[64];
		time_t t;
		if (d > 1e11)
			d /= 1000;
		/* found by fuzzing: inf or a huge number is no time (and no
		 * time_t either) */
		if (!(d >= 0 && d < MAX_EPOCH))
			return 0;
		t = (time_t)d;
		if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm))
			strbuf_addstr(text, buf);
		return d;
	}
	s = json_string(v);
	if (!s)
		return 0;
	{
		char *c = clean_dup(s);
		strbuf_addstr(text, c);
		free(c);
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &n) != 3)
		return 0;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2)
			return 0;
		s += 1 + n;
		if (*s == ':' && sscanf(s + 1, "%2d%n", &se, &n) == 1)
			s += 1 + n;
		if (*s == '.' || *s == ',')
			for (s++; isdigit((unsigned char)*s); s++)
				;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	d = (double)timegm(&tm);
	if ((*s == '+' || *s == '-') && isdigit((unsigned char)s[1])) {
		int oh = 0, om = 0;
		if (sscanf(s + 1, "%2d:%2d", &oh, &om) >= 1 ||
		    sscanf(s + 1, "%2d%2d", &oh, &om) >= 1)
			d += (*s == '+' ? -1 : 1) * (oh * 3600.0 + om * 60.0);
	}
	return d;
}

static const char *first_str(const json_value *v, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *s = json_string(json_get(v, *keys));
		if (s)
			return s;
	}
	return NULL;
}

static json_value *first_val(const json_value *v, const char *const *keys)
{
	for (; *keys; keys++) {
		json_value *x = json_get(v, *keys);
		if (x && !json_is_null(x))
			return x;
	}
	return NULL;
}

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void copy_country(char dst[4], const char *s)
{
	size_t i;

	dst[0] = '\0';
	if (!s || strlen(s) != 3 || !isalpha((unsigned char)s[0]) ||
	    !isalpha((unsigned char)s[1]) || !isalpha((unsigned char)s[2]))
		return; /* not an ISO 3166 alpha-3 code: unknown */
	for (i = 0; i < 3; i++)
		dst[i] = (char)toupper((unsigned char)s[i]);
	dst[3] = '\0';
}

/* Growable array of structs. */
struct vec {
	void *items;
	size_t n, alloc, size;
};

static void *vec_push(struct vec *v)
{
	char *p;

	if (v->n == v->alloc) {
		v->alloc = v->alloc ? 2 * v->alloc : 8;
		v->items = xrealloc(v->items, v->alloc * v->size);
	}
	p = (char *)v->items + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}

static void add_contract(struct vec *out, const json_value *sc, const char *service)
{
	struct orange_contract *k;
	long long units;
	const char *s;
	struct strbuf when = STRBUF_INIT;

	if (json_as_int(json_get(sc, "availableUnits"), true, &units) < 0)
		return;
	k = vec_push(out);
	k->available_units = units;
	copy_country(k->country, json_string(json_get(sc, "country")));
	k->contract_id = clean_dup(first_str(sc, KEYS("contractId", "id")));
	s = first_str(sc, KEYS("service", "offerName"));
	k->service = clean_dup(s ? s : service);
	k->status = clean_dup(json_string(json_get(sc, "status")));
	k->expires_at = parse_when(first_val(sc, KEYS("expires", "expirationDate", "expiryDate")),
				   &when);
	k->expires = strbuf_detach(&when, NULL);
	k->description = clean_dup(first_str(sc, KEYS("scDescription", "description",
						      "bundleDescription", "contractDescription")));
}

/* Walk whatever holds contracts: the documented nesting
 * (partnerContracts.contracts[].serviceContracts[]) or a flat array. */
static void walk_contracts(struct vec *out, const json_value *v, const char *service, int depth)
{
	size_t i;

	if (!v || depth > 6)
		return;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_len(v); i++)
			walk_contracts(out, json_array_at(v, i), service, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (json_get(v, "availableUnits")) {
		add_contract(out, v, service);
		return;
	}
	if (json_string(json_get(v, "service")))
		service = json_string(json_get(v, "service"));
	walk_contracts(out, json_get(v, "partnerContracts"), service, depth + 1);
	walk_contracts(out, json_get(v, "contracts"), service, depth + 1);
	walk_contracts(out, json_get(v, "serviceContracts"), service, depth + 1);
}

static json_value *parse_doc(const char *json, size_t len, const char *what)
{
	char err[128];
	json_value *v = json_parse(json, len, 32, err, sizeof(err));

	if (!v)
		error("cannot read Orange's %s answer: %s", what, err);
	return v;
}

int orange_parse_contracts(const char *json, size_t len, struct orange_contract **out, size_t *n)
{
	struct vec vec = { NULL, 0, 0, sizeof(struct orange_contract) };
	json_value *v = parse_doc(json, len, "contracts");

	if (!v)
		return -1;
	if (!json_is_array(v) && !json_get(v, "partnerContracts") && !json_get(v, "contracts")) {
		json_free(v);
		return error("Orange's contracts answer has neither partnerContracts nor a list");
	}
	walk_contracts(&vec, v, NULL, 0);
	json_free(v);
	*out = vec.items;
	*n = vec.n;
	return 0;
}

static void add_usage(struct vec *out, const json_value *x, const char *country)
{
	struct orange_usage *u;
	long long n;

	if (json_as_int(json_get(x, "usage"), true, &n) < 0)
		return;
	u = vec_push(out);
	u->usage = n;
	copy_country(u->country, json_string(json_get(x, "country")) ?
		     json_string(json_get(x, "country")) : country);
	/* the live API's appid may be null: "" */
	u->app_id = clean_dup(first_str(x, KEYS("applicationId", "appId", "appid")));
}

static void walk_usage(struct vec *out, const json_value *v, const char *country, int depth)
{
	size_t i;

	if (!v || depth > 8)
		return;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_len(v); i++)
			walk_usage(out, json_array_at(v, i), country, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (json_get(v, "usage")) {
		add_usage(out, v, country);
		return;
	}
	if (json_string(json_get(v, "country")))
		country = json_string(json_get(v, "country"));
	walk_usage(out, json_get(v, "partnerStatistics"), country, depth + 1);
	walk_usage(out, json_get(v, "statistics"), country, depth + 1);
	walk_usage(out, json_get(v, "serviceStatistics"), country, depth + 1);
	walk_usage(out, json_get(v, "countryStatistics"), country, depth + 1);
}

int orange_parse_statistics(const char *json, size_t len, struct orange_usage **out, size_t *n)
{
	struct vec vec = { NULL, 0, 0, sizeof(struct orange_usage) };
	json_value *v = parse_doc(json, len, "statistics");

	if (!v)
		return -1;
	if (!json_is_array(v) && !json_get(v, "partnerStatistics") && !json_get(v, "statistics")) {
		json_free(v);
		return error("Orange's statistics answer has neither partnerStatistics nor a list");
	}
	walk_usage(&vec, v, NULL, 0);
	json_free(v);
	*out = vec.items;
	*n = vec.n;
	return 0;
}

/* Thousands separators inside a count: space, '.', ',', NBSP, NNBSP. */
static size_t sep_before(const char *start, const char *p)
{
	if (p - start >= 1 && (p[-1] == ' ' || p[-1] == '.' || p[-1] == ','))
		return 1;
	if (p - start >= 2 && (unsigned char)p[-2] == 0xc2 && (unsigned char)p[-1] == 0xa0)
		return 2;
	if (p - start >= 3 && (unsigned char)p[-3] == 0xe2 && (unsigned char)p[-2] == 0x80 &&
	    (unsigned char)p[-1] == 0xaf)
		return 3;
	return 0;
}

long long orange_units_from_description(const char *desc)
{
	const char *p, *q;

	if (!desc)
		return -1;
	for (p = desc; (p = strcasestr(p, "sms")); p += 3) {
		long long val = 0, mul = 1;
		int digits;

		/* "SMS" as a word, preceded by a number */
		if (isalnum((unsigned char)p[3]))
			continue;
		q = p;
		while (q > desc && q[-1] == ' ')
			q--;
		if (q == p || q == desc || !isdigit((unsigned char)q[-1]))
			continue;
		for (digits = 0;;) {
			int group = 0;
			size_t sep;

			while (q > desc && isdigit((unsigned char)q[-1]) && digits < 15) {
				val += (q[-1] - '0') * mul;
				mul *= 10;
				q--;
				digits++;
				group++;
			}
			/* Another group only when this one has 3 digits and a
			 * separator with a digit before it ("1 000 SMS"). */
			if (group != 3)
				break;
			sep = sep_before(desc, q);
			if (!sep || (size_t)(q - desc) <= sep ||
			    !isdigit((unsigned char)q[-(long)sep - 1]))
				break;
			q -= sep;
		}
		return val;
	}
	return -1;
}

static void add_purchase(struct vec *out, const json_value *po)
{
	struct orange_purchase *p = vec_push(out);
	const json_value *ex = json_get(po, "orderExecutioninformation");
	json_value *x;
	long long units, old_units, new_units;
	const char *s;
	struct strbuf when = STRBUF_INIT;

	if (!ex)
		ex = json_get(po, "orderExecutionInformation");
	p->id = clean_dup(first_str(po, KEYS("purchaseOrderId", "id", "orderId")));
	p->bundle_id = clean_dup(json_string(json_get(po, "bundleId")));
	p->description = clean_dup(first_str(po, KEYS("bundleDescription", "description")));
	s = first_str(ex, KEYS("country"));
	copy_country(p->country, s ? s : json_string(json_get(po, "country")));
	s = first_str(ex, KEYS("contractId"));
	p->contract_id = clean_dup(s ? s : json_string(json_get(po, "contractId")));
	x = first_val(ex, KEYS("date"));
	if (!x)
		x = first_val(po, KEYS("date", "purchaseDate", "orderDate", "creationDate"));
	parse_when(x, &when);
	p->date = strbuf_detach(&when, NULL);
	x = first_val(ex, KEYS("amount"));
	if (!x)
		x = first_val(po, KEYS("price", "amount"));
	if (json_as_double(x, true, &p->amount) < 0)
		p->amount = 0;
	s = first_str(ex, KEYS("currency"));
	p->currency = clean_dup(s ? s : json_string(json_get(po, "currency")));
	/* The live API: units bought = newAvailableUnits - oldAvailableUnits. */
	x = first_val(po, KEYS("units", "smsUnits", "bundleUnits"));
	if (json_as_int(x, true, &units) == 0 && units >= 0)
		p->units = units;
	else if (json_as_int(json_get(po, "newAvailableUnits"), true, &new_units) == 0 &&
		 json_as_int(json_get(po, "oldAvailableUnits"), true, &old_units) == 0 &&
		 new_units >= old_units)
		p->units = new_units - old_units;
	else
		p->units = orange_units_from_description(p->description);
}

int orange_parse_purchase_orders(const char *json, size_t len, struct orange_purchase **out, size_t *n)
{
	struct vec vec = { NULL, 0, 0, sizeof(struct orange_purchase) };
	json_value *v = parse_doc(json, len, "purchase orders"), *list;
	size_t i;

	if (!v)
		return -1;
	list = json_is_array(v) ? v : json_get(v, "purchaseOrders");
	if (!json_is_array(list)) {
		json_free(v);
		return error("Orange's purchase orders answer has neither purchaseOrders nor a list");
	}
	for (i = 0; i < json_array_len(list); i++)
		if (json_is_object(json_array_at(list, i)))
			add_purchase(&vec, json_array_at(list, i));
	json_free(v);
	*out = vec.items;
	*n = vec.n;
	return 0;
}

/* ---- delivery-receipt subscriptions ---- */

bool orange_notify_url_ok(const char *url, bool allow_http)
{
	const char *host;

	if (!url)
		return false;
	if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else if (allow_http && !strncasecmp(url, "http://", 7))
		host = url + 7;
	else
		return false;
	if (!*host || *host == '/' || *host == ':' || strpbrk(url, " \t\r\n"))
		return false;
	return true;
}

int orange_dr_body(const char *notify_url, char **out, size_t *len)
{
	struct json_gen *g;
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (!notify_url || !utf8_valid(notify_url))
		return -1;
	g = json_gen_new(false);
	json_map_open(g);
	json_key(g, "deliveryReceiptSubscription");
	json_map_open(g);
	json_key(g, "callbackReference");
	json_map_open(g);
	json_kv_str(g, "notifyURL", notify_url);
	json_map_close(g);
	json_map_close(g);
	json_map_close(g);
	if (json_gen_to_strbuf(g, &sb) == 0) {
		if (len)
			*len = sb.len;
		*out = strbuf_detach(&sb, NULL);
		ret = 0;
	}
	json_gen_free(g);
	strbuf_release(&sb);
	return ret;
}

void orange_subscription_release(struct orange_subscription *s)
{
	if (!s)
		return;
	if (s->notify_url)
		secure_zero(s->notify_url, strlen(s->notify_url));
	free(s->id);
	free(s->notify_url);
	free(s->resource_url);
	memset(s, 0, sizeof(*s));
}

int orange_parse_subscription(const char *json, size_t len, struct orange_subscription *out)
{
	char err[128];
	json_value *v = json_parse(json, len, 16, err, sizeof(err)), *s;
	const char *url, *res;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -1;
	s = json_get(v, "deliveryReceiptSubscription");
	url = json_string(json_path(s, "callbackReference", "notifyURL", NULL));
	res = json_string(json_get(s, "resourceURL"));
	if (!res || last_segment(res, &out->id) < 0)
		goto out;
	out->resource_url = clean_dup(res);
	out->notify_url = url ? clean_dup(url) : NULL;
	ret = 0;
out:
	json_free(v);
	return ret;
}

/* ---- masking ---- */

void orange_mask_url(const char *in, struct strbuf *out)
{
	static const char mark[] = "/orange/dr/";
	const char *p = in, *m;

	if (!in)
		return;
	while ((m = strstr(p, mark))) {
		size_t seg;
		m += strlen(mark);
		strbuf_add(out, p, (size_t)(m - p));
		seg = strcspn(m, "/?#\" ");
		if (seg)
			strbuf_addstr(out, "***");
		p = m + seg;
	}
	strbuf_addstr(out, p);
}
