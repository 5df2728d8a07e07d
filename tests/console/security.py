"""Security of the console over real HTTP.  Usage: security.py ADDR DBNAME.
Users admin/op/viewer/victim exist (t-console-security.sh); the console
runs with --max-upload 1 (MiB)."""
import http.client
import re
import subprocess
import sys

from client import Client

ADDR, DB = sys.argv[1], sys.argv[2]
PW = {"admin": "admin-password-1", "op": "operator-password-1",
      "viewer": "viewer-password-1", "victim": "victim-password-1"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def sql(q):
    return subprocess.run(["psql", "-qAtX", "-d", DB, "-c", q], check=True,
                          capture_output=True, text=True).stdout.strip()


def expect(cond, msg):
    if not cond:
        fail(msg)


def logged(user, lang="en"):
    c = Client(ADDR, lang)
    r = c.login(user, PW[user])
    expect(r.status == 303 and "griot_session" in c.cookies, "login %s: %d %s" % (user, r.status, r.text[:300]))
    return c


# ---- interface contract ----
anon = Client(ADDR, "fr")
r = anon.get("/login")
expect(r.status == 200, "GET /login")
expect('<html lang="fr">' in r.text, "French login page for Accept-Language: fr")
expect('name="username"' in r.text and 'name="password"' in r.text, "login inputs")
expect('<html lang="en">' in Client(ADDR, "en").get("/login").text, "English page for en")
expect('<html lang="en">' in Client(ADDR, "en-GB,en;q=0.9,fr;q=0.5").get("/login").text, "q-values")
r = anon.get("/campaigns")
expect(r.status == 303 and r.header("Location") == ["/login"], "anonymous /campaigns goes to /login")
ok("contract: /login form, languages, anonymous redirected")

# ---- cookies and headers ----
c = Client(ADDR, "en")
r = c.get("/login")
pre = [h for h in r.header("Set-Cookie") if h.startswith("griot_pre=")]
expect(pre, "a pre-login cookie for the login form's CSRF token")
r = c.post("/login", {"csrf": Client.csrf_of(r), "username": "op", "password": PW["op"]})
sess = [h for h in r.header("Set-Cookie") if h.startswith("griot_session=")]
expect(len(sess) == 1, "session cookie set at login")
for attrs in (sess[0], pre[0]):
    for a in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        expect(a in attrs, "cookie attribute %s missing in %s" % (a, attrs.split("=")[0]))
sid = c.cookies["griot_session"]
expect(re.fullmatch(r"[0-9a-f]{64}", sid), "session id is 256 random bits in hex")
expect(sql("SELECT count(*) FROM console_sessions WHERE id_hash = '%s'" % sid) == "0",
       "the session id is stored in clear")
expect(sql("SELECT count(*) FROM console_sessions WHERE expires_at > now()") != "0", "session stored")
ok("cookies HttpOnly, Secure, SameSite=Strict; session stored hashed")

for path in ("/login", "/campaigns", "/campaigns/new", "/settings", "/balance", "/assets/console.css"):
    r = (anon if path == "/login" else c).get(path)
    csp = r.header("Content-Security-Policy")
    expect(csp, "no CSP on " + path)
    expect("script-src 'self'" in csp[0] and "unsafe-inline" not in csp[0]
           and "default-src 'none'" in csp[0] and "frame-ancestors 'none'" in csp[0],
           "weak CSP on %s: %s" % (path, csp[0]))
    expect(r.header("X-Content-Type-Options") == ["nosniff"], "nosniff on " + path)
    if path.startswith("/assets"):
        continue
    expect(not re.search(r"<script(?![^>]*\bsrc=)", r.text), "inline script on " + path)
    expect(not re.search(r"<style|\sstyle=|\son[a-z]+=", r.text), "inline style/handler on " + path)
ok("strict CSP on every page, no inline script, style or handler")

# ---- CSRF: every form refused without a valid token ----
admin = logged("admin")
tok = admin.csrf()
r = admin.post("/campaigns/new", {"csrf": tok, "name": "csrf-target", "sender": "tel:+2230000",
                                  "message": "Bonjour {{Prénom}}", "tz": "Africa/Bamako"})
expect(r.status == 303, "admin creates a campaign: %d %s" % (r.status, r.text[-300:]))
cid = r.header("Location")[0].rsplit("/", 1)[1]
csv = "Prénom;Téléphone\nAwa;76000001\nMoussa;76000002\n".encode()
r = admin.post_file("/campaigns/%s/upload" % cid, {"csrf": tok, "country": "MLI"}, "r.csv", csv)
expect(r.status == 303, "admin uploads: %d %s" % (r.status, r.text[-400:]))

# Every form action found in the admin's pages, plus the confirmation pages.
actions = set()
for path in ("/campaigns", "/campaigns/new", "/campaigns/%s" % cid, "/settings", "/users",
             "/suppressions", "/campaigns/%s/pause" % cid, "/campaigns/%s/cancel" % cid):
    page = admin.get(path).text
    for m in re.finditer(r'<form method="post" action="([^"]+)"', page):
        actions.add(m.group(1))
actions |= {"/campaigns/%s/%s" % (cid, a) for a in ("schedule", "pause", "resume", "cancel",
                                                  "resend-unknown", "upload")}
actions |= {"/login", "/logout", "/users", "/settings", "/suppressions", "/campaigns/new"}
before = sql("SELECT (SELECT count(*) FROM campaigns) || '/' || (SELECT count(*) FROM console_users)"
             " || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM suppressions)"
             " || '/' || (SELECT status FROM campaigns WHERE id = %s)" % cid)
fields = {"name": "x-csrf", "sender": "tel:+2230000", "message": "m", "tz": "UTC",
          "action": "add", "role": "admin", "password": "password-password", "number": "+22376000009",
          "confirm": "yes", "lang": "en", "username": "admin"}
for action in sorted(actions):
    for bad in (None, "0" * 64, Client.csrf_of(anon.get("/login"))):
        f = dict(fields)
        if bad:
            f["csrf"] = bad
        if action.endswith("/upload"):
            r = admin.post_file(action, f, "r2.csv", "Téléphone\n76000003\n".encode())
            expect(r.status in (403, 422), "upload without CSRF: %d" % r.status)
        else:
            r = admin.post(action, f)
            expect(r.status == 403, "%s with csrf=%s answered %d" % (action, bad, r.status))
after = sql("SELECT (SELECT count(*) FROM campaigns) || '/' || (SELECT count(*) FROM console_users)"
            " || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM suppressions)"
            " || '/' || (SELECT status FROM campaigns WHERE id = %s)" % cid)
expect(before == after, "a form without a valid token changed something: %s -> %s" % (before, after))
expect(admin.get("/campaigns").status == 200, "the admin is still signed in (logout needs the token)")
ok("%d form actions refused without a valid CSRF token, nothing changed" % len(actions))

# ---- viewer: every operator action refused ----
viewer = logged("viewer")
vt = viewer.csrf()
page = viewer.get("/campaigns/%s" % cid).text
expect("/upload" not in page and "/schedule" not in page and "a-cancel" not in page,
       "operator controls shown to a viewer")
expect("+22376000001" not in page and "Moussa" not in page and 'id="rejects"' not in page,
       "a viewer sees personal data (numbers, names, rejected rows)")
expect('id="n-imported"' in page, "a viewer sees the counts")
for path in ("/campaigns/new", "/campaigns/%s/pause" % cid, "/campaigns/%s/cancel" % cid,
             "/campaigns/%s/recipients.csv" % cid, "/campaigns/%s/rejects.csv" % cid,
             "/users", "/audit", "/suppressions"):
    expect(viewer.get(path).status == 403, "viewer GET %s not refused" % path)
for action in sorted(a for a in actions if a not in ("/login", "/logout", "/settings")):
    if action.endswith("/upload"):
        r = viewer.post_file(action, {"csrf": vt}, "r3.csv", "Téléphone\n76000004\n".encode())
    else:
        r = viewer.post(action, dict(fields, csrf=vt))
    expect(r.status == 403, "viewer POST %s answered %d" % (action, r.status))
expect(after == sql("SELECT (SELECT count(*) FROM campaigns) || '/' || (SELECT count(*) FROM console_users)"
                    " || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM suppressions)"
                    " || '/' || (SELECT status FROM campaigns WHERE id = %s)" % cid),
       "a viewer changed something")
op = logged("op")
expect(op.get("/users").status == 403 and op.get("/audit").status == 403, "operator sees admin pages")
r = op.post("/campaigns/%s/schedule" % cid, {"csrf": op.csrf(), "allow_partial": "1"})
expect(r.status == 403, "an operator allowed a partial send: %d" % r.status)
ok("viewer refused every operator action; operator refused admin ones")

# ---- a disabled user's session ends ----
victim = logged("victim")
expect(victim.get("/campaigns").status == 200, "victim signed in")
r = admin.post("/users", {"csrf": admin.csrf("/users"), "action": "disable", "name": "victim"})
expect(r.status == 200, "admin disables victim: %d" % r.status)
r = victim.get("/campaigns")
expect(r.status == 303 and r.header("Location") == ["/login"], "disabled user still signed in")
expect(victim.login("victim", PW["victim"]).status == 403, "a disabled user signed in again")
expect(sql("SELECT count(*) FROM console_sessions s JOIN console_users u ON u.id = s.user_id"
           " WHERE u.name = 'victim'") == "0", "sessions of a disabled user kept")
audit = admin.get("/audit").text
expect("user-disable" in audit and "victim" in audit and "127.0.0.1" in audit, "audit log")
ok("a disabled user's session ends at once; the audit log says who, what, from where")

# ---- throttled logins ----
t = Client(ADDR, "en")
for i in range(5):
    r = t.login("op", "wrong-password-%d" % i)
    expect(r.status == 403, "wrong password %d: %d" % (i, r.status))
r = t.login("op", PW["op"])
expect(r.status == 429 and "griot_session" not in t.cookies, "6th attempt (right password) not throttled: %d" % r.status)
expect("Too many failed sign-ins" in r.text, "throttling message")
ok("5 failures lock the user name (right password refused with 429)")


class FromAddr(Client):
    """A client connecting from another loopback address."""
    def request(self, method, path, body=None, ctype=None, headers=None):
        orig = http.client.HTTPConnection

        def conn(host, port, timeout=60):
            return orig(host, port, timeout=timeout, source_address=("127.0.0.7", 0))
        http.client.HTTPConnection = conn
        try:
            return Client.request(self, method, path, body, ctype, headers)
        finally:
            http.client.HTTPConnection = orig


t = FromAddr(ADDR, "en")
for i in range(20):
    r = t.login("nobody%d" % i, "wrong-password")
    expect(r.status == 403, "failure %d from 127.0.0.7: %d" % (i, r.status))
r = t.login("admin", PW["admin"])
expect(r.status == 429, "20 failures from one address do not throttle it: %d" % r.status)
expect(logged("admin").get("/campaigns").status == 200, "another address is not throttled")
ok("20 failures lock the address, not the others")

# ---- uploads: too large, not CSV: clear message, nothing imported ----
r = op.post("/campaigns/new", {"csrf": op.csrf(), "name": "uploads", "sender": "tel:+2230000",
                               "message": "Bonjour", "tz": "UTC"})
uid = r.header("Location")[0].rsplit("/", 1)[1]
ot = op.csrf()
big = b"T\xc3\xa9l\xc3\xa9phone\n" + b"".join(b"%d\n" % (76000000 + i) for i in range(200000))
r = op.post_file("/campaigns/%s/upload" % uid, {"csrf": ot}, "big.csv", big)
expect(r.status == 413 and "too large" in r.text and "1 MiB" in r.text, "large file: %d %s" % (r.status, r.text[-300:]))


def chunks():
    yield ("--BB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n" % ot).encode()
    yield b"--BB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    for i in range(0, len(big), 65536):
        yield big[i:i + 65536]
    yield b"\r\n--BB--\r\n"


conn = http.client.HTTPConnection(op.host, op.port, timeout=60)
conn.request("POST", "/campaigns/%s/upload" % uid, body=chunks(), encode_chunked=True,
             headers={"Content-Type": "multipart/form-data; boundary=BB", "Accept-Language": "en",
                      "Cookie": "griot_session=" + op.cookies["griot_session"],
                      "Transfer-Encoding": "chunked"})
resp = conn.getresponse()
text = resp.read().decode()
expect(resp.status == 422 and "too large" in text, "streamed large file: %d %s" % (resp.status, text[-300:]))
for name, data in (("list.csv", b"PK\x03\x04" + b"\x00" * 200),
                   ("list.xlsx", b"Nom;T\xc3\xa9l\xc3\xa9phone\nAwa;76000001\n"),
                   ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200),
                   ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200),
                   ("scan.pdf", b"%PDF-1.4\n..."),
                   ("photo.png", b"\x89PNG\r\n\x1a\n"),
                   ("nul.csv", b"T\xc3\xa9l\xc3\xa9phone\n7600\x000001\n")):
    r = op.post_file("/campaigns/%s/upload" % uid, {"csrf": ot}, name, data, "application/octet-stream")
    expect(r.status == 422 and "neither a CSV file nor an Excel workbook" in r.text,
           "%s: %d %s" % (name, r.status, r.text[-300:]))
