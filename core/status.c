/*
 * The status names of core/status.h: the same strings as the CHECK
 * constraints of sql/001_init.sql, in the enums' order.
 */
#include "core/status.h"

#include <string.h>

const char *const msg_status_names[MSG_STATUS_NR] = {
	[MSG_PENDING] = "pending",
	[MSG_SENDING] = "sending",
	[MSG_SENT] = "sent",
	[MSG_FAILED] = "failed",
	[MSG_UNKNOWN] = "unknown",
};

const char *const dlv_status_names[DLV_STATUS_NR] = {
	[DLV_TERMINAL] = DLV_NAME_TERMINAL,
	[DLV_NETWORK] = DLV_NAME_NETWORK,
	[DLV_UNCERTAIN] = DLV_NAME_UNCERTAIN,
	[DLV_IMPOSSIBLE] = DLV_NAME_IMPOSSIBLE,
	[DLV_WAITING] = DLV_NAME_WAITING,
	[DLV_NONE] = "none",
};

const char *const campaign_status_names[CAMPAIGN_STATUS_NR] = {
	[CAMPAIGN_DRAFT] = "draft",
	[CAMPAIGN_SCHEDULED] = "scheduled",
	[CAMPAIGN_RUNNING] = "running",
	[CAMPAIGN_PAUSED] = "paused",
	[CAMPAIGN_DONE] = "done",
	[CAMPAIGN_CANCELLED] = "cancelled",
};

int status_index(const char *const *names, int n, const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

const char *griot_err_name(enum griot_err e)
{
	static const char *const names[GRIOT_ERR_NR] = {
		[GRIOT_OK] = "ok",
		[GRIOT_ERR_USAGE] = "usage",
		[GRIOT_ERR_DATA] = "data",
		[GRIOT_ERR_NOINPUT] = "no-input",
		[GRIOT_ERR_STATE] = "state",
		[GRIOT_ERR_DB] = "database",
		[GRIOT_ERR_ORANGE] = "orange",
		[GRIOT_ERR_CREDIT] = "credit",
		[GRIOT_ERR_CONFIG] = "config",
		[GRIOT_ERR_TEMPFAIL] = "tempfail",
		[GRIOT_ERR_CANTCREAT] = "cantcreat",
		[GRIOT_ERR_PERM] = "permission",
		[GRIOT_ERR_PROTOCOL] = "protocol",
		[GRIOT_ERR_NOUSER] = "no-user",
		[GRIOT_ERR_IO] = "io",
		[GRIOT_ERR_INTERNAL] = "internal",
		[GRIOT_ERR_SERVICE] = "service",
	};
	return (unsigned)e < GRIOT_ERR_NR ? names[e] : "unknown";
}
