/* griot report: delivery and cost reports (reporter/, docs/reports.md). */
#include "builtin.h"
#include "core/afile.h"
#include "core/strbuf.h"
#include "reporter/report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: griot report [--campaign NAME] [--since TIME] [--until TIME] [--country ISO3]\n"
	"                    [--format text|csv|html|json] [-o FILE] [--json]\n"
	"                    [--recipients FILE.csv [--fields A,B,...]] [--sep ',' | ';']\n"
	"                    [--now TIME] [--offline] [--app-id ID] [--cache-ttl SECONDS]\n"
	"                    [--lang fr|en]\n"
	"\n"
	"Delivery, cost, balance and reconciliation for one campaign, a period or\n"
	"everything.  Without -o a plain-text summary is printed on the terminal.\n"
	"\n"
	"  --campaign NAME      only this campaign\n"
	"  --since, --until     only messages sent in [since, until) (e.g. 2024-05-01,\n"
	"                       '2024-05-01 22:00+00'); times without a zone are UTC\n"
	"  --country ISO3       only this country (MLI, CIV, SEN, ...)\n"
	"  --format FMT         text, csv, html or json; default from -o's extension\n"
	"  -o, --output FILE    write the report there (atomically)\n"
	"  --json               the JSON report on stdout (same as --format json)\n"
	"  --recipients FILE    also write one CSV row per recipient (UTF-8 with BOM)\n"
	"  --fields A,B         personal fields from the imported CSV to include\n"
	"  --sep ';'            CSV separator for French-locale Excel (decimal comma)\n"
	"  --now TIME           the clock for the 24-hour rules (default: now)\n"
	"  --offline            do not ask Orange (balance, prices, usage missing)\n"
	"  --app-id ID          our Orange application id, for reconciliation\n"
	"                       (default: orange_app_id in the config file)\n"
	"  --cache-ttl SECONDS  reuse Orange's answers this long (default 300, 0 = off)\n"
	"  --lang fr|en         language of the HTML report and of its numbers, dates\n"
	"                       and money (default: French when LC_ALL, LC_MESSAGES or\n"
	"                       LANG is fr_*, else English)\n"
	"\n"
	"The report is still written when Orange is unreachable, marked partial with\n"
	"the reasons.  Definitions of every figure: docs/reports.md.\n";

enum {
	OPT_CAMPAIGN = 256, OPT_SINCE, OPT_UNTIL, OPT_COUNTRY, OPT_FORMAT, OPT_JSON,
	OPT_RECIPIENTS, OPT_FIELDS, OPT_SEP, OPT_NOW, OPT_OFFLINE, OPT_APP_ID, OPT_TTL,
	OPT_LANG,
};

static char **split_fields(const char *s)
{
	size_t n = 1, i = 0;
	const char *p;
	char **out, *copy, *tok, *save = NULL;

	for (p = s; *p; p++)
		if (*p == ',')
			n++;
	out = xcalloc(n + 1, sizeof(*out));
	copy = xstrdup(s);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, tok);
		strbuf_trim(&sb);
		if (sb.len)
			out[i++] = strbuf_detach(&sb, NULL);
		strbuf_release(&sb);
	}
	free(copy);
	return out;
}

static void free_fields(char **f)
{
	size_t i;

	for (i = 0; f && f[i]; i++)
		free(f[i]);
	free(f);
}

