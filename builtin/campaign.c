/*
 * griot campaign create|show|list|schedule|pause|resume|cancel
 */
#include "builtin.h"
#include "campaign/campaign.h"
#include "campaign/window.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "orange/orange.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char campaign_usage[] =
	"usage: griot campaign create NAME --sender tel:+2230000 (--message TEXT | --message-file F)\n"
	"                             [--sender-name N] [--start TIME] [--window 08:00-20:00]\n"
	"                             [--tz Africa/Bamako] [--window-tz ZONE] [--json]\n"
	"       griot campaign show NAME [--json]\n"
	"       griot campaign list [--json]\n"
	"       griot campaign schedule NAME [--start TIME] [--allow-partial] [--json]\n"
	"       griot campaign pause NAME [--reason TEXT] [--json]\n"
	"       griot campaign resume NAME [--json]\n"
	"       griot campaign cancel NAME [--json]\n"
	"       griot campaign retry-failed NAME [--reason TEXT] [--json]\n"
	"\n"
	"A message is a template: {{column}} is replaced by that CSV column of the\n"
	"recipient, {{phone}} by the number; a missing or empty column is an error\n"
	"listed by 'show' and refused by 'schedule'.  TIME is 'now', an ISO time\n"
	"(2026-11-25T08:00:00Z) or a local time ('2026-11-25 08:00') in --tz.\n"
	"The window is the daily sending period in each recipient's local time\n"
	"(the zone of the number's country: Africa/Bamako for +223, Africa/Cairo\n"
	"for +20, ...); --window-tz ZONE judges it in ZONE for everyone instead.\n"
	"'show' previews the messages (GSM-7 or UCS-2, units per country against\n"
	"the Orange contracts, estimated finish at the rate limit); 'schedule'\n"
	"refuses when a country's credit is short unless --allow-partial.\n"
	"'resume' also lifts the holds put on countries whose credit ran out.\n"
	"'retry-failed' puts the failed messages back to pending (with --reason,\n"
	"only those whose last error contains TEXT, e.g. 'senderName').\n";

static int usage_err(void)
{
	fputs(campaign_usage, stderr);
	return EX_USAGE;
}

/* A one-line result for the lifecycle commands. */
static void print_result(bool json, const struct campaign *c, const char *what)
{
	if (json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_kv_str(g, "name", c->name);
		json_kv_str(g, "status", c->status);
		json_kv_str(g, "result", what);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("campaign '%s' %s (now %s)\n", c->name, what, c->status);
	}
}

/* Load campaign `name`: 0, or the exit code of its error. */
static int load_or_fail(struct griot_ctx *ctx, const char *name, struct campaign *c)
{
	return builtin_exit_code(campaign_find(ctx->db, name, c));
}

static int cmd_create(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "message", required_argument, NULL, 'm' },
		{ "message-file", required_argument, NULL, 'f' },
		{ "sender-name", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' },
		{ "tz", required_argument, NULL, 'z' },
		{ "window-tz", required_argument, NULL, 'Z' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct campaign_spec spec;
	struct strbuf file = STRBUF_INIT;
	const char *mfile = NULL;
	struct campaign c;
	bool json = false, created;
	enum griot_err e;
	int ch;

	memset(&spec, 0, sizeof(spec));
	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': spec.sender = optarg; break;
		case 'm': spec.message = optarg; break;
		case 'f': mfile = optarg; break;
		case 'n': spec.sender_name = optarg; break;
		case 't': spec.start = optarg; break;
		case 'w': spec.window = optarg; break;
		case 'z': spec.tz = optarg; break;
		case 'Z': spec.window_tz = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(campaign_usage, stdout); return 0;
		default: return usage_err();
		}
	}
	if (optind != argc - 1)
		return usage_err();
	spec.name = argv[optind];
	if (!spec.sender) {
		error("--sender is required (e.g. --sender tel:+2230000)");
		return EX_USAGE;
	}
	if (!!spec.message == !!mfile) {
		error("give exactly one of --message TEXT and --message-file FILE");
		return EX_USAGE;
	}
	if (mfile) {
		if (strbuf_read_file(&file, mfile, 1 << 20) < 0) {
			error("cannot read message file %s: %s", mfile, strerror(errno));
			strbuf_release(&file);
			return builtin_exit_code(GRIOT_ERR_NOINPUT);
		}
		/* A trailing newline from an editor is not part of the SMS. */
		while (file.len && (file.buf[file.len - 1] == '\n' || file.buf[file.len - 1] == '\r'))
			strbuf_setlen(&file, file.len - 1);
		if (strlen(file.buf) != file.len) {
			error("message file %s holds a NUL byte: not a text file", mfile);
			strbuf_release(&file);
			return builtin_exit_code(GRIOT_ERR_DATA);
		}
		spec.message = file.buf;
	}
	e = campaign_create(ctx->db, &spec, &created);
	strbuf_release(&file);
	if (e != GRIOT_OK)
		return builtin_exit_code(e);
	if (campaign_load(ctx->db, spec.name, &c) != 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	print_result(json, &c, created ? "created" : "updated");
	campaign_release(&c);
	return 0;
}

