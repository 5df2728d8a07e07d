#ifndef TESTS_SIM_SIM_H
#define TESTS_SIM_SIM_H
/*
 * orange-sim: a strict local stand-in for the Orange SMS API
 * (../shared/orange-sms-api.txt), used by tests, the demo and benches.
 * All mutable state lives in `struct sim` under sim.lock; the DR queue has
 * its own lock so the delivery thread never holds the state lock while it
 * talks HTTP.  docs/orange-sim.md describes options and formats.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct strbuf;

#define SIM_NCOUNTRIES 12
#define SIM_ADDR_MAX 24          /* "tel:+" and at most 15 digits */
#define SIM_ID_LEN 37            /* UUID text and NUL */
#define SIM_DR_MAX_THREADS 64    /* --dr-threads bound */
#define SIM_TOKEN_LEN_LIVE 600   /* the live API's ES384 JWT */
#define SIM_TOKEN_LEN_DOCUMENTED 28

enum sim_dr_status {
	DR_DELIVERED_TO_TERMINAL = 0,
	DR_DELIVERED_TO_NETWORK,
	DR_DELIVERY_UNCERTAIN,
	DR_DELIVERY_IMPOSSIBLE,
	DR_MESSAGE_WAITING,
	DR_NSTATUS
};
extern const char *const sim_dr_status_names[DR_NSTATUS];

struct sim_country {
	const char *iso3;
	const char *cc;          /* calling code */
	const char *name;
	const char *currency;
};
extern const struct sim_country sim_countries[SIM_NCOUNTRIES];
/* Index of the country of a "tel:+digits" address, or -1. */
int sim_country_of(const char *address);
/* Index of an ISO3 code, or -1. */
int sim_country_index(const char *iso3);

/* One purchase order (a bundle of units for a country). */
struct sim_order {
	char id[16];
	char bundle_id[SIM_ID_LEN];
	int country;
	long long units;
	double amount;
	char currency[8];
	int64_t date;            /* epoch seconds */
	int64_t expires;         /* epoch seconds */
	/* the contract before and after (live purchase-order fields) */
	long long old_units, new_units;
	int64_t old_expires;     /* 0: none (the first order) */
	int64_t new_expires;
};

/* Per-country contract: what is left and until when. */
struct sim_contract {
	bool exists;
	char id[SIM_ID_LEN];
	long long available;
	long long bought;
	long long used;          /* units consumed by accepted messages */
	long long messages;      /* accepted messages */
	int64_t expires;
	int64_t created, updated;
	long long requested;     /* units of every order */
	double price;            /* sum of order amounts */
	char currency[8];
};

struct sim_token {
	struct sim_token *next;
	char *value;             /* JWT-like text, token_length characters */
	double expires;          /* epoch seconds */
	unsigned revoke_gen;
};

struct sim_rate {
	int64_t *ts;             /* microseconds of the last `cap` accepts */
	int cap;
	int head;                /* index of the oldest */
	int count;
};

struct sim_opts {
	const char *listen_host;
	int listen_port;
	const char *auth_header;
	const char *ledger_path;
	const char *public_base;  /* overrides http://host:port in URLs */
	int rate;
	int token_ttl;
	int token_length;        /* characters of access_token */
	int token_rate;          /* token requests per minute; beyond it 429 */
	bool documented;         /* --shapes documented: the portal page's shapes */
	bool expires_in_number;
	const char *sender_names; /* comma list or NULL */
	const char *app_id;
	const char *partner_id;
	bool admin_array;
	const char *echo_address; /* "string", "array", "none" */
	/* DR */
	const char *dr_url;
	int dr_delay_ms;
	int dr_weights[DR_NSTATUS];
	double dr_dup;
	bool dr_reorder;
	double dr_waiting;
	bool allow_http_notify;
	int dr_retry_base_ms;
	int dr_max_tries;
	int dr_threads;           /* receipts delivered side by side (connections) */
	const char *dr_cacert;    /* CA file for https receivers */
	bool dr_insecure;         /* do not verify receivers' certificates */
	/* faults */
	double fault_5xx;
	double fault_drop;
	int fault_latency_ms;
	double fault_429;
	int burst_every;
	int revoke_every;        /* revoke all tokens after every N accepts */
	int burst_len;
	int fault_retry_after;  /* Retry-After of injected 429s, s */
	uint64_t seed;
	bool seeded;
	int threads;
	bool verbose;
};

