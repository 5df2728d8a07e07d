#ifndef IMPORTER_SUPPRESS_H
#define IMPORTER_SUPPRESS_H
/*
 * The suppression list: numbers (E.164, normalised like imports) that no
 * campaign imports.  `griot suppress add|remove|list|import`.
 */
#include "core/status.h"

#include <stdbool.h>

struct db;
struct db_result;
struct phone_country;

struct suppress_counts {
	long long read, added, already, rejected;
};

/*
 * Normalise every number first (an invalid one is an error naming it, and
 * nothing changes), then add them.  reason may be NULL.  GRIOT_OK, or
 * after error(): GRIOT_ERR_DATA (a number), GRIOT_ERR_DB.
 */
enum griot_err suppress_add(struct db *db, const char *const *numbers, int n, const char *reason,
			    const struct phone_country *def, struct suppress_counts *c);
/* Remove numbers; c->added counts the rows removed.  As suppress_add. */
enum griot_err suppress_remove(struct db *db, const char *const *numbers, int n,
			       const struct phone_country *def, struct suppress_counts *c);
/* msisdn, reason, created_at ordered by msisdn. */
int suppress_list(struct db *db, struct db_result **res);
/*
 * Add the numbers of a CSV file (header row required, phone column found
 * as for `griot import`) in one transaction through COPY; invalid rows
 * are counted and named on stderr (line and reason).  0, or -1 after
 * error() with *kind set.
 */
int suppress_import(struct db *db, const char *path, const char *phone_column,
		    const struct phone_country *def, const char *reason,
		    struct suppress_counts *c, enum griot_err *kind);

#endif
