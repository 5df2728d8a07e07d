#!/bin/sh
# griot import with the files people really have (issue 14): quoting
# mistakes, multi-country files, broken encodings, mixed line ends,
# numbers typed in other scripts, French single-column exports, hostile
# headers, Excel workbooks.  Each part runs in a subshell so that a run
# against an older build reports every part that fails, not just the first.
. "$(dirname "$0")/../lib/lib.sh"
new_db
D=$GRIOT_TOP/tests/data
failed=""

# imp CAMPAIGN FILE [args]: import with --json; sets RC, output in
# $T_TMP/CAMPAIGN.json, stderr in $T_TMP/CAMPAIGN.err, rejects in
# $T_TMP/CAMPAIGN.rej.
imp() {
	_c=$1 _f=$2
	shift 2
	"$GRIOT_BIN" import --campaign "$_c" --json --rejects "$T_TMP/$_c.rej" "$@" "$_f" \
		>"$T_TMP/$_c.json" 2>"$T_TMP/$_c.err"
	RC=$?
}
jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T_TMP/$1.json" "$2"; }
rows() { sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = '$1'"; }
campaign_absent() {
	[ "$(sql "SELECT count(*) FROM campaigns WHERE name = '$1'")" = 0 ] || fail "$1: something was committed"
}
part() { ( "$@" ) || failed="$failed $1"; }

# 1. Strict quoting: an unclosed quote mid-file or a stray quote in an
# unquoted field is an error naming line and column; nothing imported.
quoting() {
	imp q-mid "$D/import-unclosed-mid.csv"
	[ "$RC" = 65 ] || fail "unclosed quote mid-file: exit $RC, expected 65 ($(cat "$T_TMP/q-mid.err"))"
	grep -q "line 5, column 18" "$T_TMP/q-mid.err" || fail "unclosed quote: line/column not named: $(cat "$T_TMP/q-mid.err")"
	grep -q "opened on line 2" "$T_TMP/q-mid.err" || fail "unclosed quote: opening line not named: $(cat "$T_TMP/q-mid.err")"
	campaign_absent q-mid
	imp q-stray "$D/import-stray-quote.csv"
	[ "$RC" = 65 ] || fail "stray quote after a quoted part: exit $RC, expected 65"
	grep -q "line 2, column 12" "$T_TMP/q-stray.err" || fail "stray quote: $(cat "$T_TMP/q-stray.err")"
	campaign_absent q-stray
	imp q-stray2 "$D/import-stray-quote2.csv"
	[ "$RC" = 65 ] || fail "quote inside an unquoted field: exit $RC, expected 65"
	grep -q "line 2, column 8" "$T_TMP/q-stray2.err" || fail "stray quote 2: $(cat "$T_TMP/q-stray2.err")"
	campaign_absent q-stray2
	ok "strict quoting: exit 65 naming line and column, nothing imported"
}

# 2. A country column decides each row's country; --country is the
# default; a number valid only as another country's is rejected.
country() {
	imp cty "$D/import-country.csv" --country MLI
	[ "$RC" = 0 ] || fail "country column: exit $RC: $(cat "$T_TMP/cty.err")"
	got=$(sql "SELECT string_agg(fields->>'nom' || '=' || msisdn || '/' || country, ' ' ORDER BY line_no)
	           FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'cty'")
	want="Moussa=+22670123456/BFA Awa=+22370123457/MLI Fatou=+221771234567/SEN Kouassi=+2250700123456/CIV Aya=+2250102030405/CIV Binta=+22370123458/MLI Amr=+201012345678/EGY Ines=+21620123456/TUN"
	[ "$got" = "$want" ] || fail "country column: got $got"
	grep -q '^8;"Olu;Nigeria;0803 123 4567";unknown_country;.*Nigeria' "$T_TMP/cty.rej" || fail "Nigeria row: $(cat "$T_TMP/cty.rej")"
	grep -q '^9;Sy;SEN;70 12 34 59;wrong_length;.*MLI' "$T_TMP/cty.rej" ||
	grep -q '^9;"Sy;SEN;70 12 34 59";wrong_length;.*MLI' "$T_TMP/cty.rej" || fail "SEN row with a Mali number: $(cat "$T_TMP/cty.rej")"
	grep -q '^10;"Ko;BFA;+223 70 12 34 60";country_mismatch;' "$T_TMP/cty.rej" || fail "+223 number on a BFA row: $(cat "$T_TMP/cty.rej")"
	[ "$(jget cty imported)" = 8 ] && [ "$(jget cty rejected)" = 3 ] || fail "country column: summary $(cat "$T_TMP/cty.json")"
	ok "country column: per-row countries, default, mismatches rejected with a reason"
}

# 11. An Excel workbook (first sheet, streamed): the same rows, verdicts
# and rejects as the CSV that says the same thing; a sheet row's number is
# its line; numbers stored as numbers (2.2370123457E10) come out whole;
# shared, rich and inline strings; from a file or a pipe.
xlsx() {
	imp x-book "$D/import-xlsx.xlsx" --country MLI
	[ "$RC" = 0 ] || fail "xlsx: exit $RC: $(cat "$T_TMP/x-book.err")"
	imp x-csv "$D/import-xlsx.csv" --country MLI
	[ "$RC" = 0 ] || fail "xlsx's CSV: exit $RC: $(cat "$T_TMP/x-csv.err")"
	[ "$(jget x-book encoding)" = XLSX ] || fail "xlsx: encoding $(jget x-book encoding)"
	[ "$(jget x-book imported)" = 5 ] && [ "$(jget x-book rejected)" = 3 ] &&
		[ "$(jget x-book duplicates)" = 1 ] || fail "xlsx: summary $(cat "$T_TMP/x-book.json")"
	q="SELECT line_no, msisdn, fields FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name ="
	[ "$(sql "SELECT count(*) FROM (($q 'x-book' EXCEPT $q 'x-csv') UNION ALL ($q 'x-csv' EXCEPT $q 'x-book')) d")" = 0 ] ||
		fail "xlsx and CSV rows differ"
	[ "$(sql "SELECT string_agg(line_no || '=' || msisdn || '/' || (fields->>'Ville'), ' ' ORDER BY line_no)
	          FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'x-book'")" = \
	  "2=+22370123456/Bamako 3=+22370123457/Kayes 4=+22370123458/Ségou, centre 5=+22370123459/Mopti 9=+22370123460/TRUE" ] ||
		fail "xlsx rows: $(sql "SELECT string_agg(line_no || '=' || msisdn, ' ') FROM messages")"
	cmp -s "$T_TMP/x-book.rej" "$T_TMP/x-csv.rej" || fail "xlsx and CSV rejects differ: $(diff "$T_TMP/x-book.rej" "$T_TMP/x-csv.rej")"
	grep -q '^8;"Fa;70123456;Gao";duplicate;' "$T_TMP/x-book.rej" || fail "xlsx rejects: $(cat "$T_TMP/x-book.rej")"
	# From a pipe (the console's upload): same summary.
	cat "$D/import-xlsx.xlsx" | "$GRIOT_BIN" import --campaign x-pipe --country MLI --json \
		--rejects "$T_TMP/x-pipe.rej" - >"$T_TMP/x-pipe.json" 2>"$T_TMP/x-pipe.err" ||
		fail "xlsx on a pipe: $(cat "$T_TMP/x-pipe.err")"
	cmp -s "$T_TMP/x-book.rej" "$T_TMP/x-pipe.rej" || fail "xlsx from a pipe: other rejects"
	[ "$(jget x-pipe sha256)" = "$(jget x-book sha256)" ] || fail "xlsx from a pipe: other hash"
	# A damaged workbook: a bad file, nothing imported.
	head -c 300 "$D/import-xlsx.xlsx" >"$T_TMP/cut.xlsx"
	imp x-cut "$T_TMP/cut.xlsx" --country MLI
	[ "$RC" = 65 ] || fail "cut workbook: exit $RC"
	grep -q "not a readable Excel workbook" "$T_TMP/x-cut.err" || fail "cut workbook: $(cat "$T_TMP/x-cut.err")"
	campaign_absent x-cut
	ok "xlsx: first sheet streamed, same rows and rejects as the CSV, from a file or a pipe"
}

# 4. Encoding decided on the whole evidence: a UTF-8 file with a stray
# Windows-1252 byte stays UTF-8 (that line is a reject invalid_utf8); a
# header that does not match shows what was read.
encoding() {
	awk 'BEGIN { printf "prénom;téléphone\n"; for (i = 0; i < 3000; i++)
		if (i == 1499) printf "H\351l\350ne %d;+2237%07d\n", i, i; else printf "Hélène %d;+2237%07d\n", i, i }' \
		>"$T_TMP/stray.csv"
	imp enc "$T_TMP/stray.csv"
	[ "$RC" = 0 ] || fail "stray byte: exit $RC: $(cat "$T_TMP/enc.err")"
	[ "$(jget enc encoding)" = UTF-8 ] || fail "stray byte: read as $(jget enc encoding)"
	[ "$(jget enc imported)" = 2999 ] || fail "stray byte: imported $(jget enc imported)"
	grep -q '^1501;.*;invalid_utf8;line 1501: byte 0xe9 at column 2 ' "$T_TMP/enc.rej" || fail "stray byte: $(cat "$T_TMP/enc.rej")"
	[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	          WHERE c.name = 'enc' AND fields->>'prénom' LIKE 'Hélène %'")" = 2999 ] || fail "stray byte: names changed"
	printf 'prénom;ville\nAwa;Bamako\n' >"$T_TMP/nophone.csv"
	imp enc-h "$T_TMP/nophone.csv"
	[ "$RC" = 65 ] || fail "no phone column: exit $RC"
	grep -q "line 1 as read (UTF-8, ';'-separated): prénom;ville" "$T_TMP/enc-h.err" || fail "header: $(cat "$T_TMP/enc-h.err")"
	ok "a UTF-8 file with a stray byte stays UTF-8, the line is rejected; the header error shows what was read"
}

# 5. Every line terminator (CRLF, LF, CR) counts once, mixed too; the raw
# row in the rejects file is bounded and says when it was cut.
line_ends() {
	imp eol "$D/import-mixed-eol.csv" --country MLI
	[ "$RC" = 0 ] || fail "mixed line ends: exit $RC: $(cat "$T_TMP/eol.err")"
	[ "$(tail -n +2 "$T_TMP/eol.rej" | cut -d';' -f1 | tr '\n' ' ')" = "2 3 4 " ] ||
		fail "mixed line ends: reject lines $(tail -n +2 "$T_TMP/eol.rej" | cut -d';' -f1 | tr '\n' ' ')"
	[ "$(sql "SELECT line_no FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'eol'")" = 5 ] ||
		fail "mixed line ends: the valid row is not line 5"
	# LF header, CR-only data: 1,000 invalid numbers in 200 KB.
	awk 'BEGIN { printf "name;phone\n"; for (i = 0; i < 1000; i++) {
		printf "name %d %0180d;x%d\r", i, 0, i } }' >"$T_TMP/cr.csv"
	imp cr "$T_TMP/cr.csv" --country MLI
	[ "$RC" = 0 ] || fail "CR data lines: exit $RC: $(cat "$T_TMP/cr.err")"
	[ "$(jget cr rejected)" = 1000 ] || fail "CR data lines: $(jget cr rejected) rejected"
	size=$(wc -c <"$T_TMP/cr.rej")
	[ "$size" -lt 1000000 ] || fail "CR data lines: rejects file of $size bytes"
	[ "$(tail -n 1 "$T_TMP/cr.rej" | cut -d';' -f1)" = 1001 ] || fail "CR data lines: last reject not line 1001"
	# A 100,000-byte row: its raw text is cut, and the detail says so.
	awk 'BEGIN { printf "phone;note\nabc;%0100000d\n", 0 }' >"$T_TMP/long.csv"
	imp long "$T_TMP/long.csv" --country MLI
	[ "$RC" = 0 ] || fail "long row: exit $RC"
	size=$(wc -c <"$T_TMP/long.rej")
	[ "$size" -lt 10000 ] || fail "long row: rejects file of $size bytes"
	grep -q "row cut to its first" "$T_TMP/long.rej" || fail "long row: the cut is not said: $(cut -c1-300 "$T_TMP/long.rej")"
	ok "line ends counted once each; raw rows in the rejects file bounded"
}