struct sim {
	struct sim_opts o;
	char base[256];
	pthread_mutex_t lock;
	uint64_t rng[2];
	FILE *ledger;
	/* tokens */
	struct sim_token *tokens[256];
	unsigned revoke_gen;
	long ntokens;
	/* rate */
	struct sim_rate rate;
	struct sim_rate token_rate;  /* token requests of the last minute */
	long token_refused;          /* token requests answered 429 */
	long burst_accepted;     /* accepts since the last burst */
	long revoke_accepted;    /* accepts since the last revocation */
	int burst_left;          /* requests still to refuse */
	/* credits */
	struct sim_contract contracts[SIM_NCOUNTRIES];
	struct sim_order *orders;
	size_t norders, orders_alloc;
	long long next_order;
	/* whitelist */
	char **names;
	size_t nnames;
	/* subscription (Orange keeps one endpoint per account) */
	char sub_id[SIM_ID_LEN];
	char *sub_url;
	char *sub_callback_data;
	/* counters */
	long long accepted, segments, dropped, requests;
	long long rejected[600];
	long long dr_sent, dr_attempts, dr_failed, dr_gave_up, dr_no_target;
};

extern struct sim sim;

/* ---- state (sim-state.c) ---- */
int sim_state_init(void);
void sim_state_release(void);
uint64_t sim_rand64(void);           /* lock held */
double sim_rand01(void);             /* lock held */
void sim_uuid4(char out[SIM_ID_LEN]); /* lock held */
int64_t sim_now_us(void);
/* Ledger line {"event":ev,"ts":…, <fields>} where fields is the text of a
 * finished JSON map (its braces are dropped); flushed.  lock held. */
void sim_ledger_write(const char *ev, int64_t ts_us, const char *fields, size_t len);
void sim_fmt_time(int64_t t, char *buf, size_t n);  /* 2015-05-01T14:38:14 */
void sim_fmt_time_live(int64_t t, char *buf, size_t n); /* 2023-09-25T23:59:59.000Z */
int sim_parse_time(const char *s, int64_t *out);    /* ISO or relative */
/* Add a purchase order; lock held.  expires 0 = one year from date. */
int sim_add_order(int country, long long units, double amount, const char *currency,
		  int64_t date, int64_t expires);
int sim_parse_credits(const char *spec);
int sim_load_seed(const char *path);
int sim_rate_set(int rate);           /* lock held */
int sim_token_rate_set(int per_minute); /* lock held */
/* Segments of a UTF-8 message (GSM-7 or UCS-2), -1 if not valid UTF-8. */
int sim_segments(const char *msg, size_t len, bool *ucs2);
bool sim_name_allowed(const char *name);

/* ---- HTTP (sim-http.c) ---- */
struct MHD_Connection;
int sim_http_start(void);
void sim_http_stop(void);
int sim_http_port(void);

/* ---- delivery receipts (sim-dr.c) ---- */
int sim_dr_start(void);
void sim_dr_stop(void);
/* Plan the receipts of one accepted message (state lock held). */
void sim_dr_plan(const char *resource_id, const char *address);
size_t sim_dr_pending(void);

/* ---- admin (sim-admin.c) ---- */
void sim_admin_contracts(struct strbuf *out, int country, bool all);
void sim_admin_statistics(struct strbuf *out, int country, bool all_countries,
			  const char *appid);
void sim_admin_orders(struct strbuf *out, int country, bool all);
void sim_state_json(struct strbuf *out);

#endif
