/*
 * OAuth client-credentials token, cached in memory and in a file that
 * every griot process of the user shares:
 *
 *   {"version":1,"tokens":{"<sha256(api_base \n auth header)>":
 *       {"access_token":..,"token_type":..,"expires_at":..,"obtained_at":..}}}
 *
 * The file is 0600, replaced atomically (write + rename), and renewals
 * happen under flock() on "<file>.lock", so that concurrent processes ask
 * Orange once and the others read the new token.  Requests never read the
 * file: only a missing or stale in-memory token does.
 */
#include "orange/internal.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct cached {
	struct orange_token t;
	double obtained_at;
};

static void cached_release(struct cached *k)
{
	orange_token_release(&k->t);
	k->obtained_at = 0;
}

/* A deep copy of src into dst (dst is overwritten, not released). */
static void token_copy(struct orange_token *dst, const struct orange_token *src)
{
	dst->access_token = xstrdup(src->access_token);
	dst->token_type = xstrdup(src->token_type ? src->token_type : ORANGE_TOKEN_TYPE);
	dst->expires_at = src->expires_at;
}

void orange_tokens_release(struct orange_tokens *ts)
{
	orange_token_release(&ts->cur);
	ts->obtained = 0;
}

unsigned orange_token_gen(const struct orange_client *c)
{
	return c->tokens.gen;
}

/* Renew ahead of expiry: the configured margin, else the smaller of 60 s
 * and a tenth of the lifetime (short test lifetimes stay usable). */
static bool fresh(const struct orange_client *c, const struct orange_token *t,
		  double obtained_at, double now)
{
	double life = t->expires_at - obtained_at, margin;

	if (!t->access_token || !t->access_token[0])
		return false;
	margin = c->renew_margin > 0 ? c->renew_margin : life > 0 ? life / 10 : 0;
	if (c->renew_margin <= 0 && margin > 60)
		margin = 60;
	return now < t->expires_at - margin;
}

static void cache_warn(struct orange_client *c, const char *fmt, const char *path, int e)
{
	if (c->tokens.cache_warned)
		return;
	c->tokens.cache_warned = true;
	warning(fmt, path, strerror(e));
}
/* mkdir -p of the cache file's directory, 0700. */
static void make_parent(const char *path)
{
	char *dir = xstrdup(path), *p;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	free(dir);
}

static int lock_cache(struct orange_client *c)
{
	struct strbuf sb = STRBUF_INIT;
	int fd;

	if (!c->token_cache)
		return -1;
	strbuf_addf(&sb, "%s.lock", c->token_cache);
	make_parent(sb.buf);
	fd = open(sb.buf, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		cache_warn(c, "cannot open token cache lock %s: %s (tokens are not shared)",
			   sb.buf, errno);
	} else {
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(fd);
				fd = -1;
				break;
			}
		}
	}
	strbuf_release(&sb);
	return fd;
}

