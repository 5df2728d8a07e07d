/*
 * orange-sim: a strict local Orange SMS API for tests, the demo and
 * benches.  See docs/orange-sim.md.
 */
#include "tests/sim/sim.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct sim sim;

static const char usage_text[] =
"usage: orange-sim --listen HOST:PORT [--ledger FILE] [options]\n"
"\n"
"A strict local stand-in for the Orange SMS API.  Prints \"ready HOST:PORT\"\n"
"on stdout once listening; logs go to stderr; SIGTERM/SIGINT stop it.\n"
"\n"
"  --listen HOST:PORT      address to listen on; port 0 picks a free one\n"
"  --auth-header VALUE     the app's Authorization header for /oauth/v3/token\n"
"                          (default 'Basic dGVzdDp0ZXN0', i.e. test:test)\n"
"  --ledger FILE           append one JSON line per accepted SMS, refusal,\n"
"                          dropped answer and acknowledged receipt\n"
"  --public-base URL       base of Location/resourceURL (default http://HOST:PORT)\n"
"  --rate N                accepted sends per second per application (sliding\n"
"                          one-second window; default 5); beyond it 429\n"
"  --token-ttl S           token lifetime in seconds (default 3600)\n"
"  --shapes SHAPES         live (default): the shapes the live API answers with\n"
"                          today; documented: those of the portal page (token\n"
"                          expires_in a string, 28-character tokens, nested\n"
"                          admin answers, address echoed as a string)\n"
"  --token-length N        characters of an access_token (default 600 live,\n"
"                          a JWT; 28 documented)\n"
"  --token-rate N          token requests per minute before 429 (default 50)\n"
"  --expires-in-number     send expires_in as a JSON number, not a string\n"
"  --credits SPEC          units per country: MLI:500,CIV:1000; an expiry may\n"
"                          follow: MLI:500@2027-01-01T00:00:00, SEN:10@-1d\n"
"  --seed FILE             JSON purchase orders to seed credits with\n"
"  --sender-names A,B      senderName whitelist (none: no whitelist)\n"
"  --app-id ID             application id in statistics (default sim-app)\n"
"  --partner-id ID         partner id (default partner@example.com)\n"
"  --admin-shape SHAPE     admin answers only: documented or array (live)\n"
"  --echo-address MODE     address in the 201 body: string, array (live), none\n"
"delivery receipts:\n"
"  --dr-url URL            deliver receipts there even without a subscription\n"
"  --dr-delay MS           delay before a receipt is sent (default 100)\n"
"  --dr-mix S:W,...        weights over DeliveredToTerminal, DeliveredToNetwork,\n"
"                          DeliveryUncertain, DeliveryImpossible, MessageWaiting\n"
"                          (default DeliveredToTerminal:100)\n"
"  --dr-dup P              probability of sending the final receipt twice\n"
"  --dr-reorder            deliver receipts out of order\n"
"  --dr-waiting P          probability of a MessageWaiting before the final one\n"
"  --dr-retry-base MS      first retry delay after a non-200 (default 250, doubling)\n"
"  --dr-max-tries N        tries per receipt before giving up (default 10)\n"
"  --dr-threads N          receipts delivered side by side, one connection each (default 1)\n"
"  --allow-http-notify     accept http:// notifyURL (Orange requires https)\n"
"  --dr-cacert FILE        CA certificates for https receivers (e.g. self-signed)\n"
"  --dr-insecure           do not verify https receivers' certificates\n"
"faults:\n"
"  --fault-5xx P           answer 500/503 without accepting\n"
"  --fault-drop P          accept (ledger, credit) then close without answering\n"
"  --fault-latency MS      delay every API answer\n"
"  --fault-429 P           extra random 429s\n"
"  --fault-429-burst N:M   after every N accepted sends, refuse the next M with 429\n"
"  --fault-429-retry-after S  Retry-After of the injected and burst 429s (default 1)\n"
"  --fault-revoke N        revoke every token after every N accepted sends\n"
"  --seed-random N         deterministic randomness (ids, faults, DR plans)\n"
"other:\n"
"  --threads N             HTTP worker threads (default 4)\n"
"  -v, --verbose           log every request\n"
"  -h, --help              this text\n";

