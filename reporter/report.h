#ifndef REPORTER_REPORT_H
#define REPORTER_REPORT_H
/*
 * Delivery and cost reports (docs/reports.md defines every figure).
 *
 * report_build() aggregates in PostgreSQL (sql/040_report.sql: one pass
 * over the messages in scope, never per-message rows in memory), adds
 * Orange's contracts, statistics and purchase orders (cached a few
 * minutes, retried on transient errors) and keeps going without them:
 * the report is then marked partial with the reasons.  The renderers
 * turn a built report into text, CSV, HTML or JSON.
 */
#include "core/lang.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

struct db;
struct griot_config;
struct strbuf;

enum report_format {
	REPORT_TEXT = 0,
	REPORT_CSV,
	REPORT_HTML,
	REPORT_JSON,
};
/* "text", "csv", "html", "json" -> format; -1 when unknown. */
int report_format_parse(const char *name);
/* Format from a file name's extension (.txt .csv .html .htm .json), -1. */
int report_format_from_path(const char *path);

/* The states a message is counted under; they add up to the total. */
enum report_state {
	RS_DELIVERED_TERMINAL = 0,
	RS_DELIVERED_NETWORK,
	RS_UNCERTAIN,
	RS_IMPOSSIBLE,
	RS_WAITING,          /* last receipt MessageWaiting */
	RS_AWAITING,         /* sent, no receipt yet, less than 24 h ago */
	RS_NO_RECEIPT,       /* sent, no receipt 24 h after sending */
	RS_SEND_FAILED,
	RS_SEND_UNKNOWN,
	RS_NOT_SENT,         /* pending or sending */
	RS_NR
};
struct report_state_info {
	const char *key;     /* JSON key */
	const char *label;   /* for people */
	const char *short_label; /* table headers */
	const char *color;   /* chart colour */
};
extern const struct report_state_info report_states[RS_NR];

#define REPORT_MAX_CURRENCIES 4
struct report_money {
	int n;                                  /* currencies used */
	char currency[REPORT_MAX_CURRENCIES][8];
	double amount[REPORT_MAX_CURRENCIES];
	long long unpriced_units;               /* units in countries without a price */
};

/* One row of the main aggregation. */
struct report_group {
	long long campaign_id;      /* 0 for country and overall rows */
	char *campaign;             /* NULL for country and overall rows */
	char *campaign_status;
	char country[4];            /* "" for campaign and overall rows */
	long long total;
	long long states[RS_NR];
	long long accepted;         /* send_status = sent */
	long long delivered;        /* DeliveredToTerminal + DeliveredToNetwork */
	long long units;            /* segments of accepted messages */
	long long units_unknown;    /* segments of unknown messages */
	long long latency_count;    /* messages with a final receipt */
	double p50, p90, p99;       /* seconds; valid when latency_count > 0 */
	double delivery_rate;       /* delivered / accepted; < 0 when accepted = 0 */
	double terminal_rate;       /* DeliveredToTerminal / accepted; < 0 likewise */
	struct report_money cost;
	/* cost / delivered when one currency, everything priced and delivered > 0 */
	double cost_per_delivered;  /* < 0 when not defined */
};

struct report_failure {
	char *send_status;
	char *reason;
	long long count;
};

struct report_hour {
	char hour[32];              /* "2024-05-01 22:00" UTC */
	long long delivered, not_delivered;
};

/* Unit price per country from the purchase orders: Σamount / Σunits. */
struct report_price {
	char country[4];
	char currency[8];
	double amount;              /* Σ amount of orders with known units */
	long long units;            /* Σ units of those orders */
	int orders;                 /* orders counted */
	int orders_unusable;        /* orders without a unit count */
	double unit_price;          /* < 0 when units = 0 */
};

struct report_balance {
	char country[4];
	bool known;                 /* a contract was found for the country */
	long long available_units;  /* Σ over the country's contracts */
	char expires[32];           /* earliest expiry, as Orange sent it */
	double expires_at;          /* 0 if unknown */
	int contracts;
	long long pending_messages; /* of tonight's campaigns */
	long long pending_units;
	long long pending_unsized;  /* pending messages without a segment count */
	char *pending_campaigns;    /* names, comma separated */
	bool fits;
	char *warning;              /* NULL when nothing to say */
};

struct report_reconcile {
	char country[4];
	char app_id[128];           /* "" = all applications of the country */
	long long local_messages;   /* accepted by Orange per griot, all time */
	long long local_units;
	long long local_unknown;    /* fate unknown: may be in Orange's count */
	bool have_usage;
	long long orange_usage;
	long long difference;       /* orange_usage - local_units */
};

struct report_other_app {
	char country[4];
	char app_id[128];
	long long usage;
};

