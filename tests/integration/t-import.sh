#!/bin/sh
# griot import end to end: the CLI (exit codes, --json, standard input,
# re-import refused, suppress, past the de-duplication set's cap), and an
# import killed midway — SIGKILL, SIGINT, and its database connection
# killed — leaves nothing committed.
. "$(dirname "$0")/../lib/lib.sh"
new_db
D=$GRIOT_TOP/tests/data

# big.csv: 300,000 French-style rows (';', accents, CRLF), all valid.
awk 'BEGIN { printf "Nom;Prénom;Téléphone;Ville\r\n";
	for (i = 0; i < 300000; i++)
		printf "Diallo %d;Aïssata;+223 7%07d;Ségou\r\n", i, i }' >"$T_TMP/big.csv"

nothing_committed() {
	n=$(sql "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM imports) +
	         (SELECT count(*) FROM campaigns WHERE name = 'big')")
	[ "$n" = 0 ] || fail "$1: $n rows committed"
}

# run_until_progress: start an import of big.csv in the background and
# return once it has logged a progress line (rows are flowing into COPY).
run_until_progress() {
	rm -f "$T_TMP/err.fifo"
	mkfifo "$T_TMP/err.fifo"
	# Not the griot() shell function: $! must be griot itself.
	"$GRIOT_BIN" import --campaign big --progress-every 20000 "$T_TMP/big.csv" \
		>"$T_TMP/out" 2>"$T_TMP/err.fifo" &
	IMP=$!
	exec 3<"$T_TMP/err.fifo"
	while read -r line <&3; do
		echo "$line" >>"$T_TMP/err"
		case "$line" in *"rows read"*) return 0 ;; esac
	done
	fail "no progress line: $(cat "$T_TMP/err")"
}
# drain stderr and wait for the import's exit status
finish() {
	cat <&3 >>"$T_TMP/err"
	exec 3<&-
	wait "$IMP"
	RC=$?
}

: >"$T_TMP/err"
run_until_progress
kill -KILL "$IMP"
finish
[ "$RC" = 137 ] || fail "SIGKILL: exit $RC, expected 137 (did it finish first?)"
nothing_committed "after SIGKILL"
ok "SIGKILL midway: nothing committed"

: >"$T_TMP/err"
run_until_progress
kill -INT "$IMP"
finish
[ "$RC" = 75 ] || fail "SIGINT: exit $RC, expected 75: $(cat "$T_TMP/err")"
grep -q "interrupted" "$T_TMP/err" || fail "SIGINT: no 'interrupted' message"
grep -q "nothing was imported" "$T_TMP/err" || fail "SIGINT: does not say nothing was imported"
[ ! -e "$T_TMP/big.csv.rejects.csv" ] || fail "SIGINT: rejects file written"
ls "$T_TMP" | grep -q "rejects.csv.tmp" && fail "temporary rejects file left (after SIGKILL or SIGINT)"
nothing_committed "after SIGINT"
ok "SIGINT midway: rolled back, says so"

: >"$T_TMP/err"
run_until_progress
killed=$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND query LIKE 'COPY messages%'")
[ "$killed" = 1 ] || fail "no COPY backend found to terminate ($killed)"
finish
[ "$RC" = 69 ] || fail "database gone: exit $RC, expected 69: $(cat "$T_TMP/err")"
grep -q "nothing was imported" "$T_TMP/err" || fail "database gone: does not say nothing was imported"
nothing_committed "after the connection was killed"
ok "database connection killed midway: nothing committed"

# The same file then imports completely.
griot import --campaign big --json "$T_TMP/big.csv" >"$T_TMP/big.json" 2>"$T_TMP/err" ||
	fail "full import: $(cat "$T_TMP/err")"
[ "$(sql "SELECT count(*) FROM messages")" = 300000 ] || fail "full import: wrong count"
ok "full import after the failures: 300000 rows"

# --json: the five integer keys, adding up.
python3 - "$T_TMP/big.json" <<'EOF' || fail "--json summary"
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("read", "imported", "duplicates", "suppressed", "rejected"):
    assert isinstance(s[k], int), k