enum {
	OPT_LISTEN = 256, OPT_AUTH, OPT_LEDGER, OPT_BASE, OPT_RATE, OPT_TTL, OPT_EXPNUM,
	OPT_CREDITS, OPT_SEED, OPT_NAMES, OPT_APPID, OPT_PARTNER, OPT_SHAPE, OPT_ECHO,
	OPT_DRURL, OPT_DRDELAY, OPT_DRMIX, OPT_DRDUP, OPT_DRREORDER, OPT_DRWAIT,
	OPT_DRRETRY, OPT_DRTRIES, OPT_DRTHREADS, OPT_HTTPNOTIFY, OPT_F5XX, OPT_FDROP, OPT_FLAT, OPT_F429,
	OPT_FBURST, OPT_FRA, OPT_SEEDRAND, OPT_THREADS, OPT_DRCA, OPT_DRINSECURE, OPT_FREVOKE,
	OPT_SHAPES, OPT_TOKLEN, OPT_TOKRATE,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "auth-header", required_argument, NULL, OPT_AUTH },
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "public-base", required_argument, NULL, OPT_BASE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "token-ttl", required_argument, NULL, OPT_TTL },
	{ "expires-in-number", no_argument, NULL, OPT_EXPNUM },
	{ "shapes", required_argument, NULL, OPT_SHAPES },
	{ "token-length", required_argument, NULL, OPT_TOKLEN },
	{ "token-rate", required_argument, NULL, OPT_TOKRATE },
	{ "credits", required_argument, NULL, OPT_CREDITS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "sender-names", required_argument, NULL, OPT_NAMES },
	{ "app-id", required_argument, NULL, OPT_APPID },
	{ "partner-id", required_argument, NULL, OPT_PARTNER },
	{ "admin-shape", required_argument, NULL, OPT_SHAPE },
	{ "echo-address", required_argument, NULL, OPT_ECHO },
	{ "dr-url", required_argument, NULL, OPT_DRURL },
	{ "dr-delay", required_argument, NULL, OPT_DRDELAY },
	{ "dr-mix", required_argument, NULL, OPT_DRMIX },
	{ "dr-dup", required_argument, NULL, OPT_DRDUP },
	{ "dr-reorder", no_argument, NULL, OPT_DRREORDER },
	{ "dr-waiting", required_argument, NULL, OPT_DRWAIT },
	{ "dr-retry-base", required_argument, NULL, OPT_DRRETRY },
	{ "dr-max-tries", required_argument, NULL, OPT_DRTRIES },
	{ "dr-threads", required_argument, NULL, OPT_DRTHREADS },
	{ "allow-http-notify", no_argument, NULL, OPT_HTTPNOTIFY },
	{ "dr-cacert", required_argument, NULL, OPT_DRCA },
	{ "dr-insecure", no_argument, NULL, OPT_DRINSECURE },
	{ "fault-5xx", required_argument, NULL, OPT_F5XX },
	{ "fault-drop", required_argument, NULL, OPT_FDROP },
	{ "fault-latency", required_argument, NULL, OPT_FLAT },
	{ "fault-429", required_argument, NULL, OPT_F429 },
	{ "fault-429-burst", required_argument, NULL, OPT_FBURST },
	{ "fault-429-retry-after", required_argument, NULL, OPT_FRA },
	{ "fault-revoke", required_argument, NULL, OPT_FREVOKE },
	{ "seed-random", required_argument, NULL, OPT_SEEDRAND },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int opt_int(const char *name, const char *v, long min, long max, int *out)
{
	long l;

	if (parse_long(v, min, max, &l) < 0)
		return error("--%s: '%s' is not an integer in %ld..%ld", name, v, min, max);
	*out = (int)l;
	return 0;
}

static int opt_prob(const char *name, const char *v, double *out)
{
	double d;

	if (parse_double(v, &d) < 0 || d < 0 || d > 1)
		return error("--%s: '%s' is not a probability in 0..1", name, v);
	*out = d;
	return 0;
}

static int parse_mix(const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL, *tok;
	int w[DR_NSTATUS] = { 0 }, total = 0, i, ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		long v;

		if (!colon || parse_long(colon + 1, 0, 1000000, &v) < 0) {
			ret = error("--dr-mix: '%s': expected STATUS:WEIGHT", tok);
			goto out;
		}
		*colon = '\0';
		for (i = 0; i < DR_NSTATUS; i++)
			if (!strcmp(tok, sim_dr_status_names[i]))
				break;
		if (i == DR_NSTATUS) {
			ret = error("--dr-mix: unknown status '%s'", tok);
			goto out;
		}
		w[i] = (int)v;
		total += (int)v;
	}
	if (total <= 0) {
		ret = error("--dr-mix: the weights add up to 0");
		goto out;
	}
	memcpy(sim.o.dr_weights, w, sizeof(w));
