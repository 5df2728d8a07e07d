#include "receiver/dr-parse.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const error_names[DR_ERROR_COUNT] = {
	"ok", "bad_json", "missing_field", "wrong_type", "bad_address", "bad_value",
};

const char *dr_error_name(enum dr_error e)
{
	return (unsigned)e < DR_ERROR_COUNT ? error_names[e] : "unknown";
}

int dr_status_rank(const char *s)
{
	int st = DLV_RECEIPT_STATUS(s);

	if (st < 0)
		return 0;
	return st == DLV_WAITING ? 1 : 2;
}

static enum dr_error fail(enum dr_error e, char *reason, size_t len,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum dr_error fail(enum dr_error e, char *reason, size_t len,
			  const char *fmt, ...)
{
	va_list ap;

	if (len) {
		va_start(ap, fmt);
		vsnprintf(reason, len, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* Member `key` of obj as a string: present, a string, 1..max printable
 * ASCII bytes without spaces (space allowed when `spaces`). */
static enum dr_error get_str(const json_value *obj, const char *where,
			     const char *key, size_t max, bool spaces,
			     char *dst, char *reason, size_t rlen)
{
	const json_value *v = json_get(obj, key);
	const char *s;
	size_t n, i;

	if (!v)
		return fail(DR_MISSING_FIELD, reason, rlen, "missing %s.%s", where, key);
	s = json_string(v);
	if (!s)
		return fail(DR_WRONG_TYPE, reason, rlen, "%s.%s must be a string", where, key);
	n = strlen(s);
	if (n == 0)
		return fail(DR_BAD_VALUE, reason, rlen, "%s.%s is empty", where, key);
	if (n > max)
		return fail(DR_BAD_VALUE, reason, rlen, "%s.%s longer than %zu bytes",
			    where, key, max);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || (c == ' ' && !spaces))
			return fail(DR_BAD_VALUE, reason, rlen,
				    "%s.%s has an invalid character", where, key);
	}
	memcpy(dst, s, n + 1);
	return DR_OK;
}

/* tel:+ then an E.164 number: a non-zero digit and 3 to 14 more. */
static bool address_ok(const char *a)
{
	size_t n = 0;

	if (strncmp(a, "tel:+", 5))
		return false;
	a += 5;
	if (*a < '1' || *a > '9')
		return false;
	for (; *a; a++, n++)
		if (*a < '0' || *a > '9')
			return false;
	return n >= 4 && n <= 15;
}

enum dr_error dr_parse(const char *body, size_t len, struct dr_receipt *out,
		       char *reason, size_t rlen)
{
	char err[160];
	json_value *root;
	const json_value *n, *info;
	enum dr_error e;

	memset(out, 0, sizeof(*out));
	if (rlen)
		reason[0] = '\0';
	if (!len)
		return fail(DR_BAD_JSON, reason, rlen, "empty body");
	root = json_parse(body, len, DR_MAX_DEPTH, err, sizeof(err));
	if (!root)
		return fail(DR_BAD_JSON, reason, rlen, "%s", err);
	if (!json_is_object(root)) {
		e = fail(DR_BAD_JSON, reason, rlen, "body must be a JSON object");
		goto out;
	}
	n = json_get(root, "deliveryInfoNotification");
	if (!n) {
		e = fail(DR_MISSING_FIELD, reason, rlen, "missing deliveryInfoNotification");
		goto out;
	}
	if (!json_is_object(n)) {
		e = fail(DR_WRONG_TYPE, reason, rlen, "deliveryInfoNotification must be an object");
		goto out;
	}
	e = get_str(n, "deliveryInfoNotification", "callbackData", DR_RESOURCE_ID_MAX,
		    false, out->resource_id, reason, rlen);
	if (e)
		goto out;
	info = json_get(n, "deliveryInfo");
	if (!info) {
		e = fail(DR_MISSING_FIELD, reason, rlen, "missing deliveryInfo");
		goto out;
	}
	if (!json_is_object(info)) {
		e = fail(DR_WRONG_TYPE, reason, rlen, "deliveryInfo must be an object");
		goto out;
	}
	e = get_str(info, "deliveryInfo", "address", DR_ADDRESS_MAX, false,
		    out->address, reason, rlen);
	if (e == DR_BAD_VALUE && json_string(json_get(info, "address")))
		e = fail(DR_BAD_ADDRESS, reason, rlen, "address must be tel:+<number>");
	if (e)
		goto out;
	if (!address_ok(out->address)) {
		e = fail(DR_BAD_ADDRESS, reason, rlen, "address must be tel:+<number>");
		goto out;
	}
	e = get_str(info, "deliveryInfo", "deliveryStatus", DR_STATUS_MAX, true,
		    out->status, reason, rlen);
	if (e)
		goto out;
	out->rank = dr_status_rank(out->status);
	out->status_valid = out->rank > 0;
out:
	json_free(root);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}
