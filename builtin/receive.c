/* griot receive: serve the delivery-receipt endpoint (receiver/). */
#include "builtin.h"
#include "receiver/receiver.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_receive[] =
	"usage: griot receive [--listen ADDR:PORT] [--secret S] [--allow CIDR,...]\n"
	"                     [--trust-proxy CIDR,...] [--tls-cert F --tls-key F]\n"
	"                     [--tls-priority S]\n"
	"                     [--max-body N] [--queue N] [--batch N] [--timeout S]\n"
	"                     [--max-connections N] [--max-per-address N]\n"
	"                     [--request-deadline S] [--metrics-allow CIDR,...]\n"
	"                     [--threads N] [--writers N]\n"
	"\n"
	"Serve POST /orange/dr/SECRET for Orange's delivery receipts; GET /healthz\n"
	"and GET /metrics (Prometheus).  A receipt is answered 200 only once it is\n"
	"committed; 503 while the database is unreachable.  Prints 'ready ADDR:PORT'\n"
	"on stdout once listening.  SIGTERM: stop accepting, commit and answer what\n"
	"is in flight, exit 0.\n"
	"\n"
	"  --listen ADDR:PORT     address to listen on (default 127.0.0.1:8080,\n"
	"                         config key dr_listen; port 0 picks a free one)\n"
	"  --secret S             path secret, 16-128 of [A-Za-z0-9._~-]\n"
	"                         (default GRIOT_DR_SECRET or config dr_secret)\n"
	"  --allow CIDR,...       source addresses allowed (replaces the default:\n"
	"                         Orange's 80.12.13.2 80.12.102.66 80.12.209.66 80.12.66.97)\n"
	"  --trust-proxy CIDR,... proxies whose X-Forwarded-For is believed\n"
	"  --tls-cert F, --tls-key F   serve HTTPS directly (PEM files; the key\n"
	"                         file must be readable by its owner only)\n"
	"  --tls-priority S       GnuTLS priority string (default: TLS 1.2 and 1.3,\n"
	"                         forward-secret key exchange only:\n"
	"                         " RECEIVER_TLS_PRIORITY_DEFAULT ")\n"
	"  --max-body N           largest body accepted, bytes (default 4096; 413 beyond)\n"
	"  --queue N              receipts waiting for a commit before 503 (default 4096)\n"
	"  --batch N              receipts per transaction at most (default 1024)\n"
	"  --timeout S            idle/slow connection timeout, seconds (default 10)\n"
	"  --max-connections N    concurrent connections (default 1000)\n"
	"  --max-per-address N    concurrent connections from one address (default\n"
	"                         100; trusted proxies exempt)\n"
	"  --request-deadline S   a request's headers and body must arrive within S\n"
	"                         seconds of its start, however they trickle (default 30)\n"
	"  --metrics-allow CIDR,... sources allowed GET /metrics (default\n"
	"                         127.0.0.1 and ::1)\n"
	"  --threads N            HTTP threads (default 1)\n"
	"  --writers N            database writers, each its own connection (default 1)\n"
	"\nConnections from outside --allow, --trust-proxy and --metrics-allow are\n"
	"closed as soon as they are accepted.\n"
	"\nSee docs/receiver.md.\n";

static int parse_uint_opt(const char *name, const char *v, long min, long max, unsigned *out)
{
	long n;

	if (parse_long(v, min, max, &n) < 0)
		return error("--%s: '%s' is not a number from %ld to %ld", name, v, min, max);
	*out = (unsigned)n;
	return 0;
}

int cmd_receive(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "secret", required_argument, NULL, 's' },
		{ "allow", required_argument, NULL, 'a' },
		{ "trust-proxy", required_argument, NULL, 'p' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-priority", required_argument, NULL, 'R' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "queue", required_argument, NULL, 'q' },
		{ "batch", required_argument, NULL, 'B' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "max-per-address", required_argument, NULL, 'P' },
		{ "request-deadline", required_argument, NULL, 'D' },
		{ "metrics-allow", required_argument, NULL, 'M' },
		{ "threads", required_argument, NULL, 'T' },
		{ "writers", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct receiver_opts o;
	struct receiver *r = NULL;
	char *secret = NULL;
	unsigned body = 0;
	enum griot_err e;
	int c, sig, ret = 0;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 's':
			free(secret);
			secret = xstrdup(optarg);
			hide_arg(optarg); /* keep it out of ps */
			break;
		case 'a': o.allow = optarg; break;
		case 'p': o.trust_proxy = optarg; break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'R': o.tls_priority = optarg; break;
		case 'b':
			if (parse_uint_opt("max-body", optarg, 256, RECEIVER_MAX_BODY_LIMIT, &body) < 0)
				goto usage;
			o.max_body = body;
			break;
		case 'q':
			if (parse_uint_opt("queue", optarg, 1, 1000000, &o.queue_max) < 0)
				goto usage;
			break;
		case 'B':
			if (parse_uint_opt("batch", optarg, 1, 10000, &o.batch_max) < 0)
				goto usage;
			break;
		case 't':
			if (parse_uint_opt("timeout", optarg, 1, 3600, &o.timeout) < 0)
				goto usage;
			break;
		case 'm':
			if (parse_uint_opt("max-connections", optarg, 1, 100000, &o.max_connections) < 0)
				goto usage;
			break;
		case 'P':
			if (parse_uint_opt("max-per-address", optarg, 1, 100000, &o.max_per_address) < 0)
				goto usage;
			break;
		case 'D':
			if (parse_uint_opt("request-deadline", optarg, 1, 3600, &o.request_deadline) < 0)
				goto usage;
			break;
		case 'M': o.metrics_allow = optarg; break;
		case 'T':
			if (parse_uint_opt("threads", optarg, 1, 64, &o.threads) < 0)
				goto usage;
			break;
		case 'W':
			if (parse_uint_opt("writers", optarg, 1, 16, &o.writers) < 0)
				goto usage;
			break;
		case 'h':
			fputs(usage_receive, stdout);
			goto out;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (!o.listen)
		o.listen = config_get(ctx->cfg, "dr_listen");
	o.secret = secret ? secret : ctx->cfg->dr_secret;
	/* the writers connect by themselves, and keep trying while the
	 * database is unreachable (503 meanwhile) */
	o.conninfo = ctx->cfg->db_conninfo;
	e = receiver_start(&o, &r);
	if (e != GRIOT_OK) {
		ret = builtin_exit_code(e);
		goto out;
	}
	printf("ready %s\n", receiver_address(r));
	fflush(stdout);
	sig = receiver_wait(r);
	info("%s received", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	if (receiver_stop(r) < 0)
		ret = builtin_exit_code(GRIOT_ERR_TEMPFAIL);
	goto out;
usage:
	fputs(usage_receive, stderr);
	ret = EX_USAGE;
out:
	receiver_free(r);
	if (secret) {
		secure_zero(secret, strlen(secret));
		free(secret);
	}
	return ret;
}
