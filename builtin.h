#ifndef BUILTIN_H
#define BUILTIN_H
/*
 * Subcommands.  Each cmd_* parses its flags, calls library functions and
 * maps their result to a sysexits code; the work itself lives in the
 * modules (core/ orange/ importer/ campaign/ receiver/ reporter/) that the
 * tests call directly.
 */
#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "core/status.h"
#include "core/util.h"

#define NEED_DB     (1 << 0)   /* connect and check the schema is current */
#define NO_DUMP     (1 << 1)   /* long-running, holds secrets: no core dumps */
#define NEED_NOTHING 0

struct griot_ctx {
	struct griot_config *cfg;
	struct db *db;          /* connected when the command has NEED_DB */
};

typedef int (*cmd_fn)(int argc, char **argv, struct griot_ctx *ctx);

struct cmd_struct {
	const char *name;
	cmd_fn fn;
	int option;
	const char *summary;
};

int cmd_help(int argc, char **argv, struct griot_ctx *ctx);
int cmd_version(int argc, char **argv, struct griot_ctx *ctx);
int cmd_db(int argc, char **argv, struct griot_ctx *ctx);
int cmd_import(int argc, char **argv, struct griot_ctx *ctx);
int cmd_suppress(int argc, char **argv, struct griot_ctx *ctx);
int cmd_campaign(int argc, char **argv, struct griot_ctx *ctx);
int cmd_send(int argc, char **argv, struct griot_ctx *ctx);
int cmd_run_due(int argc, char **argv, struct griot_ctx *ctx);
int cmd_receive(int argc, char **argv, struct griot_ctx *ctx);
int cmd_dr(int argc, char **argv, struct griot_ctx *ctx);
int cmd_orange(int argc, char **argv, struct griot_ctx *ctx);
int cmd_report(int argc, char **argv, struct griot_ctx *ctx);
int cmd_user(int argc, char **argv, struct griot_ctx *ctx);
int cmd_console(int argc, char **argv, struct griot_ctx *ctx);

/* The one table of subcommands (griot.c). */
extern const struct cmd_struct commands[];

/* griot send and run-due: their --rate value (send.c); 0, or -1 after error(). */
int builtin_parse_rate(const char *arg, double *rate);
/* griot send and run-due: one sender run with signal handling (send.c). */
struct sender_opts;
struct sender_stats;
int builtin_run_sender(struct griot_ctx *ctx, struct sender_opts *so,
		       struct sender_stats *st);

/* The sysexits code of a library error kind: the one mapping (exit.c). */
int builtin_exit_code(enum griot_err e);

/* Open ctx->db if a command needs it only for some sub-actions. */
int builtin_need_db(struct griot_ctx *ctx);
/* True when argv holds -h or --help before any "--". */
int builtin_wants_help(int argc, char **argv);

#endif
