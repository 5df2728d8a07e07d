/*
 * orange-sim account endpoints (contracts, statistics, purchase orders)
 * in the live API's shapes (top-level arrays, the fields of recorded
 * answers) or the documented nested shapes of the portal page, and the
 * /_sim/state counters.  Callers hold sim.lock.
 */
#include "tests/sim/sim.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool wanted(int i, int country, bool all)
{
	return all || i == country;
}

/* The application id; "null" (--app-id null) is JSON null, as the live
 * API answers for some accounts. */
static void app_id_kv(struct json_gen *g, const char *key)
{
	json_key(g, key);
	if (!strcmp(sim.o.app_id, "null"))
		json_null(g);
	else
		json_str(g, sim.o.app_id);
}

static void contract_desc(char *buf, size_t n, int i, const struct sim_contract *k)
{
	char exp[32];

	sim_fmt_time(k->expires, exp, sizeof(exp));
	snprintf(buf, n, "%s - %lld SMS valid until %s", sim_countries[i].name,
		 k->available, exp);
}

static void order_desc(char *buf, size_t n, const struct sim_order *o)
{
	snprintf(buf, n, "Bundle - %lld SMS for %.0f %s", o->units, o->amount, o->currency);
}

void sim_admin_contracts(struct strbuf *out, int country, bool all)
{
	struct json_gen *g = json_gen_new(false);
	char exp[32], desc[256];
	int64_t now = (int64_t)time(NULL);
	int i;

	if (sim.o.admin_array) {
		char created[32];

		json_array_open(g);
		for (i = 0; i < SIM_NCOUNTRIES; i++) {
			const struct sim_contract *k = &sim.contracts[i];
			if (!k->exists || !wanted(i, country, all))
				continue;
			sim_fmt_time_live(k->expires, exp, sizeof(exp));
			json_map_open(g);
			json_kv_str(g, "id", k->id);
			json_kv_str(g, "type", "SELFSERVICE");
			json_kv_str(g, "developerId", sim.o.partner_id);
			app_id_kv(g, "applicationId");
			json_kv_str(g, "country", sim_countries[i].iso3);
			json_kv_str(g, "offerName", "SMS_OCB");
			json_kv_int(g, "availableUnits", k->available);
			json_kv_int(g, "requestedUnits", k->requested);
			json_kv_str(g, "status", k->expires > now ? "ACTIVE" : "EXPIRED");
			json_kv_str(g, "expirationDate", exp);
			sim_fmt_time_live(k->created, created, sizeof(created));
			json_kv_str(g, "creationDate", created);
			sim_fmt_time_live(k->updated, created, sizeof(created));
			json_kv_str(g, "lastUpdateDate", created);
			json_map_close(g);
		}
		json_array_close(g);
		goto done;
	}
	json_map_open(g);
	json_key(g, "partnerContracts");
	json_map_open(g);
	json_kv_str(g, "partnerId", sim.o.partner_id);
	json_key(g, "contracts");
	json_array_open(g);
	json_map_open(g);
	json_kv_str(g, "service", "SMS_OCB");
	json_kv_str(g, "contractDescription", "Your SMS balance (per country)");
	json_key(g, "serviceContracts");
	json_array_open(g);
	for (i = 0; i < SIM_NCOUNTRIES; i++) {
		const struct sim_contract *k = &sim.contracts[i];
		if (!k->exists || !wanted(i, country, all))
			continue;
		sim_fmt_time(k->expires, exp, sizeof(exp));
		contract_desc(desc, sizeof(desc), i, k);
		json_map_open(g);
		json_kv_str(g, "country", sim_countries[i].iso3);
		json_kv_str(g, "service", "SMS_OCB");
		json_kv_str(g, "contractId", k->id);
		json_kv_int(g, "availableUnits", k->available);
		json_kv_str(g, "expires", exp);
		json_kv_str(g, "scDescription", desc);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);
	json_array_close(g);
	json_map_close(g);
	json_map_close(g);
done:
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}

