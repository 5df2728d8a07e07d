/*
 * Console users, passwords, sessions, throttling, audit (auth.h).
 */
#include "console/auth.h"
#include "core/db.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/util.h"

#include <argon2.h>
#include <liboath/oath.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane. */
#define ARGON_T 2
#define ARGON_M 19456
#define ARGON_P 1
#define ARGON_SALT 16
#define ARGON_HASHLEN 32

static const char *const role_names[] = { "viewer", "operator", "admin" };

int console_role_parse(const char *s)
{
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(role_names); i++)
		if (!strcmp(s, role_names[i]))
			return (int)i;
	return -1;
}

const char *console_role_name(enum console_role r)
{
	return (unsigned)r < ARRAY_SIZE(role_names) ? role_names[r] : "?";
}

bool console_user_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 1 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

const char *console_password_weak(const char *pw)
{
	if (strlen(pw) < CONSOLE_PASSWORD_MIN)
		return "a password needs at least 10 characters";
	if (strlen(pw) > 1024)
		return "a password has at most 1024 characters";
	return NULL;
}

static int random_bytes(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error("getrandom: %s", strerror(errno));
		got += (size_t)r;
	}
	return 0;
}

int console_random_token(char out[CONSOLE_TOKEN_HEX + 1])
{
	unsigned char b[CONSOLE_TOKEN_HEX / 2];
	size_t i;

	if (random_bytes(b, sizeof(b)) < 0)
		return -1;
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	secure_zero(b, sizeof(b));
	return 0;
}

int console_password_hash(const char *pw, char *out, size_t size)
{
	unsigned char salt[ARGON_SALT];
	int rc;

	if (size < argon2_encodedlen(ARGON_T, ARGON_M, ARGON_P, ARGON_SALT, ARGON_HASHLEN,
				     Argon2_id))
		return error("password hash: buffer too small");
	if (random_bytes(salt, sizeof(salt)) < 0)
		return -1;
	rc = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, pw, strlen(pw), salt, sizeof(salt),
				   ARGON_HASHLEN, out, size);
	if (rc != ARGON2_OK)
		return error("password hash: %s", argon2_error_message(rc));
	return 0;
}

int console_password_verify(const char *encoded, const char *pw)
{
	int rc = argon2id_verify(encoded, pw, strlen(pw));

	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return error("password check: %s", argon2_error_message(rc));
}

/* A hash of a password nobody has, checked when the user does not exist,
 * so that an unknown name costs the same time as a wrong password. */
static const char *dummy_hash(void)
{
	static char h[128];

	if (!*h && console_password_hash("griot-no-such-user-password", h, sizeof(h)) < 0)
		return NULL;
	return h;
}

enum griot_err console_user_add(struct db *db, const char *name, enum console_role role,
				const char *pw)
{
	char hash[128];
	const char *p[3];
	int n;

	if (console_password_hash(pw, hash, sizeof(hash)) < 0)
		return GRIOT_ERR_INTERNAL;
	p[0] = name;
	p[1] = console_role_name(role);
	p[2] = hash;
	n = db_query(db, NULL,
		     "INSERT INTO console_users (name, role, password_hash) VALUES ($1, $2, $3)"
		     " ON CONFLICT (name) DO NOTHING", 3, p);
	secure_zero(hash, sizeof(hash));
	if (n < 0)
		return GRIOT_ERR_DB;
	if (n == 0) {
		error("a console user named '%s' exists already ('griot user passwd' or 'role')", name);
		return GRIOT_ERR_DATA;
	}
	return GRIOT_OK;
}

/* The kind of an update of user `name` that changed n rows (-1: failed). */
static enum griot_err user_updated(int n, const char *name)
{
	if (n < 0)
		return GRIOT_ERR_DB;
	if (n == 0) {
		error("no console user named '%s' (see 'griot user list')", name);
		return GRIOT_ERR_NOUSER;
	}
	return GRIOT_OK;
}

