/*
 * The console's HTTP side: libmicrohttpd (a thread per connection), the
 * session and CSRF checks, forms (url-encoded and multipart, through
 * MHD's post processor), security headers, the page frame.
 */
#include "console/internal.h"
#include "core/db.h"
#include "core/log.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONSOLE_MAX_CONNECTIONS 64
#define CONSOLE_CONNECTION_MEMORY (256 * 1024)
#define CONSOLE_POST_BUFFER (64 * 1024)
#define CONSOLE_MMAP_THRESHOLD (256 * 1024)

/* Every asset is served by griot; no inline script or style anywhere. */
const char console_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const char *form_get(const struct creq *q, const char *name)
{
	int i;

	for (i = 0; i < q->nfields; i++)
		if (!strcmp(q->fields[i].name, name))
			return q->fields[i].value.buf;
	return NULL;
}

bool form_csrf_ok(const struct creq *q)
{
	const char *t = form_get(q, "csrf");

	return t && *q->csrf && console_token_equal(t, q->csrf);
}

void form_csrf_field(const struct creq *q, struct strbuf *sb)
{
	strbuf_addf(sb, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", q->csrf);
}

void cookie_header(struct strbuf *sb, const char *name, const char *value, long max_age)
{
	strbuf_addf(sb, "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict", name,
		    max_age < 0 ? "" : value);
	if (max_age < 0)
		strbuf_addstr(sb, "; Max-Age=0");
	else if (max_age > 0)
		strbuf_addf(sb, "; Max-Age=%ld", max_age);
}

static void security_headers(struct MHD_Response *resp, const char *csp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", csp ? csp : console_csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
}

/* The cookies a response sets: a new pre-login token when the page has
 * no session and no pre-login cookie yet (its CSRF token derives from it). */
static void add_cookies(struct creq *q, struct MHD_Response *resp)
{
	struct strbuf sb = STRBUF_INIT;

	if (!q->logged_in && !*q->sid && q->pre[0] && !MHD_lookup_connection_value(
		    q->conn, MHD_COOKIE_KIND, COOKIE_PRE)) {
		cookie_header(&sb, COOKIE_PRE, q->pre, 0);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, sb.buf);
	}
	strbuf_release(&sb);
}

static page_result queue(struct creq *q, unsigned code, struct MHD_Response *resp,
			 const char *csp)
{
	page_result ret;

	if (!resp)
		return MHD_NO;
	security_headers(resp, csp);
	add_cookies(q, resp);
	ret = MHD_queue_response(q->conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A response owning body's buffer, with its content type. */
static struct MHD_Response *from_strbuf(struct strbuf *body, const char *type)
{
	size_t len;
	char *buf = strbuf_detach(body, &len);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);

	if (!resp) {
		free(buf);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	return resp;
}

page_result respond(struct creq *q, unsigned code, const char *type, struct strbuf *body,
		    const char *csp)
{
	return queue(q, code, from_strbuf(body, type), csp);
}

static void disposition(struct MHD_Response *resp, const char *filename)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "attachment; filename*=UTF-8''");
	strbuf_addurlenc(&sb, filename);
	MHD_add_response_header(resp, "Content-Disposition", sb.buf);
	strbuf_release(&sb);
}

page_result respond_download(struct creq *q, const char *type, const char *filename,
			     struct strbuf *body)
{
	struct MHD_Response *resp = from_strbuf(body, type);

	if (resp)
		disposition(resp, filename);
	return queue(q, MHD_HTTP_OK, resp, NULL);
}

page_result respond_file(struct creq *q, const char *type, const char *filename,
			 const char *path)
{
	struct MHD_Response *resp;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return respond_error(q, MHD_HTTP_NOT_FOUND, T("This file is no longer available."));
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	disposition(resp, filename);
	return queue(q, MHD_HTTP_OK, resp, NULL);
}

page_result redirect(struct creq *q, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
								    MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return queue(q, MHD_HTTP_SEE_OTHER, resp, NULL);
}

