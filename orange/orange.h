#ifndef ORANGE_ORANGE_H
#define ORANGE_ORANGE_H
/*
 * Client for the Orange SMS API (../shared/orange-sms-api.txt).
 * The only module that speaks HTTP as a client (libcurl).
 *
 * Every call returns 0 on success or -1 and fills *err (when not NULL)
 * with a typed error the caller can act on.  Secrets (the authorization
 * header, tokens) never appear in err->message or in logs.
 */
#include "core/json.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

enum orange_err_kind {
	ORANGE_OK = 0,
	ORANGE_ERR_CREDENTIALS,   /* 401 invalid_client: the auth header is wrong */
	ORANGE_ERR_TOKEN_EXPIRED, /* 401 code 42, still after one renewal */
	ORANGE_ERR_RATE_LIMITED,  /* 429: slow down; retry_after if given */
	ORANGE_ERR_POLICY,        /* 403 policyException: no credit / expired contract */
	ORANGE_ERR_INVALID,       /* 400 serviceException/requestError: fix the request */
	ORANGE_ERR_NOT_FOUND,     /* 404: unknown subscription etc. */
	ORANGE_ERR_SERVER,        /* 5xx */
	ORANGE_ERR_NETWORK,       /* connect/DNS failure, timeout, reset */
	ORANGE_ERR_PROTOCOL,      /* an answer we cannot understand */
	ORANGE_ERR_CONFIG,        /* no credentials, bad URL (nothing was sent) */
};

struct orange_error {
	enum orange_err_kind kind;
	int http_status;          /* 0 when no response was received */
	/*
	 * True when Orange may have acted on the request although we got no
	 * success answer (timeout after the request was sent, connection reset
	 * after sending, 5xx).  False means it surely did not: safe to resend.
	 */
	bool maybe_accepted;
	/*
	 * True when Orange refused the request only because its token had
	 * expired or was revoked (401 code 41/42), and the client has renewed
	 * the token since: nothing was accepted, and the same request may be
	 * sent again.  The client never does so itself: a caller that paces
	 * its requests (the shared 5/s limit) sends it again in a slot of its
	 * own.  Without a renewal (the renewal failed, or the last
	 * ORANGE_RENEWALS_IN_ROW renewals brought no accepted request) the
	 * error is final.
	 */
	bool send_again;
	double retry_after;       /* seconds from Retry-After, 0 if absent */
	/*
	 * Texts of any length, malloc'ed and owned by the error; NULL in an
	 * error that was never filled, never NULL ("" when absent) once a
	 * call failed.  Ownership: start from ORANGE_ERROR_INIT; a call that
	 * fills err frees what it held first, so one err may serve many
	 * calls; the holder calls orange_error_release() once when done.
	 * Copy with orange_error_copy(), never by assignment.
	 */
	char *code;               /* Orange's error code / messageId, if any */
	char *message;            /* human readable, no secrets */
	char *variables;          /* policyException detail ("variables") */
};
#define ORANGE_ERROR_INIT { 0 }
/* Renewals on 401 in a row with no request accepted between them, after
 * which a refusal is final: the credentials, not the token, are wrong
 * (tokens that Orange revokes often still let requests through between
 * two renewals). */
#define ORANGE_RENEWALS_IN_ROW 3
/* Free err's texts and reset it to ORANGE_ERROR_INIT; NULL is a no-op. */
void orange_error_release(struct orange_error *err);
/* Make dst a deep copy of src, releasing what dst held first (dst must
 * be ORANGE_ERROR_INIT or a filled error). */
void orange_error_copy(struct orange_error *dst, const struct orange_error *src);

const char *orange_err_name(enum orange_err_kind kind);
/* True when retrying the same request later may succeed. */
bool orange_err_retryable(const struct orange_error *err);

struct orange_client;

struct orange_client_opts {
	const char *api_base;     /* "https://api.orange.com" */
	const char *auth_header;  /* "Basic ..." (secret) */
	const char *token_cache;  /* file shared by processes, NULL = none */
	double connect_timeout;   /* seconds, 0 = 10 */
	double timeout;           /* whole request, seconds, 0 = 30 */
	int max_parallel;         /* concurrent async sends, 0 = 8 */
	/* Added: renew this many seconds before expiry; 0 = the smaller of
	 * 60 s and 10% of the token's lifetime. */
	double renew_margin;
};

struct orange_client *orange_client_new(const struct orange_client_opts *opts);
void orange_client_free(struct orange_client *c);

/*
 * Added: a client from griot's configuration (api_base, the auth header
 * via config_auth_header(), token_cache); NULL after error() when there
 * are no usable credentials (the CLI maps that to EX_CONFIG).
 */
struct griot_config;
struct orange_client *orange_client_from_config(struct griot_config *cfg,
						double timeout, int max_parallel);

