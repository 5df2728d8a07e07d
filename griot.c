/*
 * griot — batch SMS campaigns over the Orange SMS API.
 * Entry point: global options, then one subcommand from the table below.
 */
#include "builtin.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const struct cmd_struct commands[] = {
	{ "help",     cmd_help,     NEED_NOTHING, "show help for griot or a command" },
	{ "version",  cmd_version,  NEED_NOTHING, "print griot's version" },
	{ "db",       cmd_db,       NEED_NOTHING, "migrate or inspect the database schema" },
	{ "import",   cmd_import,   NEED_DB,      "import a recipient CSV into a campaign" },
	{ "suppress", cmd_suppress, NEED_DB,      "manage the suppression list" },
	{ "campaign", cmd_campaign, NEED_DB,      "create, show, schedule, pause, resume, cancel campaigns" },
	{ "send",     cmd_send,     NEED_DB | NO_DUMP, "send pending messages at the shared rate limit" },
	{ "run-due",  cmd_run_due,  NEED_DB | NO_DUMP, "send every campaign due now (for cron/systemd)" },
	{ "receive",  cmd_receive,  NO_DUMP,      "serve the delivery-receipt endpoint" },
	{ "dr",       cmd_dr,       NEED_NOTHING, "subscribe, show or unsubscribe delivery receipts" },
	{ "orange",   cmd_orange,   NEED_NOTHING, "Orange account: token, balance, usage, purchases" },
	{ "report",   cmd_report,   NEED_DB,      "delivery and cost reports (text, CSV, HTML, JSON)" },
	{ "user",     cmd_user,     NEED_NOTHING, "add, list, disable console users" },
	{ "console",  cmd_console,  NEED_DB | NO_DUMP, "serve the web console" },
	{ NULL, NULL, 0, NULL }
};

/*
 * Before a long-running command reads its secrets (the Orange header, the
 * token, the path secret, a TLS key): no core file, and no ptrace or
 * /proc/PID/mem by other processes of the same user.
 */
static void no_core_dumps(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		warning("cannot turn core dumps off: %s", strerror(errno));
#ifndef __SANITIZE_ADDRESS__
	/* (not under ASan: LeakSanitizer must ptrace the process at exit) */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		warning("cannot make the process non-dumpable: %s", strerror(errno));
#endif
}

static const char usage_text[] =
	"usage: griot [--db CONNINFO] [--config FILE] [-q | -v] <command> [<args>]\n";

static void usage(FILE *out)
{
	const struct cmd_struct *c;

	fputs(usage_text, out);
	fputs("\ncommands:\n", out);
	for (c = commands; c->name; c++)
		fprintf(out, "   %-10s %s\n", c->name, c->summary);
	fputs("\n'griot <command> --help' describes one command; see also griot(1).\n"
	      "Exit codes: sysexits(3), one mapping for every command (griot(1), EXIT STATUS).\n"
	      "Environment: DATABASE_URL (or PG*), ORANGE_API_BASE, ORANGE_AUTH_HEADER\n"
	      "or ORANGE_CREDENTIALS_FILE, GRIOT_DR_SECRET, GRIOT_CONFIG.\n", out);
}

static const struct cmd_struct *find_cmd(const char *name)
{
	const struct cmd_struct *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int builtin_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

int builtin_need_db(struct griot_ctx *ctx)
{
	int ver, want = 0;
	const struct db_migration *m;

	if (ctx->db)
		return 0;
	if (db_connect(ctx->cfg->db_conninfo, &ctx->db) < 0)
		return -1;
	for (m = db_migrations; m->name; m++)
		if (m->version > want)
			want = m->version;
	db_set_quiet(ctx->db, true);
	ver = db_schema_version(ctx->db);
	db_set_quiet(ctx->db, false);
	if (ver < want)
		return error("database schema is at version %d, griot needs %d: "
			     "run 'griot db migrate'", ver < 0 ? 0 : ver, want);
	return 0;
}

int cmd_help(int argc, char **argv, struct griot_ctx *ctx)
{
	const struct cmd_struct *c;
	char *hargv[3];

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		error("'%s' is not a griot command", argv[1]);
		return EX_USAGE;
	}
	hargv[0] = (char *)c->name;
	hargv[1] = (char *)"--help";
	hargv[2] = NULL;
	return c->fn(2, hargv, ctx);
}

int cmd_version(int argc, char **argv, struct griot_ctx *ctx)
{
	printf("griot version %s\n", GRIOT_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct griot_config cfg;
	struct griot_ctx ctx = { &cfg, NULL };
	const struct cmd_struct *cmd;
	const char *config_file = NULL;
	int c, ret;

	config_init(&cfg);
	/* '+': stop at the first non-option, the subcommand. */
	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			config_set(&cfg.db_conninfo, optarg);
			hide_arg(optarg); /* a conninfo may hold a password */
			break;
		case 'c': config_file = optarg; break;
		case 'q': log_set_level(LOG_ERROR); break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'V': return cmd_version(0, NULL, &ctx);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		error("'%s' is not a griot command; see 'griot help'", argv[optind]);
		return EX_USAGE;
	}
	if (cmd->option & NO_DUMP)
		no_core_dumps();
	if (config_load(&cfg, config_file) < 0) {
		config_release(&cfg);
		return builtin_exit_code(GRIOT_ERR_CONFIG);
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* 0, not 1: makes GNU getopt reinitialise (permute again) */
	if ((cmd->option & NEED_DB) && !builtin_wants_help(argc, argv) &&
	    builtin_need_db(&ctx) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	ret = cmd->fn(argc, argv, &ctx);
out:
	db_close(ctx.db);
	config_release(&cfg);
	if (fflush(stdout) || ferror(stdout))
		ret = ret ? ret : builtin_exit_code(GRIOT_ERR_IO);
	return ret;
}
