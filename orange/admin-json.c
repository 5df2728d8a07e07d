/*
 * The admin structs (contracts, usage, purchase orders) in griot's own
 * JSON form, written and read through one table of fields per struct:
 * a new field is one line here, for the CLI's --json and the report's
 * cache alike.  Also the one rule of what credit a contract gives.
 */
#include "orange/internal.h"
#include "core/json.h"
#include "core/util.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

enum field_kind {
	F_STR,      /* char *, "" when absent */
	F_COUNTRY,  /* char[4] */
	F_INT,      /* long long */
	F_UNITS,    /* long long, -1 (unknown) written as null */
	F_DOUBLE,
};

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
};

#define FIELD(type, key, kind, member) { key, kind, offsetof(type, member) }

static const struct field contract_fields[] = {
	FIELD(struct orange_contract, "country", F_COUNTRY, country),
	FIELD(struct orange_contract, "available_units", F_INT, available_units),
	FIELD(struct orange_contract, "status", F_STR, status),
	FIELD(struct orange_contract, "expires", F_STR, expires),
	FIELD(struct orange_contract, "expires_at", F_DOUBLE, expires_at),
	FIELD(struct orange_contract, "contract_id", F_STR, contract_id),
	FIELD(struct orange_contract, "service", F_STR, service),
	FIELD(struct orange_contract, "description", F_STR, description),
	{ NULL, F_STR, 0 }
};

static const struct field usage_fields[] = {
	FIELD(struct orange_usage, "country", F_COUNTRY, country),
	FIELD(struct orange_usage, "application_id", F_STR, app_id),
	FIELD(struct orange_usage, "usage", F_INT, usage),
	{ NULL, F_STR, 0 }
};

static const struct field purchase_fields[] = {
	FIELD(struct orange_purchase, "id", F_STR, id),
	FIELD(struct orange_purchase, "date", F_STR, date),
	FIELD(struct orange_purchase, "country", F_COUNTRY, country),
	FIELD(struct orange_purchase, "units", F_UNITS, units),
	FIELD(struct orange_purchase, "amount", F_DOUBLE, amount),
	FIELD(struct orange_purchase, "currency", F_STR, currency),
	FIELD(struct orange_purchase, "bundle_id", F_STR, bundle_id),
	FIELD(struct orange_purchase, "contract_id", F_STR, contract_id),
	FIELD(struct orange_purchase, "description", F_STR, description),
	{ NULL, F_STR, 0 }
};

#define AT(item, f, type) ((type *)((char *)(item) + (f)->off))

static void write_fields(struct json_gen *g, const void *item, const struct field *f)
{
	for (; f->key; f++) {
		switch (f->kind) {
		case F_STR:
			json_kv_str(g, f->key, *AT(item, f, char *const));
			break;
		case F_COUNTRY:
			json_kv_str(g, f->key, AT(item, f, const char));
			break;
		case F_INT:
			json_kv_int(g, f->key, *AT(item, f, const long long));
			break;
		case F_UNITS:
			json_key(g, f->key);
			if (*AT(item, f, const long long) >= 0)
				json_int(g, *AT(item, f, const long long));
			else
				json_null(g);
			break;
		case F_DOUBLE:
			json_kv_double(g, f->key, *AT(item, f, const double));
			break;
		}
	}
}

static void read_fields(void *item, const json_value *v, const struct field *f)
{
	for (; f->key; f++) {
		const json_value *x = json_get(v, f->key);
		const char *s = json_string(x);

		switch (f->kind) {
		case F_STR:
			*AT(item, f, char *) = xstrdup(s ? s : "");
			break;
		case F_COUNTRY:
			strlcpy_(AT(item, f, char), s && strlen(s) == 3 ? s : "", 4);
			break;
		case F_INT:
		case F_UNITS:
			if (json_as_int(x, true, AT(item, f, long long)) < 0)
				*AT(item, f, long long) = f->kind == F_UNITS ? -1 : 0;
			break;
		case F_DOUBLE:
			if (json_as_double(x, true, AT(item, f, double)) < 0)
				*AT(item, f, double) = 0;
			break;
		}
	}
}

/* Free the strings of n items of size size. */
static void free_items(void *items, size_t n, size_t size, const struct field *fields)
{
	size_t i;
	const struct field *f;

	for (i = 0; items && i < n; i++)
		for (f = fields; f->key; f++)
			if (f->kind == F_STR)
				free(*AT((char *)items + i * size, f, char *));
	free(items);
}

/* An array of griot's form into *out (n items of size size). */
static int read_array(const json_value *arr, void **out, size_t *n, size_t size,
		      const struct field *fields)
{
	size_t i, len;
	char *items;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr))
		return -1;
	len = json_array_len(arr);
	items = xcalloc(len + 1, size);
	for (i = 0; i < len; i++)
		read_fields(items + i * size, json_array_at(arr, i), fields);
	*out = items;
	*n = len;
	return 0;
}

void orange_contract_kv(struct json_gen *g, const struct orange_contract *k)
{
	write_fields(g, k, contract_fields);
}

void orange_usage_kv(struct json_gen *g, const struct orange_usage *u)
{
	write_fields(g, u, usage_fields);
}

void orange_purchase_kv(struct json_gen *g, const struct orange_purchase *p)
{
	write_fields(g, p, purchase_fields);
}

int orange_contracts_from_json(const json_value *arr, struct orange_contract **out, size_t *n)
{
	return read_array(arr, (void **)out, n, sizeof(**out), contract_fields);
}

int orange_usage_from_json(const json_value *arr, struct orange_usage **out, size_t *n)
{
	return read_array(arr, (void **)out, n, sizeof(**out), usage_fields);
}

int orange_purchases_from_json(const json_value *arr, struct orange_purchase **out, size_t *n)
{
	return read_array(arr, (void **)out, n, sizeof(**out), purchase_fields);
}

void orange_contracts_free(struct orange_contract *k, size_t n)
{
	free_items(k, n, sizeof(*k), contract_fields);
}

void orange_usage_free(struct orange_usage *u, size_t n)
{
	free_items(u, n, sizeof(*u), usage_fields);
}

void orange_purchases_free(struct orange_purchase *p, size_t n)
{
	free_items(p, n, sizeof(*p), purchase_fields);
}

long long orange_contract_spendable(const struct orange_contract *k, double now)
{
	if (k->status && !strcasecmp(k->status, "EXPIRED"))
		return 0;
	if (k->expires_at > 0 && k->expires_at <= now)
		return 0;
	return k->available_units > 0 ? k->available_units : 0;
}
