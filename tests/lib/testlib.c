#include "tests/lib/testlib.h"
#include "core/db.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dbname[128];
static char conninfo[256];
static char tmpdir[256];
static char datapath[512];
static const char *prog = "test";

const char *test_db_conninfo(void) { return conninfo; }

int test_db_open(struct db **out)
{
	static int seq;
	struct db *admin;
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	snprintf(dbname, sizeof(dbname), "t_%s_%d_%d", prog, (int)getpid(), seq++);
	for (char *p = dbname; *p; p++)
		if (*p == '-')
			*p = '_';
	if (db_connect("dbname=postgres", &admin) < 0)
		return -1;
	strbuf_addf(&sb, "DROP DATABASE IF EXISTS %s", dbname);
	db_exec(admin, sb.buf);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "CREATE DATABASE %s", dbname);
	if (db_exec(admin, sb.buf) < 0)
		goto out;
	snprintf(conninfo, sizeof(conninfo), "dbname=%s", dbname);
	if (db_connect(conninfo, out) < 0)
		goto out;
	if (db_migrate(*out, NULL) < 0) {
		db_close(*out);
		*out = NULL;
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&sb);
	db_close(admin);
	return ret;
}

void test_db_close(struct db *db)
{
	struct db *admin;
	struct strbuf sb = STRBUF_INIT;

	db_close(db);
	if (!*dbname || getenv("GRIOT_KEEP_TEST_DB"))
		return;
	if (db_connect("dbname=postgres", &admin) < 0)
		return;
	strbuf_addf(&sb, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	db_exec(admin, sb.buf);
	strbuf_release(&sb);
	db_close(admin);
}

const char *test_tmpdir(void)
{
	if (!*tmpdir) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/griot-%s-XXXXXX", base ? base : "/tmp", prog);
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

const char *test_data(const char *name)
{
	const char *top = getenv("GRIOT_TOP");
	snprintf(datapath, sizeof(datapath), "%s/tests/data/%s", top ? top : ".", name);
	return datapath;
}

int test_sim_start(struct test_sim *sim, const char *const *args)
{
	const char *bin = getenv("ORANGE_SIM");
	const char *argv[64];
	int n = 0, pfd[2];
	char line[256];
	FILE *f;
	static int seq;

	memset(sim, 0, sizeof(*sim));
	snprintf(sim->ledger, sizeof(sim->ledger), "%s/ledger-%d.jsonl", test_tmpdir(), seq++);
	argv[n++] = bin ? bin : "build/orange-sim";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--ledger";
	argv[n++] = sim->ledger;
	for (; args && *args && n < 62; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (pipe(pfd) < 0)
		return -1;
	sim->pid = fork();
	if (sim->pid < 0)
		return -1;
	if (sim->pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	/* The simulator prints "ready 127.0.0.1:PORT" once it listens. */
	while (fgets(line, sizeof(line), f)) {
		char *colon;
		if (strncmp(line, "ready", 5))
			continue;
		colon = strrchr(line, ':');
		if (colon)
			sim->port = atoi(colon + 1);
		break;
	}
	fclose(f);
	if (!sim->port) {
		test_sim_stop(sim);
		return error("orange-sim did not start (%s)", argv[0]);
	}
	snprintf(sim->base, sizeof(sim->base), "http://127.0.0.1:%d", sim->port);
	return 0;
}

void test_sim_stop(struct test_sim *sim)
{
	int st;

	if (sim->pid > 0) {
		kill(sim->pid, SIGTERM);
		waitpid(sim->pid, &st, 0);
		sim->pid = 0;
	}
}

int test_ledger_count(const struct test_sim *sim, const char *needle)
{
	char line[8192];
	FILE *f = fopen(sim->ledger, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!needle || strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

int test_spawn(const char *const *argv, char *out, size_t outlen)
{
	int pfd[2], st;
	pid_t pid;
	size_t got = 0;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char tmp[4096];
		ssize_t r = read(pfd[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && outlen) {
			size_t c = (size_t)r;
			if (got + c >= outlen)
				c = outlen - 1 - got;
			memcpy(out + got, tmp, c);
			got += c;
		}
	}
	if (out && outlen)
		out[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int test_main(const char *name, test_register_fn reg)
{
	unsigned fails;

	prog = name;
	log_set_ident(name);
	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	reg();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (*tmpdir && !getenv("GRIOT_KEEP_TMP")) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd)) { /* best effort */ }
	}
	return fails ? 1 : 0;
}