struct nav_item {
	const char *href, *label;
	enum console_role min;
};
static const struct nav_item nav[] = {
	{ "/campaigns", "Campaigns", ROLE_VIEWER },
	{ "/campaigns/new", "New campaign", ROLE_OPERATOR },
	{ "/balance", "Balance", ROLE_VIEWER },
	{ "/suppressions", "Suppression list", ROLE_ADMIN },
	{ "/users", "Users", ROLE_ADMIN },
	{ "/audit", "Audit log", ROLE_ADMIN },
};

void page_head(struct creq *q, struct strbuf *sb, const char *title)
{
	size_t i;

	strbuf_addf(sb, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>", lang_code(q->lang));
	strbuf_addhtml(sb, title);
	strbuf_addstr(sb, " · griot</title><link rel=\"stylesheet\" href=\"/assets/console.css\">"
		      "<script src=\"/assets/console.js\" defer></script></head><body>"
		      "<header class=\"top\"><a class=\"brand\" href=\"/campaigns\">griot</a>");
	if (q->logged_in) {
		strbuf_addstr(sb, "<nav>");
		for (i = 0; i < ARRAY_SIZE(nav); i++) {
			if (!role_at_least(q, nav[i].min))
				continue;
			strbuf_addf(sb, "<a href=\"%s\">", nav[i].href);
			strbuf_addhtml(sb, T(nav[i].label));
			strbuf_addstr(sb, "</a>");
		}
		strbuf_addstr(sb, "</nav><div class=\"who\"><a href=\"/settings\">");
		strbuf_addhtml(sb, q->user.name);
		strbuf_addstr(sb, "</a> <span class=\"role\">");
		strbuf_addhtml(sb, T(console_role_name(q->user.role)));
		strbuf_addstr(sb, "</span><form method=\"post\" action=\"/logout\" class=\"inline\">");
		form_csrf_field(q, sb);
		strbuf_addf(sb, "<button type=\"submit\" class=\"link\">%s</button></form></div>",
			    T("Sign out"));
	}
	strbuf_addstr(sb, "</header><main>");
}

void page_foot(struct creq *q, struct strbuf *sb)
{
	strbuf_addf(sb, "</main><footer>griot · %s</footer></body></html>\n",
		    T("batch SMS over the Orange SMS API"));
}

page_result respond_page(struct creq *q, unsigned code, const char *title, struct strbuf *body)
{
	struct strbuf sb = STRBUF_INIT;
	page_result ret;

	page_head(q, &sb, title);
	strbuf_add(&sb, body->buf, body->len);
	page_foot(q, &sb);
	strbuf_release(body);
	ret = respond(q, code, "text/html; charset=utf-8", &sb, NULL);
	return ret;
}

page_result respond_error(struct creq *q, unsigned code, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "<h1>%s</h1><p class=\"error\" role=\"alert\">",
		    code == MHD_HTTP_FORBIDDEN ? T("Not allowed") : T("Something went wrong"));
	strbuf_addhtml(&sb, msg);
	strbuf_addf(&sb, "</p><p><a href=\"/campaigns\">%s</a></p>", T("Back to the campaigns"));
	return respond_page(q, code, T("Error"), &sb);
}

