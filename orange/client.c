/*
 * The client object, the transfer plumbing shared by every call, and the
 * mapping of transport failures and HTTP answers to typed errors.
 */
#include "orange/internal.h"
#include "core/config.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef GRIOT_VERSION
#define GRIOT_VERSION "dev"
#endif

static const char *const err_names[] = {
	[ORANGE_OK] = "ok",
	[ORANGE_ERR_CREDENTIALS] = "bad-credentials",
	[ORANGE_ERR_TOKEN_EXPIRED] = "token-expired",
	[ORANGE_ERR_RATE_LIMITED] = "rate-limited",
	[ORANGE_ERR_POLICY] = "no-credit",
	[ORANGE_ERR_INVALID] = "invalid-request",
	[ORANGE_ERR_NOT_FOUND] = "not-found",
	[ORANGE_ERR_SERVER] = "server-error",
	[ORANGE_ERR_NETWORK] = "network-error",
	[ORANGE_ERR_PROTOCOL] = "protocol-error",
	[ORANGE_ERR_CONFIG] = "config-error",
};

const char *orange_err_name(enum orange_err_kind kind)
{
	if ((unsigned)kind < ARRAY_SIZE(err_names) && err_names[kind])
		return err_names[kind];
	return "unknown";
}

bool orange_err_retryable(const struct orange_error *err)
{
	switch (err->kind) {
	case ORANGE_ERR_RATE_LIMITED:
	case ORANGE_ERR_SERVER:
	case ORANGE_ERR_NETWORK:
	case ORANGE_ERR_TOKEN_EXPIRED:
		return true;
	default:
		return false;
	}
}

enum griot_err orange_err_kind(const struct orange_error *err)
{
	switch (err->kind) {
	case ORANGE_OK: return GRIOT_OK;
	case ORANGE_ERR_CREDENTIALS:          /* the configured credentials are wrong */
	case ORANGE_ERR_TOKEN_EXPIRED: return GRIOT_ERR_CONFIG;
	case ORANGE_ERR_POLICY: return GRIOT_ERR_PERM;
	case ORANGE_ERR_RATE_LIMITED:
	case ORANGE_ERR_SERVER: return GRIOT_ERR_TEMPFAIL;
	case ORANGE_ERR_NETWORK: return GRIOT_ERR_ORANGE;
	case ORANGE_ERR_INVALID:
	case ORANGE_ERR_NOT_FOUND: return GRIOT_ERR_DATA;
	case ORANGE_ERR_PROTOCOL: return GRIOT_ERR_PROTOCOL;
	case ORANGE_ERR_CONFIG: return GRIOT_ERR_CONFIG;
	}
	return GRIOT_ERR_INTERNAL;
}

enum griot_err orange_err_report(const struct orange_error *err)
{
	error("%s", err->message ? err->message : "");
	if (err->kind == ORANGE_ERR_RATE_LIMITED && err->retry_after > 0)
		fprintf(stderr, "hint: Orange asks to retry after %.0f s\n", err->retry_after);
	return orange_err_kind(err);
}

void orange_error_release(struct orange_error *err)
{
	if (!err)
		return;
	free(err->code);
	free(err->message);
	free(err->variables);
	memset(err, 0, sizeof(*err));
}

/* A malloc'ed copy of s, or NULL when s is. */
static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void orange_error_copy(struct orange_error *dst, const struct orange_error *src)
{
	struct orange_error tmp = *src;

	tmp.code = dup_or_null(src->code);
	tmp.message = dup_or_null(src->message);
	tmp.variables = dup_or_null(src->variables);
	orange_error_release(dst);
	*dst = tmp;
}

int orange_fail(struct orange_error *err, enum orange_err_kind kind,
		bool maybe_accepted, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (!err)
		return -1;
	orange_error_release(err);
	err->kind = kind;
	err->maybe_accepted = maybe_accepted;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err->message = strbuf_detach(&sb, NULL);
	err->code = xstrdup("");
	err->variables = xstrdup("");
	return -1;
}

