/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_report(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot report: not implemented yet");
	return EX_UNAVAILABLE;
}
