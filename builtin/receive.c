/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_receive(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot receive: not implemented yet");
	return EX_UNAVAILABLE;
}
