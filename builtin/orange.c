/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_orange(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot orange: not implemented yet");
	return EX_UNAVAILABLE;
}
