#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
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
	char buf[32];
	int n;

	/* yajl refuses NaN/Inf; JSON has no such numbers anyway. */
	if (v != v || v > 1e300 || v < -1e300) {
		GEN(g, yajl_gen_null(g->g));
		return;
	}
	/* 15 significant digits, all a double holds exactly: 2/3 is
	 * 0.666666666666667, not yajl's 0.66666666666666662966. */
	n = snprintf(buf, sizeof(buf), "%.15g", v);
	if (strspn(buf, "-0123456789") == (size_t)n)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".0"); /* still a float, as yajl writes it */
	GEN(g, yajl_gen_number(g->g, buf, (size_t)n));
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
 * The tree parser: yajl's event parser (strict: no comments, no trailing
 * garbage, UTF-8 checked) feeding a builder that keeps the open
 * containers on a stack no deeper than max_depth.  The depth is checked
 * when a container opens, by the parser itself, so no text can hide
 * nesting from it and no tree deeper than the limit is ever built
 * (yajl's own tree parser allows comments and has no limit at all).
 */
struct builder {
	yajl_val *stack;        /* open containers, innermost last */
	char **keys;            /* per object on the stack: its pending key */
	size_t *cap;            /* per container on the stack: room for members */
	int depth, max_depth;
	yajl_val root;
	bool too_deep;
};

static yajl_val node_new(yajl_type type)
{
	yajl_val v = xcalloc(1, sizeof(*v));

	v->type = type;
	return v;
}

static void node_free(yajl_val v)
{
	size_t i;

	if (!v)
		return;
	if (YAJL_IS_STRING(v)) {
		free(v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		free(v->u.number.r);
	} else if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++) {
			free((char *)v->u.object.keys[i]);
			node_free(v->u.object.values[i]);
		}
		free(v->u.object.keys);
		free(v->u.object.values);
	} else if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			node_free(v->u.array.values[i]);
		free(v->u.array.values);
	}
	free(v);
}

/* Attach v to the innermost open container (or make it the root). */
static int add_value(struct builder *b, yajl_val v)
{
	yajl_val top;
	size_t n, *cap;

	if (!b->depth) {
		b->root = v;
		return 1;
	}
	top = b->stack[b->depth - 1];
	cap = &b->cap[b->depth - 1];
	if (YAJL_IS_OBJECT(top)) {
		n = top->u.object.len;
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 4;
			top->u.object.keys = xrealloc(top->u.object.keys, *cap * sizeof(char *));
			top->u.object.values = xrealloc(top->u.object.values, *cap * sizeof(yajl_val));
		}
		top->u.object.keys[n] = b->keys[b->depth - 1];
		top->u.object.values[n] = v;
		top->u.object.len = n + 1;
		b->keys[b->depth - 1] = NULL;
	} else {
		n = top->u.array.len;
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 4;
			top->u.array.values = xrealloc(top->u.array.values, *cap * sizeof(yajl_val));
		}
		top->u.array.values[n] = v;
		top->u.array.len = n + 1;
	}
	return 1;
}

static int on_open(struct builder *b, yajl_type type)
{
	yajl_val v;

	if (b->depth >= b->max_depth) {
		b->too_deep = true;
		return 0; /* cancels the parse */
	}
	v = node_new(type);
	add_value(b, v);
	b->stack[b->depth] = v;
	b->keys[b->depth] = NULL;
	b->cap[b->depth] = 0;
	b->depth++;
	return 1;
}

static int on_close(struct builder *b)
{
	b->depth--;
	return 1;
}

static int cb_null(void *ctx) { return add_value(ctx, node_new(yajl_t_null)); }
static int cb_boolean(void *ctx, int t) { return add_value(ctx, node_new(t ? yajl_t_true : yajl_t_false)); }
static int cb_start_map(void *ctx) { return on_open(ctx, yajl_t_object); }
static int cb_start_array(void *ctx) { return on_open(ctx, yajl_t_array); }
static int cb_end(void *ctx) { return on_close(ctx); }

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	yajl_val v = node_new(yajl_t_string);

	v->u.string = xstrndup((const char *)s, len);
	return add_value(ctx, v);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;

	free(b->keys[b->depth - 1]);
	b->keys[b->depth - 1] = xstrndup((const char *)s, len);
	return 1;
}

/* Numbers as yajl's tree keeps them: the text, and the integer and/or
 * double value when representable. */
static int cb_number(void *ctx, const char *s, size_t len)
{
	yajl_val v = node_new(yajl_t_number);
	char *end;

	v->u.number.r = xstrndup(s, len);
	errno = 0;
	v->u.number.i = strtoll(v->u.number.r, &end, 10);
	if (!errno && !*end)
		v->u.number.flags |= YAJL_NUMBER_INT_VALID;
	errno = 0;
	v->u.number.d = strtod(v->u.number.r, &end);
	if (!errno && !*end)
		v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return add_value(ctx, v);
}

static const yajl_callbacks build_callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

json_value *json_parse(const char *text, size_t len, int max_depth,
		       char *err, size_t errlen)
{
	struct builder b;
	yajl_handle h = NULL;
	yajl_status st;
	json_value *ret = NULL;
	int i;

	memset(&b, 0, sizeof(b));
	b.max_depth = max_depth > 0 ? max_depth : JSON_DEFAULT_DEPTH;
	if (memchr(text, '\0', len)) {
		if (errlen)
			snprintf(err, errlen, "NUL byte in JSON");
		return NULL;
	}
	b.stack = xcalloc((size_t)b.max_depth, sizeof(*b.stack));
	b.keys = xcalloc((size_t)b.max_depth, sizeof(*b.keys));
	b.cap = xcalloc((size_t)b.max_depth, sizeof(*b.cap));
	h = yajl_alloc(&build_callbacks, NULL, &b);
	if (!h)
		die_oom();
	/* yajl's defaults are strict: no comments, UTF-8 validated, one
	 * value and nothing after it */
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok && b.root) {
		ret = b.root;
		b.root = NULL;
	} else if (errlen) {
		if (b.too_deep) {
			snprintf(err, errlen, "nesting deeper than %d", b.max_depth);
		} else {
			unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)text, len);
			char *nl = strchr((char *)m, '\n');
			if (nl)
				*nl = '\0';
			snprintf(err, errlen, "invalid JSON: %s", *m ? (char *)m : "parse error");
			yajl_free_error(h, m);
		}
	}
	yajl_free(h);
	node_free(b.root); /* the partial tree of a failed parse */
	for (i = 0; i < b.max_depth; i++)
		free(b.keys[i]);
	free(b.keys);
	free(b.cap);
	free(b.stack);
	return ret;
}

void json_free(json_value *v)
{
	node_free(v);
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
