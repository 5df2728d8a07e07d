#ifndef CONSOLE_INTERNAL_H
#define CONSOLE_INTERNAL_H
/*
 * Inside the console: the server (server.c: HTTP, cookies, forms, CSRF,
 * headers, the page frame), the pages (pages.c), the upload (upload.c)
 * and the static assets (assets.c).
 */
#include "console/auth.h"
#include "console/console.h"
#include "console/i18n.h"
#include "core/status.h"
#include "core/strbuf.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

struct db;
struct upload;

struct console {
	struct console_opts o;
	struct MHD_Daemon *daemon;
	char addr[80];
	bool tls;
	struct strbuf tls_cert, tls_key;
	sigset_t sigs;
	/* Pages run one at a time on this connection: the campaign library
	 * and its time-zone helpers are not made for threads.  Uploads stream
	 * on their own connection, outside the lock. */
	pthread_mutex_t lock;
	struct db *db;
};

struct form_field {
	char *name;
	struct strbuf value;
};
#define FORM_MAX_FIELDS 32
#define FORM_MAX_BYTES (64 * 1024)

struct creq {
	struct console *cs;
	struct MHD_Connection *conn;
	const char *method;
	char *url;
	char addr[64];
	enum lang lang;
	bool post;
	/* the session */
	bool logged_in;
	struct console_user user;
	char sid[CONSOLE_TOKEN_HEX + 1];      /* session cookie, "" if none */
	char pre[CONSOLE_TOKEN_HEX + 1];      /* pre-login cookie, "" if none */
	char csrf[CONSOLE_TOKEN_HEX + 1];     /* token expected in forms */
	/* the body */
	struct MHD_PostProcessor *pp;
	struct form_field fields[FORM_MAX_FIELDS];
	int nfields;
	size_t form_bytes;
	long long body_bytes;
	bool body_refused;                    /* a response is already queued */
	char body_error[256];                 /* why the body was not accepted */
	struct upload *up;                    /* POST .../upload */
};

/* Outcome of a handler. */
typedef enum MHD_Result page_result;

/* ---- server.c ---- */
const char *form_get(const struct creq *q, const char *name);
/* The CSRF token of the form matches the session's (or pre-login's). */
bool form_csrf_ok(const struct creq *q);
/* Content-Security-Policy of every page (no inline script or style). */
extern const char console_csp[];
page_result respond(struct creq *q, unsigned code, const char *type, struct strbuf *body,
		    const char *csp);
page_result respond_download(struct creq *q, const char *type, const char *filename,
			     struct strbuf *body);
page_result respond_file(struct creq *q, const char *type, const char *filename,
			 const char *path);
page_result redirect(struct creq *q, const char *location);
/* A page: the frame around body (title, navigation, language). */
page_result respond_page(struct creq *q, unsigned code, const char *title, struct strbuf *body);
/* An error page with a message for people. */
page_result respond_error(struct creq *q, unsigned code, const char *msg);
/*
 * The HTTP status of a library error kind (core/status.h): the console's
 * one mapping, as builtin_exit_code() is the command line's.
 */
unsigned console_http_status(enum griot_err e);
void page_head(struct creq *q, struct strbuf *sb, const char *title);
void page_foot(struct creq *q, struct strbuf *sb);
/* The hidden CSRF field for a form. */
void form_csrf_field(const struct creq *q, struct strbuf *sb);
/* Set-Cookie value with the console's attributes; max_age < 0: delete. */
void cookie_header(struct strbuf *sb, const char *name, const char *value, long max_age);
#define COOKIE_SESSION "griot_session"
#define COOKIE_PRE "griot_pre"

#define T(s) i18n(q->lang, (s))

/* ---- pages.c ---- */
/* Route a finished request.  Called with cs->lock held. */
page_result pages_dispatch(struct creq *q);
/* Is the path one an upload takes: POST /campaigns/ID/upload (*id set,
 * *role operator) or /suppressions/upload (*id 0, *role admin)? */
bool pages_is_upload(const char *url, long long *id, enum console_role *role);
/* Does the role allow an action ("operate", "admin")? */
bool role_at_least(const struct creq *q, enum console_role r);

/* ---- upload.c ---- */
/* The body is a file for campaign id (0: the suppression list). */
int upload_begin(struct creq *q, long long campaign_id);
int upload_chunk(struct creq *q, const char *key, const char *filename, const char *data,
		 size_t size);
/* The last call: finish the import and answer. */
page_result upload_finish(struct creq *q);
void upload_free(struct upload *up);

/* ---- assets.c ---- */
/* Serve /assets/NAME; false when there is no such asset. */
bool assets_find(const char *name, const char **type, const char **data, size_t *len);

#endif
