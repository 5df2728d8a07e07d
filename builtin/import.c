/* griot import: a recipient CSV into a campaign (importer/import.c). */
#include "builtin.h"
#include "core/db.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "importer/import.h"
#include "importer/phone.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: griot import --campaign NAME [options] FILE.csv|FILE.xlsx|-\n"
	"\n"
	"Import recipients into a campaign (created as a draft if missing), in one\n"
	"transaction.  Sniffs the encoding (UTF-8, UTF-16 with BOM, Windows-1252),\n"
	"the delimiter (, ; tab) and the phone column from the header row; other\n"
	"columns become fields for the message template.  An Excel workbook\n"
	"(.xlsx) is read from its first sheet.  A country column (pays, country,\n"
	"indicatif) gives each row's country; --country is the default.\n"
	"\n"
	"  --campaign NAME       campaign to import into (required)\n"
	"  --country CODE        country of numbers written without country code\n"
	"                        (ISO code: MLI, CIV, SEN...; config key default_country)\n"
	"  --phone-column COL    header name or 1-based number of the phone column\n"
	"  --delimiter D         ',' ';' or 'tab' instead of sniffing\n"
	"  --rejects FILE        where to write rejected rows (default FILE.csv.rejects.csv,\n"
	"                        stdin.rejects.csv for standard input)\n"
	"  --dry-run             validate and count, write nothing to the database\n"
	"  --force               import a file whose content was imported before\n"
	"  --progress-every N    off a terminal, log a line every N rows (default 100000)\n"
	"  --json                print the summary as JSON\n"
	"\n"
	"Exit: 0 ok, 65 bad file, 66 no such file, 64 usage, 69 database unavailable,\n"
	"75 interrupted (nothing imported).  See docs/import.md.\n";

static volatile sig_atomic_t cancelled;
/* Set while import_run() may wait on the server (end of COPY, the
 * staged rows' verdicts, the commit): Ctrl-C cancels that work too. */
static struct db_cancel *volatile cancel_server;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
	if (cancel_server)
		db_cancel_send(cancel_server);
}

static void print_summary(const char *campaign, const char *file,
			  const struct import_summary *s, bool json)
{
	int i;

	if (json) {
		struct json_gen *g = json_gen_new(true);
		char delim[4] = { s->delimiter, 0 };

		if (s->delimiter == '\t')
			strlcpy_(delim, "tab", sizeof(delim));
		json_map_open(g);
		json_kv_str(g, "campaign", campaign);
		json_kv_int(g, "campaign_id", s->campaign_id);
		json_kv_bool(g, "campaign_created", s->campaign_created);
		if (s->import_id)
			json_kv_int(g, "import_id", s->import_id);
		else
			json_kv_str(g, "import_id", NULL);
		json_kv_str(g, "file", file);
		json_kv_str(g, "sha256", s->sha256);
		json_kv_str(g, "encoding", s->encoding);
		json_kv_str(g, "delimiter", delim);
		json_kv_bool(g, "dry_run", s->dry_run);
		json_kv_int(g, "read", s->read);
		json_kv_int(g, "imported", s->imported);
		json_kv_int(g, "duplicates", s->duplicates);
		json_kv_int(g, "suppressed", s->suppressed);
		json_kv_int(g, "rejected", s->rejected);
		json_key(g, "reasons");
		json_map_open(g);
		for (i = 0; i < IMPORT_NREASONS; i++)
			json_kv_int(g, import_reason_code(i), s->by_reason[i]);
		json_map_close(g);
		json_key(g, "phone_columns");
		json_map_open(g);
		for (i = 0; i < s->nphone_cols; i++)
			json_kv_int(g, s->phone_cols[i].name, s->phone_cols[i].rows);
		json_map_close(g);
		json_kv_str(g, "rejects_file", s->rejects_path);
		json_kv_double(g, "seconds", s->seconds);
		json_map_close(g);
		json_gen_finish(g, stdout);
		return;
	}
	printf("%s %s into campaign '%s'%s\n", s->dry_run ? "dry run of" : "imported", file,
	       campaign, s->campaign_created ? (s->dry_run ? " (would be created)" :
						" (created as a draft)") : "");
	printf("  %-12s %10lld\n", "read", s->read);
	printf("  %-12s %10lld\n", "imported", s->imported);
	printf("  %-12s %10lld\n", "duplicates", s->duplicates);
	printf("  %-12s %10lld\n", "suppressed", s->suppressed);
	printf("  %-12s %10lld\n", "rejected", s->rejected);
	for (i = 0; i < IMPORT_NREASONS; i++)
		if (s->by_reason[i] && i != IMPORT_DUPLICATE && i != IMPORT_SUPPRESSED)
			printf("    %-18s %8lld\n", import_reason_code(i), s->by_reason[i]);
	if (s->nphone_cols > 1) {
		printf("numbers taken from the first phone column holding a mobile:");
		for (i = 0; i < s->nphone_cols; i++)
			printf("%s %s (%lld)", i ? "," : "", s->phone_cols[i].name,
			       s->phone_cols[i].rows);
		printf("\n");
	}
	if (s->rejects_path)
		printf("rejected, duplicate and suppressed rows: %s\n", s->rejects_path);
	printf("%s, %s, %.1f s (%.0f rows/s)\n", s->encoding,
	       s->delimiter == '\t' ? "tab-separated" : s->delimiter == ';' ?
	       "';'-separated" : "','-separated", s->seconds,
	       s->seconds > 0 ? s->read / s->seconds : 0.0);
}