/* Added: counters, for tests and progress lines. */
struct orange_stats {
	unsigned long token_requests;   /* POSTs to /oauth/v3/token */
	unsigned long token_from_cache; /* tokens taken from the shared file */
	unsigned long renewals_on_401;  /* renewals caused by code 41/42 */
	unsigned long requests;         /* API requests sent (not token) */
	unsigned long connects;         /* new connections (keep-alive reuses) */
};
void orange_client_stats(const struct orange_client *c, struct orange_stats *out);

/*
 * Added: the error kind of a failure (core/status.h), which builtin/
 * turns into an exit code: GRIOT_ERR_PERM credentials or policy refused,
 * GRIOT_ERR_TEMPFAIL rate-limited or failing, GRIOT_ERR_ORANGE
 * unreachable, GRIOT_ERR_DATA request refused, GRIOT_ERR_PROTOCOL,
 * GRIOT_ERR_CONFIG.
 */
enum griot_err orange_err_kind(const struct orange_error *err);
/* For commands: print err with error() (and Retry-After as a hint),
 * return its kind. */
enum griot_err orange_err_report(const struct orange_error *err);

/*
 * Added: append url to out with the receiver's path secret hidden:
 * everything after "/orange/dr/" up to the next '/', '?' or '#' becomes
 * "***".  url NULL: nothing.
 */
struct strbuf;
void orange_mask_url(const char *url, struct strbuf *out);

/* ---- token ---- */
/* The type used when Orange does not name one. */
#define ORANGE_TOKEN_TYPE "Bearer"
struct orange_token {
	char *access_token;       /* secret, any length (the live API: a JWT) */
	char *token_type;
	double expires_at;        /* epoch seconds */
};
/* Zero the secret and free the strings; t may be NULL or empty. */
void orange_token_release(struct orange_token *t);
/* Current token (cached in memory and in the shared cache file, renewed
 * ahead of expiry); force = renew now.  *out (may be NULL) receives a
 * copy: orange_token_release() it. */
int orange_token(struct orange_client *c, bool force, struct orange_token *out,
		 struct orange_error *err);

/* ---- send ---- */
/* "tel:+" then 4 to 15 digits: the API's form of sender and recipient
 * addresses, in paths and bodies. */
bool orange_tel_valid(const char *s);

struct orange_sms {
	const char *sender;       /* "tel:+2230000" */
	const char *address;      /* "tel:+22370123456" */
	const char *message;
	const char *sender_name;  /* optional */
	const char *callback_data;/* optional */
};
/*
 * Blocking send; *resource_id receives Orange's id on success (malloc'ed,
 * free() it).
 * A send is never repeated behind the caller's back: when a kept-alive
 * connection dies after the request left, curl's automatic retry is
 * refused and the error says maybe_accepted (the caller decides); a
 * refused token is renewed and the error says send_again.
 */
int orange_send(struct orange_client *c, const struct orange_sms *sms,
		char **resource_id, struct orange_error *err);

/*
 * Asynchronous sends over a pool of keep-alive connections (curl multi):
 * submit queues one request (the strings are copied), run drives them for
 * up to timeout seconds and calls done() for each that finished.  done()
 * gets resource_id on success, else err.  run returns the number still in
 * flight, or -1.  A 401 for an expired or revoked token renews the token
 * (once for all the requests that used it) and reaches done() with
 * err->send_again: one submit, at most one request on the wire.
 *
 * At most max_parallel requests are on the wire; the rest wait in a
 * queue (counted by orange_send_in_flight).  run returns early, once at
 * least one done() was called, so that the caller can submit more and
 * keep the pipe full; loop while it returns > 0 to drain everything.
 * done() may call orange_send_submit().  A submit with invalid input
 * (not tel:+digits, empty message, bad UTF-8) is reported through done()
 * with ORANGE_ERR_INVALID during the next run; submit itself returns -1
 * only on misuse (NULL arguments).  err is lent for the call only:
 * done() keeps it with orange_error_copy(), never by assignment.
 */
typedef void (*orange_send_done_fn)(void *arg, const char *resource_id,
				    const struct orange_error *err);
int orange_send_submit(struct orange_client *c, const struct orange_sms *sms,
		       orange_send_done_fn done, void *arg);
int orange_send_run(struct orange_client *c, double timeout);
/* orange_send_run() that also returns as soon as fd is readable (a
 * caller's other connection; -1: none), even with nothing in flight. */
int orange_send_run_fd(struct orange_client *c, double timeout, int fd);
int orange_send_in_flight(const struct orange_client *c);

/* Build the documented send body with the JSON generator; for tests. */
int orange_send_body(const struct orange_sms *sms, char **out, size_t *len);
/* The resource id from a 201 answer: resourceURL, else the Location
 * header; address may be echoed as a string or an array.  0 with
 * *resource_id malloc'ed, or -1 (*resource_id NULL). */
int orange_parse_send_answer(const char *body, size_t len, const char *location,
			     char **resource_id);