unsigned console_http_status(enum griot_err e)
{
	switch (e) {
	case GRIOT_OK: return MHD_HTTP_OK;
	case GRIOT_ERR_USAGE:
	case GRIOT_ERR_DATA: return MHD_HTTP_BAD_REQUEST;
	case GRIOT_ERR_NOINPUT:
	case GRIOT_ERR_NOUSER: return MHD_HTTP_NOT_FOUND;
	case GRIOT_ERR_STATE:
	case GRIOT_ERR_CREDIT: return MHD_HTTP_CONFLICT;
	case GRIOT_ERR_DB:
	case GRIOT_ERR_ORANGE:
	case GRIOT_ERR_TEMPFAIL: return MHD_HTTP_SERVICE_UNAVAILABLE;
	default: break;
	}
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* ---- forms ---- */

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *filename, const char *content_type,
				 const char *transfer_encoding, const char *data, uint64_t off,
				 size_t size)
{
	struct creq *q = cls;
	struct form_field *f = NULL;
	int i;

	if (filename) {
		if (!q->up)
			return MHD_YES;         /* files only where an upload is expected */
		return upload_chunk(q, key, filename, data, size) < 0 ? MHD_NO : MHD_YES;
	}
	q->form_bytes += size;
	if (q->form_bytes > FORM_MAX_BYTES) {
		snprintf(q->body_error, sizeof(q->body_error), "%s", T("The form is too large."));
		return MHD_NO;
	}
	for (i = 0; i < q->nfields; i++)
		if (!strcmp(q->fields[i].name, key))
			f = &q->fields[i];
	if (!f) {
		if (q->nfields == FORM_MAX_FIELDS) {
			snprintf(q->body_error, sizeof(q->body_error), "%s", T("The form is too large."));
			return MHD_NO;
		}
		f = &q->fields[q->nfields++];
		f->name = xstrdup(key);
		strbuf_init(&f->value, 0);
	}
	strbuf_add(&f->value, data, size);
	return MHD_YES;
}

/* ---- requests ---- */

static void client_address(struct creq *q)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(q->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	strlcpy_(q->addr, "?", sizeof(q->addr));
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, q->addr,
			  sizeof(q->addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, q->addr,
			  sizeof(q->addr));
}

