#include "campaign/template.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Find the placeholder starting at p ("{{"): name bounds and end. */
static int placeholder(const char *p, const char **name, size_t *nlen,
		       const char **end)
{
	const char *q = p + 2, *close = strstr(q, "}}");
	const char *e;

	if (!close)
		return -1;
	while (q < close && (*q == ' ' || *q == '\t'))
		q++;
	e = close;
	while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*name = q;
	*nlen = (size_t)(e - q);
	*end = close + 2;
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '{' || s[i] == '}' || s[i] == '\n')
			return 0;
	return 1;
}

int template_check(const char *tpl, char *err, size_t errlen)
{
	const char *p = tpl;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *name, *end;
		size_t nlen;

		if (placeholder(p, &name, &nlen, &end) < 0) {
			snprintf(err, errlen, "unclosed '{{' at character %zu", (size_t)(p - tpl) + 1);
			return -1;
		}
		if (!valid_name(name, nlen)) {
			snprintf(err, errlen, "bad placeholder '%.*s' at character %zu",
				 (int)(end - p), p, (size_t)(p - tpl) + 1);
			return -1;
		}
		p = end;
	}
	return 0;
}

int template_render(const char *tpl, template_lookup_fn lookup, void *arg,
		    struct strbuf *out, char *missing, size_t missing_size)
{
	const char *p = tpl, *ph;

	while ((ph = strstr(p, "{{")) != NULL) {
		const char *name, *end, *val;
		char key[130];
		size_t nlen;

		strbuf_add(out, p, (size_t)(ph - p));
		if (placeholder(ph, &name, &nlen, &end) < 0 || !valid_name(name, nlen))
			return -1;
		snprintf(key, sizeof(key), "%.*s", (int)nlen, name);
		val = lookup(arg, key);
		if (!val || !*val) {
			if (missing_size)
				strlcpy_(missing, key, missing_size);
			return 1;
		}
		strbuf_addstr(out, val);
		p = end;
	}
	strbuf_addstr(out, p);
	return 0;
}

struct json_lookup {
	json_value *obj;
	const char *phone;
	char num[64];
};

static const char *lookup_json(void *arg, const char *name)
{
	struct json_lookup *jl = arg;
	json_value *v;
	size_t i, n;

	if (!strcmp(name, "phone") && !json_get(jl->obj, "phone"))
		return jl->phone;
	v = json_get(jl->obj, name);
	if (!v) {
		n = json_object_len(jl->obj);
		for (i = 0; i < n; i++)
			if (!strcasecmp(json_object_key(jl->obj, i), name)) {
				v = json_object_at(jl->obj, i);
				break;
			}
	}
	if (!v)
		return NULL;
	if (json_is_string(v))
		return json_string(v);
	if (json_is_number(v)) {
		double d;
		if (json_as_double(v, false, &d) == 0) {
			snprintf(jl->num, sizeof(jl->num), "%.15g", d);
			return jl->num;
		}
	}
	return NULL;
}

int template_render_json(const char *tpl, const char *fields_json, const char *phone,
			 struct strbuf *out, char *missing, size_t missing_size)
{
	struct json_lookup jl;
	char err[128];
	int ret;

	jl.phone = phone;
	jl.obj = json_parse(fields_json ? fields_json : "{}",
			    fields_json ? strlen(fields_json) : 2, 0, err, sizeof(err));
	if (!jl.obj)
		return error("recipient fields are not valid JSON: %s", err);
	ret = template_render(tpl, lookup_json, &jl, out, missing, missing_size);
	json_free(jl.obj);
	return ret;
}