# a damaged workbook reaches the importer, which refuses it: nothing imported
book = open(sys.argv[3], "rb").read()
r = op.post_file("/campaigns/%s/upload" % uid, {"csrf": ot}, "cut.xlsx", book[:300])
expect(r.status == 422 and "was not imported" in r.text, "cut workbook: %d %s" % (r.status, r.text[-300:]))
expect(sql("SELECT count(*) FROM messages WHERE campaign_id = %s" % uid) == "0", "rows half-imported")
expect(sql("SELECT count(*) FROM imports WHERE campaign_id = %s" % uid) == "0", "an import was recorded")
ok("too-large (declared and streamed), non-CSV and damaged workbook uploads refused, nothing imported")

# an Excel workbook is imported like the CSV that says the same thing
r = admin.post("/campaigns/new", {"csrf": admin.csrf(), "name": "book", "sender": "tel:+2230000",
                                  "message": "Bonjour {{Nom}}", "tz": "UTC"})
bid = r.header("Location")[0].rsplit("/", 1)[1]
r = admin.post_file("/campaigns/%s/upload" % bid, {"csrf": admin.csrf(), "country": "MLI"},
                    "clients.xlsx", book)
expect(r.status == 303, "workbook upload: %d %s" % (r.status, r.text[-300:]))
page = admin.get("/campaigns/%s" % bid).text
got = [re.sub(r"\D", "", re.search(r'id="n-%s">([^<]*)<' % k, page).group(1))
       for k in ("read", "imported", "duplicates", "rejected")]
