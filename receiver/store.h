#ifndef RECEIVER_STORE_H
#define RECEIVER_STORE_H
/*
 * Writing receipts: one transaction per batch, one INSERT of all rows and
 * one set-based UPDATE of the messages they name (sql/030_receiver.sql
 * holds the rules for receipts that match later).
 */
#include <stdbool.h>
#include <stddef.h>

struct db;

struct dr_row {
	const char *resource_id;
	const char *address;
	const char *status;
	bool status_valid;
	const char *source_addr;    /* text form, or NULL */
	const char *raw;            /* NUL-terminated payload */
	double received_at;         /* seconds since the epoch */
};

struct dr_store_result {
	int unmatched;              /* rows whose resource_id is unknown yet */
	int updated;                /* messages whose status changed */
	int reconciled;             /* 'unknown' messages reconciled by number */
};


/*
 * Insert and apply rows[0..n) in one transaction and commit; then, if
 * some rows matched no message, reconcile 'unknown' messages by number in
 * a second one.  0 once the rows are committed; -1 otherwise (rolled back
 * when the connection still works; db_last_error()/db_last_sqlstate()
 * say why).
 */
int dr_store_batch(struct db *db, const struct dr_row *rows, size_t n,
		   struct dr_store_result *res);

/*
 * Could a batch be written now?  Runs the batch's own statement with no
 * rows, so it needs what a batch needs (the connection, the receipt lock
 * within lock_timeout).  0 or -1 as dr_store_batch().
 */
int dr_store_probe(struct db *db);

#endif
