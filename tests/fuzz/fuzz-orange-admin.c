/*
 * libFuzzer target for the admin answers (contracts, statistics,
 * purchase orders) in the live and the documented shapes: any bytes in,
 * never a crash, a leak or undefined behaviour; every string of an
 * accepted answer is set, countries are "" or three upper-case letters,
 * an EXPIRED contract gives no credit, and griot's own JSON form of
 * the contracts reads back to the same credit.
 * FUZZ_SOURCES: orange/parse.c orange/admin-json.c core/json.c core/strbuf.c core/util.c core/log.c core/utf8.c
 * FUZZ_SEEDS: tests/data/orange
 * FUZZ_MAX_LEN: 65536
 */
#include "orange/orange.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_QUIET);
	return 0;
}

static void check_country(const char *c)
{
	if (*c && (strlen(c) != 3 || !isupper((unsigned char)c[0]) ||
		   !isupper((unsigned char)c[1]) || !isupper((unsigned char)c[2])))
		abort();
}

static void contracts(const char *d, size_t size)
{
	struct orange_contract *k = NULL, *k2 = NULL;
	struct json_gen *g;
	struct strbuf sb = STRBUF_INIT;
	json_value *v;
	size_t n = 0, n2 = 0, i;
	char err[128];

	if (orange_parse_contracts(d, size, &k, &n) < 0)
		return;
	g = json_gen_new(false);
	json_array_open(g);
	for (i = 0; i < n; i++) {
		check_country(k[i].country);
		if (!k[i].contract_id || !k[i].service || !k[i].status || !k[i].expires ||
		    !k[i].description)
			abort();
		if (!strcasecmp(k[i].status, "EXPIRED") && orange_contract_spendable(&k[i], 0) != 0)
			abort();
		if (orange_contract_spendable(&k[i], 0) < 0)
			abort();
		json_map_open(g);
		orange_contract_kv(g, &k[i]);
		json_map_close(g);
	}
	json_array_close(g);
	/* the generator refuses invalid UTF-8: then there is nothing to compare */
	if (json_gen_to_strbuf(g, &sb) == 0) {
		v = json_parse(sb.buf, sb.len, 0, err, sizeof(err));
		if (!v || orange_contracts_from_json(v, &k2, &n2) < 0 || n2 != n)
			abort();
		for (i = 0; i < n; i++)
			if (orange_contract_spendable(&k2[i], 1e9) != orange_contract_spendable(&k[i], 1e9))
				abort();
		json_free(v);
	}
	orange_contracts_free(k2, n2);
	strbuf_release(&sb);
	json_gen_free(g);
	orange_contracts_free(k, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct orange_usage *u = NULL;
	struct orange_purchase *p = NULL;
	size_t n = 0, i;

	contracts(d, size);
	if (orange_parse_statistics(d, size, &u, &n) == 0) {
		for (i = 0; i < n; i++) {
			check_country(u[i].country);
			if (!u[i].app_id)
				abort();
		}
		orange_usage_free(u, n);
	}
	if (orange_parse_purchase_orders(d, size, &p, &n) == 0) {
		for (i = 0; i < n; i++) {
			check_country(p[i].country);
			if (!p[i].id || !p[i].bundle_id || !p[i].description || !p[i].date ||
			    !p[i].currency || !p[i].contract_id || p[i].units < -1)
				abort();
		}
		orange_purchases_free(p, n);
	}
	return 0;
}