assert s["read"] == s["imported"] + s["duplicates"] + s["suppressed"] + s["rejected"]
assert s["read"] == 300000 and s["imported"] == 300000, s
assert s["encoding"] == "UTF-8" and s["delimiter"] == ";", s
EOF
ok "--json summary has the integer keys and adds up"

# Re-import refused (exit 65), --force accepted with everything a duplicate.
griot import --campaign big "$T_TMP/big.csv" >/dev/null 2>"$T_TMP/err"
[ $? = 65 ] || fail "re-import not refused"
grep -q "already imported" "$T_TMP/err" || fail "re-import: no reason given"
griot import --campaign big --force --json "$T_TMP/big.csv" >"$T_TMP/force.json" 2>/dev/null ||
	fail "--force refused"
grep -q '"duplicates": 300000' "$T_TMP/force.json" || fail "--force: duplicates not counted"
ok "re-import refused, --force imports nothing new"

# Standard input, with the default country from the flag.
printf 'tel;nom\n70 12 34 56;a\n0022370123457;b\nabc;c\n' |
	griot import --campaign stdin --country MLI --rejects "$T_TMP/stdin-rej.csv" --json - \
	>"$T_TMP/stdin.json" 2>"$T_TMP/err" || fail "stdin import: $(cat "$T_TMP/err")"
grep -q '"imported": 2' "$T_TMP/stdin.json" || fail "stdin: imported"
grep -q '"rejected": 1' "$T_TMP/stdin.json" || fail "stdin: rejected"
grep -q '^4;"abc;c";invalid_number;' "$T_TMP/stdin-rej.csv" || fail "stdin: rejects file"
# Rejected rows carry numbers and personal fields: owner only.
[ "$(stat -c %a "$T_TMP/stdin-rej.csv")" = 600 ] || fail "rejects file mode $(stat -c %a "$T_TMP/stdin-rej.csv"), expected 600"
printf 'tel;nom\n70 12 34 56;a\n0022370123457;b\nabc;c\n' |
	griot import --campaign stdin --country MLI --rejects "$T_TMP/stdin-rej2.csv" - >/dev/null 2>&1
[ $? = 65 ] || fail "stdin re-import not refused"
[ ! -e "$T_TMP/stdin-rej2.csv" ] || fail "refused import wrote a rejects file"
ok "standard input; its re-import refused too"

# Invalid UTF-8 after the first 256 KiB of standard input (decided UTF-8
# on that chunk): the line is a reject invalid_utf8, the rest imports.
{ printf 'phone;name\n'; awk 'BEGIN { for (i = 0; i < 20000; i++) printf "+2237%07d;plain ascii\n", i }';
  printf '+22379999999;caf\351\n'; } |
	griot import --campaign badenc --rejects "$T_TMP/badenc.rej" - >/dev/null 2>"$T_TMP/err" ||
	fail "bad byte late on stdin: $(cat "$T_TMP/err")"
grep -q '^20002;.*;invalid_utf8;line 20002: byte 0xe9' "$T_TMP/badenc.rej" || fail "bad encoding: line not named: $(tail -2 "$T_TMP/badenc.rej")"
[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE name = 'badenc'")" = 20000 ] ||
	fail "bad encoding: the other rows"
ok "invalid UTF-8 late on stdin: that line rejected as invalid_utf8, the others imported"

# Exit codes for bad files.
griot import --campaign x /nonexistent.csv 2>/dev/null; [ $? = 66 ] || fail "missing file: not 66"
griot import --campaign x "$D/import-no-phone.csv" 2>"$T_TMP/err"; [ $? = 65 ] || fail "no phone column: not 65"
grep -q "import-no-phone.csv: line 1: no phone column" "$T_TMP/err" || fail "no phone column: message"
griot import "$D/import-comma.csv" 2>/dev/null; [ $? = 64 ] || fail "no --campaign: not 64"
griot import --campaign x --country FRA "$D/import-comma.csv" 2>/dev/null; [ $? = 64 ] || fail "bad country: not 64"
griot import --help | grep -q -- "--phone-column" || fail "--help"
ok "exit codes 66 / 65 / 64 and --help"

