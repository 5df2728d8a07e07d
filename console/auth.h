#ifndef CONSOLE_AUTH_H
#define CONSOLE_AUTH_H
/*
 * The console's people and access (sql/070_console.sql): users and roles,
 * Argon2id password hashes (the only user of libargon2), sessions stored
 * in PostgreSQL by the SHA-256 of a random id, per-session CSRF tokens,
 * login throttling and the audit log.  Secrets (passwords, session ids)
 * are never logged nor stored in clear.
 */
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

struct db;
struct db_result;

enum console_role { ROLE_VIEWER = 0, ROLE_OPERATOR, ROLE_ADMIN };

/* "viewer", "operator", "admin" -> role; -1 when unknown. */
int console_role_parse(const char *s);
const char *console_role_name(enum console_role r);

/* Shortest password accepted. */
#define CONSOLE_PASSWORD_MIN 10
/* Hex characters of a session id (32 random bytes) and of a CSRF token. */
#define CONSOLE_TOKEN_HEX 64

/* A user name: 1-64 of [A-Za-z0-9._@-] (as the table's CHECK). */
bool console_user_name_ok(const char *name);
/* NULL when acceptable, else why not (English, for the CLI and logs). */
const char *console_password_weak(const char *pw);

/* Argon2id-hash pw into out (encoded form, salt included).  0 or -1. */
int console_password_hash(const char *pw, char *out, size_t size);
/* 1 when pw matches the encoded hash, 0 when not, -1 on a bad hash. */
int console_password_verify(const char *encoded, const char *pw);

/*
 * Users (error kinds of core/status.h, after error()): add gives GRIOT_OK,
 * GRIOT_ERR_DATA when the name exists already, GRIOT_ERR_DB; the others
 * GRIOT_OK, GRIOT_ERR_NOUSER when there is no such user, GRIOT_ERR_DB.
 * A password that cannot be hashed: GRIOT_ERR_INTERNAL.
 */
enum griot_err console_user_add(struct db *db, const char *name, enum console_role role,
				const char *pw);
enum griot_err console_user_passwd(struct db *db, const char *name, const char *pw);
enum griot_err console_user_set_disabled(struct db *db, const char *name, bool disabled);
enum griot_err console_user_set_role(struct db *db, const char *name, enum console_role role);
/* lang "fr", "en" or NULL (the browser's). */
enum griot_err console_user_set_lang(struct db *db, const char *name, const char *lang);
/* name, role, disabled (t/f), lang, created_at (ISO), sessions; by name. */
int console_user_list(struct db *db, struct db_result **res);

struct console_user {
	long long id;
	char name[65];
	enum console_role role;
	char lang[3];               /* "" = the browser's */
};

enum console_login_result {
	LOGIN_OK = 0,
	LOGIN_BAD,                  /* unknown user, wrong password or disabled */
	LOGIN_THROTTLED,            /* too many failures: *wait seconds */
	LOGIN_ERROR,                /* database trouble (error printed) */
};
/*
 * Check the password (the same work whether the user exists or not) and,
 * for a user with a second factor, the TOTP code (each code once), record
 * the attempt, and on success open a session: sid gets the new session
 * id (hex, the cookie's value; only its hash is stored).
 */
enum console_login_result console_login(struct db *db, const char *name, const char *pw,
					const char *code, const char *addr,
					char sid[CONSOLE_TOKEN_HEX + 1],
					struct console_user *u, int *wait);

/*
 * The optional second factor (TOTP, RFC 6238, liboath; sql/071).
 * console_totp_begin() makes a new secret (base32 into b32) waiting for
 * its first code; console_totp_confirm() turns it on when the code
 * matches (0; 1 wrong code or none waiting).  begin: 0, 1 no such user,
 * -1 after error(); disable: as console_user_set_role().
 * console_totp_enabled(): 1, 0 or -1.
 */
int console_totp_begin(struct db *db, const char *name, char *b32, size_t size);
int console_totp_confirm(struct db *db, const char *name, const char *code);
enum griot_err console_totp_disable(struct db *db, const char *name);
int console_totp_enabled(struct db *db, const char *name);
/* Session idle and absolute lifetimes, seconds. */
#define CONSOLE_SESSION_IDLE (8 * 3600)
#define CONSOLE_SESSION_MAX  (24 * 3600)
/* The user of a live session (sliding its expiry): 0, 1 none, -1 error. */
int console_session_user(struct db *db, const char *sid, struct console_user *u);
int console_session_end(struct db *db, const char *sid);
/* The CSRF token of a session (or of a pre-login cookie): derived from
 * its id, so it is never stored and cannot be guessed without it. */
void console_csrf_token(const char *sid, char out[CONSOLE_TOKEN_HEX + 1]);
/* Constant-time string comparison. */
bool console_token_equal(const char *a, const char *b);
/* A fresh random token (hex).  0 or -1. */
int console_random_token(char out[CONSOLE_TOKEN_HEX + 1]);

/* Append to the audit log; user NULL = not logged in.  0 or -1. */
int console_audit(struct db *db, const char *user, const char *addr, const char *action,
		  const char *target, const char *detail);

#endif
