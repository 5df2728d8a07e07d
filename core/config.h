#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H
/*
 * Configuration: flags > environment > config file > defaults.
 *
 * Environment: DATABASE_URL (else libpq's PG* variables), ORANGE_API_BASE,
 * ORANGE_AUTH_HEADER or ORANGE_CREDENTIALS_FILE, ORANGE_TOKEN_CACHE,
 * GRIOT_DR_SECRET, GRIOT_CONFIG.  The config file holds `key = value`
 * lines (# comments): database, orange_api_base, credentials_file,
 * token_cache, dr_secret, dr_notify_url, plus any key modules read with
 * config_get().  Secrets read here are never logged.
 */
#include <stdbool.h>
#include <sys/stat.h>

struct config_entry;

struct griot_config {
	char *config_file;      /* file actually read, or NULL */
	char *db_conninfo;      /* "" = libpq defaults */
	char *api_base;         /* default https://api.orange.com */
	char *auth_header;      /* "Basic ..." — secret */
	char *credentials_file;
	char *token_cache;      /* shared token cache file */
	char *dr_secret;        /* secret path component — secret */
	struct config_entry *entries; /* everything from the file */
};

void config_init(struct griot_config *cfg);
void config_release(struct griot_config *cfg);
/* Read the file (explicit path, else GRIOT_CONFIG, else the first of
 * ~/.config/griot/griot.conf and /etc/griot/griot.conf that exists) and
 * the environment.  0 or -1 with an error naming file and line. */
int config_load(struct griot_config *cfg, const char *explicit_file);
/* Value of a file key, or NULL. */
const char *config_get(const struct griot_config *cfg, const char *key);
void config_set(char **field, const char *value);

/*
 * The Orange authorization header: the loaded value, else the first line
 * of the credentials file, which must not be readable by group or others.
 * Returns 0 with *out pointing into cfg, or -1 with an error.
 */
int config_auth_header(struct griot_config *cfg, const char **out);

/*
 * The rule for files that hold secrets (credentials, a config file with a
 * secret key — orange_auth_header, dr_secret —, a TLS key): no access for
 * group or others.
 */
bool config_mode_private(mode_t mode);
/* The rule applied: st is the file's (fstat of the descriptor it is read
 * through).  0, or -1 after error() naming path, its mode and the fix. */
int config_check_private(const struct stat *st, const char *path);

#endif
