/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_dr(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot dr: not implemented yet");
	return EX_UNAVAILABLE;
}
