#!/bin/sh
# A token revoked in mid-run (issue 10, finding 7): the request refused
# with 401 goes out again only in a slot booked for it, never right after
# the renewal.  Three 'griot send' share the 5/s limit; Orange is ~200 ms
# away (the simulator behind a proxy adding 100 ms each way) and revokes
# every token after 5 accepted sends.  A resend made by the client at
# once after renewing leaves a token round trip after its slot, among
# later slots: 6 in a sliding second, a 429 (the old client: 9 to 13 in a
# run).  Here: every message sent once, the revocations happened, at most
# 5 accepted in any sliding second and at most two 429s (arrival jitter on
# a loaded machine, as in t-send-latency: at load 5-7 the path through
# the proxy alone varies by up to tens of ms, against a 12 ms margin).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$(dirname "$0")/../lib/proxy.sh"
N=60
new_db
start_sim --rate 5 --credits MLI:1000 --fault-revoke 5
sim_proxy 100
mk_campaign revoke $N MLI 2237
griot campaign schedule revoke >/dev/null || fail "schedule"
run_senders revoke
[ "$(status_counts)" = "sent=$N" ] || fail "statuses: $(status_counts)"
[ "$(ledger_count sms)" = $N ] || fail "ledger has $(ledger_count sms) sends, want $N"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice: $(ledger_dup_numbers)"
n401=$(grep '"event":"reject"' "$SIM_LEDGER" | grep -c '"status":401' || true)
[ "$n401" -ge 3 ] || fail "only $n401 requests refused with 401: the revocations did not bite"
ok "every message sent once; $n401 requests refused for a revoked token"
n429=$(ledger_429)
max=$(ledger_max_per_second)
[ "$n429" -le 2 ] || fail "$n429 sends refused with 429 (resends outside the booked slots?)"
[ "$max" -le 5 ] || fail "$max accepted sends in one sliding second (limit 5)"
ok "$n429 x 429, at most $max accepted in a sliding second"