expect(got[1:] == ["5", "1", "3"], "workbook counts: %r" % got)
expect(sql("SELECT string_agg(msisdn, ' ' ORDER BY line_no) FROM messages WHERE campaign_id = %s" % bid)
       == "+22370123456 +22370123457 +22370123458 +22370123459 +22370123460", "workbook rows")
expect(re.search(r'<td class="num">8</td><td>[^<]*</td><td>duplicate</td>', page), "workbook rejects")
ok("an .xlsx upload is imported (first sheet, same verdicts and rejects)")

# the same file within the limit is imported
small = b"T\xc3\xa9l\xc3\xa9phone\n" + b"".join(b"%d\n" % (76000000 + i) for i in range(1000))
r = op.post_file("/campaigns/%s/upload" % uid, {"csrf": ot}, "small.csv", small)
expect(r.status == 303, "small file: %d %s" % (r.status, r.text[-300:]))
expect(sql("SELECT count(*) FROM messages WHERE campaign_id = %s" % uid) == "1000", "small file rows")
ok("a file within the limit is imported")

# ---- unknown messages: listed for admins only, resent by an admin ----
sql("UPDATE campaigns SET status = 'done' WHERE id = %s;"
    " UPDATE messages SET send_status = 'unknown', last_error = 'no answer (timeout)'"
    " WHERE id IN (SELECT id FROM messages WHERE campaign_id = %s ORDER BY id LIMIT 3)" % (uid, uid))