int cmd_report(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, OPT_CAMPAIGN },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "country", required_argument, NULL, OPT_COUNTRY },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "recipients", required_argument, NULL, OPT_RECIPIENTS },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "sep", required_argument, NULL, OPT_SEP },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "app-id", required_argument, NULL, OPT_APP_ID },
		{ "cache-ttl", required_argument, NULL, OPT_TTL },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_opts ro;
	struct report_recipients_opts rec;
	struct report *r = NULL;
	struct strbuf out = STRBUF_INIT;
	const char *output = NULL, *recipients = NULL, *fields = NULL;
	char **field_list = NULL;
	enum griot_err e;
	int format = -1, json = 0, c, ret = 0;
	char sep = ',';
	enum lang lang = lang_from_env();
	long ttl;

	memset(&ro, 0, sizeof(ro));
	memset(&rec, 0, sizeof(rec));
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CAMPAIGN: ro.campaign = optarg; break;
		case OPT_SINCE: ro.since = optarg; break;
		case OPT_UNTIL: ro.until = optarg; break;
		case OPT_COUNTRY: ro.country = optarg; break;
		case OPT_FORMAT:
			format = report_format_parse(optarg);
			if (format < 0) {
				error("--format '%s': expected text, csv, html or json", optarg);
				return EX_USAGE;
			}
			break;
		case 'o': output = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_RECIPIENTS: recipients = optarg; break;
		case OPT_FIELDS: fields = optarg; break;
		case OPT_SEP:
			if (strcmp(optarg, ",") && strcmp(optarg, ";")) {
				error("--sep '%s': expected ',' or ';'", optarg);
				return EX_USAGE;
			}
			sep = *optarg;
			break;
		case OPT_NOW: ro.now = optarg; break;
		case OPT_OFFLINE: ro.offline = true; break;
		case OPT_APP_ID: ro.app_id = optarg; break;
		case OPT_TTL:
			if (parse_long(optarg, 0, 86400, &ttl) < 0) {
				error("--cache-ttl '%s': expected seconds (0 to 86400)", optarg);
				return EX_USAGE;
			}
			ro.cache_ttl = ttl ? (int)ttl : -1;
			break;
		case OPT_LANG:
			if (lang_parse(optarg) < 0) {
				error("--lang '%s': expected fr or en", optarg);
				return EX_USAGE;
			}
			lang = (enum lang)lang_parse(optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	/* --since/--until/--now without a zone mean UTC, as the help says,
	 * whatever the server's TimeZone setting. */
	if (db_exec(ctx->db, "SET TIME ZONE 'UTC'") < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	if (json) {
		if (format >= 0 && format != REPORT_JSON) {
			error("--json and --format disagree");
			return EX_USAGE;
		}
		format = REPORT_JSON;
	}
	if (format < 0)
		format = output ? report_format_from_path(output) : REPORT_TEXT;
	if (format < 0) {
		error("-o %s: cannot tell the format from the name; add --format "
		      "text|csv|html|json", output);
		return EX_USAGE;
	}
	if (fields && !recipients) {
		error("--fields only applies to --recipients FILE.csv");
		return EX_USAGE;
	}

	e = report_build(ctx->db, ctx->cfg, &ro, &r);
	if (e != GRIOT_OK)
		return builtin_exit_code(e);

	if (format == REPORT_CSV)
		report_render_csv(r, sep, &out);
	else if (report_render(r, format, lang, &out) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_INTERNAL);
		goto out;
	}
	if (output) {
		if (afile_write(output, out.buf, out.len, 0644) < 0) {
			ret = builtin_exit_code(GRIOT_ERR_CANTCREAT);
			goto out;
		}
		if (!json)
			printf("report written to %s\n", output);
	} else {
		fwrite(out.buf, 1, out.len, stdout);
	}

	if (recipients) {
		long long rows = 0;

		field_list = fields ? split_fields(fields) : NULL;
		rec.fields = (const char *const *)field_list;
		rec.sep = sep;
		rec.progress = log_stderr_is_tty();
		/* The same scope, normalised, as the report. */
		ro.since = r->since;
		ro.until = r->until;
		ro.now = r->now;
		if (report_write_recipients(ctx->db, &ro, &rec, recipients, &rows) < 0) {
			ret = builtin_exit_code(GRIOT_ERR_CANTCREAT);
			goto out;
		}
		info("%lld recipient rows written to %s", rows, recipients);
	}
	if (r->partial)
		warning("partial report: %zu reason(s), first: %s", r->nr_reasons, r->reasons[0]);
out:
	free_fields(field_list);
	strbuf_release(&out);
	report_free(r);
	return ret;
}
