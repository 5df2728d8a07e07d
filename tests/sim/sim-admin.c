/*
 * orange-sim account endpoints (contracts, statistics, purchase orders)
 * in the documented nested shape or the newer top-level array shape, and
 * the /_sim/state counters.  Callers hold sim.lock.
 */
#include "tests/sim/sim.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <string.h>
#include <time.h>

static bool wanted(int i, int country, bool all)
{
	return all || i == country;
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
		json_array_open(g);
		for (i = 0; i < SIM_NCOUNTRIES; i++) {
			const struct sim_contract *k = &sim.contracts[i];
			if (!k->exists || !wanted(i, country, all))
				continue;
			sim_fmt_time(k->expires, exp, sizeof(exp));
			contract_desc(desc, sizeof(desc), i, k);
			json_map_open(g);
			json_kv_str(g, "contractId", k->id);
			json_kv_str(g, "service", "SMS_OCB");
			json_kv_str(g, "country", sim_countries[i].iso3);
			json_kv_int(g, "availableUnits", k->available);
			json_kv_int(g, "units", k->bought);
			json_kv_str(g, "expirationDate", exp);
			json_kv_str(g, "status", k->expires > now ? "ACTIVE" : "EXPIRED");
			json_kv_double(g, "price", k->price);
			json_kv_str(g, "currency", k->currency);
			json_kv_str(g, "bundleDescription", desc);
			json_kv_str(g, "partnerId", sim.o.partner_id);
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
	bool app_ok = !appid || !strcmp(appid, sim.o.app_id);
	int i;

	json_map_open(g);
	json_key(g, "partnerStatistics");
	json_map_open(g);
	json_kv_str(g, "partnerId", sim.o.partner_id);
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
		json_kv_str(g, "applicationId", sim.o.app_id);
		json_kv_int(g, "usage", k->used);
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

void sim_admin_orders(struct strbuf *out, int country, bool all)
{
	struct json_gen *g = json_gen_new(false);
	char date[32], exp[32], desc[256], msisdn[32];
	size_t i;

	if (!sim.o.admin_array) {
		json_map_open(g);
		json_key(g, "purchaseOrders");
	}
	json_array_open(g);
	for (i = 0; i < sim.norders; i++) {
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
		if (sim.o.admin_array) {
			json_kv_str(g, "contractId", k->id);
			json_kv_str(g, "service", "SMS_OCB");
			json_kv_str(g, "country", iso3);
			json_kv_int(g, "units", o->units);
			json_kv_int(g, "availableUnits", k->available);
			json_kv_double(g, "price", o->amount);
			json_kv_str(g, "currency", o->currency);
			json_kv_str(g, "date", date);
			json_kv_str(g, "expirationDate", exp);
			json_map_close(g);
			continue;
		}
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
