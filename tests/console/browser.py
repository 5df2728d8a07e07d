"""The console in a real browser (headless Chromium driven by Selenium).
Usage: browser.py ADDR LANG DB SHOTS SAMPLE

An admin creates an operator; the operator logs in, creates a campaign,
uploads the French-Excel sample, sees the exact counts and rejects, the
units and the balance, schedules it; `griot send` (started here) sends it
through orange-sim; the page shows progress, then the final figures; the
report opens.  Screenshots go to SHOTS."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ADDR, LANG, DB, SHOTS, SAMPLE = sys.argv[1:6]
BASE = "http://" + ADDR.replace("127.0.0.1", "localhost")
FR = LANG == "fr"
NAME = "novembre-fr" if FR else "november-en"
OPERATOR = "awa" if FR else "john"
PW = "operator-pass-" + LANG


def orange_balance():
    """Units per country as `griot orange balance` sees them now."""
    out = subprocess.run([os.environ["GRIOT_BIN"], "orange", "balance", "--json"], check=True,
                         capture_output=True, text=True).stdout
    units = {}
    for c in json.loads(out)["contracts"]:
        if not c.get("expired"):
            units[c["country"]] = units.get(c["country"], 0) + c["available_units"]
    return units


def fail(msg):
    print("FAIL: " + msg)
    try:
        shot("failure")
        print(d.page_source[-3000:])
    finally:
        d.quit()
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def sql(q):
    return subprocess.run(["psql", "-qAtX", "-d", DB, "-c", q], check=True,
                          capture_output=True, text=True).stdout.strip()


def shot(name):
    h = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(1280, min(max(900, h), 6000))
    d.save_screenshot(os.path.join(SHOTS, "%s-%s.png" % (LANG, name)))


def wait_for(what, cond, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = cond()
        except Exception:
            v = None
        if v:
            return v
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def digits(el_id):
    return int(re.sub(r"\D", "", d.find_element(By.ID, el_id).text) or -1)


def submit(form_button_css):
    d.find_element(By.CSS_SELECTOR, form_button_css).click()


def login(user, password):
    d.get(BASE + "/login")
    if 'lang="%s"' % LANG not in d.page_source:
        fail("login page not in " + LANG)
    d.find_element(By.NAME, "username").send_keys(user)
    d.find_element(By.NAME, "password").send_keys(password)
    submit("main button[type=submit]")
    wait_for("the campaigns page", lambda: d.current_url.endswith("/campaigns"))


opts = webdriver.ChromeOptions()
for f in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run",
          "--window-size=1280,900", "--lang=" + LANG):
    opts.add_argument(f)
PROFILE = tempfile.mkdtemp(prefix="chrome-")
opts.add_argument("--user-data-dir=" + PROFILE)
opts.add_experimental_option("prefs", {"intl.accept_languages": LANG})
opts.binary_location = "/usr/bin/chromium"
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(120)

# ---- an admin creates an operator ----
login("admin", "admin-password-1")
d.get(BASE + "/users")
d.find_element(By.ID, "f-name").send_keys(OPERATOR)
Select(d.find_element(By.ID, "f-role")).select_by_value("operator")
d.find_element(By.ID, "f-password").send_keys(PW)
submit("#add-user")
wait_for("the new user in the list", lambda: OPERATOR in d.find_element(By.ID, "users").text)
shot("01-users")
submit("form[action='/logout'] button")
wait_for("the login page", lambda: "/login" in d.current_url)
ok("admin created operator " + OPERATOR)

# ---- the operator creates a campaign ----
login(OPERATOR, PW)
d.get(BASE + "/campaigns/new")
d.find_element(By.ID, "f-name").send_keys(NAME)
d.find_element(By.ID, "f-message").send_keys(
    "Bonjour {{Prénom}}, votre bon de {{Montant}} FCFA vous attend à {{Ville}}. Orange Money: *144#")
counter = d.find_element(By.ID, "counter").text
if not re.search(r"\d+ .*GSM-7.*1 ", counter):
    fail("live character counter: %r" % counter)
d.find_element(By.ID, "f-window").send_keys("00:00-23:59")
tz = d.find_element(By.ID, "f-tz")
tz.clear()
tz.send_keys("Africa/Bamako")
shot("02-new-campaign")
submit("main form button[type=submit]")
wait_for("the campaign page", lambda: re.search(r"/campaigns/\d+$", d.current_url))
cid = d.current_url.rsplit("/", 1)[1]
ok("campaign %s created (live counter: %s)" % (NAME, counter))

# ---- upload the French-Excel sample; the check page ----
d.find_element(By.ID, "f-file").send_keys(os.path.abspath(SAMPLE))
submit("#upload")
wait_for("the check page", lambda: d.find_elements(By.ID, "n-read"))
want = {"n-read": 298, "n-imported": 290, "n-duplicates": 2, "n-suppressed": 0, "n-rejected": 6}
got = {k: digits(k) for k in want}
if got != want:
    fail("counts: %r, want %r" % (got, want))
rej = d.find_element(By.ID, "rejects").text
for line, reason in ((22, "not_mobile"), (59, "wrong_length"), (96, "invalid_number"),
                     (133, "excel_mangled"), (170, "missing_phone"), (207, "unknown_country"),
                     (244, "duplicate"), (281, "duplicate")):
    if not re.search(r"(^|\n)%d .*%s" % (line, reason), rej):
        fail("reject line %d (%s) not shown:\n%s" % (line, reason, rej))
samples = d.find_elements(By.CSS_SELECTOR, "ol.samples blockquote")
if len(samples) != 3 or not all(s.text.startswith("Bonjour ") and "{{" not in s.text for s in samples):
    fail("three rendered samples: %r" % [s.text for s in samples])
# 281 messages in GSM-7 (1 unit each), 9 in UCS-2 that need 2 units (names
# outside GSM-7 make the text longer than 70 UTF-16 units)
UNITS = 299
if digits("units") != UNITS:
    fail("units: %s" % d.find_element(By.ID, "units").text)
balance = orange_balance()
rows = d.find_elements(By.CSS_SELECTOR, "#countries tbody tr")
seen = {}
for r in rows:
    cells = [c.text for c in r.find_elements(By.TAG_NAME, "td")]
    seen[cells[0]] = cells
want_msgs = {k: int(v) for k, v in (x.split("=") for x in sql(
    "SELECT string_agg(country || '=' || count, ',') FROM (SELECT country, count(*) FROM messages"
    " WHERE campaign_id = %s GROUP BY 1) x" % cid).split(","))}
for country, n in want_msgs.items():
    cells = seen.get(country)
    if not cells or int(re.sub(r"\D", "", cells[1])) != n or int(re.sub(r"\D", "", cells[2])) < n:
        fail("messages and units of %s: %r, want %d messages" % (country, cells, n))
    if country in balance and int(re.sub(r"\D", "", cells[3]) or -1) != balance[country]:
        fail("balance of %s: %r, want %r" % (country, cells, balance[country]))
if sum(int(re.sub(r"\D", "", c[2])) for c in seen.values()) != UNITS:
    fail("units per country do not add up to %d: %r" % (UNITS, seen))
if not d.find_elements(By.ID, "finish"):
    fail("no finish estimate")
if d.find_elements(By.ID, "refusal"):
    fail("refused: " + d.find_element(By.ID, "refusal").text)
shot("03-check")
ok("check page: 298 read, 290 imported, 2 duplicates, 6 rejected with lines and reasons, "
   "3 samples, 299 units per country against the balance, finish estimate")

# ---- balance and purchases, in the user's locale ----
d.get(BASE + "/balance")
rows = {}
for r in d.find_elements(By.CSS_SELECTOR, "#balance tbody tr"):
    cells = [c.text for c in r.find_elements(By.TAG_NAME, "td")]
    rows[cells[0]] = rows.get(cells[0], 0) + int(re.sub(r"\D", "", cells[2]))
if rows != balance:
    fail("balance page %r, Orange says %r" % (rows, balance))
amounts = d.find_element(By.ID, "purchases").text.replace("\xa0", " ").replace("\u202f", " ")
want = "25 000 XOF" if FR else "25,000 XOF"
if want not in amounts or "25000.00" in amounts:
    fail("purchases: %r not in %r" % (want, amounts))
shot("03b-balance")
d.get(BASE + "/campaigns/" + cid)
ok("balance per country as Orange says; purchases in the user's locale (%s)" % want)

# ---- schedule; the sender sends it ----
submit("#schedule")
wait_for("the scheduled campaign", lambda: d.find_elements(By.CSS_SELECTOR, ".badge.s-scheduled"))
# 20/s on a limiter of its own (the default one is Orange's 5/s)
sender = subprocess.Popen([os.environ["GRIOT_BIN"], "send", "--campaign", NAME, "--rate", "20",
                           "--limiter", "console-test"],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(SHOTS, "send-%s.log" % LANG), "w"))
seen_progress = []


def progressing():
    if sender.poll() not in (None, 0):
        fail("griot send exited %d" % sender.returncode)
    n = digits("c-sent")
    seen_progress.append(n)
    return 0 < n < 290 and n


wait_for("progress on the page", progressing)
shot("04-progress")
ok("the page shows progress (%d sent)" % seen_progress[-1])
if sender.wait(timeout=120) != 0:
    fail("griot send exited %d" % sender.returncode)
wait_for("the campaign done on the page", lambda: d.find_elements(By.CSS_SELECTOR, ".badge.s-done"))
wait_for("every receipt", lambda: sql(
    "SELECT count(*) FROM messages WHERE campaign_id = %s AND send_status = 'sent'"
    " AND (delivery_status IS NULL OR delivery_status = 'MessageWaiting')" % cid) == "0")
d.refresh()
final = {k: digits("c-" + k) for k in ("total", "sent", "failed", "unknown", "delivered", "pending")}
want = dict(zip(("total", "sent", "failed", "unknown", "delivered", "pending"), map(int, sql(
    "SELECT count(*), count(*) FILTER (WHERE send_status = 'sent'), count(*) FILTER (WHERE send_status = 'failed'),"
    " count(*) FILTER (WHERE send_status = 'unknown'), count(*) FILTER (WHERE delivery_status IN"
    " ('DeliveredToTerminal', 'DeliveredToNetwork')), count(*) FILTER (WHERE send_status = 'pending')"
    " FROM messages WHERE campaign_id = %s" % cid).split("|"))))
if final != want or final["sent"] != 290 or final["delivered"] == 0:
    fail("final figures %r, want %r" % (final, want))
shot("05-done")
ok("final figures on the page: %r" % final)

# ---- the report ----
d.find_element(By.ID, "report").click()
wait_for("the report", lambda: NAME in d.page_source and "<svg" in d.page_source)
shot("06-report")
ok("the report opens")
d.quit()
shutil.rmtree(PROFILE, ignore_errors=True)