out:
	free(copy);
	return ret;
}

static int parse_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	static char host[64];

	if (!colon || (size_t)(colon - v) >= sizeof(host) || colon == v)
		return error("--listen: '%s': expected HOST:PORT", v);
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	sim.o.listen_host = host;
	return opt_int("listen", colon + 1, 0, 65535, &sim.o.listen_port);
}

int main(int argc, char **argv)
{
	const char *credits = NULL, *seed = NULL, *admin_shape = NULL, *echo = NULL;
	char *auth_owned = NULL;
	sigset_t sigs;
	int c, sig, ret = EX_SOFTWARE;

	log_set_ident("orange-sim");
	sim.o.listen_host = "127.0.0.1";
	sim.o.listen_port = -1;
	sim.o.auth_header = "Basic dGVzdDp0ZXN0";
	sim.o.rate = 5;
	sim.o.token_ttl = 3600;
	sim.o.app_id = "sim-app";
	sim.o.partner_id = "partner@example.com";
	sim.o.token_rate = 50;
	sim.o.dr_delay_ms = 100;
	sim.o.dr_weights[DR_DELIVERED_TO_TERMINAL] = 100;
	sim.o.dr_retry_base_ms = 250;
	sim.o.dr_threads = 1;
	sim.o.dr_max_tries = 10;
	sim.o.threads = 4;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case OPT_LISTEN: r = parse_listen(optarg); break;
		case OPT_AUTH:
			free(auth_owned);
			sim.o.auth_header = auth_owned = xstrdup(optarg);
			hide_arg(optarg);   /* keep the secret out of ps */
			break;
		case OPT_LEDGER: sim.o.ledger_path = optarg; break;
		case OPT_BASE: sim.o.public_base = optarg; break;
		case OPT_RATE: r = opt_int("rate", optarg, 1, 1000000, &sim.o.rate); break;
		case OPT_TTL: r = opt_int("token-ttl", optarg, 1, 100000000, &sim.o.token_ttl); break;
		case OPT_EXPNUM: sim.o.expires_in_number = true; break;
		case OPT_CREDITS: credits = optarg; break;
		case OPT_SEED: seed = optarg; break;
		case OPT_NAMES: sim.o.sender_names = optarg; break;
		case OPT_APPID: sim.o.app_id = optarg; break;
		case OPT_PARTNER: sim.o.partner_id = optarg; break;
		case OPT_SHAPES:
			if (!strcmp(optarg, "documented"))
				sim.o.documented = true;
			else if (strcmp(optarg, "live"))
				r = error("--shapes: expected live or documented");
			break;
		case OPT_TOKLEN: r = opt_int("token-length", optarg, 8, 65536, &sim.o.token_length); break;
		case OPT_TOKRATE: r = opt_int("token-rate", optarg, 1, 1000000, &sim.o.token_rate); break;
		case OPT_SHAPE:
			if (strcmp(optarg, "array") && strcmp(optarg, "documented"))
				r = error("--admin-shape: expected documented or array");
			admin_shape = optarg;
			break;
		case OPT_ECHO:
			if (strcmp(optarg, "string") && strcmp(optarg, "array") && strcmp(optarg, "none"))
				r = error("--echo-address: expected string, array or none");
			echo = optarg;
			break;
		case OPT_DRURL: sim.o.dr_url = optarg; break;
		case OPT_DRDELAY: r = opt_int("dr-delay", optarg, 0, 86400000, &sim.o.dr_delay_ms); break;
		case OPT_DRMIX: r = parse_mix(optarg); break;
		case OPT_DRDUP: r = opt_prob("dr-dup", optarg, &sim.o.dr_dup); break;
		case OPT_DRREORDER: sim.o.dr_reorder = true; break;
		case OPT_DRWAIT: r = opt_prob("dr-waiting", optarg, &sim.o.dr_waiting); break;
		case OPT_DRRETRY: r = opt_int("dr-retry-base", optarg, 1, 600000, &sim.o.dr_retry_base_ms); break;
		case OPT_DRTRIES: r = opt_int("dr-max-tries", optarg, 1, 1000, &sim.o.dr_max_tries); break;
		case OPT_DRTHREADS: r = opt_int("dr-threads", optarg, 1, SIM_DR_MAX_THREADS, &sim.o.dr_threads); break;
		case OPT_HTTPNOTIFY: sim.o.allow_http_notify = true; break;
		case OPT_DRCA: sim.o.dr_cacert = optarg; break;
		case OPT_DRINSECURE: sim.o.dr_insecure = true; break;
		case OPT_F5XX: r = opt_prob("fault-5xx", optarg, &sim.o.fault_5xx); break;
		case OPT_FDROP: r = opt_prob("fault-drop", optarg, &sim.o.fault_drop); break;
		case OPT_FLAT: r = opt_int("fault-latency", optarg, 0, 600000, &sim.o.fault_latency_ms); break;
		case OPT_F429: r = opt_prob("fault-429", optarg, &sim.o.fault_429); break;
		case OPT_FBURST: {
			char *colon = strchr(optarg, ':');
			if (!colon) {
				r = error("--fault-429-burst: expected N:M");
				break;
			}
			*colon = '\0';
			r = opt_int("fault-429-burst", optarg, 1, 100000000, &sim.o.burst_every);
			if (!r)
				r = opt_int("fault-429-burst", colon + 1, 0, 100000000, &sim.o.burst_len);
			*colon = ':';
			break;
		}
		case OPT_FRA: r = opt_int("fault-429-retry-after", optarg, 1, 3600, &sim.o.fault_retry_after); break;
		case OPT_FREVOKE: r = opt_int("fault-revoke", optarg, 1, 100000000, &sim.o.revoke_every); break;
		case OPT_SEEDRAND: {
			long l;
			if (parse_long(optarg, 0, 0x7fffffffL, &l) < 0)
				r = error("--seed-random: '%s' is not a non-negative integer", optarg);
			sim.o.seed = (uint64_t)l;
			sim.o.seeded = true;
			break;
		}
		case OPT_THREADS: r = opt_int("threads", optarg, 1, 256, &sim.o.threads); break;
		case 'v': sim.o.verbose = true; log_set_level(LOG_DEBUG); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
		if (r < 0)
			return EX_USAGE;
	}
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	if (sim.o.listen_port < 0) {
		error("--listen HOST:PORT is required");
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	/* The shapes set the defaults; the finer options override them. */
	sim.o.admin_array = admin_shape ? !strcmp(admin_shape, "array") : !sim.o.documented;
	sim.o.echo_address = echo ? echo : sim.o.documented ? "string" : "array";
	if (!sim.o.token_length)
		sim.o.token_length = sim.o.documented ? SIM_TOKEN_LEN_DOCUMENTED : SIM_TOKEN_LEN_LIVE;
	if (sim_state_init() < 0)
		return EX_USAGE;
	if (credits && sim_parse_credits(credits) < 0)
		return EX_USAGE;
	if (seed && sim_load_seed(seed) < 0)
		return EX_DATAERR;
	if (sim.o.ledger_path) {
		sim.ledger = fopen(sim.o.ledger_path, "a");
		if (!sim.ledger) {
			error("--ledger %s: %s", sim.o.ledger_path, strerror(errno));
			return EX_CANTCREAT;
		}
	}

	/* Block the stop signals in every thread; main waits for them. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sim_http_start() < 0) {
		ret = EX_UNAVAILABLE;
		goto out;
	}
	if (sim.o.public_base)
		snprintf(sim.base, sizeof(sim.base), "%s", sim.o.public_base);
	else
		snprintf(sim.base, sizeof(sim.base), "http://%s:%d", sim.o.listen_host,
			 sim_http_port());
	if (sim_dr_start() < 0) {
		ret = EX_OSERR;
		goto out;
	}
	info("listening on %s:%d (rate %d/s, token ttl %ds)", sim.o.listen_host,
	     sim_http_port(), sim.o.rate, sim.o.token_ttl);
	printf("ready %s:%d\n", sim.o.listen_host, sim_http_port());
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	info("signal %d: shutting down (%lld accepted)", sig, sim.accepted);
	ret = 0;
out:
	sim_http_stop();
	sim_dr_stop();
	curl_global_cleanup();
	sim_state_release();
	if (auth_owned)
		secure_zero(auth_owned, strlen(auth_owned));
	free(auth_owned);
	return ret;
}