void orange_err_prefix(struct orange_error *err, const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;

	if (!err)
		return;
	strbuf_addf(&sb, "%s%s", prefix, err->message ? err->message : "");
	free(err->message);
	err->message = strbuf_detach(&sb, NULL);
}

bool orange_err_wants_renewal(const struct orange_error *err)
{
	return err->http_status == 401 && err->code &&
	       (!strcmp(err->code, "41") || !strcmp(err->code, "42"));
}

/* ---- client ---- */

static bool base_ok(const char *b)
{
	return b && (!strncasecmp(b, "https://", 8) || !strncasecmp(b, "http://", 7)) &&
	       !strpbrk(b, " \t\r\n?#");
}

struct orange_client *orange_client_new(const struct orange_client_opts *opts)
{
	struct orange_client *c;
	struct strbuf key = STRBUF_INIT;
	size_t n;

	if (!opts->auth_header || !*opts->auth_header) {
		error("no Orange authorization header");
		return NULL;
	}
	if (strpbrk(opts->auth_header, "\r\n")) {
		error("the Orange authorization header holds a line break");
		return NULL;
	}
	if (!base_ok(opts->api_base)) {
		error("Orange API base must be an http(s):// URL without query");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->api_base = xstrdup(opts->api_base);
	n = strlen(c->api_base);
	while (n > 0 && c->api_base[n - 1] == '/')
		c->api_base[--n] = '\0';
	c->auth_header = xstrdup(opts->auth_header);
	c->token_cache = opts->token_cache && *opts->token_cache ? xstrdup(opts->token_cache) : NULL;
	c->connect_timeout = opts->connect_timeout > 0 ? opts->connect_timeout : 10;
	c->timeout = opts->timeout > 0 ? opts->timeout : 30;
	c->max_parallel = opts->max_parallel > 0 ? opts->max_parallel : 8;
	c->renew_margin = opts->renew_margin > 0 ? opts->renew_margin : 0;
	/* The cache is keyed by where and who: switching account or API
	 * never reuses a token, and the header itself is never stored. */
	strbuf_addf(&key, "%s\n%s", c->api_base, c->auth_header);
	sha256_hex_of(key.buf, key.len, c->cache_key);
	secure_zero(key.buf, key.len);
	strbuf_release(&key);

	c->easy = curl_easy_init();
	if (!c->easy)
		die_oom();
	return c;
}

void orange_client_free(struct orange_client *c)
{
	if (!c)
		return;
	orange_send_abort_all(c);
	curl_easy_cleanup(c->easy);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	secure_zero(c->auth_header, strlen(c->auth_header));
	free(c->auth_header);
	free(c->api_base);
	free(c->token_cache);
	orange_tokens_release(&c->tokens);
	free(c);
}

struct orange_client *orange_client_from_config(struct griot_config *cfg,
						double timeout, int max_parallel)
{
	struct orange_client_opts o;
	const char *auth;

	if (config_auth_header(cfg, &auth) < 0)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.api_base = cfg->api_base ? cfg->api_base : "https://api.orange.com";
	o.auth_header = auth;
	o.token_cache = cfg->token_cache;
	o.timeout = timeout;
	o.max_parallel = max_parallel;
	return orange_client_new(&o);
}

void orange_client_stats(const struct orange_client *c, struct orange_stats *out)
{
	*out = c->stats;
}

void orange_url(const struct orange_client *c, struct strbuf *sb, const char *path)
{
	strbuf_addstr(sb, c->api_base);
	strbuf_addstr(sb, path);
}

/* ---- transfers ---- */

void orange_resp_init(struct orange_resp *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body, 0);
	strbuf_init(&r->location, 0);
}

void orange_resp_release(struct orange_resp *r)
{
	strbuf_release(&r->body);
	strbuf_release(&r->location);
}

static void resp_reset(struct orange_resp *r)
{
	r->status = 0;
	strbuf_reset(&r->body);
	strbuf_reset(&r->location);
	r->retry_after = 0;
	r->errbuf[0] = '\0';
	r->no_resend = false;
	r->attempts = 0;
}