int cmd_import(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' },
		{ "country", required_argument, NULL, 'C' },
		{ "phone-column", required_argument, NULL, 'p' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "rejects", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "progress-every", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct import_opts o;
	struct import_summary s;
	struct sigaction sa, old_int, old_term;
	const char *country = config_get(ctx->cfg, "default_country");
	bool json = false;
	long n;
	int c, ret;

	memset(&o, 0, sizeof(o));
	/* 0: re-initialise GNU getopt, which main() left in "stop at the first
	 * non-option" mode, so options may follow the arguments. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.campaign = optarg; break;
		case 'C': country = optarg; break;
		case 'p': o.phone_column = optarg; break;
		case 'd':
			if (!strcmp(optarg, "tab") || !strcmp(optarg, "\\t") || !strcmp(optarg, "\t"))
				o.delimiter = '\t';
			else if (!strcmp(optarg, ",") || !strcmp(optarg, ";"))
				o.delimiter = optarg[0];
			else {
				error("--delimiter must be ',' ';' or 'tab'");
				return EX_USAGE;
			}
			break;
		case 'r': o.rejects_path = optarg; break;
		case 'n': o.dry_run = true; break;
		case 'f': o.force = true; break;
		case 'P':
			if (parse_long(optarg, 1, 1000000000L, &n) < 0) {
				error("--progress-every needs a positive number");
				return EX_USAGE;
			}
			o.progress_every = n;
			break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
	}
	if (optind != argc - 1 || !o.campaign || !*o.campaign) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	o.path = argv[optind];
	if (country) {
		o.country = phone_country_find(country);
		if (!o.country) {
			error("unknown country '%s': use one of BWA BFA CMR CIV COD EGY JOR GIN "
			      "MLI NER SEN TUN", country);
			return EX_USAGE;
		}
	}

	/* Ctrl-C or a TERM rolls back cleanly instead of dying mid-COPY. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	o.cancel = &cancelled;
	cancel_server = db_cancel_new(ctx->db);

	ret = import_run(ctx->db, &o, &s);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	db_cancel_free(cancel_server);
	cancel_server = NULL;
	if (ret == 0)
		print_summary(o.campaign, strcmp(o.path, "-") ? o.path : "standard input", &s, json);
	ret = ret == 0 ? 0 : builtin_exit_code(s.err != GRIOT_OK ? s.err : GRIOT_ERR_INTERNAL);
	import_summary_release(&s);
	return ret;
}
