/*
 * The one mapping from the library's error kinds (core/status.h) to
 * sysexits codes (docs/griot.1 "EXIT STATUS").  Commands return the
 * code of the kind a library call reported, and EX_USAGE themselves
 * only for their own arguments; the console maps the same kinds to HTTP
 * statuses (console_http_status).
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
	case GRIOT_ERR_PERM: return EX_NOPERM;
	case GRIOT_ERR_PROTOCOL: return EX_PROTOCOL;
	case GRIOT_ERR_NOUSER: return EX_NOUSER;
	case GRIOT_ERR_IO: return EX_IOERR;
	case GRIOT_ERR_INTERNAL: return EX_SOFTWARE;
	case GRIOT_ERR_DB:
	case GRIOT_ERR_ORANGE:
	case GRIOT_ERR_CREDIT:
	case GRIOT_ERR_SERVICE:
	case GRIOT_ERR_NR:
		break;
	}
	return EX_UNAVAILABLE;
}
