/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_run_due(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot run-due: not implemented yet");
	return EX_UNAVAILABLE;
}
