/*
 * griot orange token|balance|usage|purchases — the Orange account as the
 * API sees it.  Tables for people, --json for scripts.  The authorization
 * header is never printed; the token only masked unless --show.
 */
#include "builtin.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "orange/orange.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
	"usage: griot orange token [--show] [--force] [--json]\n"
	"       griot orange balance [--country ISO3] [--json]\n"
	"       griot orange usage [--country ISO3] [--appid ID] [--json]\n"
	"       griot orange purchases [--country ISO3] [--json]\n"
	"\n"
	"  token       get (or reuse) the API token: type, expiry, masked token\n"
	"  balance     SMS units left per country and contract expiry\n"
	"  usage       SMS sent per application and country\n"
	"  purchases   bundles bought: date, country, units, price\n"
	"\n"
	"  --country ISO3          only this country (MLI, CIV, SEN, ...)\n"
	"  --appid ID              only this application (usage)\n"
	"  --json                  machine-readable output\n"
	"  --show                  print the whole token (it is a secret)\n"
	"  --force                 renew the token now\n"
	"  --api-base URL          instead of ORANGE_API_BASE\n"
	"  --credentials-file F    instead of ORANGE_CREDENTIALS_FILE (mode 0600)\n"
	"  --timeout S             per request, seconds (default 30)\n"
	"\n"
	"Credentials: ORANGE_AUTH_HEADER or a 0600 file holding the 'Basic ...'\n"
	"header (docs/orange-setup.md).  Exit codes: 78 no or refused credentials,\n"
	"77 refused by Orange's policy, 69/75 Orange unreachable or failing, 65\n"
	"invalid request.\n";

struct opts {
	const char *country, *appid;
	bool json, show, force;
	double timeout;
};

/* "2026-11-25T10:00:00Z" or "-" */
static void fmt_time(double t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Report err (orange_err_report), release it; its sysexits code. */
static int report_error(struct orange_error *err)
{
	int rc = builtin_exit_code(orange_err_report(err));

	orange_error_release(err);
	return rc;
}

static int cmd_token(struct orange_client *c, const struct opts *o)
{
	struct orange_token t = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	char when[40], masked[64];
	size_t len;
	double left;

	if (orange_token(c, o->force, &t, &err) < 0)
		return report_error(&err);
	len = strlen(t.access_token);
	/* enough to tell two tokens apart, not enough to use one */
	snprintf(masked, sizeof(masked), "...%s (%zu characters)",
		 len > 12 ? t.access_token + len - 4 : "", len);
	fmt_time(t.expires_at, when, sizeof(when));
	left = t.expires_at - time_now();
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_kv_str(g, "token_type", t.token_type);
		json_kv_str(g, "expires", when);
		json_kv_int(g, "expires_in", (long long)left);
		json_kv_str(g, "access_token", o->show ? t.access_token : masked);
		json_kv_bool(g, "masked", !o->show);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("type:     %s\n", t.token_type);
		printf("expires:  %s (in %.0f s)\n", when, left);
		printf("token:    %s\n", o->show ? t.access_token : masked);
	}
	orange_token_release(&t);
	return 0;
}

/* Expired: Orange says so, or its date has passed (units left or not). */
static bool is_expired(const struct orange_contract *k, double now)
{
	return k->available_units > 0 ? !orange_contract_spendable(k, now)
				      : (!strcasecmp(k->status, "EXPIRED") ||
					 (k->expires_at > 0 && k->expires_at <= now));
}

static int cmd_balance(struct orange_client *c, const struct opts *o)
{
	struct orange_contract *k = NULL;
	struct orange_error err = ORANGE_ERROR_INIT;
	size_t n, i;
	long long total = 0;
	double now = time_now();

	if (orange_contracts(c, o->country, &k, &n, &err) < 0)
		return report_error(&err);
	for (i = 0; i < n; i++)
		total += orange_contract_spendable(&k[i], now);
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_key(g, "contracts");
		json_array_open(g);
		for (i = 0; i < n; i++) {
			json_map_open(g);
			orange_contract_kv(g, &k[i]);
			json_kv_bool(g, "expired", is_expired(&k[i], now));
			json_kv_int(g, "spendable_units", orange_contract_spendable(&k[i], now));
			json_map_close(g);
		}
		json_array_close(g);
		json_kv_int(g, "total_available_units", total); /* spendable ones */
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else if (!n) {
		printf("no contract%s%s: buy an SMS bundle on the Orange Developer portal\n",
		       o->country ? " for " : "", o->country ? o->country : "");
	} else {
		printf("%-7s %10s  %-24s %s\n", "COUNTRY", "UNITS", "EXPIRES", "CONTRACT");
		for (i = 0; i < n; i++)
			printf("%-7s %10lld  %-24s %s%s\n", k[i].country, k[i].available_units,
			       k[i].expires[0] ? k[i].expires : "-", k[i].contract_id,
			       is_expired(&k[i], now) ? "  (expired: cannot be spent)" : "");
		printf("%-7s %10lld  (units of contracts not expired)\n", "total", total);
	}
	orange_contracts_free(k, n);
	return 0;
}

