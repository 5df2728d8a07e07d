/*
 * griot dr subscribe URL | show [ID] | unsubscribe [ID] — the delivery-
 * receipt subscription at Orange, recorded in dr_subscriptions.
 *
 * With a receiver path secret configured (dr_secret / GRIOT_DR_SECRET),
 * the notify URL is URL + "/orange/dr/" + secret, unless URL already has
 * that path.  The secret is never printed nor stored: the table keeps the
 * URL masked (the secret replaced by three stars) and `show` puts the configured secret back
 * to compare with what Orange holds.
 */
#include "builtin.h"
#include "core/json.h"
#include "core/sha256.h"
#include "core/strbuf.h"
#include "orange/orange.h"
#include "receiver/receiver.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char usage_text[] =
	"usage: griot dr subscribe URL [--sender tel:+2230000] [--allow-http] [--json]\n"
	"       griot dr show [ID] [--json]\n"
	"       griot dr unsubscribe [ID] [--sender tel:+2230000] [--json]\n"
	"\n"
	"  subscribe     tell Orange to POST delivery receipts to URL (https only);\n"
	"                with a path secret configured (GRIOT_DR_SECRET, dr_secret)\n"
	"                the receiver's path URL/orange/dr/SECRET is subscribed\n"
	"  show          the recorded subscription (or ID) as Orange has it; exits\n"
	"                65 when Orange's URL differs from the configured one\n"
	"  unsubscribe   delete the recorded subscription (or ID) at Orange\n"
	"\n"
	"  --sender ADDR           sender address for the path (config key: sender)\n"
	"  --allow-http            accept an http:// URL (local testing only)\n"
	"  --json                  machine-readable output\n"
	"  --api-base URL          instead of ORANGE_API_BASE\n"
	"  --credentials-file F    instead of ORANGE_CREDENTIALS_FILE (mode 0600)\n";

static const char dr_path[] = RECEIVER_DR_PATH;

struct dr_opts {
	const char *sender;
	bool allow_http, json;
};

/* URL without trailing '/' + /orange/dr/ + secret, unless already there. */
static void build_notify_url(struct strbuf *sb, const char *url, const char *secret)
{
	size_t len = strlen(url);

	if (!secret || !*secret || strstr(url, dr_path)) {
		strbuf_addstr(sb, url);
		return;
	}
	while (len > 0 && url[len - 1] == '/')
		len--;
	strbuf_add(sb, url, len);
	strbuf_addstr(sb, dr_path);
	strbuf_addstr(sb, secret);
}

/* The stored (masked) URL with the configured secret put back. */
static void unmask(struct strbuf *sb, const char *masked, const char *secret)
{
	const char *p = strstr(masked, "/orange/dr/***");

	if (!p || !secret || !*secret) {
		strbuf_addstr(sb, masked);
		return;
	}
	strbuf_add(sb, masked, (size_t)(p - masked) + strlen(dr_path));
	strbuf_addstr(sb, secret);
	strbuf_addstr(sb, p + strlen("/orange/dr/***"));
}

/* Scheme and host lower-cased, the default port dropped: Orange echoes
 * https://host:443/... for https://host/... */
