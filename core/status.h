#ifndef CORE_STATUS_H
#define CORE_STATUS_H

#include <stdbool.h>

/*
 * The names shared by C and SQL, defined once (docs/statuses.md):
 * campaign and message statuses, delivery statuses, advisory-lock keys,
 * and the error kinds every library call reports up to builtin/, which
 * maps them to sysexits codes in one place (builtin_exit_code()).
 *
 * SQL side: the same lists are the CHECK constraints of sql/001_init.sql;
 * "still to send" is the SQL function message_open(send_status) of
 * sql/055_campaign_rules.sql (index-friendly: it is inlined) and the
 * lock keys are griot_lock_*() there.  Use MSG_OPEN_SQL / the names
 * below in C strings instead of writing a status list again.
 */

/* messages.send_status */
enum msg_status {
	MSG_PENDING,        /* not sent yet, or surely not accepted */
	MSG_SENDING,        /* committed before the request leaves */
	MSG_SENT,           /* Orange answered 201 */
	MSG_FAILED,         /* refused for good */
	MSG_UNKNOWN,        /* Orange may or may not have it */
	MSG_STATUS_NR
};
extern const char *const msg_status_names[MSG_STATUS_NR];

/* "Still to send" in SQL (pending or sending): the inlined function. */
#define MSG_OPEN_SQL(col) "message_open(" col ")"

/*
 * messages.delivery_status; DLV_NONE is SQL NULL (no receipt yet).  The
 * names are macros too, for static tables keyed by them (reporter/).
 */
#define DLV_NAME_TERMINAL   "DeliveredToTerminal"
#define DLV_NAME_NETWORK    "DeliveredToNetwork"
#define DLV_NAME_UNCERTAIN  "DeliveryUncertain"
#define DLV_NAME_IMPOSSIBLE "DeliveryImpossible"
#define DLV_NAME_WAITING    "MessageWaiting"
enum dlv_status {
	DLV_TERMINAL,       /* DeliveredToTerminal */
	DLV_NETWORK,        /* DeliveredToNetwork */
	DLV_UNCERTAIN,      /* DeliveryUncertain */
	DLV_IMPOSSIBLE,     /* DeliveryImpossible */
	DLV_WAITING,        /* MessageWaiting */
	DLV_NONE,           /* no receipt: "none" in listings */
	DLV_STATUS_NR
};
extern const char *const dlv_status_names[DLV_STATUS_NR];
/* The statuses a receipt can carry: dlv_status_names[0..DLV_RECEIPT_NR). */
#define DLV_RECEIPT_NR DLV_NONE

/* campaigns.status */
enum campaign_status {
	CAMPAIGN_DRAFT,
	CAMPAIGN_SCHEDULED,
	CAMPAIGN_RUNNING,
	CAMPAIGN_PAUSED,
	CAMPAIGN_DONE,
	CAMPAIGN_CANCELLED,
	CAMPAIGN_STATUS_NR
};
extern const char *const campaign_status_names[CAMPAIGN_STATUS_NR];

/* Index of s in names[0..n), or -1 (NULL or not found). */
int status_index(const char *const *names, int n, const char *s);
#define MSG_STATUS(s) status_index(msg_status_names, MSG_STATUS_NR, (s))
#define CAMPAIGN_STATUS(s) status_index(campaign_status_names, CAMPAIGN_STATUS_NR, (s))
/* A receipt's deliveryStatus: < DLV_RECEIPT_NR, or -1 when not one of them. */
#define DLV_RECEIPT_STATUS(s) status_index(dlv_status_names, DLV_RECEIPT_NR, (s))

/*
 * The rules on these lists, for C and for SQL text (sql/063: the SQL
 * functions of the same names; tests/unit/test-status.c checks that the
 * two agree).  Active campaign: scheduled or running (a sender serves it
 * once due; it can be paused).  Delivered: to the terminal or network.
 */