void sim_admin_statistics(struct strbuf *out, int country, bool all, const char *appid)
{
	struct json_gen *g = json_gen_new(false);
	bool app_ok = !appid || (strcmp(sim.o.app_id, "null") && !strcmp(appid, sim.o.app_id));
	int i;

	json_map_open(g);
	json_key(g, "partnerStatistics");
	json_map_open(g);
	json_kv_str(g, sim.o.documented ? "partnerId" : "developerId", sim.o.partner_id);
	json_key(g, "statistics");
	json_array_open(g);
	json_map_open(g);
	json_kv_str(g, "service", "SMS_OCB");
	json_key(g, "serviceStatistics");
	json_array_open(g);
	for (i = 0; app_ok && i < SIM_NCOUNTRIES; i++) {
		const struct sim_contract *k = &sim.contracts[i];
		if (!k->exists || !wanted(i, country, all))
			continue;
		json_map_open(g);
		json_kv_str(g, "country", sim_countries[i].iso3);
		json_key(g, "countryStatistics");
		json_array_open(g);
		json_map_open(g);
		if (sim.o.documented) {
			json_kv_str(g, "applicationId", sim.o.app_id);
			json_kv_int(g, "usage", k->used);
		} else {
			app_id_kv(g, "appid");
			json_kv_int(g, "usage", k->used);
			json_kv_int(g, "nbEnforcements", k->messages);
		}
		json_map_close(g);
		json_array_close(g);
		json_map_close(g);
	}
	json_array_close(g);
	json_map_close(g);
	json_array_close(g);
	json_map_close(g);
	json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}

static void input(struct json_gen *g, const char *type, const char *value)
{
	json_map_open(g);
	json_kv_str(g, "type", type);
	json_kv_str(g, "value", value);
	json_map_close(g);
}

/* One purchase order as the live API lists it. */
static void order_live(struct json_gen *g, const struct sim_order *o)
{
	const struct sim_contract *k = &sim.contracts[o->country];
	char date[32], desc[256], ext[40];

	order_desc(desc, sizeof(desc), o);
	json_map_open(g);
	json_kv_str(g, "id", o->id);
	json_kv_str(g, "developerId", sim.o.partner_id);
	json_kv_str(g, "contractId", k->id);
	json_kv_str(g, "country", sim_countries[o->country].iso3);
	json_kv_str(g, "offerName", "SMS_OCB");
	json_kv_str(g, "bundleId", o->bundle_id);
	json_kv_str(g, "bundleDescription", desc);
	json_kv_int(g, "price", (long long)llround(o->amount));
	json_kv_str(g, "currency", o->currency);
	sim_fmt_time_live(o->date, date, sizeof(date));
	json_kv_str(g, "purchaseDate", date);
	json_kv_str(g, "paymentMode", "OrangeMoney");
	snprintf(ext, sizeof(ext), "MP%s.%04d", o->id, (int)(o->date % 10000));
	json_kv_str(g, "paymentProviderOrderId", ext);
	json_kv_str(g, "payerId", sim_countries[o->country].cc);
	json_kv_str(g, "type", "BUNDLE_PURCHASE");
	json_kv_int(g, "oldAvailableUnits", o->old_units);
	json_kv_int(g, "newAvailableUnits", o->new_units);
	json_key(g, "oldExpirationDate");
	if (o->old_expires) {
		sim_fmt_time_live(o->old_expires, date, sizeof(date));
		json_str(g, date);
	} else {
		json_null(g);
	}
	sim_fmt_time_live(o->new_expires, date, sizeof(date));
	json_kv_str(g, "newExpirationDate", date);
	json_kv_str(g, "externalId", o->bundle_id);
	json_key(g, "comment");
	json_null(g);
	json_map_close(g);
}

/* Newest first, then the later order first (the live API's order). */
static int order_newest_first(const void *a, const void *b)
{
	const struct sim_order *x = *(const struct sim_order *const *)a;
	const struct sim_order *y = *(const struct sim_order *const *)b;

	if (x->date != y->date)
		return x->date < y->date ? 1 : -1;
	return x < y ? 1 : x > y ? -1 : 0;
}

