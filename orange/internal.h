#ifndef ORANGE_INTERNAL_H
#define ORANGE_INTERNAL_H
/* Shared by the files of orange/ only; nothing outside includes this. */
#include "orange/orange.h"
#include "core/strbuf.h"

#include <curl/curl.h>

struct orange_job;
struct orange_slot;

/* token.c's state: the current token and how often it changed. */
struct orange_tokens {
	struct orange_token cur;  /* access_token NULL: none yet */
	double obtained;          /* when cur was obtained (epoch s) */
	unsigned gen;             /* counts the tokens adopted */
	unsigned renewed_in_row;  /* renewals on 401 since a request was accepted */
	bool cache_warned;
};

struct orange_client {
	char *api_base;           /* without a trailing '/' */
	char *auth_header;        /* secret */
	char *token_cache;        /* NULL: memory only */
	char cache_key[65];       /* sha256(api_base "\n" auth_header), hex */
	double connect_timeout, timeout, renew_margin;
	int max_parallel;

	struct orange_tokens tokens;  /* owned by token.c */

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
	struct strbuf location;   /* Location header, "" if none */
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
/* Limit on the shared token cache file. */
#define ORANGE_TOKEN_CACHE_MAX (1 << 20)

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

/* Fill err (message formatted, secrets never included; code and
 * variables ""), releasing what it held first. Returns -1. */
int orange_fail(struct orange_error *err, enum orange_err_kind kind,
		bool maybe_accepted, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Put prefix in front of err->message. */
void orange_err_prefix(struct orange_error *err, const char *prefix);

/* 401 with Orange's code 41/42: the bearer token should be renewed. */
bool orange_err_wants_renewal(const struct orange_error *err);

/* "Authorization: <type> <token>" header list for tok; zeroed and freed
 * by orange_headers_free. */
struct curl_slist *orange_bearer_headers(const struct orange_token *tok,
					 const char *content_type);
void orange_headers_free(struct curl_slist *h);

/*
 * One blocking transfer on the client's keep-alive handle: method to url
 * with headers h and body (NULL: none).  A POST that is not the token
 * request is never repeated by curl on a dead reused connection.
 * Returns orange_classify()'s verdict; *r holds the answer either way.
 */
int orange_transfer(struct orange_client *c, const char *method, const char *url,
		    struct curl_slist *h, const char *body, size_t body_len,
		    bool token_call, struct orange_resp *r, struct orange_error *err);

/*
 * One blocking request with the bearer token, never repeated: a 401 code
 * 41/42 renews the token and says send_again (orange_token_refused).
 * body may be NULL (GET/DELETE).  2xx: 0 with r filled.  err not NULL.
 */
int orange_call_once(struct orange_client *c, const char *method, const char *url,
		     const char *body, size_t body_len, struct orange_resp *r,
		     struct orange_error *err);
/*
 * orange_call_once() sent again once when it says send_again: for the
 * account's reads and subscriptions, which no send rate paces (SMS sends
 * use orange_call_once: their caller resends in a slot of its own).
 */
int orange_call(struct orange_client *c, const char *method, const char *url,
		const char *body, size_t body_len, struct orange_resp *r,
		struct orange_error *err);

/*
 * The bearer token, fresh: from memory, else from the shared cache file,
 * else from Orange (under the cache's lock, so that processes renew it
 * once).  rejected: a token Orange just refused (401 code 41/42): never
 * hand it out again.  The token belongs to the client and stays valid
 * until the next call of orange_token_get/orange_token; NULL and *err
 * when there is none.
 */
const struct orange_token *orange_token_get(struct orange_client *c, const char *rejected,
					    struct orange_error *err);
/* Counts the tokens the client adopted: headers built for an older
 * generation carry an older token. */
unsigned orange_token_gen(const struct orange_client *c);
/*
 * A request made with token `used` (generation gen) was refused with a
 * 401 code 41/42 (err holds that answer): renew the token, unless it was
 * renewed since, and set err->send_again when the request may be sent
 * again with a newer token; after ORANGE_RENEWALS_IN_ROW renewals without
 * an accepted request, leave err final.  Nothing is resent here
 * (orange.h: send_again).
 */
void orange_token_refused(struct orange_client *c, const char *used, unsigned gen,
			  struct orange_error *err);
/* A request was accepted: the credentials work. */
void orange_token_worked(struct orange_client *c);
/* Free the client's token state. */
void orange_tokens_release(struct orange_tokens *ts);

/* send.c: fail every request in flight or queued (client being freed). */
void orange_send_abort_all(struct orange_client *c);

/* api_base + path (path starts with '/'). */
void orange_url(const struct orange_client *c, struct strbuf *sb, const char *path);

/* Error bodies: replace code/message/variables (freeing what they held)
 * with those in Orange's JSON; fields the body lacks are left as they
 * were (NULL in a fresh error). */
void orange_parse_error_body(const char *body, size_t len, struct orange_error *err);

/* orange_send_body() without printing: the reason goes into why. */
int orange_send_body_why(const struct orange_sms *sms, char **out, size_t *len,
			 char *why, size_t why_size);



#endif
