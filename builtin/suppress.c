/* griot suppress: the suppression list (importer/suppress.c). */
#include "builtin.h"
#include "core/json.h"
#include "core/strbuf.h"
#include "importer/phone.h"
#include "importer/suppress.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: griot suppress add [--reason TEXT] [--country C] NUMBER...\n"
	"       griot suppress remove [--country C] NUMBER...\n"
	"       griot suppress list [--json]\n"
	"       griot suppress import [--reason TEXT] [--country C] [--phone-column COL] FILE.csv|-\n"
	"\n"
	"Numbers on the suppression list are skipped (and counted) by 'griot import'.\n"
	"They are normalised to E.164 like imported numbers; --country is the country\n"
	"of numbers written without country code.  'import' reads a CSV with a header\n"
	"row, like 'griot import'.\n";

static void print_counts(const char *what, const struct suppress_counts *c, bool json)
{
	if (json) {
		struct json_gen *g = json_gen_new(false);
		json_map_open(g);
		json_kv_int(g, "read", c->read);
		json_kv_int(g, what, c->added);
		json_kv_int(g, !strcmp(what, "removed") ? "absent" : "already", c->already);
		json_kv_int(g, "rejected", c->rejected);
		json_map_close(g);
		json_gen_finish(g, stdout);
		return;
	}
	printf("%s %lld of %lld number(s)", what, c->added, c->read);
	if (c->already)
		printf(", %lld %s", c->already,
		       !strcmp(what, "removed") ? "not on the list" : "already on the list");
	if (c->rejected)
		printf(", %lld rejected", c->rejected);
	printf("\n");
}

static int list(struct griot_ctx *ctx, bool json)
{
	struct db_result *r;
	int i, n;

	if (suppress_list(ctx->db, &r) < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	n = db_result_rows(r);
	if (json) {
		struct json_gen *g = json_gen_new(true);
		json_array_open(g);
		for (i = 0; i < n; i++) {
			json_map_open(g);
			json_kv_str(g, "msisdn", db_result_get(r, i, 0));
			json_kv_str(g, "reason", db_result_get(r, i, 1));
			json_kv_str(g, "created_at", db_result_get(r, i, 2));
			json_map_close(g);
		}
		json_array_close(g);
		json_gen_finish(g, stdout);
	} else {
		for (i = 0; i < n; i++)
			printf("%-18s %s  %s\n", db_result_get(r, i, 0), db_result_get(r, i, 2),
			       db_result_get(r, i, 1) ? db_result_get(r, i, 1) : "");
		if (!n)
			printf("the suppression list is empty\n");
	}
	db_result_free(r);
	return 0;
}

int cmd_suppress(int argc, char **argv, struct griot_ctx *ctx)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "country", required_argument, NULL, 'C' },
		{ "phone-column", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL, *country = config_get(ctx->cfg, "default_country");
	const char *phone_column = NULL, *sub;
	const struct phone_country *def = NULL;
	struct suppress_counts c;
	bool json = false;
	enum griot_err kind = GRIOT_OK;
	int ch;

	if (argc < 2 || builtin_wants_help(argc, argv)) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	/* 0: re-initialise GNU getopt, which main() left in "stop at the first
	 * non-option" mode, so options may follow the arguments. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'C': country = optarg; break;
		case 'p': phone_column = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EX_USAGE;
		}
	}
	if (country && !(def = phone_country_find(country))) {
		error("unknown country '%s'", country);
		return EX_USAGE;
	}
	if (!strcmp(sub, "list")) {
		if (optind != argc)
			goto usage;
		return list(ctx, json);
	}
	if (!strcmp(sub, "add") || !strcmp(sub, "remove")) {
		enum griot_err r;
		if (optind >= argc)
			goto usage;
		if (!strcmp(sub, "add"))
			r = suppress_add(ctx->db, (const char *const *)argv + optind, argc - optind,
					 reason, def, &c);
		else
			r = suppress_remove(ctx->db, (const char *const *)argv + optind,
					    argc - optind, def, &c);
		if (r != GRIOT_OK)
			return builtin_exit_code(r);
		print_counts(!strcmp(sub, "add") ? "added" : "removed", &c, json);
		return 0;
	}
	if (!strcmp(sub, "import")) {
		if (optind != argc - 1)
			goto usage;
		if (suppress_import(ctx->db, argv[optind], phone_column, def, reason, &c, &kind) < 0)
			return builtin_exit_code(kind != GRIOT_OK ? kind : GRIOT_ERR_INTERNAL);
		print_counts("added", &c, json);
		return 0;
	}
	error("unknown suppress action '%s'", sub);
usage:
	fputs(usage_text, stderr);
	return EX_USAGE;
}
