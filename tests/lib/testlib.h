#ifndef TESTLIB_H
#define TESTLIB_H
/*
 * Shared by the CUnit tests: a fresh migrated database per test binary on
 * the throwaway cluster (scripts/pg), the simulator as a child process, and
 * a runner.  Paths come from scripts/run-tests: GRIOT_BIN, ORANGE_SIM,
 * GRIOT_TOP.
 */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <sys/types.h>

struct db;

/* Create a database named after the test and pid, apply migrations. */
int test_db_open(struct db **out);
/* Drop it again (all connections must be closed first except db). */
void test_db_close(struct db *db);
/* conninfo string of the current test database ("dbname=..."). */
const char *test_db_conninfo(void);

struct test_sim {
	pid_t pid;
	int port;
	char base[64];      /* http://127.0.0.1:PORT */
	char ledger[256];   /* ledger file path */
};
/* Start orange-sim --listen 127.0.0.1:0 --ledger <tmp> with extra args
 * (NULL-terminated) and wait for its "ready" line. */
int test_sim_start(struct test_sim *sim, const char *const *args);
void test_sim_stop(struct test_sim *sim);
/* Count ledger lines containing needle (NULL: all lines). */
int test_ledger_count(const struct test_sim *sim, const char *needle);

/* Path of a fixture under tests/data/. */
const char *test_data(const char *name);
/* A fresh temp directory for this test binary; returns its path. */
const char *test_tmpdir(void);

/* Run argv (argv[0] looked up in PATH or a path); returns exit status
 * or -1; stdout is captured into out (if not NULL, max outlen). */
int test_spawn(const char *const *argv, char *out, size_t outlen);

/* Register suites, run them in basic mode, return the failure count. */
typedef void (*test_register_fn)(void);
int test_main(const char *name, test_register_fn reg);

#define TEST_ADD(suite, fn) CU_add_test(suite, #fn, fn)

#endif
