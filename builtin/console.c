/* griot console: the web console for marketing ops (console/). */
#include "builtin.h"
#include "console/console.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage_console[] =
	"usage: griot console [--listen ADDR:PORT] [--tls-cert F --tls-key F]\n"
	"                     [--data-dir DIR] [--max-upload MIB]\n"
	"\n"
	"Serve the web console: log in, create campaigns, upload recipient files,\n"
	"check counts, rejects, units and balance, schedule, watch, pause, resume,\n"
	"cancel, open the reports; French and English.  Users: 'griot user'.\n"
	"Prints 'ready ADDR:PORT' on stdout once listening.  GET /healthz answers\n"
	"200.  SIGTERM or SIGINT stops it.\n"
	"\n"
	"  --listen ADDR:PORT   address to listen on (default 127.0.0.1:8090, config\n"
	"                       key console_listen; port 0 picks a free one)\n"
	"  --tls-cert F, --tls-key F   serve HTTPS (PEM files); without them put the\n"
	"                       console behind an HTTPS proxy: its cookies are Secure\n"
	"  --data-dir DIR       where upload rejects are kept (default var/console,\n"
	"                       config key console_data_dir)\n"
	"  --max-upload MIB     largest recipient file accepted (default 512)\n"
	"\nSee docs/console.md.\n";

int cmd_console(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "max-upload", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct console_opts o;
	struct console *cs = NULL;
	long mib;
	int ch, sig, ret;

	memset(&o, 0, sizeof(o));
	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': o.listen = optarg; break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'd': o.data_dir = optarg; break;
		case 'm':
			if (parse_long(optarg, 1, 1L << 20, &mib) < 0) {
				error("--max-upload: '%s' is not a number of MiB from 1", optarg);
				return EX_USAGE;
			}
			o.max_upload = (long long)mib << 20;
			break;
		case 'h': fputs(usage_console, stdout); return 0;
		default: fputs(usage_console, stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_console, stderr);
		return EX_USAGE;
	}
	if (!o.listen)
		o.listen = config_get(ctx->cfg, "console_listen");
	if (!o.data_dir)
		o.data_dir = config_get(ctx->cfg, "console_data_dir");
	o.conninfo = ctx->cfg->db_conninfo;
	o.cfg = ctx->cfg;
	if (console_start(&o, &cs) < 0) {
		console_free(cs);
		return builtin_exit_code(GRIOT_ERR_SERVICE);
	}
	printf("ready %s\n", console_address(cs));
	fflush(stdout);
	sig = console_wait(cs);
	info("console: %s, stopping", strsignal(sig));
	console_free(cs);
	ret = 0;
	return ret;
}