static struct orange_client *client_or_null(struct griot_ctx *ctx, char *why, size_t size)
{
	struct orange_client *cl;

	if (!ctx->cfg->auth_header && !ctx->cfg->credentials_file) {
		snprintf(why, size, "no Orange credentials configured");
		return NULL;
	}
	cl = orange_client_from_config(ctx->cfg, 10, 1);
	if (!cl)
		snprintf(why, size, "Orange credentials unusable");
	return cl;
}

static int cmd_show(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-credit", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct campaign c;
	struct campaign_preview pv;
	struct orange_client *cl = NULL;
	bool json = false, no_credit = false;
	char why[128] = "";
	int ch, ret;

	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'N': no_credit = true; break;
		case 'h': fputs(campaign_usage, stdout); return 0;
		default: return usage_err();
		}
	}
	if (optind != argc - 1)
		return usage_err();
	if ((ret = load_or_fail(ctx, argv[optind], &c)))
		return ret;
	if (!no_credit && !campaign_finished(CAMPAIGN_STATUS(c.status)))
		cl = client_or_null(ctx, why, sizeof(why));
	ret = campaign_preview(ctx->db, &c, cl, false, 0, &pv);
	if (ret == 0 && !cl && *why)
		snprintf(pv.credit_error, sizeof(pv.credit_error), "credit not checked: %s", why);
	if (ret == 0) {
		if (json) {
			struct json_gen *g = json_gen_new(true);
			campaign_preview_json(g, &c, &pv);
			json_gen_finish(g, stdout);
		} else {
			campaign_preview_print(&c, &pv);
		}
	}
	campaign_preview_release(&pv);
	orange_client_free(cl);
	campaign_release(&c);
	return ret < 0 ? builtin_exit_code(GRIOT_ERR_DB) : 0;
}

static int cmd_list(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct db_result *r;
	struct json_gen *g = NULL;
	struct strbuf sql = STRBUF_INIT;
	bool json = false;
	int ch, n, i, k;

	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 'h': fputs(campaign_usage, stdout); return 0;
		default: return usage_err();
		}
	}
	if (optind != argc)
		return usage_err();
	strbuf_addstr(&sql, "SELECT c.name, c.status,"
		      " coalesce(to_char(c.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
		      " count(m.id)");
	for (k = 0; k < MSG_STATUS_NR; k++)
		strbuf_addf(&sql, ", count(m.id) FILTER (WHERE m.send_status = '%s')",
			    msg_status_names[k]);
	strbuf_addstr(&sql, ", (SELECT count(*) FROM campaign_country_holds h WHERE h.campaign_id = c.id)"
		      " FROM campaigns c LEFT JOIN messages m ON m.campaign_id = c.id"
		      " GROUP BY c.id ORDER BY c.id");
	n = db_query(ctx->db, &r, sql.buf, 0, NULL);
	strbuf_release(&sql);
	if (n < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	if (json) {
		g = json_gen_new(true);
		json_array_open(g);
	} else {
		printf("%-24s %-10s %-21s %8s %8s %8s %8s %8s %8s\n", "name", "status", "start",
		       "total", "pending", "sending", "sent", "failed", "unknown");
	}
	for (i = 0; i < n; i++) {
		if (json) {
			json_map_open(g);
			json_kv_str(g, "name", db_result_get(r, i, 0));
			json_kv_str(g, "status", db_result_get(r, i, 1));
			json_kv_str(g, "start_at", *db_result_get(r, i, 2) ? db_result_get(r, i, 2) : NULL);
			json_kv_int(g, "total", db_result_int(r, i, 3));
			json_key(g, "send");
			json_map_open(g);
			for (k = 0; k < MSG_STATUS_NR; k++)
				json_kv_int(g, msg_status_names[k], db_result_int(r, i, 4 + k));
			json_map_close(g);
			json_kv_int(g, "held_countries", db_result_int(r, i, 4 + MSG_STATUS_NR));
			json_map_close(g);
		} else {
			printf("%-24s %-10s %-21s %8s %8s %8s %8s %8s %8s%s\n", db_result_get(r, i, 0),
			       db_result_get(r, i, 1), *db_result_get(r, i, 2) ? db_result_get(r, i, 2) : "-",
			       db_result_get(r, i, 3), db_result_get(r, i, 4), db_result_get(r, i, 5),
			       db_result_get(r, i, 6), db_result_get(r, i, 7), db_result_get(r, i, 8),
			       db_result_int(r, i, 4 + MSG_STATUS_NR) ? "  (countries held)" : "");
		}
	}
	db_result_free(r);
	if (json) {
		json_array_close(g);
		json_gen_finish(g, stdout);
	}
	return 0;
}

