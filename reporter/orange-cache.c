/*
 * Orange's admin answers for reports: contracts (balance), statistics
 * (usage) and purchase orders (prices).  Each is kept in
 * report_orange_cache for a few minutes so that a batch of reports costs
 * one call each, retried a bounded number of times on transient errors,
 * and never fatal: a report without them is marked partial.
 */
#include "reporter/internal.h"
#include "core/config.h"
#include "core/db.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

enum kind { K_CONTRACTS, K_STATISTICS, K_PURCHASES, K_NR };
static const char *const kind_name[K_NR] = { "contracts", "statistics", "purchaseorders" };
static const char *const kind_what[K_NR] = {
	"balance and expiry", "reconciliation with Orange's usage", "unit prices and costs",
};

#define STALE_MAX (24 * 3600)   /* an older cached answer is not shown */

void report_orange_release(struct report_orange *o)
{
	orange_contracts_free(o->contracts, o->nr_contracts);
	orange_usage_free(o->usage, o->nr_usage);
	orange_purchases_free(o->purchases, o->nr_purchases);
	memset(o, 0, sizeof(*o));
}

/* ---- our own JSON form of the parsed answers ---- */

/* Orange's answers in griot's own form (orange/admin-json.c). */
static void encode(enum kind k, const struct report_orange *o, struct strbuf *sb)
{
	struct json_gen *g = json_gen_new(false);
	size_t i;

	json_array_open(g);
	for (i = 0; k == K_CONTRACTS && i < o->nr_contracts; i++) {
		json_map_open(g);
		orange_contract_kv(g, &o->contracts[i]);
		json_map_close(g);
	}
	for (i = 0; k == K_STATISTICS && i < o->nr_usage; i++) {
		json_map_open(g);
		orange_usage_kv(g, &o->usage[i]);
		json_map_close(g);
	}
	for (i = 0; k == K_PURCHASES && i < o->nr_purchases; i++) {
		json_map_open(g);
		orange_purchase_kv(g, &o->purchases[i]);
		json_map_close(g);
	}
	json_array_close(g);
	json_gen_to_strbuf(g, sb);
	json_gen_free(g);
}

static int decode(enum kind k, const char *text, struct report_orange *o)
{
	char err[128];
	json_value *v = json_parse(text, strlen(text), 0, err, sizeof(err));
	int ret = -1;

	if (k == K_CONTRACTS)
		ret = orange_contracts_from_json(v, &o->contracts, &o->nr_contracts);
	else if (k == K_STATISTICS)
		ret = orange_usage_from_json(v, &o->usage, &o->nr_usage);
	else if (k == K_PURCHASES)
		ret = orange_purchases_from_json(v, &o->purchases, &o->nr_purchases);
	json_free(v);
	return ret;
}

static void set_have(enum kind k, struct report_orange *o)
{
	if (k == K_CONTRACTS)
		o->have_contracts = true;
	else if (k == K_STATISTICS)
		o->have_usage = true;
	else
		o->have_purchases = true;
}

/* ---- the cache table ---- */

struct cached {
	bool found;
	double age;           /* seconds */
	char at[40];          /* fetched_at, UTC */
	struct strbuf data;
};

static void cache_get(struct db *db, enum kind k, const char *base, struct cached *c)
{
	struct db_result *res = NULL;
	const char *p[2] = { kind_name[k], base };

	c->found = false;
	strbuf_reset(&c->data);
	if (db_query(db, &res,
		     "SELECT data::text, extract(epoch FROM now() - fetched_at),"
		     " to_char(fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"')"
		     " FROM report_orange_cache WHERE kind = $1 AND api_base = $2",
		     2, p) > 0) {
		c->found = true;
		strbuf_addstr(&c->data, db_result_get(res, 0, 0));
		c->age = db_result_double(res, 0, 1);
		strlcpy_(c->at, db_result_get(res, 0, 2), sizeof(c->at));
	}
	db_result_free(res);
}

static void cache_put(struct db *db, enum kind k, const char *base, const char *json)
{
	const char *p[3] = { kind_name[k], base, json };

	/* A cache that cannot be written only costs a call next time. */
	if (db_query(db, NULL,
		     "INSERT INTO report_orange_cache (kind, api_base, data)"
		     " VALUES ($1, $2, $3::jsonb)"
		     " ON CONFLICT (kind, api_base) DO UPDATE"
		     " SET data = excluded.data, fetched_at = now()", 3, p) < 0)
		warning("report: could not cache Orange's %s answer", kind_name[k]);
}

/* ---- calling Orange ---- */

static int call_once(struct orange_client *c, enum kind k, struct report_orange *o,
		     struct orange_error *err)
{
	switch (k) {
	case K_CONTRACTS:
		return orange_contracts(c, NULL, &o->contracts, &o->nr_contracts, err);
	case K_STATISTICS:
		return orange_statistics(c, NULL, NULL, &o->usage, &o->nr_usage, err);
	case K_PURCHASES:
		return orange_purchase_orders(c, NULL, &o->purchases, &o->nr_purchases, err);
	default:
		return -1;
	}
}