struct report_opts {
	const char *campaign;       /* NULL = every campaign */
	const char *since, *until;  /* timestamps PostgreSQL understands, or NULL */
	const char *country;        /* ISO 3166 alpha-3, NULL = all */
	const char *now;            /* the clock for the 24 h rules; NULL = now */
	const char *app_id;         /* ours, for reconciliation; NULL = config orange_app_id */
	bool offline;               /* do not call Orange */
	int cache_ttl;              /* seconds; 0 = 300; < 0 = no cache */
	int retries;                /* extra attempts on transient errors; 0 = 2, < 0 = none */
	double retry_delay;         /* first backoff, seconds; 0 = 0.5 */
};

struct report {
	/* scope */
	char *campaign, *since, *until, *country;
	char now[40];               /* ISO 8601 UTC */
	char generated_at[40];

	bool partial;
	char **reasons;             /* why it is partial, for people */
	size_t nr_reasons;
	char orange_source[64];     /* "live", "cache (2024-05-01 22:03:00Z)", "none" */

	struct report_group total;
	struct report_group *campaigns;   /* per campaign */
	size_t nr_campaigns;
	struct report_group *countries;   /* per country */
	size_t nr_countries;
	struct report_group *cells;       /* per (campaign, country) */
	size_t nr_cells;

	struct report_failure *failures;
	size_t nr_failures;
	struct report_hour *hours;
	size_t nr_hours;
	long long orphaned_receipts;      /* unmatched 24 h after arrival */
	long long settled_by_inference;   /* 'unknown' settled from a receipt to the number */

	bool have_prices, have_balance, have_usage;
	struct report_price *prices;
	size_t nr_prices;
	struct report_balance *balances;
	size_t nr_balances;
	struct report_reconcile *reconcile;
	size_t nr_reconcile;
	struct report_other_app *other_apps;
	size_t nr_other_apps;
	char currency[8];                 /* the one currency of all costs, "" if several */
	bool tonight_fits;                /* every country fits (or nothing pending) */
};

/*
 * Build the report of opts' scope.  GRIOT_OK, or after error():
 * GRIOT_ERR_USAGE a bad --since/--until/--now/--country, GRIOT_ERR_NOINPUT
 * --campaign names no campaign, GRIOT_ERR_DB.
 */
enum griot_err report_build(struct db *db, struct griot_config *cfg,
			    const struct report_opts *opts, struct report **out);
void report_free(struct report *r);
void report_add_reason(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Render into sb; the text for people (HTML) in language l, money in
 * the currency's minor unit (whole XOF) in text and HTML; CSV and JSON
 * keep the exact figures. */
int report_render(const struct report *r, enum report_format fmt, enum lang l,
		  struct strbuf *sb);
void report_render_text(const struct report *r, struct strbuf *sb);
int report_render_json(const struct report *r, bool pretty, struct strbuf *sb);
void report_render_csv(const struct report *r, char sep, struct strbuf *sb);
void report_render_html(const struct report *r, enum lang l, struct strbuf *sb);

/* ---- CSV cells (also used by the per-recipient export) ---- */
/*
 * Append one cell: RFC 4180 quoting (quotes doubled, quoted when it holds
 * sep, a quote, CR or LF) and, against CSV formula injection, a leading
 * single quote when the cell begins with = + - @ tab or CR.
 */
void report_csv_cell(struct strbuf *sb, const char *s, char sep);

/*
 * Per-recipient CSV: number, the chosen personal fields (NULL = none),
 * campaign, country, send and delivery status, report state, times (UTC),
 * segments, resource_id, last error.  UTF-8 with a BOM, sep ',' or ';'.
 * Streams through a cursor; written atomically.  *rows gets the count.
 */
struct report_recipients_opts {
	const char *const *fields;  /* NULL-terminated */
	char sep;
	bool progress;              /* progress line on a terminal */
};
int report_write_recipients(struct db *db, const struct report_opts *scope,
			    const struct report_recipients_opts *ro,
			    const char *path, long long *rows);

/*
 * The night's report for `griot run-due --report-dir DIR`: the 24 hours
 * before now (epoch seconds, 0 = time_now()) over every campaign, written
 * as DIR/griot-report-YYYY-MM-DD.html and .json (UTC date of now) and
 * the per-(campaign, country) DIR/griot-report-YYYY-MM-DD.csv, the HTML
 * in the environment's language (lang_from_env()).  Orange
 * being unreachable is not an error (the report says partial).  The HTML
 * path is appended to html_path when not NULL.  0 or -1 after error().
 */
int report_write_nightly(struct db *db, struct griot_config *cfg, const char *dir,
			 double now, struct strbuf *html_path);

#endif
