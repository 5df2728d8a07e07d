#ifndef CORE_JSON_H
#define CORE_JSON_H
/*
 * The only module that includes yajl.  A generator for building JSON
 * (never by pasting strings) and a tree parser with typed accessors.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf;

/* ---- generating ---- */
struct json_gen;
struct json_gen *json_gen_new(bool pretty);
void json_gen_free(struct json_gen *g);
void json_map_open(struct json_gen *g);
void json_map_close(struct json_gen *g);
void json_array_open(struct json_gen *g);
void json_array_close(struct json_gen *g);
void json_key(struct json_gen *g, const char *key);
void json_str(struct json_gen *g, const char *s); /* NULL writes null */
void json_strn(struct json_gen *g, const char *s, size_t len);
void json_int(struct json_gen *g, long long v);
void json_double(struct json_gen *g, double v);
void json_bool(struct json_gen *g, bool v);
void json_null(struct json_gen *g);
/* Shorthands for "key": value inside a map. */
void json_kv_str(struct json_gen *g, const char *key, const char *s);
void json_kv_int(struct json_gen *g, const char *key, long long v);
void json_kv_double(struct json_gen *g, const char *key, double v);
void json_kv_bool(struct json_gen *g, const char *key, bool v);
/* The text so far (valid once every map/array is closed); 0 or -1. */
int json_gen_result(struct json_gen *g, const char **buf, size_t *len);
/* Append the finished text to sb; 0 or -1 on a generator error. */
int json_gen_to_strbuf(struct json_gen *g, struct strbuf *sb);
/* Commands' --json: write the finished text and a newline to out, then
 * free g.  0, or -1 after error() on a generator error. */
int json_gen_finish(struct json_gen *g, FILE *out);

/* ---- parsing ---- */
typedef struct yajl_val_s json_value; /* opaque */

#define JSON_DEFAULT_DEPTH 64

/*
 * Parse text[0..len) strictly (RFC 8259: no comments, valid UTF-8, one
 * value, nothing after it) into a tree.  max_depth bounds nesting (0 =
 * JSON_DEFAULT_DEPTH), checked by the parser as each container opens, so
 * any length of text is safe.  Returns NULL with a short reason in err
 * on invalid JSON.
 */
json_value *json_parse(const char *text, size_t len, int max_depth,
		       char *err, size_t errlen);
void json_free(json_value *v);

/* Object member by key, or NULL (also NULL if v is not an object). */
json_value *json_get(const json_value *v, const char *key);
/* Walk a path of keys: json_path(v, "a", "b", NULL). */
json_value *json_path(const json_value *v, ...);
bool json_is_string(const json_value *v);
bool json_is_number(const json_value *v);
bool json_is_integer(const json_value *v);
bool json_is_object(const json_value *v);
bool json_is_array(const json_value *v);
bool json_is_true(const json_value *v);
bool json_is_null(const json_value *v);
/* String value or NULL when v is absent or not a string. */
const char *json_string(const json_value *v);
/* Number as integer/double; 0 or -1 if not a number (strings of digits
 * are accepted by json_as_int when lenient, as Orange sends both). */
int json_as_int(const json_value *v, bool lenient, long long *out);
int json_as_double(const json_value *v, bool lenient, double *out);
size_t json_array_len(const json_value *v);
json_value *json_array_at(const json_value *v, size_t i);
size_t json_object_len(const json_value *v);
const char *json_object_key(const json_value *v, size_t i);
json_value *json_object_at(const json_value *v, size_t i);

#endif