static int cmd_schedule(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "start", required_argument, NULL, 't' },
		{ "allow-partial", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct campaign c;
	struct campaign_preview pv;
	struct campaign_schedule_opts so;
	struct orange_client *cl = NULL;
	const char *start = NULL;
	bool json = false, partial = false;
	double start_at = 0;
	char why[128] = "";
	int ch, ret;

	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': start = optarg; break;
		case 'p': partial = true; break;
		case 'j': json = true; break;
		case 'h': fputs(campaign_usage, stdout); return 0;
		default: return usage_err();
		}
	}
	if (optind != argc - 1)
		return usage_err();
	if ((ret = load_or_fail(ctx, argv[optind], &c)))
		return ret;
	memset(&so, 0, sizeof(so));
	cl = client_or_null(ctx, why, sizeof(why));
	so.start = start;
	so.allow_partial = partial;
	so.client = cl;
	so.no_client_why = why;
	ret = builtin_exit_code(campaign_schedule_checked(ctx->db, &c, &so, &pv, &start_at));
	if (ret)
		goto out;
	if (json) {
		struct json_gen *g = json_gen_new(true);
		campaign_preview_json(g, &c, &pv);
		json_gen_finish(g, stdout);
	} else {
		char tbuf[64];
		campaign_format_time(&c, start_at, tbuf, sizeof(tbuf));
		printf("campaign '%s' scheduled from %s: %lld messages, %lld units\n", c.name, tbuf,
		       pv.gsm7 + pv.ucs2, pv.segments);
	}
	ret = 0;
out:
	campaign_preview_release(&pv);
	orange_client_free(cl);
	campaign_release(&c);
	return ret;
}

static int cmd_lifecycle(int argc, char **argv, struct griot_ctx *ctx, const char *what)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct campaign c;
	const char *reason = NULL;
	bool json = false;
	enum griot_err e;
	int ch, ret, cleared = 0;
	char msg[64];

	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(campaign_usage, stdout); return 0;
		default: return usage_err();
		}
	}
	if (optind != argc - 1)
		return usage_err();
	if ((ret = load_or_fail(ctx, argv[optind], &c)))
		return ret;
	if (!strcmp(what, "pause")) {
		char rbuf[300];
		snprintf(rbuf, sizeof(rbuf), "paused by operator%s%s", reason ? ": " : "",
			 reason ? reason : "");
		e = campaign_pause(ctx->db, &c, rbuf);
		snprintf(msg, sizeof(msg), "paused");
	} else if (!strcmp(what, "resume")) {
		e = campaign_resume(ctx->db, &c, &cleared);
		if (cleared)
			snprintf(msg, sizeof(msg), "resumed, %d country hold(s) lifted", cleared);
		else
			snprintf(msg, sizeof(msg), "resumed");
	} else if (!strcmp(what, "retry-failed")) {
		long long n;

		e = campaign_retry_failed(ctx->db, &c, reason, &n);
		if (e == GRIOT_OK) { /* a done campaign runs again: show its new status */
			long long id = c.id;
			campaign_release(&c);
			if (campaign_load_id(ctx->db, id, &c) != 0)
				e = GRIOT_ERR_DB;
		}
		snprintf(msg, sizeof(msg), "%lld failed message(s) back to pending", n);
	} else {
		e = campaign_cancel(ctx->db, &c);
		snprintf(msg, sizeof(msg), "cancelled");
	}
	if (e == GRIOT_OK)
		print_result(json, &c, msg);
	campaign_release(&c);
	return builtin_exit_code(e);
}

int cmd_campaign(int argc, char **argv, struct griot_ctx *ctx)
{
	const char *sub;

	if (argc < 2) {
		fputs(campaign_usage, stderr);
		return EX_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		fputs(campaign_usage, stdout);
		return 0;
	}
	argc--;
	argv++;
	optind = 1;
	if (builtin_wants_help(argc, argv)) {
		fputs(campaign_usage, stdout);
		return 0;
	}
	if (!strcmp(sub, "create"))
		return cmd_create(argc, argv, ctx);
	if (!strcmp(sub, "show"))
		return cmd_show(argc, argv, ctx);
	if (!strcmp(sub, "list"))
		return cmd_list(argc, argv, ctx);
	if (!strcmp(sub, "schedule"))
		return cmd_schedule(argc, argv, ctx);
	if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "cancel") ||
	    !strcmp(sub, "retry-failed"))
		return cmd_lifecycle(argc, argv, ctx, sub);
	error("unknown campaign command '%s'", sub);
	return usage_err();
}
