/* Placeholder until the module lands. */
#include "builtin.h"

int cmd_campaign(int argc, char **argv, struct griot_ctx *ctx)
{
	error("griot campaign: not implemented yet");
	return EX_UNAVAILABLE;
}