page = admin.get("/campaigns/%s" % uid).text
expect('id="unknown"' in page and "+22376000000" in page and "no answer (timeout)" in page,
       "unknown list for the admin")
page = op.get("/campaigns/%s" % uid).text
expect('id="unknown"' not in page and "resend-unknown" not in page, "unknown list shown to an operator")
r = op.post("/campaigns/%s/resend-unknown" % uid, {"csrf": op.csrf()})
expect(r.status == 403, "an operator resent unknown messages: %d" % r.status)
r = admin.post("/campaigns/%s/resend-unknown" % uid, {"csrf": admin.csrf()})
expect(r.status == 303, "admin resend: %d" % r.status)
expect(sql("SELECT count(*) FILTER (WHERE send_status = 'unknown') || '/' ||"
           " count(*) FILTER (WHERE last_error LIKE 'resent on request%%') || '/' ||"
           " (SELECT status FROM campaigns WHERE id = %s) FROM messages WHERE campaign_id = %s"
           % (uid, uid)) == "0/3/running", "resend did not put them back to pending")
expect("campaign-resend-unknown" in admin.get("/audit").text, "resend not audited")
ok("unknown messages listed for admins only; an admin's resend puts them back (audited)")

# ---- scheduling: refused with the reason, unless an admin allows a partial send ----
r = op.post("/campaigns/%s/schedule" % cid, {"csrf": op.csrf()})
expect(r.status == 409 and "credit not checked" in r.text, "schedule without Orange: %d %s"
       % (r.status, r.text[-300:]))
