/*
 * griot send: claim pending messages and send them at the shared rate.
 */
#include "builtin.h"
#include "campaign/campaign.h"
#include "campaign/sender.h"
#include "core/json.h"
#include "orange/orange.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char send_usage[] =
	"usage: griot send [--campaign NAME] [--once | --until-done] [--rate N]\n"
	"                  [--resend-unknown] [--max-attempts N] [--outage-pause S] [--json]\n"
	"\n"
	"Sends the pending messages of NAME (or of every running campaign) inside\n"
	"their send windows.  Any number of 'griot send' processes, on any hosts,\n"
	"share one rate limit kept in PostgreSQL (send_rate, default 5/s); every\n"
	"sender of a limiter uses the limiter's rate: --rate N --limiter NAME\n"
	"sends at N/s on limiter NAME (created with that rate).  --until-done\n"
	"(the default) waits for\n"
	"retries and for other senders and marks finished campaigns done; --once\n"
	"sends what can be claimed now.  --resend-unknown first puts the messages\n"
	"Orange may or may not have accepted back to pending (see docs/sending.md).\n"
	"Campaign-wide refusals pause the campaign with the reason (the same 400\n"
	"for several messages in a row, credentials refused, or Orange failing for\n"
	"--outage-pause S seconds, default 60): see docs/sending.md.\n"
	"SIGINT/SIGTERM: finish the requests in flight, record them, exit 0.\n"
	"Exit: 0 nothing left; 75 stopped with messages left (window closed,\n"
	"country held for credit, paused); 69 database or Orange unusable;\n"
	"78 Orange refused the credentials; 64 a --rate its --limiter does not have,\n"
	"or a draft or cancelled --campaign; 66 no such campaign.\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested++;
}

#define MAX_RATE 100000 /* messages per second: beyond any contract */

int builtin_parse_rate(const char *arg, double *rate)
{
	if (parse_double(arg, rate) < 0 || *rate <= 0 || *rate > MAX_RATE)
		return error("--rate: '%s' is not a rate in messages per second", arg);
	return 0;
}

/*
 * Shared by send and run-due: an Orange client from the configuration,
 * SIGINT/SIGTERM asking the sender to finish what is in flight, one run.
 * Returns 0, or a sysexits code.
 */
int builtin_run_sender(struct griot_ctx *ctx, struct sender_opts *so,
		       struct sender_stats *st)
{
	struct orange_client *client;
	struct sigaction sa;
	int ret;

	client = orange_client_from_config(ctx->cfg, 30, 64);
	if (!client)
		return builtin_exit_code(GRIOT_ERR_CONFIG);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	so->stop = &stop_requested;
	ret = sender_run(ctx->db, client, so, st);
	/* Requests the run left on the wire complete here (aborted); the
	 * sender orphaned them, so their callbacks only free them. */
	orange_client_free(client);
	return ret == 0 ? 0 : builtin_exit_code(st->err);
}

static void print_stats(const struct sender_stats *st, bool json)
{
	if (json) {
		struct json_gen *g = json_gen_new(true);

		json_map_open(g);
		json_kv_int(g, "sent", st->sent);
		json_kv_int(g, "failed", st->failed);
		json_kv_int(g, "unknown", st->unknown);
		json_kv_int(g, "retried", st->retried);
		json_kv_int(g, "released", st->released);
		json_kv_int(g, "rate_limited", st->rate_limited);
		json_kv_int(g, "recovered_pending", st->recovered_pending);
		json_kv_int(g, "recovered_unknown", st->recovered_unknown);
		json_kv_int(g, "resent_unknown", st->resent_unknown);
		json_kv_bool(g, "left_over", st->left_over);
		json_kv_str(g, "reason", st->left_over ? st->reason : NULL);
		json_kv_bool(g, "interrupted", st->interrupted);
		json_kv_double(g, "elapsed", st->elapsed);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		info("sent %lld, failed %lld, unknown %lld, retried %lld in %.1f s (%.2f/s)",
		     st->sent, st->failed, st->unknown, st->retried, st->elapsed,
		     st->elapsed > 0 ? (double)st->sent / st->elapsed : 0.0);
	}
}

int cmd_send(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "until-done", no_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ "resend-unknown", no_argument, NULL, 'U' },
		{ "max-attempts", required_argument, NULL, 'a' },
		{ "limiter", required_argument, NULL, 'L' },
		{ "outage-pause", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sender_opts so;
	struct sender_stats st;
	bool json = false;
	long l;
	int ch, ret;

	memset(&so, 0, sizeof(so));
	so.mode = SENDER_UNTIL_DONE;
	so.start_due = true;
	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': so.campaign = optarg; break;
		case 'o': so.mode = SENDER_ONCE; break;
		case 'u': so.mode = SENDER_UNTIL_DONE; break;
		case 'r':
			if (builtin_parse_rate(optarg, &so.rate) < 0)
				return EX_USAGE;
			break;
		case 'U': so.resend_unknown = true; break;
		case 'a':
			if (parse_long(optarg, 1, 100, &l) < 0) {
				error("--max-attempts: '%s' is not a number from 1 to 100", optarg);
				return EX_USAGE;
			}
			so.max_attempts = (int)l;
			break;
		case 'L': so.limiter = optarg; break;
		case 'O':
			if (parse_double(optarg, &so.outage_pause) < 0 || so.outage_pause <= 0) {
				error("--outage-pause: '%s' is not a number of seconds", optarg);
				return EX_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 'h': fputs(send_usage, stdout); return 0;
		default: fputs(send_usage, stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(send_usage, stderr);
		return EX_USAGE;
	}
	if (so.resend_unknown && !so.campaign) {
		error("--resend-unknown needs --campaign NAME");
		return EX_USAGE;
	}
	if (so.campaign) {
		struct campaign c;
		enum griot_err e = campaign_find(ctx->db, so.campaign, &c);
		bool finished = false;

		if (e != GRIOT_OK)
			return builtin_exit_code(e);
		e = campaign_sendable(&c, so.resend_unknown, &finished);
		if (finished)
			info("campaign '%s' is done: nothing left to send", c.name);
		campaign_release(&c);
		if (e != GRIOT_OK || finished)
			return builtin_exit_code(e);
	}
	ret = builtin_run_sender(ctx, &so, &st);
	if (ret == builtin_exit_code(GRIOT_ERR_CONFIG))
		return ret;
	print_stats(&st, json);
	if (ret)
		return ret;
	if (st.interrupted)
		return 0;
	if (st.left_over) {
		warning("stopped with messages left: %s", st.reason);
		return builtin_exit_code(GRIOT_ERR_TEMPFAIL);
	}
	return 0;
}