static void cookie_value(struct creq *q, const char *name, char out[CONSOLE_TOKEN_HEX + 1])
{
	const char *v = MHD_lookup_connection_value(q->conn, MHD_COOKIE_KIND, name);
	size_t i;

	*out = '\0';
	if (!v || strlen(v) != CONSOLE_TOKEN_HEX)
		return;
	for (i = 0; i < CONSOLE_TOKEN_HEX; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return;
	memcpy(out, v, CONSOLE_TOKEN_HEX + 1);
}

/* Language: the user's choice, else the browser's. */
static void choose_lang(struct creq *q)
{
	int l = q->logged_in ? lang_parse(q->user.lang) : -1;

	if (l < 0)
		l = (int)i18n_from_accept(MHD_lookup_connection_value(
			q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	q->lang = (enum lang)l;
}

/* Session and CSRF token of a new request; -1 on a database error. */
static int identify(struct creq *q)
{
	struct console *cs = q->cs;
	int rc = 1;

	cookie_value(q, COOKIE_SESSION, q->sid);
	cookie_value(q, COOKIE_PRE, q->pre);
	if (*q->sid) {
		pthread_mutex_lock(&cs->lock);
		if (!db_ok(cs->db))
			db_reconnect(cs->db);
		rc = console_session_user(cs->db, q->sid, &q->user);
		pthread_mutex_unlock(&cs->lock);
		if (rc < 0)
			return -1;
	}
	q->logged_in = rc == 0;
	if (q->logged_in) {
		console_csrf_token(q->sid, q->csrf);
	} else {
		if (!*q->pre && console_random_token(q->pre) < 0)
			return -1;
		console_csrf_token(q->pre, q->csrf);
	}
	choose_lang(q);
	return 0;
}

static page_result serve_asset(struct creq *q, const char *name)
{
	const char *type, *data;
	size_t len;
	struct MHD_Response *resp;

	if (!assets_find(name, &type, &data, &len))
		return respond_error(q, MHD_HTTP_NOT_FOUND, T("No such page."));
	resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	security_headers(resp, NULL);
	MHD_add_response_header(resp, "Cache-Control", "max-age=300");
	{
		page_result ret = MHD_queue_response(q->conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return ret;
	}
}

static page_result first_call(struct creq *q)
{
	const char *cl;
	long long id, max = q->cs->o.max_upload;
	enum console_role need;

	if (identify(q) < 0) {
		q->body_refused = true;
		return respond_error(q, MHD_HTTP_SERVICE_UNAVAILABLE,
				     T("The database is unreachable; try again in a moment."));
	}
	if (!q->post)
		return MHD_YES;
	cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (pages_is_upload(q->url, &id, &need)) {
		if (!q->logged_in || !role_at_least(q, need)) {
			q->body_refused = true;
			return respond_error(q, MHD_HTTP_FORBIDDEN, need == ROLE_ADMIN ?
					     T("Only admins manage the suppression list.") :
					     T("Only operators and admins may upload recipient files."));
		}
		if (cl && atoll(cl) > max + FORM_MAX_BYTES) {
			struct strbuf sb = STRBUF_INIT;
			q->body_refused = true;
			strbuf_addstr(&sb, T("The file is too large: the console accepts files up to"));
			strbuf_addch(&sb, ' ');
			lang_int(&sb, q->lang, max >> 20);
			strbuf_addstr(&sb, " MiB. ");
			strbuf_addstr(&sb, T("Nothing was imported."));
			{
				page_result r = respond_error(q, MHD_HTTP_CONTENT_TOO_LARGE, sb.buf);
				strbuf_release(&sb);
				return r;
			}
		}
		if (upload_begin(q, id) < 0) {
			q->body_refused = true;
			return respond_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, T("The upload could not start."));
		}
	} else if (cl && atoll(cl) > FORM_MAX_BYTES) {
		q->body_refused = true;
		return respond_error(q, MHD_HTTP_CONTENT_TOO_LARGE, T("The form is too large."));
	}
	q->pp = MHD_create_post_processor(q->conn, CONSOLE_POST_BUFFER, post_iter, q);
	if (!q->pp) {
		q->body_refused = true;
		return respond_error(q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				     T("This form could not be read (unexpected content type)."));
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct console *cs = cls;
	struct creq *q = *con_cls;
	page_result ret;

	if (!q) {
		q = xcalloc(1, sizeof(*q));
		q->cs = cs;
		q->conn = conn;
		q->method = method;
		q->url = xstrdup(url);
		q->post = !strcmp(method, MHD_HTTP_METHOD_POST);
		*con_cls = q;
		client_address(q);
		if (!strcmp(url, "/healthz")) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addstr(&sb, "ok\n");
			q->body_refused = true;
			return respond(q, MHD_HTTP_OK, "text/plain; charset=utf-8", &sb, NULL);
		}
		q->lang = LANG_FR;
		if (starts_with(url, "/assets/")) {
			q->body_refused = true;
			return serve_asset(q, url + strlen("/assets/"));
		}
		if (!q->post && strcmp(method, MHD_HTTP_METHOD_GET) &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
			q->body_refused = true;
			return respond_error(q, MHD_HTTP_METHOD_NOT_ALLOWED, T("Method not allowed."));
		}
		return first_call(q);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		q->body_bytes += (long long)n;
		if (q->body_refused || *q->body_error)
			return MHD_YES;         /* read and drop */
		if (q->pp && MHD_post_process(q->pp, upload_data, n) != MHD_YES && !*q->body_error)
			snprintf(q->body_error, sizeof(q->body_error), "%s",
				 T("This form could not be read."));
		return MHD_YES;
	}
	if (q->body_refused)
		return MHD_YES;
	q->body_refused = true;        /* answered now, once */
	if (q->up)
		return upload_finish(q);
	if (*q->body_error)
		return respond_error(q, MHD_HTTP_BAD_REQUEST, q->body_error);
	pthread_mutex_lock(&cs->lock);
	if (!db_ok(cs->db))
		db_reconnect(cs->db);
	ret = pages_dispatch(q);
	pthread_mutex_unlock(&cs->lock);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct creq *q = *con_cls;
	int i;

	if (!q)
		return;
	if (q->pp)
		MHD_destroy_post_processor(q->pp);
	if (q->up)
		upload_free(q->up);
	for (i = 0; i < q->nfields; i++) {
		free(q->fields[i].name);
		strbuf_release(&q->fields[i].value);
	}
	free(q->url);
	free(q);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	warning("http: %s", msg);
}

/* "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[80];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints, *ai = NULL;
	size_t hl;
	int rc;

	if (!colon || colon == s)
		return error("--listen: '%s' is not ADDR:PORT", s);
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return error("--listen: '%s' is not ADDR:PORT", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc)
		return error("--listen: '%s': %s", s, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int console_start(const struct console_opts *opts, struct console **out)
{
	struct console *cs = xcalloc(1, sizeof(*cs));
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	char host[64];

	*out = cs;
	cs->o = *opts;
	if (!cs->o.max_upload)
		cs->o.max_upload = CONSOLE_MAX_UPLOAD;
	if (!cs->o.timeout)
		cs->o.timeout = 60;
	if (!cs->o.listen)
		cs->o.listen = "127.0.0.1:8090";
	if (!cs->o.data_dir)
		cs->o.data_dir = "var/console";
	pthread_mutex_init(&cs->lock, NULL);
	/* Big blocks (Argon2id's 19 MiB, an import's de-duplication set)
	 * always mmap'ed, so that they go back to the system when freed
	 * instead of raising glibc's threshold and staying resident. */
	mallopt(M_MMAP_THRESHOLD, CONSOLE_MMAP_THRESHOLD);
	strbuf_init(&cs->tls_cert, 0);
	strbuf_init(&cs->tls_key, 0);

	if (parse_listen(cs->o.listen, &ss, &sslen) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (mkdir(cs->o.data_dir, 0700) < 0 && errno != EEXIST)
		return error("cannot create %s: %s", cs->o.data_dir, strerror(errno));
	if (opts->tls_cert || opts->tls_key) {
		if (!opts->tls_cert || !opts->tls_key)
			return error("--tls-cert and --tls-key go together");
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			return error("this libmicrohttpd was built without TLS support");
		if (strbuf_read_file(&cs->tls_cert, opts->tls_cert, 1 << 20) < 0)
			return error("cannot read %s: %s", opts->tls_cert, strerror(errno));
		if (strbuf_read_file(&cs->tls_key, opts->tls_key, 1 << 20) < 0)
			return error("cannot read %s: %s", opts->tls_key, strerror(errno));
		cs->tls = true;
		flags |= MHD_USE_TLS;
	}
	if (db_connect(cs->o.conninfo, &cs->db) < 0)
		return -1;

	sigemptyset(&cs->sigs);
	sigaddset(&cs->sigs, SIGTERM);
	sigaddset(&cs->sigs, SIGINT);
	{
		sigset_t block = cs->sigs;
		sigaddset(&block, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &block, NULL);
	}
	{
		struct MHD_OptionItem ov[10];
		int k = 0;
#define OPT(o, v, p) ov[k++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
		OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, cs);
		OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, cs);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, cs->o.timeout, NULL);
		OPT(MHD_OPTION_CONNECTION_LIMIT, CONSOLE_MAX_CONNECTIONS, NULL);
		/* larger reads of an upload's body (at most 64 x 256 KiB) */
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONSOLE_CONNECTION_MEMORY, NULL);
		if (cs->tls) {
			OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, cs->tls_cert.buf);
			OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, cs->tls_key.buf);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
		cs->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, cs,
					      MHD_OPTION_ARRAY, ov, MHD_OPTION_END);
	}
	if (!cs->daemon)
		return error("cannot start the HTTP server on %s", cs->o.listen);
	di = MHD_get_daemon_info(cs->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		snprintf(cs->addr, sizeof(cs->addr), "[%s]:%u", host, di ? di->port : 0);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		snprintf(cs->addr, sizeof(cs->addr), "%s:%u", host, di ? di->port : 0);
	}
	info("console listening on %s%s", cs->addr, cs->tls ? " (HTTPS)" : "");
	return 0;
}

const char *console_address(const struct console *cs)
{
	return cs->addr;
}

int console_wait(struct console *cs)
{
	int sig = 0;

	while (sigwait(&cs->sigs, &sig) != 0)
		;
	return sig;
}

void console_free(struct console *cs)
{
	if (!cs)
		return;
	if (cs->daemon)
		MHD_stop_daemon(cs->daemon);
	db_close(cs->db);
	strbuf_release(&cs->tls_cert);
	secure_zero(cs->tls_key.buf, cs->tls_key.len);
	strbuf_release(&cs->tls_key);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}