expect(sql("SELECT status FROM campaigns WHERE id = %s" % cid) == "draft", "scheduled anyway")
r = admin.post("/campaigns/%s/schedule" % cid, {"csrf": admin.csrf(), "allow_partial": "1"})
expect(r.status == 303, "admin partial schedule: %d %s" % (r.status, r.text[-300:]))
expect(sql("SELECT status FROM campaigns WHERE id = %s" % cid) == "scheduled", "not scheduled")
ok("schedule refused with its reason; an admin may allow a partial send")

# ---- the user's language overrides the browser's ----
en = logged("admin", "en")
expect('<html lang="en">' in en.get("/campaigns").text, "English for Accept-Language: en")
r = en.post("/settings", {"csrf": en.csrf("/settings"), "lang": "fr"})
expect(r.status == 303, "settings: %d" % r.status)
expect('<html lang="fr">' in en.get("/campaigns").text, "the user's French does not override en")
en.post("/settings", {"csrf": en.csrf("/settings"), "lang": ""})
expect('<html lang="en">' in en.get("/campaigns").text, "back to the browser's language")
ok("a user's language choice overrides the browser's")

# ---- the suppression list: a file of numbers uploaded by an admin ----
before = sql("SELECT count(*) FROM suppressions")
r = admin.post_file("/suppressions/upload", {"csrf": admin.csrf("/suppressions"), "country": "MLI"},
                    "stop.csv", "Téléphone\n+223 76 99 00 01\n76990002\nnot a number\n".encode())