static inline bool campaign_active(int st)
{
	return st == CAMPAIGN_SCHEDULED || st == CAMPAIGN_RUNNING;
}
#define CAMPAIGN_ACTIVE_SQL(col) "campaign_active(" col ")"
/* Finished: done or cancelled (sql/064). */
static inline bool campaign_finished(int st)
{
	return st == CAMPAIGN_DONE || st == CAMPAIGN_CANCELLED;
}
#define CAMPAIGN_FINISHED_SQL(col) "campaign_finished(" col ")"
static inline bool dlv_delivered(int st)
{
	return st == DLV_TERMINAL || st == DLV_NETWORK;
}
#define DLV_DELIVERED_SQL(col) "dlv_delivered(" col ")"

/*
 * Advisory-lock keys (pg_advisory_*).  Two-key locks use a class and
 * hashtext() of a name; one-key locks a fixed key.  The SQL functions
 * griot_lock_sender() and griot_lock_receipts() return the same values.
 */
#define LOCK_KEY_MIGRATE    4720001 /* transaction lock: one migrator at a time */
#define LOCK_CLASS_IMPORT   4720010 /* (class, campaign id): one import per campaign */
#define LOCK_CLASS_SENDER   4720020 /* session lock (class, hashtext(instance id)): a live sender */
#define LOCK_KEY_RECEIPTS   4720030 /* receipts vs resource_id writes (sql/030, sql/057) */
#define LOCK_STR_(x) #x
#define LOCK_STR(x) LOCK_STR_(x)
/* For SQL text: "pg_try_advisory_lock(" LOCK_CLASS_SENDER_SQL ", hashtext($1))" */
#define LOCK_CLASS_SENDER_SQL LOCK_STR(LOCK_CLASS_SENDER)
#define LOCK_KEY_RECEIPTS_SQL LOCK_STR(LOCK_KEY_RECEIPTS)
#define LOCK_KEY_MIGRATE_SQL LOCK_STR(LOCK_KEY_MIGRATE)
#define LOCK_CLASS_IMPORT_SQL LOCK_STR(LOCK_CLASS_IMPORT)

/*
 * Error kinds, from the library up: a library call that fails says
 * which kind (after error() printed the details); builtin/ turns the
 * kind into an exit code once (builtin_exit_code).
 */
enum griot_err {
	GRIOT_OK = 0,
	GRIOT_ERR_USAGE,        /* bad argument or option: EX_USAGE */
	GRIOT_ERR_DATA,         /* bad input data: EX_DATAERR */
	GRIOT_ERR_NOINPUT,      /* no such campaign/file: EX_NOINPUT */
	GRIOT_ERR_STATE,        /* not allowed in the current status: EX_USAGE */
	GRIOT_ERR_DB,           /* PostgreSQL unusable: EX_UNAVAILABLE */
	GRIOT_ERR_ORANGE,       /* Orange unreachable or refusing: EX_UNAVAILABLE */
	GRIOT_ERR_CREDIT,       /* not enough credit: EX_UNAVAILABLE */
	GRIOT_ERR_CONFIG,       /* configuration or credentials: EX_CONFIG */
	GRIOT_ERR_TEMPFAIL,     /* try again later (paused, window): EX_TEMPFAIL */
	GRIOT_ERR_CANTCREAT,    /* cannot write an output file: EX_CANTCREAT */
	GRIOT_ERR_PERM,         /* credentials or policy refused: EX_NOPERM */
	GRIOT_ERR_PROTOCOL,     /* a peer answered outside its protocol: EX_PROTOCOL */
	GRIOT_ERR_NOUSER,       /* no such console user: EX_NOUSER */
	GRIOT_ERR_IO,           /* reading or writing failed: EX_IOERR */
	GRIOT_ERR_INTERNAL,     /* a bug: EX_SOFTWARE */
	GRIOT_ERR_SERVICE,      /* cannot listen or start a thread: EX_UNAVAILABLE */
	GRIOT_ERR_NR
};
const char *griot_err_name(enum griot_err e);

#endif