/* Set one column of user `name` (sql: $1 name, $2 value): as user_updated. */
static enum griot_err update_user(struct db *db, const char *sql, const char *name,
				  const char *value)
{
	const char *p[2] = { name, value };

	return user_updated(db_query(db, NULL, sql, 2, p), name);
}

enum griot_err console_user_passwd(struct db *db, const char *name, const char *pw)
{
	char hash[128];
	const char *p[1] = { name };
	enum griot_err e;

	if (console_password_hash(pw, hash, sizeof(hash)) < 0)
		return GRIOT_ERR_INTERNAL;
	e = update_user(db, "UPDATE console_users SET password_hash = $2, updated_at = now()"
			" WHERE name = $1", name, hash);
	secure_zero(hash, sizeof(hash));
	/* A new password ends the sessions opened with the old one. */
	if (e == GRIOT_OK && db_query(db, NULL, "DELETE FROM console_sessions WHERE user_id ="
				      " (SELECT id FROM console_users WHERE name = $1)", 1, p) < 0)
		return GRIOT_ERR_DB;
	return e;
}

enum griot_err console_user_set_disabled(struct db *db, const char *name, bool disabled)
{
	return update_user(db, "UPDATE console_users SET disabled = $2::boolean, updated_at = now()"
			   " WHERE name = $1", name, disabled ? "true" : "false");
}

enum griot_err console_user_set_role(struct db *db, const char *name, enum console_role role)
{
	return update_user(db, "UPDATE console_users SET role = $2, updated_at = now()"
			   " WHERE name = $1", name, console_role_name(role));
}

enum griot_err console_user_set_lang(struct db *db, const char *name, const char *lang)
{
	return update_user(db, "UPDATE console_users SET lang = $2, updated_at = now()"
			   " WHERE name = $1", name, lang);
}

