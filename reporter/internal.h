#ifndef REPORTER_INTERNAL_H
#define REPORTER_INTERNAL_H
/* Shared between the reporter's files; not part of its interface. */
#include "reporter/report.h"
#include "orange/orange.h"

struct strbuf;

/* Orange's admin answers as the report uses them. */
struct report_orange {
	bool have_contracts, have_usage, have_purchases;
	struct orange_contract *contracts;
	size_t nr_contracts;
	struct orange_usage *usage;
	size_t nr_usage;
	struct orange_purchase *purchases;
	size_t nr_purchases;
};

/*
 * Fill o from the cache (fresh for opts->cache_ttl seconds) or from
 * Orange (retried on transient errors).  Never fails: what is missing
 * is added to r's partial reasons, and r->orange_source says where the
 * answers came from.
 */
void report_orange_fetch(struct db *db, struct griot_config *cfg,
			 const struct report_opts *opts, struct report *r,
			 struct report_orange *o);
void report_orange_release(struct report_orange *o);

/* "12.5" style numbers without trailing zeros; money with 2 decimals
 * unless whole. */
void report_fmt_num(struct strbuf *sb, double v);
void report_fmt_money(struct strbuf *sb, double v);
/* "1 m 05 s" style duration. */
void report_fmt_secs(struct strbuf *sb, double secs);
/* "97.5 %" or "n/a" */
void report_fmt_rate(struct strbuf *sb, double rate);

#endif