# Dry run: counts, writes nothing.
griot import --campaign dry --dry-run --country MLI "$D/import-reasons.csv" >"$T_TMP/dry" 2>&1 ||
	fail "dry run failed: $(cat "$T_TMP/dry")"
grep -q "read *10" "$T_TMP/dry" || fail "dry run: no summary"
[ "$(sql "SELECT count(*) FROM campaigns WHERE name = 'dry'")" = 0 ] || fail "dry run created the campaign"
ok "--dry-run prints the summary and writes nothing"

# suppress: add, list --json, then an import skips and counts the number.
griot suppress add --reason STOP --country MLI 70123401 >/dev/null || fail "suppress add"
griot suppress list --json | grep -q '"msisdn": "+22370123401"' || fail "suppress list --json"
griot import --campaign supp --json --rejects "$T_TMP/supp-rej.csv" "$D/import-comma.csv" >"$T_TMP/supp.json" ||
	fail "import with suppression"
grep -q '"suppressed": 1' "$T_TMP/supp.json" || fail "suppressed not counted"
grep -q 'suppressed' "$T_TMP/supp-rej.csv" || fail "suppressed row not in the rejects file"
griot suppress remove +22370123401 >/dev/null || fail "suppress remove"
[ "$(griot suppress list --json | tr -d ' \n')" = "[]" ] || fail "suppress remove left it"
ok "suppress add / list / remove, and import skips suppressed numbers"

# Past the de-duplication set's cap (GRIOT_IMPORT_SET_MAX, a test knob),
# the rest of the file is judged in PostgreSQL: same summary, same rejects.
awk 'BEGIN { printf "Téléphone;n\r\n";
	for (i = 0; i < 5000; i++) {
		v = sprintf("70%06d", (i * 7) % 3000);
		if (i % 3 == 0) printf "+223 %s;%d\r\n", v, i;
		else if (i % 3 == 1) printf "00223%s;%d\r\n", v, i;
		else if (i % 101 == 0) printf "x%d;%d\r\n", i, i;
		else printf "%s;%d\r\n", v, i;
	} }' >"$T_TMP/spill.csv"
griot suppress add --country MLI 70000007 70000700 >/dev/null || fail "suppress add for the cap test"
summary() { grep -o '"\(read\|imported\|duplicates\|suppressed\|rejected\)": [0-9]*' "$1" | awk '!seen[$0]++' | tr '\n' ' '; }
griot import --campaign spill-mem --country MLI --json --rejects "$T_TMP/spill-mem.csv" \
	"$T_TMP/spill.csv" >"$T_TMP/spill-mem.json" || fail "import with the default cap"
GRIOT_IMPORT_SET_MAX=1000 griot import --campaign spill-pg --country MLI --json \
	--rejects "$T_TMP/spill-pg.csv" "$T_TMP/spill.csv" >"$T_TMP/spill-pg.json" 2>"$T_TMP/spill.err" ||
	fail "import past the cap: $(cat "$T_TMP/spill.err")"
grep -q "de-duplicated in PostgreSQL" "$T_TMP/spill.err" || fail "the cap was not reached"
[ "$(summary "$T_TMP/spill-mem.json")" = "$(summary "$T_TMP/spill-pg.json")" ] ||
	fail "summaries differ: $(summary "$T_TMP/spill-mem.json") vs $(summary "$T_TMP/spill-pg.json")"
sort "$T_TMP/spill-mem.csv" >"$T_TMP/a"
sort "$T_TMP/spill-pg.csv" >"$T_TMP/b"
cmp -s "$T_TMP/a" "$T_TMP/b" || fail "rejects differ past the cap"
[ "$(sql "SELECT count(*) FROM (SELECT line_no, msisdn, fields FROM messages m JOIN campaigns c
	ON c.id = m.campaign_id WHERE c.name = 'spill-mem' EXCEPT SELECT line_no, msisdn, fields
	FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'spill-pg') x")" = 0 ] ||
	fail "different rows imported past the cap"
ok "past the set's cap: same summary, rejects and rows ($(summary "$T_TMP/spill-pg.json"))"