expect(r.status == 303 and "added=2" in r.header("Location")[0], "suppression upload: %d %r %s"
       % (r.status, r.header("Location"), r.text[-300:]))
page = admin.get(r.header("Location")[0]).text
expect('id="s-added">2<' in page and "+22376990001" in page and "+22376990002" in page, "suppressed numbers")
expect(int(sql("SELECT count(*) FROM suppressions")) == int(before) + 2, "two numbers added")
r = op.post_file("/suppressions/upload", {"csrf": op.csrf()}, "stop.csv", b"T\nx\n")
expect(r.status == 403, "an operator uploaded to the suppression list: %d" % r.status)
big = b"T\xc3\xa9l\xc3\xa9phone\n" + b"".join(b"%d\n" % (76000000 + i) for i in range(200000))
r = admin.post_file("/suppressions/upload", {"csrf": admin.csrf("/suppressions")}, "big.csv", big)
expect(r.status == 413 and "too large" in r.text, "large suppression file: %d" % r.status)
expect(int(sql("SELECT count(*) FROM suppressions")) == int(before) + 2, "a large file half-added")
expect("suppress-upload" in admin.get("/audit").text, "suppression upload not audited")
ok("suppression list upload: admins only, counts shown, too large refused with nothing added")

# ---- pause (with a reason), resume, cancel: each asks first ----
r = op.get("/campaigns/%s/pause" % cid)
expect(r.status == 200 and 'id="confirm"' in r.text, "pause confirmation page")
expect(sql("SELECT status FROM campaigns WHERE id = %s" % cid) == "scheduled", "a GET changed the status")
r = op.post("/campaigns/%s/pause" % cid, {"csrf": op.csrf(), "reason": "client asked"})
expect(r.status == 400, "pause without confirmation: %d" % r.status)
r = op.post("/campaigns/%s/pause" % cid, {"csrf": op.csrf(), "reason": "client asked", "confirm": "yes"})
expect(r.status == 303 and sql("SELECT status || '/' || paused_reason FROM campaigns WHERE id = %s" % cid)
       == "paused/client asked", "pause: %d" % r.status)
expect("client asked" in op.get("/campaigns/%s" % cid).text, "pause reason not shown")
r = op.post("/campaigns/%s/resume" % cid, {"csrf": op.csrf(), "confirm": "yes"})
expect(r.status == 303 and sql("SELECT status FROM campaigns WHERE id = %s" % cid) == "scheduled",
       "resume: %d %s" % (r.status, sql("SELECT status FROM campaigns WHERE id = %s" % cid)))
r = op.post("/campaigns/%s/cancel" % cid, {"csrf": op.csrf(), "confirm": "yes"})
expect(r.status == 303 and sql("SELECT status FROM campaigns WHERE id = %s" % cid) == "cancelled", "cancel")
r = op.post("/campaigns/%s/resume" % cid, {"csrf": op.csrf(), "confirm": "yes"})
expect(r.status == 409 and "cancelled" in r.text, "resume of a cancelled campaign: %d" % r.status)
audit = admin.get("/audit").text
expect(all(a in audit for a in ("campaign-pause", "campaign-resume", "campaign-cancel")), "lifecycle audit")
ok("pause (reason shown), resume and cancel after confirmation; refusals say why; audited")

# ---- reports: opened in the console, downloaded; per-recipient CSV for operators ----
r = op.get("/campaigns/%s/report" % uid)
expect(r.status == 200 and "<svg" in r.text and "uploads" in r.text, "report page: %d" % r.status)
csp = r.header("Content-Security-Policy")[0]
expect("script-src" not in csp and "default-src 'none'" in csp, "report CSP: " + csp)
for what, ctype in (("report.html", "text/html"), ("report.csv", "text/csv"), ("recipients.csv", "text/csv")):
    r = op.get("/campaigns/%s/%s" % (uid, what))
    expect(r.status == 200 and r.header("Content-Type")[0].startswith(ctype)
           and "attachment" in r.header("Content-Disposition")[0], "%s: %d" % (what, r.status))