/* Called before each try of a request, on a new or reused connection. */
static int on_prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct orange_resp *r = arg;

	if (r->no_resend && r->attempts > 0)
		return CURL_PREREQFUNC_ABORT;
	r->attempts++;
	return CURL_PREREQFUNC_OK;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct orange_resp *r = arg;
	size_t n = size * nmemb;

	if (r->body.len + n > ORANGE_MAX_BODY)
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	strbuf_add(&r->body, p, n);
	return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct orange_resp *r = arg;
	size_t n = size * nmemb, k;
	struct strbuf val = STRBUF_INIT;
	const char *v;

	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the old one */
		strbuf_reset(&r->location);
		r->retry_after = 0;
		return n;
	}
	v = memchr(p, ':', n);
	if (!v)
		return n;
	k = (size_t)(v - p);
	for (v++; v < p + n && (*v == ' ' || *v == '\t'); v++)
		;
	strbuf_add(&val, v, (size_t)(p + n - v));
	strbuf_setlen(&val, strcspn(val.buf, "\r\n"));
	if (k == 8 && !strncasecmp(p, "location", 8)) {
		strbuf_reset(&r->location);
		strbuf_add(&r->location, val.buf, val.len);
	} else if (k == 11 && !strncasecmp(p, "retry-after", 11)) {
		double d;
		if (parse_double(val.buf, &d) == 0 && d >= 0) {
			r->retry_after = d;
		} else {
			time_t t = curl_getdate(val.buf, NULL);
			if (t > 0)
				r->retry_after = t > time(NULL) ? (double)(t - time(NULL)) : 0;
		}
	}
	strbuf_release(&val);
	return n;
}

void orange_easy_setup(struct orange_client *c, CURL *e, struct orange_resp *r)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(e, CURLOPT_USERAGENT, "griot/" GRIOT_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	/* Do not keep connections Orange may be about to close as idle. */
	curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, 30L);
	orange_easy_bind(e, r);
}

void orange_easy_bind(CURL *e, struct orange_resp *r)
{
	resp_reset(r);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
}

void orange_easy_collect(struct orange_client *c, CURL *e, struct orange_resp *r)
{
	long st = 0, conns = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	r->status = st;
	if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0)
		c->stats.connects += (unsigned long)conns;
}

/*
 * Transport failures: did the request leave?  Before the first byte
 * of the request was written (DNS, refused, TLS handshake, connect
 * timeout) Orange surely did nothing.  After it, a timeout, a reset
 * or an empty reply leaves the outcome unknown.
 */
static int classify_transport(CURLcode rc, CURL *e, const struct orange_resp *r,
			      struct orange_error *err)
{
	long reqsize = 0;
	bool sent;
	const char *what = curl_easy_strerror(rc);
	const char *detail = r->errbuf[0] ? r->errbuf : what;

	curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &reqsize);
	sent = reqsize > 0;
	if (rc == CURLE_ABORTED_BY_CALLBACK && r->no_resend && r->attempts > 0) {
		orange_fail(err, ORANGE_ERR_NETWORK, true,
			    "the connection closed without an answer after the request "
			    "was sent; not sent again, Orange may have accepted it");
		return -1;
	}
	switch (rc) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return orange_fail(err, ORANGE_ERR_CONFIG, false, "bad Orange URL: %s", detail);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return orange_fail(err, ORANGE_ERR_NETWORK, false,
				   "cannot reach Orange (nothing was sent): %s", detail);
	case CURLE_WRITE_ERROR:
		/* the answer was too large: something answered */
		orange_fail(err, ORANGE_ERR_PROTOCOL, true, "Orange's answer is too large");
		err->http_status = (int)r->status;
		return -1;
	default:
		break;
	}
	if (r->status >= 400 && r->status < 500) {
		/* a refusal whose body was cut: still a refusal */
		orange_error_from_answer(r->status, r->body.buf, r->body.len,
					 r->retry_after, false, err);
		return -1;
	}
	orange_fail(err, ORANGE_ERR_NETWORK, sent || r->status > 0,
		    "%s talking to Orange%s: %s", what,
		    sent ? " after the request was sent" : " before the request was sent",
		    detail);
	err->http_status = (int)r->status;
	return -1;
}

