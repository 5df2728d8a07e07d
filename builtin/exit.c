/*
 * The one mapping from the library's error kinds (core/status.h) to
 * sysexits codes (docs: "Exit codes" in each command's usage).
 */
#include "builtin.h"

int builtin_exit_code(enum griot_err e)
{
	switch (e) {
	case GRIOT_OK: return 0;
	case GRIOT_ERR_USAGE: return EX_USAGE;
	case GRIOT_ERR_STATE: return EX_USAGE;
	case GRIOT_ERR_DATA: return EX_DATAERR;
	case GRIOT_ERR_NOINPUT: return EX_NOINPUT;
	case GRIOT_ERR_CONFIG: return EX_CONFIG;
	case GRIOT_ERR_TEMPFAIL: return EX_TEMPFAIL;
	case GRIOT_ERR_CANTCREAT: return EX_CANTCREAT;
	case GRIOT_ERR_DB:
	case GRIOT_ERR_ORANGE:
	case GRIOT_ERR_CREDIT:
	case GRIOT_ERR_NR:
		break;
	}
	return EX_UNAVAILABLE;
}