static void unlock_cache(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* Read all of fd into sb (at most max bytes).  0, or -1 with errno. */
static int read_fd(int fd, struct strbuf *sb, size_t max)
{
	for (;;) {
		ssize_t n;

		strbuf_grow(sb, 8192);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		strbuf_setlen(sb, sb->len + (size_t)n);
		if (sb->len > max) {
			errno = EFBIG;
			return -1;
		}
	}
}

/*
 * The whole cache file parsed, or NULL (missing, unsafe or unreadable).
 * It is checked and read through one descriptor, opened without
 * following a symbolic link: a file swapped after the check is never
 * the one read.
 */
static json_value *read_cache_file(struct orange_client *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	json_value *v = NULL;
	char err[128];
	int fd;

	if (!c->token_cache)
		return NULL;
	fd = open(c->token_cache, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		/* someone else's or readable by others: do not trust it */
		cache_warn(c, "ignoring token cache %s: %s", c->token_cache, EPERM);
		close(fd);
		return NULL;
	}
	if (read_fd(fd, &sb, ORANGE_TOKEN_CACHE_MAX) == 0)
		v = json_parse(sb.buf, sb.len, 8, err, sizeof(err));
	close(fd);
	secure_zero(sb.buf, sb.len);
	strbuf_release(&sb);
	return v;
}

static int entry_to_cached(const json_value *e, struct cached *out)
{
	const char *tok = json_string(json_get(e, "access_token"));
	const char *type = json_string(json_get(e, "token_type"));

	memset(out, 0, sizeof(*out));
	if (!tok || !*tok ||
	    json_as_double(json_get(e, "expires_at"), false, &out->t.expires_at) < 0)
		return -1;
	if (json_as_double(json_get(e, "obtained_at"), false, &out->obtained_at) < 0)
		out->obtained_at = out->t.expires_at;
	out->t.access_token = xstrdup(tok);
	out->t.token_type = xstrdup(type && *type ? type : ORANGE_TOKEN_TYPE);
	return 0;
}

static int read_cache(struct orange_client *c, struct cached *out)
{
	json_value *v = read_cache_file(c);
	int ret;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -1;
	ret = entry_to_cached(json_path(v, "tokens", c->cache_key, NULL), out);
	json_free(v);
	return ret;
}

static void gen_entry(struct json_gen *g, const char *key, const struct cached *k)
{
	json_key(g, key);
	json_map_open(g);
	json_kv_str(g, "access_token", k->t.access_token);
	json_kv_str(g, "token_type", k->t.token_type);
	json_kv_double(g, "expires_at", k->t.expires_at);
	json_kv_double(g, "obtained_at", k->obtained_at);
	json_map_close(g);
}

/* Rewrite the file with our entry; other accounts' live entries stay. */
static void write_cache(struct orange_client *c, const struct cached *mine)
{
	struct strbuf tmp = STRBUF_INIT, out = STRBUF_INIT;
	json_value *old = read_cache_file(c), *tokens;
	struct json_gen *g = json_gen_new(false);
	double now = time_now();
	size_t i;
	int fd = -1;

	json_map_open(g);
	json_kv_int(g, "version", 1);
	json_key(g, "tokens");
	json_map_open(g);
	tokens = json_get(old, "tokens");
	for (i = 0; i < json_object_len(tokens); i++) {
		const char *key = json_object_key(tokens, i);
		struct cached k;
		if (!strcmp(key, c->cache_key) || strlen(key) != 64 ||
		    entry_to_cached(json_object_at(tokens, i), &k) < 0)
			continue;
		if (k.t.expires_at <= now) {
			cached_release(&k);
			continue;
		}
		gen_entry(g, key, &k);
		cached_release(&k);
	}
	gen_entry(g, c->cache_key, mine);
	json_map_close(g);
	json_map_close(g);
	json_free(old);
	if (json_gen_to_strbuf(g, &out) < 0)
		goto out;

	make_parent(c->token_cache);
	strbuf_addf(&tmp, "%s.tmp.%ld", c->token_cache, (long)getpid());
	unlink(tmp.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, out.buf, out.len) != (ssize_t)out.len || fsync(fd) < 0) {
		cache_warn(c, "cannot write token cache %s: %s (tokens are not shared)",
			   tmp.buf, errno);
		if (fd >= 0)
			unlink(tmp.buf);
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp.buf, c->token_cache) < 0) {
		cache_warn(c, "cannot replace token cache %s: %s", c->token_cache, errno);
		unlink(tmp.buf);
	}
out:
	if (fd >= 0)
		close(fd);
	secure_zero(out.buf, out.len);
	strbuf_release(&out);
	strbuf_release(&tmp);
	json_gen_free(g);
}

/* POST /oauth/v3/token with the application's authorization header. */
static int request_token(struct orange_client *c, struct cached *out,
			 struct orange_error *err)
{
	static const char form[] = "grant_type=client_credentials";
	struct strbuf url = STRBUF_INIT, auth = STRBUF_INIT;
	struct curl_slist *h = NULL;
	struct orange_resp r;
	int ret = -1;