/* Added: the token answer; expires_in may be a number or a string.
 * expires_at = now + expires_in.  0 (release *out), or -1 (missing or
 * invalid fields; *out left empty). */
int orange_parse_token(const char *body, size_t len, double now,
		       struct orange_token *out);

/*
 * Added: fill err from a non-2xx answer (status, body, Retry-After in
 * seconds or 0).  token_call: the answer came from /oauth/v3/token.
 * Exposed so that tests can check the mapping on fixtures.
 */
void orange_error_from_answer(long status, const char *body, size_t len,
			      double retry_after, bool token_call,
			      struct orange_error *err);

/* ---- admin ---- */
/* Strings are malloc'ed ("" when Orange gave none); release arrays with
 * orange_*_free(). */
struct orange_contract {
	char country[4];          /* ISO 3166 alpha-3, upper case; "" if unknown */
	char *contract_id;
	char *service;            /* offerName / service, e.g. SMS_OCB */
	char *status;             /* ACTIVE, EXPIRED ("" when not given) */
	long long available_units;
	char *expires;            /* as sent, e.g. 2023-09-25T23:59:59.000Z */
	double expires_at;        /* epoch seconds (UTC), 0 if unknown */
	char *description;
};
struct orange_usage {
	char country[4];
	char *app_id;             /* "" when Orange sends null */
	long long usage;
};
struct orange_purchase {
	char *id;
	char country[4];
	char *bundle_id;
	char *description;
	char *date;
	double amount;
	char *currency;
	long long units;          /* SMS in the bundle, -1 if unknown */
	char *contract_id;
};
void orange_contracts_free(struct orange_contract *k, size_t n);
void orange_usage_free(struct orange_usage *u, size_t n);
void orange_purchases_free(struct orange_purchase *p, size_t n);

/*
 * The one rule for credit: the units of a contract that can be spent at
 * time now; 0 when it is EXPIRED (Orange's status) or past its
 * expiration date, however many units it still shows.
 */
long long orange_contract_spendable(const struct orange_contract *k, double now);

/*
 * griot's own JSON form of each admin struct (the CLI's --json, the
 * report's cache): the key/values of one item into an open map, and the
 * array back.  The only place where these fields are written out.
 */
void orange_contract_kv(struct json_gen *g, const struct orange_contract *k);
void orange_usage_kv(struct json_gen *g, const struct orange_usage *u);
void orange_purchase_kv(struct json_gen *g, const struct orange_purchase *p);
int orange_contracts_from_json(const json_value *arr, struct orange_contract **out, size_t *n);
int orange_usage_from_json(const json_value *arr, struct orange_usage **out, size_t *n);
int orange_purchases_from_json(const json_value *arr, struct orange_purchase **out, size_t *n);

/* country/appid filters are optional (NULL).  *out is malloc'ed. */
int orange_contracts(struct orange_client *c, const char *country,
		     struct orange_contract **out, size_t *n, struct orange_error *err);
int orange_statistics(struct orange_client *c, const char *country, const char *appid,
		      struct orange_usage **out, size_t *n, struct orange_error *err);
int orange_purchase_orders(struct orange_client *c, const char *country,
			   struct orange_purchase **out, size_t *n, struct orange_error *err);
/* Parsers: the live shapes (top-level arrays) and the documented ones. */
int orange_parse_contracts(const char *json, size_t len, struct orange_contract **out, size_t *n);
int orange_parse_statistics(const char *json, size_t len, struct orange_usage **out, size_t *n);
int orange_parse_purchase_orders(const char *json, size_t len, struct orange_purchase **out, size_t *n);
/* Added: SMS count in a bundle description ("Bundle 2 - 500 SMS for
 * 15 000 FCFA)" -> 500; "1 000 SMS" -> 1000), -1 if none. */
long long orange_units_from_description(const char *desc);

/* ---- delivery-receipt subscriptions ---- */
struct orange_subscription {
	char *id;
	char *notify_url;         /* may hold the path secret */
	char *resource_url;       /* NULL if Orange gave none */
};
void orange_subscription_release(struct orange_subscription *s);
/* notify_url must be https:// unless allow_http. */
int orange_dr_subscribe(struct orange_client *c, const char *sender, const char *notify_url,
			bool allow_http, struct orange_subscription *out, struct orange_error *err);
int orange_dr_check(struct orange_client *c, const char *id,
		    struct orange_subscription *out, struct orange_error *err);
int orange_dr_unsubscribe(struct orange_client *c, const char *sender, const char *id,
			  struct orange_error *err);
/* Added: the subscribe body (generator) and the subscribe/check answer
 * (id = last segment of resourceURL).  0 or -1. */
int orange_dr_body(const char *notify_url, char **out, size_t *len);
int orange_parse_subscription(const char *json, size_t len,
			      struct orange_subscription *out);
/* Added: true when url is acceptable as a notifyURL (https://host...,
 * or http:// when allow_http). */
bool orange_notify_url_ok(const char *url, bool allow_http);

#endif