static void normalize(struct strbuf *sb, const char *url)
{
	const char *host = strstr(url, "://"), *end, *colon;
	size_t i;

	if (!host) {
		strbuf_addstr(sb, url);
		return;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	for (i = 0; url + i < end; i++)
		strbuf_addch(sb, tolower((unsigned char)url[i]));
	colon = memchr(host, ':', (size_t)(end - host));
	if (colon && ((!strncasecmp(url, "https:", 6) && end - colon == 4 && !strncmp(colon, ":443", 4)) ||
		      (!strncasecmp(url, "http:", 5) && end - colon == 3 && !strncmp(colon, ":80", 3))))
		strbuf_setlen(sb, sb->len - (size_t)(end - colon));
	strbuf_addstr(sb, *end ? end : "/");
}

static bool same_url(const char *a, const char *b)
{
	struct strbuf na = STRBUF_INIT, nb = STRBUF_INIT;
	bool same;

	normalize(&na, a);
	normalize(&nb, b);
	same = !strcmp(na.buf, nb.buf);
	secure_zero(na.buf, na.len);
	secure_zero(nb.buf, nb.len);
	strbuf_release(&na);
	strbuf_release(&nb);
	return same;
}

/* SHA-256 (hex) of the normalised URL: what is stored to compare with
 * later without keeping the path secret. */
static void url_digest(const char *url, char hex[65])
{
	struct strbuf n = STRBUF_INIT;

	normalize(&n, url);
	sha256_hex_of(n.buf, n.len, hex);
	secure_zero(n.buf, n.len);
	strbuf_release(&n);
}

static const char *pick_sender(struct griot_ctx *ctx, const struct dr_opts *o)
{
	const char *s = o->sender ? o->sender : config_get(ctx->cfg, "sender");

	if (!s || !*s)
		error("no sender address: give --sender tel:+2230000 (your Orange "
		      "sender number) or set 'sender' in the config file");
	return s && *s ? s : NULL;
}

/*
 * The subscription an action is about: the ID given, else the latest
 * active one recorded, malloc'ed into *id (Orange's ids have no length
 * limit here).  0, or the exit code after saying why (none_hint: what
 * to do when none is recorded).
 */
static int pick_id(struct griot_ctx *ctx, const char *id_arg, const char *none_hint, char **id)
{
	struct db_result *res = NULL;
	int n;

	*id = NULL;
	if (builtin_need_db(ctx) < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	if (id_arg) {
		*id = xstrdup(id_arg);
		return 0;
	}
	n = db_query(ctx->db, &res, "SELECT id FROM dr_subscriptions WHERE deleted_at IS NULL "
		     "ORDER BY created_at DESC, id LIMIT 1", 0, NULL);
	if (n > 0)
		*id = xstrdup(db_result_get(res, 0, 0));
	db_result_free(res);
	if (n < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	if (n == 0) {
		error("no delivery-receipt subscription recorded; %s", none_hint);
		return builtin_exit_code(GRIOT_ERR_DATA);
	}
	return 0;
}

static int do_subscribe(struct griot_ctx *ctx, struct orange_client *c,
			const struct dr_opts *o, const char *url)
{
	struct strbuf notify = STRBUF_INIT, masked = STRBUF_INIT, orange_masked = STRBUF_INIT;
	struct orange_subscription s = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	const char *sender = pick_sender(ctx, o);
	const char *params[5], *why;
	char digest[65];
	int ret = 0;

	if (!sender)
		return EX_USAGE;
	if (ctx->cfg->dr_secret && *ctx->cfg->dr_secret &&
	    (why = receiver_secret_problem(ctx->cfg->dr_secret)) != NULL) {
		error("the DR path secret (GRIOT_DR_SECRET / dr_secret) %s, "
		      "as 'griot receive' requires", why);
		return builtin_exit_code(GRIOT_ERR_CONFIG);
	}
	build_notify_url(&notify, url, ctx->cfg->dr_secret);
	if (!orange_notify_url_ok(notify.buf, o->allow_http)) {
		orange_mask_url(notify.buf, &masked);
		error("notify URL '%s' must start with https:// (Orange delivers receipts "
		      "over HTTPS only); --allow-http is for local testing", masked.buf);
		ret = EX_USAGE;
		goto out;
	}
	/* The database first: never leave Orange with a subscription we
	 * could not record. */
	if (builtin_need_db(ctx) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	if (orange_dr_subscribe(c, sender, notify.buf, o->allow_http, &s, &err) < 0) {
		ret = builtin_exit_code(orange_err_report(&err));
		goto out;
	}
	orange_mask_url(notify.buf, &masked);
	orange_mask_url(s.notify_url, &orange_masked);
	params[0] = s.id;
	params[1] = sender;
	params[2] = masked.buf;
	params[3] = s.resource_url;
	url_digest(notify.buf, digest);
	params[4] = digest;
	/* Orange keeps one URL per account: a new subscription replaces
	 * the old ones. */
	if (db_begin(ctx->db) < 0 ||
	    db_query(ctx->db, NULL, "UPDATE dr_subscriptions SET deleted_at = now() "
		     "WHERE deleted_at IS NULL AND id <> $1", 1, params) < 0 ||
	    db_query(ctx->db, NULL, "INSERT INTO dr_subscriptions (id, sender_address, notify_url, "
		     "resource_url, notify_url_sha256) VALUES ($1, $2, $3, $4, $5) "
		     "ON CONFLICT (id) DO UPDATE SET sender_address = $2, notify_url = $3, "
		     "resource_url = $4, notify_url_sha256 = $5, deleted_at = NULL, "
		     "created_at = now()", 5, params) < 0 ||
	    db_commit(ctx->db) < 0) {
		db_rollback(ctx->db);
		error("Orange subscribed %s as %s but griot could not record it; "
		      "run 'griot dr unsubscribe %s --sender %s' or subscribe again",
		      masked.buf, s.id, s.id, sender);
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_kv_str(g, "id", s.id);
		json_kv_str(g, "sender", sender);
		json_kv_str(g, "notify_url", orange_masked.buf);
		json_kv_str(g, "resource_url", s.resource_url);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("subscribed   %s\n", s.id);
		printf("sender       %s\n", sender);
		printf("notify URL   %s\n", orange_masked.buf);
	}
	if (!same_url(s.notify_url, notify.buf))
		warning("Orange echoed a different notify URL (%s) than the one sent (%s)",
			orange_masked.buf, masked.buf);
out:
	orange_subscription_release(&s);
	orange_error_release(&err);
	secure_zero(notify.buf, notify.len);
	strbuf_release(&notify);
	strbuf_release(&masked);
	strbuf_release(&orange_masked);
	return ret;
}

static int do_show(struct griot_ctx *ctx, struct orange_client *c,
		   const struct dr_opts *o, const char *id_arg)
{
	struct orange_subscription s = { 0 };
	struct orange_error err = ORANGE_ERROR_INIT;
	struct db_result *res = NULL;
	struct strbuf expect = STRBUF_INIT, conf = STRBUF_INIT;
	struct strbuf m_orange = STRBUF_INIT, m_stored = STRBUF_INIT, m_conf = STRBUF_INIT;
	const char *params[1];
	const char *stored = NULL, *sender = NULL, *configured, *digest = NULL;
	char *id = NULL, orange_digest[65];
	bool matches = true, conf_matches = true;
	int ret;

	ret = pick_id(ctx, id_arg, "run 'griot dr subscribe https://your.host'", &id);
	if (ret)
		return ret;
	params[0] = id;
	if (db_query(ctx->db, &res, "SELECT notify_url, sender_address, created_at, deleted_at, "
		     "notify_url_sha256 FROM dr_subscriptions WHERE id = $1", 1, params) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	if (db_result_rows(res) > 0) {
		stored = db_result_get(res, 0, 0);
		sender = db_result_get(res, 0, 1);
		if (!db_result_isnull(res, 0, 4))
			digest = db_result_get(res, 0, 4);
	}
	if (orange_dr_check(c, id, &s, &err) < 0) {
		if (err.kind == ORANGE_ERR_NOT_FOUND)
			error("Orange does not know subscription %s (deleted, or replaced "
			      "by a newer subscription)", id);
		else
			error("%s", err.message);
		ret = builtin_exit_code(orange_err_kind(&err));
		goto out;
	}
	orange_mask_url(s.notify_url, &m_orange);
	if (stored) {
		/* Orange holds what was subscribed (its digest; the secret
		 * may have come inside the URL), and, when a dr_secret is
		 * configured, the path 'griot receive' now expects. */
		if (digest) {
			url_digest(s.notify_url, orange_digest);
			matches = !strcmp(digest, orange_digest);
		}
		if (!digest || (ctx->cfg->dr_secret && *ctx->cfg->dr_secret)) {
			unmask(&expect, stored, ctx->cfg->dr_secret);
			matches = matches && same_url(s.notify_url, expect.buf);
		}
		orange_mask_url(stored, &m_stored);
	}
	configured = config_get(ctx->cfg, "dr_notify_url");
	if (configured && *configured) {
		build_notify_url(&conf, configured, ctx->cfg->dr_secret);
		conf_matches = same_url(s.notify_url, conf.buf);
		orange_mask_url(conf.buf, &m_conf);
	}
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_kv_str(g, "id", s.id);
		json_kv_str(g, "sender", sender);
		json_kv_str(g, "orange_notify_url", m_orange.buf);
		json_kv_str(g, "stored_notify_url", stored ? m_stored.buf : NULL);
		json_kv_str(g, "configured_notify_url", configured && *configured ? m_conf.buf : NULL);
		json_kv_bool(g, "recorded", stored != NULL);
		json_kv_bool(g, "matches", matches && conf_matches);
		json_kv_str(g, "resource_url", s.resource_url);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("subscription   %s\n", s.id);
		printf("sender         %s\n", sender ? sender : "(not recorded here)");
		printf("Orange URL     %s\n", m_orange.buf);
		if (stored)
			printf("stored URL     %s\n", m_stored.buf);
		if (configured && *configured)
			printf("configured URL %s\n", m_conf.buf);
		printf("matches        %s\n", matches && conf_matches ? "yes" : "NO");
	}
	if (!stored)
		warning("subscription %s is not recorded in this database", id);
	if (!matches || !conf_matches) {
		bool secret_only = (stored && !matches && !strcmp(m_orange.buf, m_stored.buf)) ||
				   (!conf_matches && configured && !strcmp(m_orange.buf, m_conf.buf));
		error("Orange delivers receipts to %s, not to the %s URL%s", m_orange.buf,
		      !matches ? "stored" : "configured",
		      secret_only ? " (they differ in the secret path: was dr_secret changed? "
				    "run 'griot dr subscribe' again)" : "");
		ret = builtin_exit_code(GRIOT_ERR_DATA);
	}
out:
	free(id);
	orange_subscription_release(&s);
	orange_error_release(&err);
	secure_zero(expect.buf, expect.len);
	secure_zero(conf.buf, conf.len);
	strbuf_release(&expect);
	strbuf_release(&conf);
	strbuf_release(&m_orange);
	strbuf_release(&m_stored);
	strbuf_release(&m_conf);
	db_result_free(res);
	return ret;
}

static int do_unsubscribe(struct griot_ctx *ctx, struct orange_client *c,
			  const struct dr_opts *o, const char *id_arg)
{
	struct orange_error err = ORANGE_ERROR_INIT;
	struct db_result *res = NULL;
	const char *params[1];
	const char *use_sender;
	char *id = NULL;
	bool gone = false;
	int ret;

	ret = pick_id(ctx, id_arg, "give its ID", &id);
	if (ret)
		return ret;
	params[0] = id;
	if (db_query(ctx->db, &res, "SELECT sender_address FROM dr_subscriptions WHERE id = $1",
		     1, params) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	use_sender = o->sender ? o->sender : db_result_rows(res) > 0 ? db_result_get(res, 0, 0)
								     : pick_sender(ctx, o);
	if (!use_sender) {
		ret = EX_USAGE;
		goto out;
	}
	if (orange_dr_unsubscribe(c, use_sender, id, &err) < 0) {
		if (err.kind != ORANGE_ERR_NOT_FOUND) {
			ret = builtin_exit_code(orange_err_report(&err));
			goto out;
		}
		warning("Orange does not know subscription %s (already deleted or replaced); "
			"marking it deleted here", id);
		gone = true;
	}
	if (db_query(ctx->db, NULL, "UPDATE dr_subscriptions SET deleted_at = now() "
		     "WHERE id = $1 AND deleted_at IS NULL", 1, params) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}
	if (o->json) {
		struct json_gen *g = json_gen_new(true);
		json_map_open(g);
		json_kv_str(g, "id", id);
		json_kv_bool(g, "unsubscribed", true);
		json_kv_bool(g, "already_gone", gone);
		json_map_close(g);
		json_gen_finish(g, stdout);
	} else {
		printf("unsubscribed %s\n", id);
	}
out:
	db_result_free(res);
	free(id);
	orange_error_release(&err);
	return ret;
}

int cmd_dr(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "allow-http", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "api-base", required_argument, NULL, 'b' },
		{ "credentials-file", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct dr_opts o = { NULL, false, false };
	struct orange_client *c;
	const char *action, *arg = NULL;
	char *url = NULL;
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
		case 's': o.sender = optarg; break;
		case 'H': o.allow_http = true; break;
		case 'j': o.json = true; break;
		case 'b': config_set(&ctx->cfg->api_base, optarg); break;
		case 'F':
			config_set(&ctx->cfg->credentials_file, optarg);
			config_set(&ctx->cfg->auth_header, NULL);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc) {
		error("unexpected argument '%s'", argv[optind]);
		return EX_USAGE;
	}
	if (o.sender && !orange_tel_valid(o.sender)) {
		error("--sender wants tel:+ and 4 to 15 digits, e.g. tel:+2230000, not '%s'",
		      o.sender);
		return EX_USAGE;
	}
	if (!strcmp(action, "subscribe")) {
		if (!arg) {
			error("griot dr subscribe needs the URL of your receiver (https://...)");
			return EX_USAGE;
		}
		/* The URL may carry the path secret: keep it out of ps. */
		url = xstrdup(arg);
		if (strstr(arg, dr_path))
			hide_arg((char *)arg);
	} else if (strcmp(action, "show") && strcmp(action, "unsubscribe")) {
		error("'%s' is not a griot dr action; see 'griot dr --help'", action);
		return EX_USAGE;
	}
	c = orange_client_from_config(ctx->cfg, 0, 0);
	if (!c) {
		free(url);
		return builtin_exit_code(GRIOT_ERR_CONFIG);
	}
	if (url)
		ret = do_subscribe(ctx, c, &o, url);
	else if (!strcmp(action, "show"))
		ret = do_show(ctx, c, &o, arg);
	else
		ret = do_unsubscribe(ctx, c, &o, arg);
	orange_client_free(c);
	if (url) {
		secure_zero(url, strlen(url));
		free(url);
	}
	return ret;
}
