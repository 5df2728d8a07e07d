/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_send(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot send: not implemented yet");
	return EX_UNAVAILABLE;
}