r = op.get("/campaigns/%s/recipients.csv" % uid)
expect(r.text.count("\n") >= 1000 and "+22376000999" in r.text, "per-recipient CSV rows")
expect(viewer.get("/campaigns/%s/report.csv" % uid).status == 200, "viewer reads the report")
expect(viewer.get("/campaigns/%s/recipients.csv" % uid).status == 403, "viewer per-recipient CSV")
r = op.get("/campaigns/%s/report" % uid)
expect('<html lang="en">' in r.text and "Delivery and cost report" in r.text, "English report")
r = logged("viewer", "fr").get("/campaigns/%s/report" % uid)
expect('<html lang="fr">' in r.text and "Rapport de remise et de coût" in r.text
       and "Taux de remise" in r.text, "the report in a French session is not French")
ok("report opened (in the session's language) and downloaded (HTML, CSV); per-recipient CSV for operators only")

# ---- optional second factor (TOTP) ----
import base64
import hashlib
import hmac
import struct
import time


def totp(secret, t):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    h = hmac.new(key, struct.pack(">Q", int(t // 30)), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000)


viewer = logged("viewer")
expect("Off." in viewer.get("/settings").text, "TOTP off at first")
r = viewer.post("/settings", {"csrf": viewer.csrf("/settings"), "action": "totp-begin"})
m = re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text)
expect(r.status == 200 and m, "TOTP secret page: %d" % r.status)
secret = m.group(1)
now = time.time()
valid = {totp(secret, now + k * 30) for k in (-1, 0, 1)}
wrong = next(c for c in ("000000", "111111", "222222") if c not in valid)
r = viewer.post("/settings", {"csrf": viewer.csrf("/settings"), "action": "totp-confirm", "code": wrong})
expect(r.status == 400, "a wrong first code turned TOTP on: %d" % r.status)
r = viewer.post("/settings", {"csrf": viewer.csrf("/settings"), "action": "totp-confirm",
                              "code": totp(secret, time.time())})
expect(r.status == 303 and "On:" in viewer.get("/settings").text, "TOTP on: %d" % r.status)
t = Client(ADDR, "en")
expect(t.login("viewer", PW["viewer"]).status == 403, "signed in without the code")
tok = Client.csrf_of(t.get("/login"))
r = t.post("/login", {"csrf": tok, "username": "viewer", "password": PW["viewer"], "code": wrong})
expect(r.status == 403, "signed in with a wrong code")
code = totp(secret, time.time() + 30)
tok = Client.csrf_of(t.get("/login"))
r = t.post("/login", {"csrf": tok, "username": "viewer", "password": PW["viewer"], "code": code})
expect(r.status == 303 and "griot_session" in t.cookies, "sign-in with password and code: %d" % r.status)
t2 = Client(ADDR, "en")
tok = Client.csrf_of(t2.get("/login"))
r = t2.post("/login", {"csrf": tok, "username": "viewer", "password": PW["viewer"], "code": code})
expect(r.status == 403, "a code was accepted twice")
expect(secret not in open(sys.argv[4]).read(), "the TOTP secret is in the console's log")
expect("totp-on" in admin.get("/audit").text and secret not in admin.get("/audit").text, "TOTP audit")
r = t.post("/settings", {"csrf": t.csrf("/settings"), "action": "totp-off"})
expect(r.status == 303 and logged("viewer").get("/campaigns").status == 200, "TOTP off again")
ok("TOTP: enrolment confirmed by a code; sign-in needs password and a fresh code; no replay")