void sim_admin_orders(struct strbuf *out, int country, bool all)
{
	struct json_gen *g = json_gen_new(false);
	char date[32], exp[32], desc[256], msisdn[32];
	const struct sim_order **list = NULL;
	size_t i, n = 0;

	if (!sim.o.admin_array) {
		json_map_open(g);
		json_key(g, "purchaseOrders");
	}
	json_array_open(g);
	if (sim.o.admin_array) {
		list = xcalloc(sim.norders + 1, sizeof(*list));
		for (i = 0; i < sim.norders; i++)
			if (wanted(sim.orders[i].country, country, all))
				list[n++] = &sim.orders[i];
		qsort(list, n, sizeof(*list), order_newest_first);
		for (i = 0; i < n; i++)
			order_live(g, list[i]);
		free(list);
	}
	for (i = 0; !sim.o.admin_array && i < sim.norders; i++) {
		const struct sim_order *o = &sim.orders[i];
		const struct sim_contract *k = &sim.contracts[o->country];
		const char *iso3 = sim_countries[o->country].iso3;

		if (!wanted(o->country, country, all))
			continue;
		sim_fmt_time(o->date, date, sizeof(date));
		sim_fmt_time(o->expires, exp, sizeof(exp));
		order_desc(desc, sizeof(desc), o);
		json_map_open(g);
		json_kv_str(g, "purchaseOrderId", o->id);
		json_kv_str(g, "bundleId", o->bundle_id);
		json_kv_str(g, "bundleDescription", desc);
		json_kv_str(g, "partnerId", sim.o.partner_id);
		json_kv_str(g, "mode", "OCB");
		json_key(g, "inputs");
		json_array_open(g);
		snprintf(msisdn, sizeof(msisdn), "+%s70000000", sim_countries[o->country].cc);
		input(g, "MSISDN", msisdn);
		input(g, "bundleId", o->bundle_id);
		input(g, "confirmationCode", "000000");
		input(g, "challengeMethod", "OTP-SMS-OCB");
		json_array_close(g);
		json_key(g, "orderExecutioninformation");
		json_map_open(g);
		json_kv_str(g, "date", date);
		json_kv_double(g, "amount", o->amount);
		json_kv_str(g, "currency", o->currency);
		json_kv_str(g, "service", "SMS_OCB");
		json_kv_str(g, "country", iso3);
		json_kv_str(g, "contractId", k->id);
		json_map_close(g);
		json_map_close(g);
	}
	json_array_close(g);
	if (!sim.o.admin_array)
		json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}

void sim_state_json(struct strbuf *out)
{
	struct json_gen *g = json_gen_new(false);
	char key[8], exp[32];
	size_t i;

	json_map_open(g);
	json_kv_int(g, "requests", sim.requests);
	json_kv_int(g, "accepted", sim.accepted);
	json_kv_int(g, "segments", sim.segments);
	json_kv_int(g, "dropped", sim.dropped);
	json_key(g, "rejected");
	json_map_open(g);
	for (i = 0; i < ARRAY_SIZE(sim.rejected); i++) {
		if (!sim.rejected[i])
			continue;
		snprintf(key, sizeof(key), "%zu", i);
		json_kv_int(g, key, sim.rejected[i]);
	}
	json_map_close(g);
	json_key(g, "dr");
	json_map_open(g);
	json_kv_int(g, "sent", sim.dr_sent);
	json_kv_int(g, "attempts", sim.dr_attempts);
	json_kv_int(g, "failed_attempts", sim.dr_failed);
	json_kv_int(g, "gave_up", sim.dr_gave_up);
	json_kv_int(g, "no_target", sim.dr_no_target);
	json_kv_int(g, "pending", (long long)sim_dr_pending());
	json_map_close(g);
	json_key(g, "credits");
	json_map_open(g);
	for (i = 0; i < SIM_NCOUNTRIES; i++) {
		const struct sim_contract *k = &sim.contracts[i];
		if (!k->exists)
			continue;
		sim_fmt_time(k->expires, exp, sizeof(exp));
		json_key(g, sim_countries[i].iso3);
		json_map_open(g);
		json_kv_int(g, "available", k->available);
		json_kv_int(g, "bought", k->bought);
		json_kv_int(g, "used", k->used);
		json_kv_int(g, "messages", k->messages);
		json_kv_str(g, "expires", exp);
		json_map_close(g);
	}
	json_map_close(g);
	json_kv_int(g, "tokens", sim.ntokens);
	json_kv_str(g, "subscription", sim.sub_url);
	json_kv_int(g, "rate", sim.o.rate);
	json_map_close(g);
	json_gen_to_strbuf(g, out);
	json_gen_free(g);
}
