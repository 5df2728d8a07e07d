/* griot db migrate|status */
#include "builtin.h"

#include <stdio.h>
#include <string.h>

static const char usage_db[] =
	"usage: griot db migrate    apply the schema migrations not yet applied\n"
	"   or: griot db status     print the schema version\n";

int cmd_db(int argc, char **argv, struct griot_ctx *ctx)
{
	int applied = 0, ver;

	if (argc < 2 || builtin_wants_help(argc, argv)) {
		fputs(usage_db, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	if (db_connect(ctx->cfg->db_conninfo, &ctx->db) < 0)
		return builtin_exit_code(GRIOT_ERR_DB);
	if (!strcmp(argv[1], "migrate")) {
		if (db_migrate(ctx->db, &applied) < 0)
			return builtin_exit_code(GRIOT_ERR_INTERNAL);
		ver = db_schema_version(ctx->db);
		info("schema at version %d (%d migration%s applied)", ver,
		     applied, applied == 1 ? "" : "s");
		return 0;
	}
	if (!strcmp(argv[1], "status")) {
		db_set_quiet(ctx->db, true);
		ver = db_schema_version(ctx->db);
		printf("schema version %d\n", ver < 0 ? 0 : ver);
		return 0;
	}
	error("unknown db action '%s'", argv[1]);
	fputs(usage_db, stderr);
	return EX_USAGE;
}
