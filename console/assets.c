/*
 * The console's static files (console/assets/), embedded at build time by
 * scripts/embed-assets: griot serves every asset itself, no CDN.
 */
#include "console/internal.h"

#include <string.h>

struct console_asset {
	const char *name, *type, *data;
	size_t len;
};
extern const struct console_asset console_assets[];

bool assets_find(const char *name, const char **type, const char **data, size_t *len)
{
	const struct console_asset *a;

	for (a = console_assets; a->name; a++) {
		if (!strcmp(a->name, name)) {
			*type = a->type;
			*data = a->data;
			*len = a->len;
			return true;
		}
	}
	return false;
}
