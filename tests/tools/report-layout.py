"""The HTML report's layout with hostile campaign names, in headless
Chromium driven by Selenium.  Usage: report-layout.py REPORT.html SHOTS RTL LONG RLO

Checks, at desktop and phone widths: every campaign name is isolated
(inside a <bdi>, computed unicode-bidi: isolate), so a right-to-left name
does not pull its figures to the other side and an unclosed U+202E does
not reverse them: every fragment of the count beside the name lies to the
right of the name; the 5,000-character name wraps (no horizontal scroll
of the page, its table cell narrower than the window); the screenshots
have the window's width."""
import struct
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

REPORT, SHOTS, RTL, LONG, RLO = sys.argv[1:6]
NAMES = {"rtl": RTL, "long": LONG, "rlo": RLO}


def fail(msg):
    print("FAIL: " + msg)
    d.quit()
    sys.exit(1)


opts = webdriver.ChromeOptions()
for f in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"):
    opts.add_argument(f)
opts.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="chrome-"))
opts.binary_location = "/usr/bin/chromium"
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(120)

for width, height in ((1280, 1000), (390, 900)):
    d.set_window_size(width, height)
    d.get("file://" + REPORT)
    inner = d.execute_script("return window.innerWidth")
    # Every campaign name, wherever it is shown, inside an isolate.
    for key, name in NAMES.items():
        found = d.execute_script("""
            const name = arguments[0], out = [];
            for (const b of document.querySelectorAll('bdi'))
                if (b.textContent === name) out.push(getComputedStyle(b).unicodeBidi);
            return out;""", name)
        if not found:
            fail("%s name: not in a <bdi> at %dpx" % (key, width))
        if any(v != "isolate" for v in found):
            fail("%s name: unicode-bidi %s" % (key, found))
        # Only text nodes inside a <bdi> may hold the name.
        loose = d.execute_script("""
            const name = arguments[0];
            const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            let n = 0;
            while (w.nextNode())
                if (w.currentNode.data.includes(name) && !w.currentNode.parentElement.closest('bdi')) n++;
            return n;""", name)
        if loose:
            fail("%s name: %d text nodes outside <bdi>" % (key, loose))
    # In each campaign's bar, the figures stay right of the name.
    for key in ("rtl", "rlo"):
        geo = d.execute_script("""
            const name = arguments[0];
            for (const bl of document.querySelectorAll('.bar .bl')) {
                const b = bl.querySelector('bdi');
                if (!b || b.textContent !== name) continue;
                const nr = [...b.getClientRects()], cr = [...bl.querySelector('.n').getClientRects()];
                return {name_right: Math.max(...nr.map(r => r.right)),
                        count_left: Math.min(...cr.map(r => r.left)),
                        count_text: bl.querySelector('.n').textContent,
                        lines: new Set(nr.concat(cr).map(r => Math.round(r.top))).size};
            }
            return null;""", NAMES[key])
        if not geo:
            fail("%s: no bar label" % key)
        if geo["lines"] == 1 and geo["count_left"] < geo["name_right"] - 0.5:
            fail("%s at %dpx: the count '%s' is drawn left of the name (%s)" % (key, width, geo["count_text"], geo))
    # The long name wraps: the page does not scroll sideways, its cell fits.
    sw = d.execute_script("return document.documentElement.scrollWidth")
    if sw > inner:
        fail("page is %dpx wide in a %dpx window (a long name runs off the page)" % (sw, inner))
    cell = d.execute_script("""
        const name = arguments[0];
        let w = 0;
        for (const b of document.querySelectorAll('td bdi'))
            if (b.textContent === name) w = Math.max(w, b.closest('td').getBoundingClientRect().width);
        return w;""", LONG)
    if not cell or cell > inner:
        fail("long name's cell is %dpx wide in a %dpx window" % (cell, inner))
    png = "%s/report-%d.png" % (SHOTS, width)
    d.save_screenshot(png)
    with open(png, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">I", head[16:20])[0] != width:
        fail("screenshot %s is not %dpx wide" % (png, width))
    print("ok: %dpx: names isolated, figures beside them, long name wrapped (page %dpx, cell %dpx)"
          % (width, sw, cell))
d.quit()
