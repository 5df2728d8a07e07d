/*
 * griot run-due: the nightly job.  Starts every campaign that is due and
 * inside its window, sends until nothing is left for today, exits.
 */
#include "builtin.h"
#include "campaign/campaign.h"
#include "campaign/sender.h"
#include "campaign/window.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "orange/orange.h"
#include "reporter/report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char run_due_usage[] =
	"usage: griot run-due [--rate N [--limiter NAME]] [--report-dir DIR] [--list] [--json]\n"
	"\n"
	"For cron or a systemd timer (docs/sending.md): starts the scheduled\n"
	"campaigns whose start time has come and that are inside their daily\n"
	"window, sends every running campaign inside its window until nothing is\n"
	"left for today (window closed, credit held, done), then exits 0.\n"
	"--report-dir writes the night's report there afterwards.  --list only\n"
	"says what is due.  GRIOT_NOW=2026-11-25T07:59:00Z shifts the clock\n"
	"used for schedules and windows (tests).\n";

/* Print what is due; returns how many campaigns may send now, or -1. */
static int list_due(struct griot_ctx *ctx, bool print, struct json_gen *g)
{
	struct db_result *r;
	double now = window_now();
	int n, i, due = 0;

	n = db_query(ctx->db, &r, "SELECT name FROM campaigns WHERE " CAMPAIGN_ACTIVE_SQL("status")
		     " ORDER BY id", 0, NULL);
	if (n < 0)
		return -1;
	if (g) {
		json_key(g, "campaigns");
		json_array_open(g);
	}
	for (i = 0; i < n; i++) {
		static const char *const state_names[] = {
			[CAMPAIGN_NOT_DUE] = "not due",
			[CAMPAIGN_OUTSIDE_WINDOW] = "outside window",
			[CAMPAIGN_DUE] = "due",
		};
		struct campaign c;
		enum campaign_due cd;
		double when;
		char tbuf[64];
		const char *state;

		if (campaign_load(ctx->db, db_result_get(r, i, 0), &c) != 0)
			continue;
		if (campaign_due(&c, now, &cd, &when) < 0) {
			campaign_release(&c);
			continue;
		}
		state = state_names[cd];
		if (cd == CAMPAIGN_DUE)
			due++;
		campaign_format_time(&c, when, tbuf, sizeof(tbuf));
		if (g) {
			json_map_open(g);
			json_kv_str(g, "name", c.name);
			json_kv_str(g, "status", c.status);
			json_kv_str(g, "state", state);
			json_kv_str(g, cd == CAMPAIGN_DUE ? "window_closes" : "opens", tbuf);
			json_map_close(g);
		} else if (print) {
			printf("%-24s %-10s %-15s %s %s\n", c.name, c.status, state,
			       cd == CAMPAIGN_DUE ? "until" : "from", tbuf);
		} else if (cd != CAMPAIGN_DUE) {
			info("campaign '%s': %s (%s %s)", c.name, state,
			     cd == CAMPAIGN_NOT_DUE ? "starts" : "opens", tbuf);
		}
		campaign_release(&c);
	}
	if (g)
		json_array_close(g);
	db_result_free(r);
	return due;
}

int cmd_run_due(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "limiter", required_argument, NULL, 'L' },
		{ "report-dir", required_argument, NULL, 'R' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sender_opts so;
	struct sender_stats st;
	struct json_gen *g = NULL;
	const char *report_dir = NULL;
	bool list = false, json = false;
	int ch, due, ret = 0;

	memset(&so, 0, sizeof(so));
	memset(&st, 0, sizeof(st));
	so.mode = SENDER_UNTIL_DONE;
	so.start_due = true;
	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'L': so.limiter = optarg; break;
		case 'r':
			if (builtin_parse_rate(optarg, &so.rate) < 0)
				return EX_USAGE;
			break;
		case 'R': report_dir = optarg; break;
		case 'l': list = true; break;
		case 'j': json = true; break;
		case 'h': fputs(run_due_usage, stdout); return 0;
		default: fputs(run_due_usage, stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(run_due_usage, stderr);
		return EX_USAGE;
	}
	if (json) {
		g = json_gen_new(true);
		json_map_open(g);
	}
	due = list_due(ctx, list, g);
	if (due < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	if (list)
		goto out;
	if (due == 0) {
		info("nothing due now");
	} else {
		ret = builtin_run_sender(ctx, &so, &st);
		if (ret == builtin_exit_code(GRIOT_ERR_CONFIG))
			goto out;
		info("run-due: sent %lld, failed %lld, unknown %lld, retried %lld in %.1f s%s%s",
		     st.sent, st.failed, st.unknown, st.retried, st.elapsed,
		     st.left_over ? "; left for later: " : "", st.left_over ? st.reason : "");
	}
	if (report_dir && !st.interrupted) {
		struct strbuf html = STRBUF_INIT;

		if (report_write_nightly(ctx->db, ctx->cfg, report_dir, window_now(), &html) < 0) {
			ret = ret ? ret : builtin_exit_code(GRIOT_ERR_CANTCREAT);
		} else {
			info("report written: %s", html.buf);
			if (g)
				json_kv_str(g, "report", html.buf);
		}
		strbuf_release(&html);
	}
	if (g) {
		json_kv_int(g, "sent", st.sent);
		json_kv_int(g, "failed", st.failed);
		json_kv_int(g, "unknown", st.unknown);
		json_kv_bool(g, "left_over", st.left_over);
		json_kv_str(g, "reason", st.left_over ? st.reason : NULL);
	}
out:
	if (g) {
		json_map_close(g);
		json_gen_finish(g, stdout);
	}
	return ret;
}
