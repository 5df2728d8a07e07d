#!/bin/sh
# Exit codes of domain errors, one mapping for every command (builtin/exit.c,
# docs/griot.1 "EXIT STATUS"): 64 wrong state or usage, 65 bad data,
# 66 no such campaign or file, 67 no such user, 69 database or Orange
# unavailable, 75 try later (paused), 78 configuration or credentials refused
# (the same for `orange token` and for a sender refused mid-run).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --credits MLI:100000

# expect CODE WHAT CMD...: CMD exits CODE and says something on stderr;
# each mismatch is listed, and checked() fails the group if there was one.
bad=""
expect() {
	want=$1 what=$2
	shift 2
	"$GRIOT_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"; rc=$?
	if [ "$rc" != "$want" ]; then
		echo "MISMATCH $what: 'griot $*' exited $rc, want $want: $(tail -1 "$T_TMP/err")" >&2
		bad=1
	elif [ "$want" != 0 ] && ! [ -s "$T_TMP/err" ]; then
		echo "MISMATCH $what: 'griot $*' exited $rc without a message" >&2
		bad=1
	fi
}
checked() { [ -z "$bad" ] || fail "$1: exit codes above"; ok "$1"; }

mk_campaign dr 5 MLI 2237
mk_campaign done 3 MLI 2238
griot campaign schedule done --start now >/dev/null 2>&1 || fail "schedule done"
griot send --campaign done --rate 200 --limiter fast >/dev/null 2>&1 || fail "send done"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'done'")" = done ] || fail "setup: not done"
mk_campaign gone 3 MLI 2239
griot campaign cancel gone >/dev/null || fail "cancel gone"
mk_campaign held 3 MLI 2230
griot campaign schedule held --start now >/dev/null 2>&1 || fail "schedule held"
griot campaign pause held >/dev/null || fail "pause held"

# No such campaign: 66, from every command that names one.
for c in show schedule pause resume cancel retry-failed; do
	expect 66 "no such campaign" campaign "$c" nosuch
done
expect 66 "no such campaign" send --campaign nosuch
expect 66 "no such campaign" report --campaign nosuch
checked "no such campaign: 66 from campaign show/schedule/pause/resume/cancel/retry-failed, send, report"

# Wrong state: 64 (the library's check; the command adds none of its own).
expect 64 "pause a draft" campaign pause dr
expect 64 "resume a draft" campaign resume dr
expect 64 "resume a done campaign" campaign resume done
expect 64 "cancel a cancelled campaign" campaign cancel gone
expect 64 "cancel a done campaign" campaign cancel done
expect 64 "retry-failed of a draft" campaign retry-failed dr
expect 64 "schedule a done campaign" campaign schedule done
expect 64 "change a campaign that is no longer a draft" campaign create done --sender tel:+2230000 --message hi
expect 64 "send a draft" send --campaign dr
expect 64 "send a cancelled campaign" send --campaign gone
expect 75 "send a paused campaign" send --campaign held
[ "$(sql "SELECT status FROM campaigns WHERE name = 'dr'")" = draft ] || fail "the draft changed"
checked "wrong state: 64 from pause/resume/cancel/retry-failed/schedule/create/send, 75 for a paused campaign"

# A limiter name that a pause notification could not carry whole (its
# pause would be missed) or a log could not show: 64, nothing claimed.
mk_campaign lim 3 MLI 2231
griot campaign schedule lim --start now >/dev/null 2>&1 || fail "schedule lim"
expect 64 "a limiter name of 64 characters" send --campaign lim --rate 5 --limiter "$(printf '%064d' 0)"
expect 64 "a limiter name with a space" send --campaign lim --rate 5 --limiter "two words"
expect 64 "an empty limiter name" send --campaign lim --rate 5 --limiter ""
[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
          WHERE c.name = 'lim' AND m.send_status <> 'pending'")" = 0 ] || fail "a refused limiter claimed rows"
checked "bad limiter names: 64, nothing claimed"

# Bad data: 65.
printf 'phone,name\n+22370000001,Awa\n' >"$T_TMP/ok.csv"
printf 'nom,prenom\nAwa,Diallo\n' >"$T_TMP/nophone.csv"
expect 65 "import without a phone column" import "$T_TMP/nophone.csv" --campaign newone
expect 66 "import of a missing file" import "$T_TMP/none.csv" --campaign newone
expect 0 "create a campaign" campaign create empty --sender tel:+2230000 --message hi
expect 65 "schedule without recipients" campaign schedule empty
expect 65 "suppress a number that is not one" suppress add notanumber
expect 65 "create with a bad sender" campaign create bad --sender 2230000 --message hi
expect 64 "report with a bad time" report --since yesterday-ish
ok_base=$ORANGE_API_BASE
ORANGE_API_BASE=http://127.0.0.1:1 expect 69 "Orange unreachable" orange balance
export ORANGE_API_BASE="$ok_base"
checked "bad data: 65, missing file: 66, bad time: 64, Orange unreachable: 69"

# No such user: 67.
expect 67 "disable a user that does not exist" user disable nobody
echo 'a-long-password' | griot user add awa --role viewer --password-stdin >/dev/null 2>&1 || fail "user add"
echo 'a-long-password' | expect 65 "add a user that exists" user add awa --role viewer --password-stdin
checked "no such user: 67, user exists: 65"

# Database unavailable: 69, whatever the command.
down="host=127.0.0.1 port=1 dbname=x connect_timeout=2"
for cmd in "campaign list" "campaign pause dr" "send --campaign dr" "report" "import $T_TMP/ok.csv --campaign x"; do
	# shellcheck disable=SC2086
	DATABASE_URL="$down" expect 69 "database down" $cmd
done
checked "database down: 69 from campaign, send, report, import"

# Configuration: 78; credentials refused: 78 too (the configured credentials are wrong).
printf 'not a setting\n' >"$T_TMP/bad.conf"
chmod 600 "$T_TMP/bad.conf"
expect 78 "bad configuration file" --config "$T_TMP/bad.conf" campaign list
saved=$ORANGE_AUTH_HEADER
unset ORANGE_AUTH_HEADER
expect 78 "no credentials" orange token
export ORANGE_AUTH_HEADER="$saved"
ORANGE_AUTH_HEADER='Basic d3Jvbmc6d3Jvbmc=' expect 78 "refused credentials" orange token
mk_campaign cred 3 MLI 2232
griot campaign schedule cred --start now >/dev/null 2>&1 || fail "schedule cred"
ORANGE_AUTH_HEADER='Basic d3Jvbmc6d3Jvbmc=' expect 78 "refused credentials" send --campaign cred --rate 5 --limiter cred
[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
          WHERE c.name = 'cred' AND m.send_status <> 'pending'")" = 0 ] || fail "refused credentials: rows left not pending"
checked "configuration: 78, refused credentials: 78 (orange token and send)"
