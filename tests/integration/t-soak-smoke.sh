#!/bin/sh
# The 60-second version of `make soak` (scripts/soak, SOAK_SMOKE=1): the
# same harness and audit with fewer messages and chaos every second or two.
# Passes only when the audit is clean and the chaos really happened
# (senders and receivers killed and restarted, PostgreSQL restarted,
# latency changed, slow clients, receipts through HAProxy).
. "$(dirname "$0")/../lib/lib.sh"
dir="$GRIOT_TOP/var/soak-smoke"
SOAK_SMOKE=1 SOAK_MESSAGES=${SOAK_MESSAGES:-1500} SOAK_RATE=${SOAK_RATE:-100} SOAK_SEED=${SOAK_SEED:-12} \
	SOAK_TIME_LIMIT=300 SOAK_DIR="$dir" BUILD="${GRIOT_BUILD#"$GRIOT_TOP"/}" \
	python3 "$GRIOT_TOP/scripts/soak" >"$T_TMP/soak.out" 2>&1
rc=$?
cat "$T_TMP/soak.out"
[ $rc = 0 ] || fail "scripts/soak exited $rc"
s="$dir/summary.json"
v() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$s" "$1"; }
[ "$(v 'd["audit_ok"]')" = True ] || fail "audit not clean"
[ "$(v 'd["shutdown_ok"]')" = True ] || fail "a sender or receiver did not exit 0 on SIGTERM: $(v 'd["shutdown_exit_codes"]')"
[ "$(v 'sum(d["kills"].values()) >= 5')" = True ] || fail "fewer than 5 kills: $(v 'd["kills"]')"
[ "$(v 'sum(d["pg_restarts"].values()) >= 1')" = True ] || fail "PostgreSQL never restarted"
[ "$(v 'd["latency_changes"] >= 1 and d["slow_clients"]["runs"] >= 2')" = True ] || fail "no latency change or slow clients"
[ "$(v 'd["receipts"]["acknowledged"] > 0 and d["accepted"] > 0')" = True ] || fail "nothing sent or no receipt"
[ "$(v 'all(c["status"] in ("done", "cancelled") for c in d["campaigns"].values())')" = True ] ||
	fail "campaigns not finished: $(v 'd["campaigns"]')"
ok "smoke soak clean: $(v 'd["accepted"]') accepted, $(v 'd["receipts"]["acknowledged"]') receipts, $(v 'sum(d["kills"].values())') kills"
rm -rf "$dir"
