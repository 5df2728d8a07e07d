#include "core/config.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct config_entry {
	char *key;
	char *value;
	struct config_entry *next;
};

void config_init(struct griot_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void free_secret(char *s)
{
	if (s) {
		secure_zero(s, strlen(s));
		free(s);
	}
}

void config_release(struct griot_config *cfg)
{
	struct config_entry *e = cfg->entries, *next;

	for (; e; e = next) {
		next = e->next;
		free(e->key);
		free_secret(e->value);
		free(e);
	}
	free(cfg->config_file);
	free(cfg->db_conninfo);
	free(cfg->api_base);
	free_secret(cfg->auth_header);
	free(cfg->credentials_file);
	free(cfg->token_cache);
	free_secret(cfg->dr_secret);
	config_init(cfg);
}

void config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

const char *config_get(const struct griot_config *cfg, const char *key)
{
	const struct config_entry *e;

	for (e = cfg->entries; e; e = e->next)
		if (!strcmp(e->key, key))
			return e->value;
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Keys whose values are secrets: a file holding one must be private. */
static const char *const secret_keys[] = { "orange_auth_header", "dr_secret" };

static bool is_secret_key(const char *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(secret_keys); i++)
		if (!strcmp(k, secret_keys[i]))
			return true;
	return false;
}

static int read_file(struct griot_config *cfg, const char *path)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	struct stat st;
	int lineno = 0;

	if (!f)
		return error("cannot read config file %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return error("cannot read config file %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *k, *v;
		struct config_entry *e;

		lineno++;
		k = trim(line);
		if (!*k || *k == '#' || *k == ';')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			fclose(f);
			return error("%s:%d: expected `key = value`", path, lineno);
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (strlen(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[strlen(v) - 1] == v[0]) {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		if (*v && is_secret_key(k) && !config_mode_private(st.st_mode)) {
			fclose(f);
			return error("%s:%d: %s is a secret, but the file is readable by others "
				     "(mode %04o); run: chmod 600 %s", path, lineno, k,
				     (unsigned)(st.st_mode & 07777), path);
		}
		e = xcalloc(1, sizeof(*e));
		e->key = xstrdup(k);
		e->value = xstrdup(v);
		e->next = cfg->entries;
		cfg->entries = e;
	}
	fclose(f);
	config_set(&cfg->config_file, path);
	return 0;
}

/* First non-empty of: env var, file key, fallback. */
static void pick(struct griot_config *cfg, char **field, const char *env,
		 const char *key, const char *fallback)
{
	const char *v = env ? getenv(env) : NULL;

	if (*field)
		return; /* already set by a flag */
	if (!v || !*v)
		v = config_get(cfg, key);
	if (!v || !*v)
		v = fallback;
	config_set(field, v);
}

int config_load(struct griot_config *cfg, const char *explicit_file)
{
	const char *file = explicit_file ? explicit_file : getenv("GRIOT_CONFIG");
	struct strbuf def = STRBUF_INIT;

	if (file && *file) {
		if (read_file(cfg, file) < 0)
			return -1;
	} else {
		const char *home = getenv("HOME");
		if (home)
			strbuf_addf(&def, "%s/.config/griot/griot.conf", home);
		if (def.len && access(def.buf, R_OK) == 0) {
			if (read_file(cfg, def.buf) < 0)
				goto fail;
		} else if (access("/etc/griot/griot.conf", R_OK) == 0) {
			if (read_file(cfg, "/etc/griot/griot.conf") < 0)
				goto fail;
		}
	}
	pick(cfg, &cfg->db_conninfo, "DATABASE_URL", "database", "");
	pick(cfg, &cfg->api_base, "ORANGE_API_BASE", "orange_api_base",
	     "https://api.orange.com");
	pick(cfg, &cfg->auth_header, "ORANGE_AUTH_HEADER", "orange_auth_header", NULL);
	pick(cfg, &cfg->credentials_file, "ORANGE_CREDENTIALS_FILE", "credentials_file", NULL);
	pick(cfg, &cfg->token_cache, "ORANGE_TOKEN_CACHE", "token_cache", NULL);
	pick(cfg, &cfg->dr_secret, "GRIOT_DR_SECRET", "dr_secret", NULL);
	if (!cfg->token_cache) {
		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");
		strbuf_reset(&def);
		if (xdg && *xdg)
			strbuf_addf(&def, "%s/griot/token", xdg);
		else if (home && *home)
			strbuf_addf(&def, "%s/.cache/griot/token", home);
		else {
			/* Never a shared directory like /tmp for a token. */
			struct passwd *pw = getpwuid(getuid());
			if (!pw || !pw->pw_dir) {
				strbuf_release(&def);
				return error("cannot find a home directory for the token cache; "
					     "set ORANGE_TOKEN_CACHE");
			}
			strbuf_addf(&def, "%s/.cache/griot/token", pw->pw_dir);
		}
		config_set(&cfg->token_cache, def.buf);
	}
	strbuf_release(&def);
	return 0;
fail:
	strbuf_release(&def);
	return -1;
}

bool config_mode_private(mode_t mode)
{
	return !(mode & (S_IRWXG | S_IRWXO));
}

int config_check_private(const struct stat *st, const char *path)
{
	if (!config_mode_private(st->st_mode))
		return error("%s holds secrets but is readable by others (mode %04o); "
			     "run: chmod 600 %s", path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int config_auth_header(struct griot_config *cfg, const char **out)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char *nl;

	if (cfg->auth_header && *cfg->auth_header) {
		*out = cfg->auth_header;
		return 0;
	}
	if (!cfg->credentials_file)
		return error("no Orange credentials: set ORANGE_AUTH_HEADER or "
			     "ORANGE_CREDENTIALS_FILE (a file holding the "
			     "'Basic ...' header, mode 0600)");
	if (stat(cfg->credentials_file, &st) < 0)
		return error("cannot read credentials file %s: %s",
			     cfg->credentials_file, strerror(errno));
	if (config_check_private(&st, cfg->credentials_file) < 0)
		return -1;
	if (strbuf_read_file(&sb, cfg->credentials_file, 65536) < 0) {
		strbuf_release(&sb);
		return error("cannot read credentials file %s: %s",
			     cfg->credentials_file, strerror(errno));
	}
	nl = strchr(sb.buf, '\n');
	if (nl)
		strbuf_setlen(&sb, (size_t)(nl - sb.buf));
	strbuf_trim(&sb);
	if (starts_with(sb.buf, "ORANGE_AUTH_HEADER=")) {
		size_t p = strlen("ORANGE_AUTH_HEADER=");
		memmove(sb.buf, sb.buf + p, sb.len - p + 1);
		sb.len -= p;
	}
	if (!sb.len) {
		strbuf_release(&sb);
		return error("credentials file %s is empty", cfg->credentials_file);
	}
	free_secret(cfg->auth_header);
	cfg->auth_header = strbuf_detach(&sb, NULL);
	*out = cfg->auth_header;
	return 0;
}