int console_user_list(struct db *db, struct db_result **res)
{
	return db_query(db, res,
			"SELECT u.name, u.role, u.disabled, coalesce(u.lang, ''),"
			" to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			" (SELECT count(*) FROM console_sessions s"
			"   WHERE s.user_id = u.id AND s.expires_at > now())"
			" FROM console_users u ORDER BY u.name", 0, NULL);
}

static void sid_hash(const char *sid, char out[65])
{
	sha256_hex_of(sid, strlen(sid), out);
}

static int fill_user(struct db_result *r, struct console_user *u)
{
	int role = console_role_parse(db_result_get(r, 0, 2));

	memset(u, 0, sizeof(*u));
	u->id = db_result_int(r, 0, 0);
	strlcpy_(u->name, db_result_get(r, 0, 1), sizeof(u->name));
	u->role = role < 0 ? ROLE_VIEWER : (enum console_role)role;
	strlcpy_(u->lang, db_result_isnull(r, 0, 3) ? "" : db_result_get(r, 0, 3), sizeof(u->lang));
	return 0;
}

static int record_attempt(struct db *db, const char *name, const char *addr, bool ok)
{
	const char *p[3] = { name, addr, ok ? "true" : "false" };

	return db_query(db, NULL, "INSERT INTO console_login_attempts (username, address, ok)"
			" VALUES ($1, $2, $3::boolean)", 3, p) < 0 ? -1 : 0;
}

/* ---- TOTP (RFC 6238: 30-second steps, 6 digits, one step of slack) ---- */

#define TOTP_STEP 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1
#define TOTP_SECRET_BYTES 20

/*
 * The time step a code matches for secret (base32) at time now, or -1
 * when it matches none (or is malformed).
 */
static long long totp_step(const char *b32, const char *code, time_t now)
{
	char *raw = NULL;
	size_t rawlen = 0;
	int pos = 0, rc;

	if (!code || strlen(code) != TOTP_DIGITS || strspn(code, "0123456789") != TOTP_DIGITS)
		return -1;
	if (oath_base32_decode(b32, strlen(b32), &raw, &rawlen) != OATH_OK)
		return -1;
	rc = oath_totp_validate2(raw, rawlen, now, TOTP_STEP, 0, TOTP_WINDOW, &pos, code);
	secure_zero(raw, rawlen);
	free(raw);
	if (rc < 0)
		return -1;
	return (long long)(now / TOTP_STEP) + pos;
}

int console_totp_begin(struct db *db, const char *name, char *b32, size_t size)
{
	unsigned char raw[TOTP_SECRET_BYTES];
	char *enc = NULL;
	size_t enclen = 0;
	int rc;

	if (oath_init() != OATH_OK)
		return error("liboath cannot start");
	if (random_bytes(raw, sizeof(raw)) < 0)
		return -1;
	rc = oath_base32_encode((const char *)raw, sizeof(raw), &enc, &enclen);
	secure_zero(raw, sizeof(raw));
	if (rc != OATH_OK || enclen >= size) {
		free(enc);
		return error("cannot encode a TOTP secret");
	}
	strlcpy_(b32, enc, size);
	secure_zero(enc, enclen);
	free(enc);
	switch (update_user(db, "UPDATE console_users SET totp_pending = $2, updated_at = now()"
			    " WHERE name = $1", name, b32)) {
	case GRIOT_OK: return 0;
	case GRIOT_ERR_NOUSER: return 1;
	default: return -1;
	}
}

int console_totp_confirm(struct db *db, const char *name, const char *code)
{
	char pending[128], step[32];
	const char *p[2] = { name, step };
	long long st;
	int n;

	n = db_query_value(db, pending, sizeof(pending),
			   "SELECT coalesce(totp_pending, '') FROM console_users WHERE name = $1", 1, p);
	if (n <= 0)
		return n < 0 ? -1 : 1;
	st = *pending ? totp_step(pending, code, time(NULL)) : -1;
	secure_zero(pending, sizeof(pending));
	if (st < 0)
		return 1;
	snprintf(step, sizeof(step), "%lld", st);
	return db_query(db, NULL, "UPDATE console_users SET totp_secret = totp_pending, totp_pending = NULL,"
			" totp_last_step = $2::bigint, updated_at = now() WHERE name = $1", 2, p) < 0 ? -1 : 0;
}

enum griot_err console_totp_disable(struct db *db, const char *name)
{
	const char *p[1] = { name };

	return user_updated(db_query(db, NULL, "UPDATE console_users SET totp_secret = NULL,"
				     " totp_pending = NULL, updated_at = now() WHERE name = $1", 1, p),
			    name);
}

int console_totp_enabled(struct db *db, const char *name)
{
	char buf[8];
	const char *p[1] = { name };
	int n = db_query_value(db, buf, sizeof(buf), "SELECT totp_secret IS NOT NULL"
			       " FROM console_users WHERE name = $1", 1, p);

	return n < 0 ? -1 : n == 1 && !strcmp(buf, "t");
}

/* The second factor of a user whose password was right: 1 when it passes
 * (no TOTP, or a fresh code: its step is recorded so it never passes
 * again), 0 when not, -1 on a database error. */
static int second_factor(struct db *db, const char *name, const char *secret, const char *code)
{
	char step[32];
	const char *p[2] = { name, step };
	long long st;
	int n;

	if (!secret)
		return 1;
	st = totp_step(secret, code, time(NULL));
	if (st < 0)
		return 0;
	snprintf(step, sizeof(step), "%lld", st);
	/* atomically: a code used once (or an older one) is refused */
	n = db_query(db, NULL, "UPDATE console_users SET totp_last_step = $2::bigint"
		     " WHERE name = $1 AND totp_last_step < $2::bigint", 2, p);
	return n < 0 ? -1 : n == 1;
}

enum console_login_result console_login(struct db *db, const char *name, const char *pw,
					const char *code, const char *addr,
					char sid[CONSOLE_TOKEN_HEX + 1],
					struct console_user *u, int *wait)
{
	struct db_result *r = NULL;
	enum console_login_result res = LOGIN_ERROR;
	const char *p[5];
	const char *hash;
	char buf[32], idh[65], idle[16], max[16];
	bool usable;
	int n, ok;

	*wait = 0;
	p[0] = name;
	p[1] = addr;
	if (db_query_value(db, buf, sizeof(buf), "SELECT console_login_wait($1, $2)", 2, p) < 0)
		goto out;
	*wait = atoi(buf);
	if (*wait > 0) {
		res = LOGIN_THROTTLED;
		goto out;
	}
	n = db_query(db, &r, "SELECT id, name, role, lang, password_hash, disabled, totp_secret"
		     " FROM console_users WHERE name = $1", 1, p);
	if (n < 0)
		goto out;
	usable = n == 1 && !strcmp(db_result_get(r, 0, 5), "f");
	hash = n == 1 ? db_result_get(r, 0, 4) : dummy_hash();
	if (!hash)
		goto out;
	ok = console_password_verify(hash, pw);
	if (ok > 0 && usable)
		ok = second_factor(db, name, db_result_isnull(r, 0, 6) ? NULL : db_result_get(r, 0, 6),
				   code);
	if (ok < 0)
		goto out;
	if (!ok || !usable) {
		if (record_attempt(db, name, addr, false) < 0)
			goto out;
		res = LOGIN_BAD;
		goto out;
	}
	fill_user(r, u);
	if (console_random_token(sid) < 0 || record_attempt(db, name, addr, true) < 0)
		goto out;
	sid_hash(sid, idh);
	snprintf(buf, sizeof(buf), "%lld", u->id);
	snprintf(idle, sizeof(idle), "%d", CONSOLE_SESSION_IDLE);
	snprintf(max, sizeof(max), "%d", CONSOLE_SESSION_MAX);
	p[0] = idh;
	p[1] = buf;
	p[2] = addr;
	p[3] = idle;
	/* also clear this user's expired sessions */
	if (db_query(db, NULL, "WITH gone AS (DELETE FROM console_sessions"
		     " WHERE user_id = $2::bigint AND expires_at < now())"
		     " INSERT INTO console_sessions (id_hash, user_id, address, expires_at)"
		     " VALUES ($1, $2::bigint, $3, now() + make_interval(secs => $4::int))",
		     4, p) < 0)
		goto out;
	res = LOGIN_OK;
out:
	db_result_free(r);
	return res;
}

int console_session_user(struct db *db, const char *sid, struct console_user *u)
{
	struct db_result *r = NULL;
	char idh[65], idle[32], max[32];
	const char *p[3];
	int n;

	if (strlen(sid) != CONSOLE_TOKEN_HEX)
		return 1;
	sid_hash(sid, idh);
	snprintf(idle, sizeof(idle), "%d seconds", CONSOLE_SESSION_IDLE);
	snprintf(max, sizeof(max), "%d seconds", CONSOLE_SESSION_MAX);
	p[0] = idh;
	p[1] = idle;
	p[2] = max;
	n = db_query(db, &r, "SELECT user_id, name, role, lang"
		     " FROM console_session_user($1, $2::interval, $3::interval)", 3, p);
	if (n < 0)
		return -1;
	if (n == 1)
		fill_user(r, u);
	db_result_free(r);
	return n == 1 ? 0 : 1;
}

int console_session_end(struct db *db, const char *sid)
{
	char idh[65];
	const char *p[1] = { idh };

	sid_hash(sid, idh);
	return db_query(db, NULL, "DELETE FROM console_sessions WHERE id_hash = $1", 1, p) < 0 ? -1 : 0;
}

void console_csrf_token(const char *sid, char out[CONSOLE_TOKEN_HEX + 1])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, "griot-csrf:", 11);
	sha256_update(&c, sid, strlen(sid));
	sha256_hex(&c, out);
}

bool console_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int console_audit(struct db *db, const char *user, const char *addr, const char *action,
		  const char *target, const char *detail)
{
	const char *p[5] = { user, addr, action, target, detail };

	return db_query(db, NULL, "INSERT INTO console_audit (username, address, action, target, detail)"
			" VALUES ($1, $2, $3, $4, $5)", 5, p) < 0 ? -1 : 0;
}