int orange_classify(CURLcode rc, CURL *e, const struct orange_resp *r,
		    bool token_call, struct orange_error *err)
{
	struct orange_error tmp = ORANGE_ERROR_INIT;
	int ret = -1;

	if (!err)
		err = &tmp;
	if (rc != CURLE_OK) {
		ret = classify_transport(rc, e, r, err);
		goto out;
	}
	if (r->status >= 200 && r->status < 300) {
		orange_error_release(err);
		err->http_status = (int)r->status;
		ret = 0;
		goto out;
	}
	orange_error_from_answer(r->status, r->body.buf, r->body.len, r->retry_after,
				 token_call, err);
out:
	orange_error_release(&tmp);
	return ret;
}

struct curl_slist *orange_bearer_headers(const struct orange_token *tok,
					 const char *content_type)
{
	struct strbuf sb = STRBUF_INIT;
	struct curl_slist *h = NULL;

	strbuf_addf(&sb, "Authorization: %s %s",
		    tok->token_type && *tok->token_type ? tok->token_type : ORANGE_TOKEN_TYPE,
		    tok->access_token);
	h = curl_slist_append(h, sb.buf);
	secure_zero(sb.buf, sb.len);
	strbuf_release(&sb);
	h = curl_slist_append(h, "Accept: application/json");
	if (content_type) {
		strbuf_addf(&sb, "Content-Type: %s", content_type);
		h = curl_slist_append(h, sb.buf);
		strbuf_release(&sb);
	}
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (!h)
		die_oom();
	return h;
}

void orange_headers_free(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p; p = p->next)
		secure_zero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

int orange_transfer(struct orange_client *c, const char *method, const char *url,
		    struct curl_slist *h, const char *body, size_t body_len,
		    bool token_call, struct orange_resp *r, struct orange_error *err)
{
	CURLcode rc;
	int ret;

	curl_easy_reset(c->easy);
	orange_easy_setup(c, c->easy, r);
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)body_len);
		/* POSTs act: never repeat one blindly (the token request
		 * only hands out a token, curl may repeat it) */
		r->no_resend = !token_call;
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c->easy);
	orange_easy_collect(c, c->easy, r);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	ret = orange_classify(rc, c->easy, r, token_call, err);
	return ret;
}

int orange_call_once(struct orange_client *c, const char *method, const char *url,
		     const char *body, size_t body_len, struct orange_resp *r,
		     struct orange_error *err)
{
	const struct orange_token *tok;
	struct curl_slist *h;
	char *used = NULL;
	unsigned gen;
	int ret = -1;

	tok = orange_token_get(c, NULL, err);
	if (!tok) {
		/* whatever happened to the token request, this one never
		 * left: surely not accepted */
		if (err->maybe_accepted)
			orange_err_prefix(err, "not sent, no token: ");
		err->maybe_accepted = false;
		goto out;
	}
	gen = orange_token_gen(c);
	h = orange_bearer_headers(tok, body ? "application/json" : NULL);
	c->stats.requests++;
	ret = orange_transfer(c, method, url, h, body, body_len, false, r, err);
	orange_headers_free(h);
	if (ret == 0) {
		orange_token_worked(c);
		goto out;
	}
	if (!orange_err_wants_renewal(err))
		goto out;
	used = xstrdup(tok->access_token);
	orange_token_refused(c, used, gen, err);
out:
	if (used)
		secure_zero(used, strlen(used));
	free(used);
	return ret;
}

int orange_call(struct orange_client *c, const char *method, const char *url,
		const char *body, size_t body_len, struct orange_resp *r,
		struct orange_error *err)
{
	struct orange_error tmp = ORANGE_ERROR_INIT;
	int ret;

	if (!err)
		err = &tmp;
	ret = orange_call_once(c, method, url, body, body_len, r, err);
	if (ret < 0 && err->send_again)
		ret = orange_call_once(c, method, url, body, body_len, r, err);
	orange_error_release(&tmp);
	return ret;
}
