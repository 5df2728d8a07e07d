#!/bin/sh
# Three 'griot send' processes on one campaign share the 5/s limit kept in
# PostgreSQL: the simulator (which answers 429 beyond 5 in any sliding
# second) accepts every message once, never more than 5 in any one-second
# window, with at most two 429s in 150 sends.  The spacing leaves 12 ms
# per second of margin, half of it for arrival jitter; on this loaded
# 2-core machine (load 3-7) a request's arrival at the simulator varies
# by up to 12-22 ms (p99), griot's own lateness by 3-4 ms (p99), so one
# request in a hundred may arrive early for its window.  A limiter that
# does not hold (two spacings on one row) gave 11 in 15 s.  The rate
# reached (>= 4.9/s) is a timing: `make bench` measures it
# (bench/send-latency.sh), not this test.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
N=150
new_db
start_sim --rate 5 --credits MLI:1000
mk_campaign rate $N MLI 2237
griot campaign schedule rate >/dev/null || fail "schedule"
run_senders rate
for i in 1 2 3; do grep -q '"sent": [1-9]' "$T_TMP/rate.out$i" || fail "sender $i sent nothing: $(cat "$T_TMP/rate.out$i")"; done
ok "three senders exited 0, each sent some"

[ "$(status_counts)" = "sent=$N" ] || fail "statuses: $(status_counts)"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'rate'")" = done ] || fail "campaign not done"
[ "$(ledger_count sms)" = $N ] || fail "ledger has $(ledger_count sms) sends, want $N"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice: $(ledger_dup_numbers)"
ledger_to_db
[ "$(sql "SELECT count(*) FROM ledger l JOIN messages m USING (resource_id)
          WHERE m.send_status = 'sent' AND 'tel:' || m.msisdn = l.address")" = $N ] ||
	fail "ledger and messages do not match one to one"
ok "every message sent once, ledger matches resource ids"

n429=$(ledger_429)
[ "$n429" -le 2 ] || fail "$n429 sends refused with 429"
max=$(ledger_max_per_second)
[ "$max" -le 5 ] || fail "$max accepted sends in one sliding second (limit 5)"
ok "$n429 x 429, at most $max per sliding second ($(ledger_rate)/s, see make bench)"