static int cmd_usage(struct orange_client *c, const struct opts *o)
{
	struct orange_usage *u = NULL;
	struct orange_error err = ORANGE_ERROR_INIT;
	size_t n, i;
	long long total = 0;

	if (orange_statistics(c, o->country, o->appid, &u, &n, &err) < 0)
		return report_error(&err);
	for (i = 0; i < n; i++)
		total += u[i].usage;
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_key(g, "usage");
		json_array_open(g);
		for (i = 0; i < n; i++) {
			json_map_open(g);
			orange_usage_kv(g, &u[i]);
			json_map_close(g);
		}
		json_array_close(g);
		json_kv_int(g, "total", total);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("%-7s %-40s %10s\n", "COUNTRY", "APPLICATION", "SMS");
		for (i = 0; i < n; i++)
			printf("%-7s %-40s %10lld\n", u[i].country,
			       *u[i].app_id ? u[i].app_id : "-", u[i].usage);
		printf("%-7s %-40s %10lld\n", "total", "", total);
	}
	orange_usage_free(u, n);
	return 0;
}

static int cmd_purchases(struct orange_client *c, const struct opts *o)
{
	struct orange_purchase *p = NULL;
	struct orange_error err = ORANGE_ERROR_INIT;
	size_t n, i;

	if (orange_purchase_orders(c, o->country, &p, &n, &err) < 0)
		return report_error(&err);
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_key(g, "purchase_orders");
		json_array_open(g);
		for (i = 0; i < n; i++) {
			json_map_open(g);
			orange_purchase_kv(g, &p[i]);
			json_key(g, "unit_price");
			if (p[i].units > 0)
				json_double(g, p[i].amount / (double)p[i].units);
			else
				json_null(g);
			json_map_close(g);
		}
		json_array_close(g);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else if (!n) {
		printf("no purchase order%s%s\n", o->country ? " for " : "",
		       o->country ? o->country : "");
	} else {
		printf("%-24s %-7s %8s %12s %-4s  %-12s %s\n", "DATE", "COUNTRY", "UNITS",
		       "AMOUNT", "CUR", "ORDER", "DESCRIPTION");
		for (i = 0; i < n; i++) {
			char units[24];
			if (p[i].units >= 0)
				snprintf(units, sizeof(units), "%lld", p[i].units);
			else
				snprintf(units, sizeof(units), "?");
			printf("%-24s %-7s %8s %12.2f %-4s  %-12s %s\n", p[i].date, p[i].country,
			       units, p[i].amount, p[i].currency, p[i].id, p[i].description);
		}
	}
	orange_purchases_free(p, n);
	return 0;
}

/* ISO 3166 alpha-3, upper-cased in place. */
static int check_country(char *s)
{
	size_t i;

	if (strlen(s) != 3)
		return -1;
	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)s[i]))
			return -1;
		s[i] = (char)toupper((unsigned char)s[i]);
	}
	return 0;
}

int cmd_orange(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "country", required_argument, NULL, 'C' },
		{ "appid", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "show", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "api-base", required_argument, NULL, 'b' },
		{ "credentials-file", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { NULL, NULL, false, false, false, 0 };
	struct orange_client *c;
	const char *action;
	int opt, ret;

	if (argc < 2 || builtin_wants_help(argc, argv)) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	action = argv[1];
	argc--;
	argv++;
	optind = 0; /* 0: reinitialise GNU getopt (main parsed with "+") */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			if (check_country(optarg) < 0) {
				error("--country wants an ISO 3166 alpha-3 code such as MLI, not '%s'",
				      optarg);
				return EX_USAGE;
			}
			o.country = optarg;
			break;
		case 'a': o.appid = optarg; break;
		case 'j': o.json = true; break;
		case 's': o.show = true; break;
		case 'f': o.force = true; break;
		case 'b': config_set(&ctx->cfg->api_base, optarg); break;
		case 'F':
			config_set(&ctx->cfg->credentials_file, optarg);
			config_set(&ctx->cfg->auth_header, NULL); /* the flag wins */
			break;
		case 't':
			if (parse_double(optarg, &o.timeout) < 0 || o.timeout <= 0) {
				error("--timeout wants a number of seconds, not '%s'", optarg);
				return EX_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
	}
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	if (strcmp(action, "token") && strcmp(action, "balance") &&
	    strcmp(action, "usage") && strcmp(action, "purchases")) {
		error("'%s' is not a griot orange action; see 'griot orange --help'", action);
		return EX_USAGE;
	}
	if (o.appid && strcmp(action, "usage")) {
		error("--appid applies to 'griot orange usage' only");
		return EX_USAGE;
	}
	c = orange_client_from_config(ctx->cfg, o.timeout, 0);
	if (!c)
		return builtin_exit_code(GRIOT_ERR_CONFIG);
	if (!strcmp(action, "token"))
		ret = cmd_token(c, &o);
	else if (!strcmp(action, "balance"))
		ret = cmd_balance(c, &o);
	else if (!strcmp(action, "usage"))
		ret = cmd_usage(c, &o);
	else
		ret = cmd_purchases(c, &o);
	orange_client_free(c);
	return ret;
}
