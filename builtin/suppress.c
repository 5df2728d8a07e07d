/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_suppress(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot suppress: not implemented yet");
	return EX_UNAVAILABLE;
}
