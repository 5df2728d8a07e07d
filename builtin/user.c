/*
 * griot user add|list|disable|enable|passwd|role: the console's users.
 */
#include "builtin.h"
#include "console/auth.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char user_usage[] =
	"usage: griot user add NAME --role viewer|operator|admin --password-stdin\n"
	"       griot user passwd NAME --password-stdin\n"
	"       griot user role NAME --role viewer|operator|admin\n"
	"       griot user disable NAME | enable NAME\n"
	"       griot user totp-off NAME\n"
	"       griot user list [--json]\n"
	"\n"
	"Users of the web console ('griot console').  Viewers read campaigns and\n"
	"reports; operators also upload, schedule, pause, resume and cancel;\n"
	"admins also manage users, the suppression list and resend unknown\n"
	"messages.  The password is read from the first line of standard input\n"
	"(never from the command line) and stored as an Argon2id hash.\n"
	"Disabling a user or changing a password ends that user's sessions.\n"
	"Users turn two-factor sign-in (TOTP) on in the console's Settings;\n"
	"'totp-off' turns it off for one who lost their authenticator.\n";

static int usage_err(void)
{
	fputs(user_usage, stderr);
	return EX_USAGE;
}

/* The first line of standard input, without its line end. */
static int read_password(struct strbuf *pw)
{
	char buf[1100];
	size_t n;
	const char *weak;

	if (!fgets(buf, sizeof(buf), stdin)) {
		error("no password on standard input");
		return EX_USAGE;
	}
	n = strcspn(buf, "\r\n");
	strbuf_add(pw, buf, n);
	secure_zero(buf, sizeof(buf));
	weak = console_password_weak(pw->buf);
	if (weak) {
		error("%s", weak);
		return builtin_exit_code(GRIOT_ERR_DATA);
	}
	return 0;
}

/* Say what was done to user `name` when e is GRIOT_OK; the exit code of e. */
static int done(enum griot_err e, const char *name, const char *what)
{
	if (e == GRIOT_OK)
		printf("user '%s' %s\n", name, what);
	return builtin_exit_code(e);
}

int cmd_user(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct strbuf pw = STRBUF_INIT;
	const char *sub, *name = NULL, *role_s = NULL;
	bool pw_stdin = false, json = false;
	int ch, role = -1, ret;

	if (argc < 2 || builtin_wants_help(argc, argv)) {
		fputs(user_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	sub = argv[1];
	optind = 0; /* re-initialise getopt: main parsed with "+" */
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': role_s = optarg; break;
		case 'p': pw_stdin = true; break;
		case 'j': json = true; break;
		default: return usage_err();
		}
	}
	if (!strcmp(sub, "list")) {
		if (optind != argc - 1)
			return usage_err();
	} else {
		if (optind != argc - 2)
			return usage_err();
		name = argv[optind + 1];
		if (!console_user_name_ok(name)) {
			error("'%s' is not a user name: 1 to 64 of letters, digits, . _ @ -", name);
			return EX_USAGE;
		}
	}
	if (role_s && (role = console_role_parse(role_s)) < 0) {
		error("--role: '%s' is not one of viewer, operator, admin", role_s);
		return EX_USAGE;
	}
	if ((!strcmp(sub, "add") || !strcmp(sub, "role")) && role < 0) {
		error("--role viewer|operator|admin is required");
		return EX_USAGE;
	}
	if (!strcmp(sub, "add") || !strcmp(sub, "passwd")) {
		if (!pw_stdin) {
			error("give the password on standard input with --password-stdin");
			return EX_USAGE;
		}
		if ((ret = read_password(&pw)))
			goto out;
	}
	if (builtin_need_db(ctx) < 0) {
		ret = builtin_exit_code(GRIOT_ERR_DB);
		goto out;
	}

	if (!strcmp(sub, "add")) {
		ret = done(console_user_add(ctx->db, name, (enum console_role)role, pw.buf), name,
			   "added");
	} else if (!strcmp(sub, "passwd")) {
		ret = done(console_user_passwd(ctx->db, name, pw.buf), name, "has a new password");
	} else if (!strcmp(sub, "role")) {
		ret = done(console_user_set_role(ctx->db, name, (enum console_role)role), name,
			   "has a new role");
	} else if (!strcmp(sub, "disable") || !strcmp(sub, "enable")) {
		bool dis = !strcmp(sub, "disable");
		ret = done(console_user_set_disabled(ctx->db, name, dis), name,
			   dis ? "disabled (sessions ended)" : "enabled");
	} else if (!strcmp(sub, "totp-off")) {
		ret = done(console_totp_disable(ctx->db, name), name, "signs in without a code now");
	} else if (!strcmp(sub, "list")) {
		struct db_result *r;
		int n = console_user_list(ctx->db, &r), i;
		struct json_gen *g = NULL;

		if (n < 0) {
			ret = builtin_exit_code(GRIOT_ERR_DB);
			goto out;
		}
		if (json) {
			g = json_gen_new(true);
			json_array_open(g);
		} else {
			printf("%-24s %-9s %-9s %-5s %-21s %s\n", "name", "role", "state", "lang",
			       "created", "sessions");
		}
		for (i = 0; i < n; i++) {
			bool dis = !strcmp(db_result_get(r, i, 2), "t");
			if (json) {
				json_map_open(g);
				json_kv_str(g, "name", db_result_get(r, i, 0));
				json_kv_str(g, "role", db_result_get(r, i, 1));
				json_kv_bool(g, "disabled", dis);
				json_kv_str(g, "lang", *db_result_get(r, i, 3) ? db_result_get(r, i, 3) : NULL);
				json_kv_str(g, "created_at", db_result_get(r, i, 4));
				json_kv_int(g, "sessions", db_result_int(r, i, 5));
				json_map_close(g);
			} else {
				printf("%-24s %-9s %-9s %-5s %-21s %s\n", db_result_get(r, i, 0),
				       db_result_get(r, i, 1), dis ? "disabled" : "active",
				       *db_result_get(r, i, 3) ? db_result_get(r, i, 3) : "-",
				       db_result_get(r, i, 4), db_result_get(r, i, 5));
			}
		}
		db_result_free(r);
		if (json) {
			json_array_close(g);
			json_gen_finish(g, stdout);
		}
		ret = 0;
	} else {
		error("'%s' is not a user command", sub);
		ret = usage_err();
	}
out:
	secure_zero(pw.buf, pw.len);
	strbuf_release(&pw);
	return ret;
}
