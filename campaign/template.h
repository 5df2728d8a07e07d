#ifndef CAMPAIGN_TEMPLATE_H
#define CAMPAIGN_TEMPLATE_H
/*
 * Message templates: literal text with {{field}} placeholders naming a
 * CSV column of the recipient (messages.fields), or {{phone}} for the
 * recipient's number.  Spaces inside the braces are ignored; names match
 * exactly, else case-insensitively.  A missing or empty field is an
 * error, never an empty hole in a customer's SMS.
 */
#include <stddef.h>

struct strbuf;

/* Syntax check: -1 with a message in err (unclosed or empty {{ }}). */
int template_check(const char *tpl, char *err, size_t errlen);

/*
 * Look up a field: return its value or NULL when absent.  arg is the
 * caller's (e.g. a parsed JSON object).
 */
typedef const char *(*template_lookup_fn)(void *arg, const char *name);

/*
 * Append the rendered text to out.  Returns 0, 1 when a field is missing
 * or empty (its name copied into missing), -1 on a syntax error.
 */
int template_render(const char *tpl, template_lookup_fn lookup, void *arg,
		    struct strbuf *out, char *missing, size_t missing_size);

/* Render against a JSON object text (messages.fields::text) and phone. */
int template_render_json(const char *tpl, const char *fields_json, const char *phone,
			 struct strbuf *out, char *missing, size_t missing_size);

#endif
