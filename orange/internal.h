#ifndef ORANGE_INTERNAL_H
#define ORANGE_INTERNAL_H
/* Shared by the files of orange/ only; nothing outside includes this. */
#include "orange/orange.h"
#include "core/strbuf.h"

#include <curl/curl.h>

struct orange_job;
struct orange_slot;

struct orange_client {
	char *api_base;           /* without a trailing '/' */
	char *auth_header;        /* secret */
	char *token_cache;        /* NULL: memory only */
	char cache_key[65];       /* sha256(api_base "\n" auth_header), hex */
	double connect_timeout, timeout, renew_margin;
	int max_parallel;

	struct orange_token tok;  /* in-memory copy; tok_gen counts renewals */
	double tok_obtained;
	bool have_tok;
	unsigned tok_gen;
	bool cache_warned;

	CURL *easy;               /* blocking calls: one keep-alive handle */

	/* async sends */
	CURLM *multi;
	struct orange_job *queue_head, *queue_tail; /* waiting for a slot */
	struct orange_job *active;                  /* in curl multi */
	int n_queued, n_active;
	struct orange_slot *slots;                  /* max_parallel easy handles */
	int *free_slots, n_free_slots;

	struct orange_stats stats;
};

/* A response as read by a transfer. */
struct orange_resp {
	long status;              /* 0: none */
	struct strbuf body;
	char location[1024];
	double retry_after;
	char errbuf[CURL_ERROR_SIZE];
	/*
	 * curl silently repeats a request whose reused connection closed
	 * without an answer.  For a send that would be a second SMS if
	 * Orange had acted on the first: no_resend makes the repeat abort
	 * (attempts counts the tries that went out).
	 */
	bool no_resend;
	int attempts;
};

/* Limit on a response body: Orange's answers are small. */
#define ORANGE_MAX_BODY (4 * 1024 * 1024)

void orange_resp_init(struct orange_resp *r);
void orange_resp_release(struct orange_resp *r);

/* Common options on an easy handle (timeouts, keep-alive, body sink). */
void orange_easy_setup(struct orange_client *c, CURL *e, struct orange_resp *r);
/* Point the handle's sinks at r (and clear r). */
void orange_easy_bind(CURL *e, struct orange_resp *r);
/* After a transfer: headers the caller needs (Location, Retry-After). */
void orange_easy_collect(struct orange_client *c, CURL *e, struct orange_resp *r);

/*
 * Turn a finished transfer into 0 (2xx) or -1 and a typed error.
 * token_call: the answer of /oauth/v3/token (401 = bad credentials).
 */
int orange_classify(CURLcode rc, CURL *e, const struct orange_resp *r,
		    bool token_call, struct orange_error *err);

/* Fill err (message formatted, secrets never included). Returns -1. */
int orange_fail(struct orange_error *err, enum orange_err_kind kind,
		bool maybe_accepted, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Put prefix in front of err->message (truncating the end). */
void orange_err_prefix(struct orange_error *err, const char *prefix);

/* 401 with Orange's code 41/42: the bearer token should be renewed. */
bool orange_err_wants_renewal(const struct orange_error *err);

/* "Authorization: Bearer ..." header list; zeroed and freed by _free. */
struct curl_slist *orange_bearer_headers(const struct orange_client *c,
					 const char *content_type);
void orange_headers_free(struct curl_slist *h);

/*
 * Blocking request with the bearer token; renews the token once on a
 * 401 code 41/42.  body may be NULL (GET/DELETE).  2xx: 0 with r filled.
 */
int orange_call(struct orange_client *c, const char *method, const char *url,
		const char *body, size_t body_len, struct orange_resp *r,
		struct orange_error *err);

/*
 * The bearer token, fresh: from memory, else from the shared cache file,
 * else from Orange (under the cache's lock, so that processes renew it
 * once).  rejected: a token Orange just refused (401 code 41/42): never
 * hand it out again.
 */
int orange_token_get(struct orange_client *c, const char *rejected,
		     struct orange_token *out, struct orange_error *err);

/* api_base + path (path starts with '/'). */
void orange_url(const struct orange_client *c, struct strbuf *sb, const char *path);

/* Error bodies: fill code/message/variables from Orange's JSON. */
void orange_parse_error_body(const char *body, size_t len, struct orange_error *err);

/* orange_send_body() without printing: the reason goes into why. */
int orange_send_body_why(const struct orange_sms *sms, char **out, size_t *len,
			 char *why, size_t why_size);

/* Mask the DR path secret in place into out. */
void orange_mask_into(const char *in, char *out, size_t size);


#endif