# 6. Numbers as typed in Egypt, Jordan, Tunisia, or copied from
# right-to-left apps: Arabic-Indic, Persian and fullwidth digits, ＋,
# bidi marks, BOM, zero-width space, en dash (column "attendu": E.164).
scripts() {
	imp scr "$D/import-scripts.csv" --country MLI
	[ "$RC" = 0 ] || fail "scripts: exit $RC: $(cat "$T_TMP/scr.err")"
	[ "$(jget scr rejected)" = 0 ] || fail "scripts: rejected $(cat "$T_TMP/scr.rej")"
	[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	          WHERE c.name = 'scr' AND msisdn = fields->>'attendu'")" = 10 ] || fail "scripts: wrong numbers"
	ok "Arabic-Indic, Persian, fullwidth digits, bidi and zero-width marks, dashes: normalised"
}

# 7. French exports: one column (with the ",00" of a number cell), an
# Excel "sep=;" first line, a doubled BOM; several phone columns: per row
# the first that holds a mobile, and the summary says which were used.
french() {
	imp single "$D/import-single-col.csv"
	[ "$RC" = 0 ] && [ "$(jget single imported)" = 2 ] || fail "single column: exit $RC, $(cat "$T_TMP/single.json" "$T_TMP/single.err")"
	imp sepl "$D/import-sep-line.csv"
	[ "$RC" = 0 ] && [ "$(jget sepl imported)" = 1 ] || fail "sep= line: exit $RC: $(cat "$T_TMP/sepl.err")"
	[ "$(sql "SELECT line_no || ' ' || (fields->>'Nom') FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	          WHERE c.name = 'sepl'")" = "3 Awa, Ba" ] || fail "sep= line: wrong row"
	imp bom2 "$D/import-double-bom.csv"
	[ "$RC" = 0 ] || fail "double BOM: exit $RC"
	[ "$(sql "SELECT fields::text FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'bom2'")" = \
	  '{"prenom": "Awa"}' ] || fail "double BOM: $(sql "SELECT fields::text FROM messages m JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'bom2'")"
	imp tm "$D/import-nom-tel-mobile.csv" --country MLI
	[ "$RC" = 0 ] || fail "Nom;Tel;Mobile: exit $RC"
	[ "$(sql "SELECT string_agg(fields->>'Nom' || '=' || msisdn, ' ' ORDER BY line_no) FROM messages m
	          JOIN campaigns c ON c.id = m.campaign_id WHERE c.name = 'tm'")" = \
	  "Awa=+22370123456 Ba=+22370123457 Ci=+22376123458" ] || fail "Nom;Tel;Mobile: wrong numbers"
	grep -q '^5;"Di;20 21 23 47;";not_mobile;' "$T_TMP/tm.rej" || fail "Nom;Tel;Mobile: rejects $(cat "$T_TMP/tm.rej")"
	python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))["phone_columns"]; assert c == {"Tel": 1, "Mobile": 2}, c' \
		"$T_TMP/tm.json" || fail "Nom;Tel;Mobile: summary does not say which columns"
	ok "single column, sep= line, doubled BOM, first phone column holding a mobile"
}

