/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_import(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot import: not implemented yet");
	return EX_UNAVAILABLE;
}
