#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

struct json_gen {
	yajl_gen g;
	int failed;  /* first generator error (e.g. invalid UTF-8) sticks */
};

#define GEN(g, call) do { if ((call) != yajl_gen_status_ok) (g)->failed = 1; } while (0)

struct json_gen *json_gen_new(bool pretty)
{
	struct json_gen *g = xcalloc(1, sizeof(*g));

	g->g = yajl_gen_alloc(NULL);
	if (!g->g)
		die_oom();
	yajl_gen_config(g->g, yajl_gen_beautify, pretty ? 1 : 0);
	yajl_gen_config(g->g, yajl_gen_validate_utf8, 1);
	return g;
}

void json_gen_free(struct json_gen *g)
{
	if (!g)
		return;
	yajl_gen_free(g->g);
	free(g);
}

void json_map_open(struct json_gen *g) { GEN(g, yajl_gen_map_open(g->g)); }
void json_map_close(struct json_gen *g) { GEN(g, yajl_gen_map_close(g->g)); }
void json_array_open(struct json_gen *g) { GEN(g, yajl_gen_array_open(g->g)); }
void json_array_close(struct json_gen *g) { GEN(g, yajl_gen_array_close(g->g)); }

void json_strn(struct json_gen *g, const char *s, size_t len)
{
	GEN(g, yajl_gen_string(g->g, (const unsigned char *)s, len));
}

void json_str(struct json_gen *g, const char *s)
{
	if (s)
		json_strn(g, s, strlen(s));
	else
		GEN(g, yajl_gen_null(g->g));
}

void json_key(struct json_gen *g, const char *key) { json_str(g, key); }
void json_int(struct json_gen *g, long long v) { GEN(g, yajl_gen_integer(g->g, v)); }
void json_bool(struct json_gen *g, bool v) { GEN(g, yajl_gen_bool(g->g, v)); }
void json_null(struct json_gen *g) { GEN(g, yajl_gen_null(g->g)); }

void json_double(struct json_gen *g, double v)
{
	/* yajl refuses NaN/Inf; JSON has no such numbers anyway. */
	if (v != v || v > 1e300 || v < -1e300)
		GEN(g, yajl_gen_null(g->g));
	else
		GEN(g, yajl_gen_double(g->g, v));
}

void json_kv_str(struct json_gen *g, const char *k, const char *s) { json_key(g, k); json_str(g, s); }
void json_kv_int(struct json_gen *g, const char *k, long long v) { json_key(g, k); json_int(g, v); }
void json_kv_double(struct json_gen *g, const char *k, double v) { json_key(g, k); json_double(g, v); }
void json_kv_bool(struct json_gen *g, const char *k, bool v) { json_key(g, k); json_bool(g, v); }

int json_gen_result(struct json_gen *g, const char **buf, size_t *len)
{
	const unsigned char *b;
	size_t l;

	if (g->failed || yajl_gen_get_buf(g->g, &b, &l) != yajl_gen_status_ok)
		return -1;
	*buf = (const char *)b;
	*len = l;
	return 0;
}

int json_gen_to_strbuf(struct json_gen *g, struct strbuf *sb)
{
	const char *b;
	size_t l;

	if (json_gen_result(g, &b, &l) < 0)
		return -1;
	strbuf_add(sb, b, l);
	return 0;
}

int json_gen_finish(struct json_gen *g, FILE *out)
{
	const char *b;
	size_t l;
	int ret = 0;

	if (json_gen_result(g, &b, &l) < 0) {
		ret = error("cannot generate JSON output (invalid UTF-8 in a value?)");
	} else {
		fwrite(b, 1, l, out);
		if (!l || b[l - 1] != '\n')
			fputc('\n', out);
	}
	json_gen_free(g);
	return ret;
}

/*
 * yajl's tree parser has no depth limit of its own; a linear pre-scan
 * outside strings bounds it before any allocation happens.
 */
static int depth_ok(const char *t, size_t len, int max)
{
	int depth = 0;
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = t[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

json_value *json_parse(const char *text, size_t len, int max_depth,
		       char *err, size_t errlen)
{
	char ebuf[256] = "";
	char *copy;
	yajl_val v;

	if (max_depth <= 0)
		max_depth = 64;
	if (!depth_ok(text, len, max_depth)) {
		if (errlen)
			snprintf(err, errlen, "nesting deeper than %d", max_depth);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		if (errlen)
			snprintf(err, errlen, "NUL byte in JSON");
		return NULL;
	}
	copy = xstrndup(text, len); /* yajl_tree_parse wants a C string */
	v = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!v && errlen) {
		char *nl = strchr(ebuf, '\n');
		if (nl)
			*nl = '\0';
		snprintf(err, errlen, "invalid JSON: %s", *ebuf ? ebuf : "parse error");
	}
	return v;
}

void json_free(json_value *v)
{
	if (v)
		yajl_tree_free(v);
}

json_value *json_get(const json_value *v, const char *key)
{
	size_t i;

	if (!v || !YAJL_IS_OBJECT(v))
		return NULL;
	for (i = 0; i < v->u.object.len; i++)
		if (!strcmp(v->u.object.keys[i], key))
			return v->u.object.values[i];
	return NULL;
}

json_value *json_path(const json_value *v, ...)
{
	va_list ap;
	const char *k;
	json_value *cur = (json_value *)v;

	va_start(ap, v);
	while (cur && (k = va_arg(ap, const char *)) != NULL)
		cur = json_get(cur, k);
	va_end(ap);
	return cur;
}

bool json_is_string(const json_value *v) { return v && YAJL_IS_STRING(v); }
bool json_is_number(const json_value *v) { return v && YAJL_IS_NUMBER(v); }
bool json_is_integer(const json_value *v) { return v && YAJL_IS_INTEGER(v); }
bool json_is_object(const json_value *v) { return v && YAJL_IS_OBJECT(v); }
bool json_is_array(const json_value *v) { return v && YAJL_IS_ARRAY(v); }
bool json_is_true(const json_value *v) { return v && YAJL_IS_TRUE(v); }
bool json_is_null(const json_value *v) { return v && YAJL_IS_NULL(v); }

const char *json_string(const json_value *v)
{
	return json_is_string(v) ? v->u.string : NULL;
}

int json_as_int(const json_value *v, bool lenient, long long *out)
{
	if (json_is_integer(v)) {
		*out = v->u.number.i;
		return 0;
	}
	if (lenient && json_is_string(v)) {
		long l;
		if (parse_long(v->u.string, -2147483647L, 2147483647L * 1000L, &l) < 0)
			return -1;
		*out = l;
		return 0;
	}
	return -1;
}

int json_as_double(const json_value *v, bool lenient, double *out)
{
	if (json_is_number(v)) {
		*out = YAJL_IS_INTEGER(v) ? (double)v->u.number.i : v->u.number.d;
		return 0;
	}
	if (lenient && json_is_string(v))
		return parse_double(v->u.string, out);
	return -1;
}

size_t json_array_len(const json_value *v)
{
	return json_is_array(v) ? v->u.array.len : 0;
}

json_value *json_array_at(const json_value *v, size_t i)
{
	return i < json_array_len(v) ? v->u.array.values[i] : NULL;
}

size_t json_object_len(const json_value *v)
{
	return json_is_object(v) ? v->u.object.len : 0;
}

const char *json_object_key(const json_value *v, size_t i)
{
	return i < json_object_len(v) ? v->u.object.keys[i] : NULL;
}

json_value *json_object_at(const json_value *v, size_t i)
{
	return i < json_object_len(v) ? v->u.object.values[i] : NULL;
}