# 8. The rejects file has the reports' formula guard.
formula() {
	imp fx "$D/import-formula.csv" --country MLI
	[ "$RC" = 0 ] || fail "formula rows: exit $RC"
	[ "$(grep -c "^[0-9]*;\"\?'[=@]" "$T_TMP/fx.rej")" = 2 ] || fail "formula cells not guarded: $(cat "$T_TMP/fx.rej")"
	grep -q ";'=HYPERLINK(A1)" "$T_TMP/fx.rej" || grep -q "\"Awa;=HYPERLINK" "$T_TMP/fx.rej" || fail "rejects: $(cat "$T_TMP/fx.rej")"
	! grep -q "^[0-9]*;[=@+-]" "$T_TMP/fx.rej" || fail "a cell of the rejects file starts like a formula: $(cat "$T_TMP/fx.rej")"
	ok "rejects file: cells that start like a formula are guarded"
}

# 9. A header of 4,000 columns all named x (and the phone): every column
# kept under a unique name (x, x_2 ... x_4000), in one linear pass.
wide_header() {
	python3 -c 'import sys; n = 4000
print(";".join(["phone"] + ["x"] * n)); print(";".join(["+22370000001"] + [str(i) for i in range(n)]))' >"$T_TMP/wide.csv"
	"$GRIOT_BIN" -v import --campaign wide "$T_TMP/wide.csv" >/dev/null 2>"$T_TMP/wide.err" ||
		fail "wide header: $(tail -3 "$T_TMP/wide.err")"
	# The count of name lookups (-v): linear means a few per column; the
	# scan of the columns before each would be millions.
	n=$(sed -n 's/.*4001 header names made unique with \([0-9]*\) lookups.*/\1/p' "$T_TMP/wide.err")
	[ -n "$n" ] && [ "$n" -le 12003 ] || fail "wide header: lookups '$n' (not logged, or not linear)"
	[ "$(sql "SELECT count(*) || ' ' || count(DISTINCT k) || ' ' || max(CASE WHEN k = 'x_4000' THEN v END)
	          || ' ' || max(CASE WHEN k = 'x' THEN v END) FROM messages m JOIN campaigns c ON c.id = m.campaign_id,
	          jsonb_each_text(m.fields) AS f(k, v) WHERE c.name = 'wide'")" = "4000 4000 3999 0" ] ||
		fail "wide header: keys wrong"
	ok "4,000 columns named x: every column kept, unique names"
}

part quoting
part country
part encoding
part line_ends
part scripts
part french
part formula
part wide_header
part xlsx
[ -z "$failed" ] || fail "parts failed:$failed"