	orange_resp_init(&r);
	orange_url(c, &url, "/oauth/v3/token");
	strbuf_addf(&auth, "Authorization: %s", c->auth_header);
	h = curl_slist_append(h, auth.buf);
	secure_zero(auth.buf, auth.len);
	strbuf_release(&auth);
	h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	if (!h)
		die_oom();
	c->stats.token_requests++;
	if (orange_transfer(c, "POST", url.buf, h, form, sizeof(form) - 1, true, &r, err) < 0) {
		if (err && err->kind == ORANGE_ERR_CREDENTIALS)
			orange_err_prefix(err, "Orange refused the authorization header: ");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->obtained_at = time_now();
	if (orange_parse_token(r.body.buf, r.body.len, out->obtained_at, &out->t) < 0) {
		orange_fail(err, ORANGE_ERR_PROTOCOL, false,
			    "Orange's token answer has no access_token/expires_in");
		goto out;
	}
	debug("orange: new %s token (%zu characters), valid %.0f s", out->t.token_type,
	      strlen(out->t.access_token), out->t.expires_at - out->obtained_at);
	ret = 0;
out:
	orange_headers_free(h);
	secure_zero(r.body.buf, r.body.len);
	orange_resp_release(&r);
	strbuf_release(&url);
	return ret;
}

/* Make k the client's token (k is moved: emptied). */
static void adopt(struct orange_client *c, struct cached *k)
{
	orange_token_release(&c->tokens.cur);
	c->tokens.cur = k->t;
	c->tokens.obtained = k->obtained_at;
	c->tokens.gen++;
	memset(k, 0, sizeof(*k));
}

static bool is_rejected(const struct orange_token *t, const char *rejected)
{
	return rejected && t->access_token && !strcmp(rejected, t->access_token);
}

static const struct orange_token *obtain(struct orange_client *c, const char *rejected,
					 bool force, struct orange_error *err)
{
	struct orange_tokens *ts = &c->tokens;
	struct cached k;
	double now = time_now();
	int lock;

	if (!force && fresh(c, &ts->cur, ts->obtained, now) && !is_rejected(&ts->cur, rejected))
		return &ts->cur; /* the common case: no file, no lock */

	memset(&k, 0, sizeof(k));
	lock = lock_cache(c);
	if (!force && read_cache(c, &k) == 0 && fresh(c, &k.t, k.obtained_at, now) &&
	    !is_rejected(&k.t, rejected)) {
		/* another process renewed it already */
		if (!ts->cur.access_token || strcmp(ts->cur.access_token, k.t.access_token))
			adopt(c, &k);
		cached_release(&k);
		c->stats.token_from_cache++;
		unlock_cache(lock);
		return &ts->cur;
	}
	cached_release(&k);
	if (request_token(c, &k, err) < 0) {
		cached_release(&k);
		unlock_cache(lock);
		return NULL;
	}
	if (c->token_cache)
		write_cache(c, &k);
	adopt(c, &k);
	unlock_cache(lock);
	return &ts->cur;
}

void orange_token_refused(struct orange_client *c, const char *used, unsigned gen,
			  struct orange_error *err)
{
	err->maybe_accepted = false;       /* a 401: Orange refused it */
	err->send_again = false;
	if (gen == c->tokens.gen) {
		if (c->tokens.renewed_in_row >= ORANGE_RENEWALS_IN_ROW) {
			debug("orange: %u renewed tokens refused in a row (code %s)",
			      c->tokens.renewed_in_row, err->code);
			return;
		}
		struct orange_error renewal = ORANGE_ERROR_INIT;
		bool renewed;

		c->stats.renewals_on_401++;
		debug("orange: token refused (code %s), renewing", err->code);
		renewed = orange_token_get(c, used, &renewal) != NULL;
		if (!renewed) {      /* the renewal's error says more */
			orange_error_copy(err, &renewal);
			err->maybe_accepted = false;
		}
		orange_error_release(&renewal);
		if (!renewed)
			return;
		c->tokens.renewed_in_row++;
	}
	err->send_again = true;
}

void orange_token_worked(struct orange_client *c)
{
	c->tokens.renewed_in_row = 0;
}

const struct orange_token *orange_token_get(struct orange_client *c, const char *rejected,
					    struct orange_error *err)
{
	return obtain(c, rejected, false, err);
}

int orange_token(struct orange_client *c, bool force, struct orange_token *out,
		 struct orange_error *err)
{
	const struct orange_token *t = obtain(c, NULL, force, err);

	if (!t)
		return -1;
	if (out)
		token_copy(out, t);
	return 0;
}
