# own_cluster: a PostgreSQL cluster of the test's own under $T_TMP/pg, for
# a test that crashes the server or changes its clock, which would hurt
# every other test on the shared one.  CL_ENV: extra environment for the
# server (words NAME=VALUE, e.g. an LD_PRELOAD).  Points libpq at it
# (then new_db as usual); at exit (from sourcing this), after t_cleanup, the cluster is
# stopped and removed, then $CL_AT_EXIT (a command) is run.
# cl_pg start|stop|crash|...: scripts/pg on that cluster.
CL_DIR="$T_TMP/pg"
CL_ENV=${CL_ENV:-}
CL_AT_EXIT=${CL_AT_EXIT:-:}
cl_pg() {
	# shellcheck disable=SC2086 # CL_ENV is a list of words
	env $CL_ENV GRIOT_PG_DIR="$CL_DIR" GRIOT_PG_DB=postgres "$GRIOT_TOP/scripts/pg" "$@"
}
cl_cleanup() {
	keep=${GRIOT_KEEP_TMP:-}
	GRIOT_KEEP_TMP=1        # T_TMP holds the cluster's link: removed last
	t_cleanup
	cl_pg stop >/dev/null 2>&1
	real=$(readlink "$CL_DIR" 2>/dev/null) && case "$real" in */griot-pg-*) rm -rf "$real" ;; esac
	eval "$CL_AT_EXIT"
	[ -z "$keep" ] && rm -rf "$T_TMP"
}
trap cl_cleanup EXIT
own_cluster() {
	cl_pg start >"$T_TMP/pg-start.log" 2>&1 || fail "own cluster: $(cat "$T_TMP/pg-start.log")"
	eval "$(GRIOT_PG_DIR="$CL_DIR" GRIOT_PG_DB=postgres "$GRIOT_TOP/scripts/pg" env)"
}