static int call_retry(struct orange_client *c, enum kind k, const struct report_opts *opts,
		      struct report_orange *o, struct orange_error *err)
{
	int retries = opts->retries ? (opts->retries < 0 ? 0 : opts->retries) : 2;
	double delay = opts->retry_delay > 0 ? opts->retry_delay : 0.5;
	int attempt;

	for (attempt = 0;; attempt++) {
		double wait;

		if (call_once(c, k, o, err) == 0)
			return 0;
		if (!orange_err_retryable(err) || attempt >= retries)
			return -1;
		wait = delay * (double)(1 << attempt);
		if (err->retry_after > wait)
			wait = err->retry_after;
		if (wait > 10)
			wait = 10;
		debug("report: Orange %s: %s; retrying in %.1f s", kind_name[k],
		      err->message, wait);
		time_sleep(wait);
	}
}

void report_orange_fetch(struct db *db, struct griot_config *cfg,
			 const struct report_opts *opts, struct report *r,
			 struct report_orange *o)
{
	struct orange_client *client = NULL;
	struct cached c = { false, 0, "", STRBUF_INIT };
	struct strbuf failure = STRBUF_INIT;   /* why Orange cannot be asked */
	struct strbuf why = STRBUF_INIT;       /* why this answer is missing */
	struct orange_error err = ORANGE_ERROR_INIT;
	const char *base = cfg && cfg->api_base ? cfg->api_base : "";
	int ttl = opts->cache_ttl ? opts->cache_ttl : 300;
	int live = 0, cached = 0, k;
	char oldest[40] = "";

	memset(o, 0, sizeof(*o));
	if (opts->offline)
		strbuf_addstr(&failure, "were not asked for (--offline)");
	else if (!cfg)
		strbuf_addstr(&failure, "cannot be asked for: no configuration");

	for (k = 0; k < K_NR; k++) {
		if (ttl > 0 && !opts->offline)
			cache_get(db, k, base, &c);
		if (c.found && c.age < ttl && decode(k, c.data.buf, o) == 0) {
			set_have(k, o);
			cached++;
			if (!*oldest || strcmp(c.at, oldest) < 0)
				strlcpy_(oldest, c.at, sizeof(oldest));
			continue;
		}
		if (!failure.len && !client) {
			client = orange_client_from_config(cfg, 15, 1);
			if (!client)
				strbuf_addstr(&failure, "cannot be asked for: no usable "
					      "credentials (ORANGE_AUTH_HEADER or "
					      "ORANGE_CREDENTIALS_FILE)");
		}
		if (!failure.len) {
			if (call_retry(client, k, opts, o, &err) == 0) {
				set_have(k, o);
				live++;
				if (ttl > 0) {
					struct strbuf js = STRBUF_INIT;
					encode(k, o, &js);
					cache_put(db, k, base, js.buf);
					strbuf_release(&js);
				}
				continue;
			}
			/* Free whatever a failed call may have left. */
			if (k == K_CONTRACTS) {
				orange_contracts_free(o->contracts, o->nr_contracts);
				o->contracts = NULL;
				o->nr_contracts = 0;
			}
			if (k == K_STATISTICS) {
				orange_usage_free(o->usage, o->nr_usage);
				o->usage = NULL;
				o->nr_usage = 0;
			}
			if (k == K_PURCHASES) {
				orange_purchases_free(o->purchases, o->nr_purchases);
				o->purchases = NULL;
				o->nr_purchases = 0;
			}
			if (err.kind == ORANGE_ERR_NETWORK || err.kind == ORANGE_ERR_CONFIG ||
			    err.kind == ORANGE_ERR_CREDENTIALS) {
				/* The same would happen to the next calls: stop asking. */
				strbuf_addf(&failure, "could not be fetched, Orange is unreachable: %s (%s)",
					    err.message, orange_err_name(err.kind));
				strbuf_add(&why, failure.buf, failure.len);
			} else {
				strbuf_addf(&why, "could not be fetched: %s (%s)",
					    err.message, orange_err_name(err.kind));
			}
		} else {
			strbuf_add(&why, failure.buf, failure.len);
		}
		if (!opts->offline && c.found && c.age < STALE_MAX &&
		    decode(k, c.data.buf, o) == 0) {
			set_have(k, o);
			cached++;
			report_add_reason(r, "%s from Orange's %s answer cached at %s: %s",
					  kind_what[k], kind_name[k], c.at, why.buf);
			if (!*oldest || strcmp(c.at, oldest) < 0)
				strlcpy_(oldest, c.at, sizeof(oldest));
		} else {
			report_add_reason(r, "no %s: Orange's %s %s", kind_what[k], kind_name[k],
					  why.buf);
		}
		strbuf_reset(&why);
	}
	if (live && !cached)
		strlcpy_(r->orange_source, "live", sizeof(r->orange_source));
	else if (cached)
		snprintf(r->orange_source, sizeof(r->orange_source), "%scache of %s",
			 live ? "live and " : "", oldest);
	else
		strlcpy_(r->orange_source, "none", sizeof(r->orange_source));
	orange_client_free(client);
	orange_error_release(&err);
	strbuf_release(&c.data);
	strbuf_release(&failure);
	strbuf_release(&why);
}
