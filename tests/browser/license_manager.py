#!/usr/bin/python3
"""The License Manager in a real browser: Debian's headless Chromium, driven by Selenium, against
a real licd with real clients (licclient) and real signed codes (licgen).

    tests/browser/license_manager.py BUILD_DIR [SCREENSHOT_DIR]

BUILD_DIR is a Linux build (tools/licd, licgen, licclient, licadmin). With SCREENSHOT_DIR each
page is saved there as PNG (scripts/screenshots.sh refreshes the README's). Prints one line per
check; any failed check, or an error, fails the run (exit 1).
"""
import datetime
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

build = os.path.abspath(sys.argv[1])
shots = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
tool = {name: os.path.join(build, "tools", name)
        for name in ("licd", "licgen", "licclient", "licadmin")}
work = tempfile.mkdtemp(prefix="licd-browser-")
failures = []
WAIT = 20  # seconds a page may take to show what is expected (sanitizer builds are slow)


started = time.monotonic()


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + f"[{time.monotonic() - started:5.1f} s] " + name + ("" if ok else ": " + str(detail)[:2000]),
          flush=True)
    if not ok:
        failures.append(name)
    return ok


def run(*argv, ok=True):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if ok and p.returncode != 0:
        raise RuntimeError(f"{argv} failed ({p.returncode}): {p.stdout} {p.stderr}")
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Licd:
    def __init__(self, name, *extra):
        self.data = os.path.join(work, name)
        self.port = free_port()
        self.admin_port = free_port()
        self.extra = list(extra)
        self.log_path = os.path.join(work, name + ".log")

    def start(self):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [tool["licd"], "--allow-root", "--create-data-dir", "--data-dir=" + self.data,
                 "--bind=127.0.0.1", f"--port={self.port}", f"--admin-port={self.admin_port}",
                 "--discovery-port=0", "--disconnect-cooldown=120",
                 *self.extra], stdout=log, stderr=subprocess.STDOUT)
        url_file = os.path.join(self.data, "admin.url")
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("licd exited: " + self.log())
            if os.path.exists(url_file) and os.path.getsize(url_file) > 0:
                with open(url_file) as f:
                    self.url = f.read().strip()
                return
            time.sleep(0.1)
        raise RuntimeError("licd did not start: " + self.log())

    def token(self, name="admin.token"):
        with open(os.path.join(self.data, name) if "/" not in name else name) as f:
            return f.read().strip()

    def api(self, path):
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": "Bearer " + self.token()})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    @property
    def server(self):
        return f"127.0.0.1:{self.port}"


def browser(insecure_certs=False):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--lang=en-GB"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if insecure_certs:
        o.set_capability("acceptInsecureCerts", True)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(60)
    d.set_script_timeout(60)
    return d


def wait(d, what, cond, timeout=WAIT):
    """Waits until cond(d) is true; a check named `what` records whether it became so."""
    try:
        WebDriverWait(d, timeout, poll_frequency=0.1).until(lambda drv: cond(drv))
        return check(what, True)
    except TimeoutException:
        return check(what, False, "not within %d s" % timeout)


# Read in one script each: the pages redraw their tables every second, so elements found in one
# call may be gone in the next.
def text(d, css):
    return d.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css)


def rows(d, table):
    return d.execute_script("""
        return [...document.querySelectorAll('#' + arguments[0] + ' tbody tr')]
          .map(tr => [...tr.cells].map(td => td.innerText.trim()));""", table)


def click_in_row(d, table, first_cell, label):
    """Clicks the button `label` in the row of `table` whose first cells hold `first_cell`."""
    ok = d.execute_script("""
        const [table, first, label] = arguments;
        for (const tr of document.querySelectorAll('#' + table + ' tbody tr'))
          if ([...tr.cells].some(td => td.innerText.trim() === first))
            for (const b of tr.querySelectorAll('button'))
              if (b.innerText.trim() === label) { b.click(); return true; }
        return false;""", table, first_cell, label)
    if not ok:
        raise RuntimeError(f"no {label} button in {table}'s row {first_cell}")


def shot(d, name):
    if shots:
        os.makedirs(shots, exist_ok=True)
        d.save_screenshot(os.path.join(shots, name + ".png"))


def fetch(d, method, path, body=None, csrf=True):
    """A request from the page itself (its cookie, and its CSRF token unless told not to)."""
    return d.execute_async_script("""
        const [method, path, body, csrf, done] = arguments;
        const headers = {};
        if (csrf) headers['X-CSRF-Token'] = state.csrf;
        if (body !== null) headers['Content-Type'] = 'application/json';
        fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)})
          .then(async r => done({status: r.status, body: await r.text()}))
          .catch(e => done({status: 0, body: String(e)}));
    """, method, path, body, csrf)


def go(d, page):
    d.find_element(By.CSS_SELECTOR, f'nav a[data-page="{page}"]').click()
    WebDriverWait(d, WAIT).until(
        lambda drv: drv.find_element(By.ID, "page-" + page).is_displayed())


def confirm(d):
    WebDriverWait(d, WAIT).until(lambda drv: drv.find_element(By.ID, "confirm").is_displayed())
    d.find_element(By.ID, "confirm-yes").click()


def login(d, url, token):
    d.get(url + "/")
    WebDriverWait(d, WAIT).until(lambda drv: drv.find_element(By.ID, "login").is_displayed())
    field = d.find_element(By.ID, "login-token")
    field.clear()
    field.send_keys(token)
    d.find_element(By.ID, "login-button").click()


def csp_violations(d):
    return [e["message"] for e in d.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


class AttackerSite:
    """Another site (another origin) whose page posts a form to licd, as a forged request
    would: a disconnect of `computer`."""

    def __init__(self, target):
        page = f"""<!doctype html><html><body>
<form id="f" method="POST" action="{target}"><input name="x" value="1"></form>
<script>document.getElementById('f').submit();</script></body></html>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        # "localhost" is another site than "127.0.0.1" for the browser.
        self.url = f"http://localhost:{self.server.server_address[1]}/"

    def close(self):
        self.server.shutdown()


def main():
    keys = os.path.join(work, "vendor")
    run(tool["licgen"], "keygen", "--out=" + keys)
    key, pub = os.path.join(keys, "vendor.key"), os.path.join(keys, "vendor.pub")

    def issue(product, seats, *extra):
        return run(tool["licgen"], "issue", "--key=" + key, "--product=" + product,
                   f"--seats={seats}", "--customer=Acme Design", *extra).stdout.strip()

    soon = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    cad_code = issue("cad", 3)
    render_code = issue("render", 2, "--activation=required")
    viewer_code = issue("viewer", 5, "--expires=" + soon)
    readonly_file = os.path.join(work, "readonly.token")
    licd = Licd("licd", "--vendor-key=" + pub, "--admin-readonly-token-file=" + readonly_file,
                "--server-name=drafting-srv")
    # For the README's screenshots, a product with two weeks behind it (bench/gen_history.cpp,
    # in builds with the benchmarks), so that the Usage page has something to draw.
    gen_history = os.path.join(build, "bench", "gen-history")
    history = shots is not None and os.path.exists(gen_history)
    if history:
        run(gen_history, "--data-dir=" + licd.data, "--product=modeling", "--seats=40",
            "--days=14", "--users=60", "--vendor-key=" + key)
    licd.start()
    for code in (cad_code, viewer_code):
        run(tool["licadmin"], "--data-dir=" + licd.data, "licenses", "add", code)
    client = [tool["licclient"], "--server=" + licd.server]
    holds = []
    d = browser()
    try:
        # ---- logging in
        d.get(licd.url + "/")
        wait(d, "GET / serves the License Manager's login form",
             lambda drv: drv.find_element(By.ID, "login").is_displayed())
        shot(d, "login")
        login(d, licd.url, "not-the-token")
        wait(d, "a wrong token is refused with a message",
             lambda drv: "Wrong token" in text(drv, "#login-error"))
        check("and the app stays hidden", not d.find_element(By.ID, "app").is_displayed())
        login(d, licd.url, licd.token())
        wait(d, "the admin token logs in", lambda drv: drv.find_element(By.ID, "app").is_displayed())
        check("as admin", text(d, "#role") == "admin", text(d, "#role"))
        cookies = {c["name"]: c for c in d.get_cookies()}
        c = cookies.get("licd_session", {})
        check("the session is an HttpOnly, SameSite=Strict cookie",
              c.get("httpOnly") is True and c.get("sameSite") == "Strict", c)
        check("which the page's script cannot read",
              "licd_session" not in d.execute_script("return document.cookie"))
        check("the token is not in the URL", licd.token() not in d.current_url, d.current_url)

        # ---- Overview
        wait(d, "Overview shows the server's name, version and data dir",
             lambda drv: "drafting-srv" in text(drv, "#ov-info")
             and licd.data in text(drv, "#ov-info")
             and re.search(r"Version\s+\d+\.\d+", text(drv, "#ov-info")))
        wait(d, "Overview has a seat bar per product",
             lambda drv: "0 of 3 seats in use" in text(drv, '[data-product="cad"]')
             and "0 of 5 seats in use" in text(drv, '[data-product="viewer"]'))
        wait(d, "Overview warns of a license expiring within 30 days",
             lambda drv: f"expires on {soon}" in text(drv, "#ov-alerts"))
        run(*client, "--computer=ws-live", "--user=dora", "checkout", "cad")
        wait(d, "a checkout shows on the Overview without a reload",
             lambda drv: "1 of 3 seats in use" in text(drv, '[data-product="cad"]'))
        wait(d, "and the connected computers count it",
             lambda drv: "Users\n1" in text(drv, "#ov-info") or "Users 1" in text(drv, "#ov-info"))
        shot(d, "overview")

        # ---- Licenses
        go(d, "licenses")
        wait(d, "Licenses lists every license with its seats, state, expiry and customer",
             lambda drv: any(r[1] == "cad" and "Licensed for 3 users" in r[2] and r[3] == "active"
                             and r[5] == "Acme Design" for r in rows(drv, "lic-table"))
             and any(r[1] == "viewer" and r[4] == soon for r in rows(drv, "lic-table")))

        def add(code):
            box = d.find_element(By.ID, "lic-code")
            box.clear()
            box.send_keys(code)
            before = text(d, "#lic-result")
            d.execute_script("document.getElementById('lic-result').textContent = ''")
            d.find_element(By.ID, "lic-add").click()
            WebDriverWait(d, WAIT).until(lambda drv: text(drv, "#lic-result") not in ("", before)
                                         or text(drv, "#lic-result"))
            return text(d, "#lic-result")

        said = add("Here is your code: " + render_code)
        check("a code with text before it is refused with licd's reason",
              said.startswith("Not added") and "text before" in said.lower(), said)
        tampered = render_code[:-8] + ("A" if render_code[-8] != "A" else "B") + render_code[-7:]
        said = add(tampered)
        check("a tampered code is refused with licd's reason",
              said.startswith("Not added") and re.search("signature|checksum|damaged", said, re.I),
              said)
        said = add(render_code)
        check("a good code is added", said.startswith("Added license") and "render" in said, said)
        wait(d, "and listed as not activated",
             lambda drv: any(r[1] == "render" and r[3] == "not activated"
                             for r in rows(drv, "lic-table")))

        # Activation round trip with the vendor's licgen.
        click_in_row(d, "lic-table", "render", "Activate")
        wait(d, "Activate shows the activation request to copy",
             lambda drv: drv.find_element(By.ID, "act-request").get_attribute("value")
             .startswith("LICD-"))
        request = d.find_element(By.ID, "act-request").get_attribute("value")
        response = run(tool["licgen"], "activate", "--key=" + key, request).stdout.strip()
        d.find_element(By.ID, "act-response").send_keys(response)
        shot(d, "licenses")
        d.find_element(By.ID, "act-apply").click()
        wait(d, "pasting the vendor's response activates it",
             lambda drv: "is active" in text(drv, "#act-result")
             and any(r[1] == "render" and r[3] == "active" for r in rows(drv, "lic-table")))
        d.find_element(By.ID, "act-close").click()
        click_in_row(d, "lic-table", "render", "Deactivate")
        confirm(d)
        wait(d, "Deactivate (confirmed) shows the release receipt",
             lambda drv: drv.find_element(By.ID, "receipt").get_attribute("value")
             .startswith("LICD-"))
        receipt = d.find_element(By.ID, "receipt").get_attribute("value")
        verified = run(tool["licgen"], "verify-release", "--pub=" + pub, receipt, ok=False)
        check("which the vendor's licgen verifies", verified.returncode == 0,
              verified.stdout + verified.stderr)
        d.find_element(By.ID, "receipt-close").click()
        click_in_row(d, "lic-table", "render", "Remove")
        if wait(d, "Remove asks first",
                lambda drv: drv.find_element(By.ID, "confirm").is_displayed()):
            d.find_element(By.ID, "confirm-no").click()
        time.sleep(1.5)
        check("and Cancel keeps the license",
              any(r[1] == "render" for r in rows(d, "lic-table")))
        click_in_row(d, "lic-table", "render", "Remove")
        confirm(d)
        wait(d, "Remove (confirmed) removes it",
             lambda drv: not any(r[1] == "render" for r in rows(drv, "lic-table")))
        check("licd agrees", all(l["product"] != "render"
                                 for l in licd.api("/api/v1/licenses")["licenses"]))

        # ---- Computers, and Disconnect
        go(d, "computers")
        wait(d, "Computers lists the computer that checked out, with its user and product",
             lambda drv: any(r[0] == "ws-live" and r[1] == "dora" and r[3] == "cad"
                             for r in rows(drv, "comp-table")))
        wait(d, "each computer lists its leases",
             lambda drv: any(r[0] == "ws-live" and r[7].startswith("cad (dora)")
                             for r in rows(drv, "comp-table")))
        run(*client, "--computer=ws-end", "--user=ivan", "checkout", "cad")
        wait(d, "a new checkout shows with its lease",
             lambda drv: any(r[0] == "ws-end" for r in rows(drv, "comp-table")))
        click_in_row(d, "comp-table", "ws-end", "End")
        confirm(d)
        wait(d, "End (confirmed) ends that lease: the computer's row goes",
             lambda drv: not any(r[0] == "ws-end" for r in rows(drv, "comp-table"))
             and "ended" in text(drv, "#comp-result"))
        check("licd agrees", all(c["computer"] != "ws-end"
                                 for c in licd.api("/api/v1/computers")["computers"]))
        hold = subprocess.Popen(client + ["--computer=ws-hold", "--user=alice", "hold", "cad"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        holds.append(hold)
        held = []
        threading.Thread(target=lambda: held.extend(hold.stdout), daemon=True).start()
        wait(d, "a computer holding a seat appears live, with address and expiry",
             lambda drv: any(r[0] == "ws-hold" and r[1] == "alice" and r[2] == "127.0.0.1"
                             and r[6].endswith("s") for r in rows(drv, "comp-table")))
        shot(d, "computers")
        click_in_row(d, "comp-table", "ws-hold", "Disconnect")
        confirm(d)
        wait(d, "Disconnect (confirmed) takes its row away",
             lambda drv: not any(r[0] == "ws-hold" for r in rows(drv, "comp-table")))
        check("and says how long the cooldown is",
              "may check out again in 120 s" in text(d, "#comp-result"), text(d, "#comp-result"))
        wait(d, "the cooldown is shown afterwards",
             lambda drv: "ws-hold: may check out again in" in text(drv, "#comp-cooldowns"))
        d.refresh()
        wait(d, "and after a reload of the page too: licd keeps the list",
             lambda drv: "ws-hold: may check out again in" in text(drv, "#comp-cooldowns"))
        deadline = time.time() + WAIT
        while time.time() < deadline and not any(l.startswith("lost ") for l in held):
            time.sleep(0.1)
        check("the hold reports the loss of its seat", any(
            l.startswith("lost ") and "an administrator disconnected this computer" in l
            for l in held), held)
        hold.terminate()

        # ---- Log
        go(d, "log")
        wait(d, "Log shows the activity log, newest first",
             lambda drv: rows(drv, "log-table") and rows(drv, "log-table")[0][2] in
             ("disconnected", "lease_ended", "admin", "released", "expired", "denied")
             and any(r[2] == "license_removed" for r in rows(drv, "log-table")))
        Select(d.find_element(By.ID, "log-kind")).select_by_value("granted")
        d.find_element(By.ID, "log-apply").click()
        wait(d, "a kind filter keeps only that kind",
             lambda drv: rows(drv, "log-table")
             and all(r[2] == "granted" for r in rows(drv, "log-table")))
        run(*client, "--computer=ws-follow", "--user=erik", "checkout", "cad")
        wait(d, "a new grant appears live at the top",
             lambda drv: rows(drv, "log-table") and rows(drv, "log-table")[0][4] == "ws-follow")
        shot(d, "log")

        # ---- Overview again: a product at full is an alert, and a denial follows
        go(d, "overview")
        run(*client, "--computer=ws-full", "--user=frank", "checkout", "cad")
        wait(d, "a product at full is an alert on the Overview",
             lambda drv: "cad is at full: all 3 seats are in use" in text(drv, "#ov-alerts")
             and "3 of 3 seats in use" in text(drv, '[data-product="cad"]'))
        denied = run(*client, "--computer=ws-late", "--user=gina", "checkout", "cad", ok=False)
        check("the fourth computer is denied", denied.returncode == 3, denied.stdout)

        # ---- Who waits: a checkout in the queue shows on the Overview and on Computers
        waiting = subprocess.Popen(client + ["--computer=ws-queue", "--user=hana", "hold", "cad",
                                             "--wait=120"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        holds.append(waiting)
        wait(d, "a checkout waiting in the queue shows on the Overview",
             lambda drv: "3 of 3 seats in use, 1 waiting" in text(drv, '[data-product="cad"]'))
        go(d, "computers")
        wait(d, "and on Computers, with its place in line",
             lambda drv: any(r[0] == "cad" and r[1] == "1" and r[2] == "ws-queue"
                             and r[3] == "hana" and r[4] == "127.0.0.1"
                             for r in rows(drv, "queue-table"))
             and not drv.find_element(By.ID, "queue-none").is_displayed())
        shot(d, "computers-queue")
        waiting.terminate()
        wait(d, "a waiter that gives up leaves the list",
             lambda drv: not rows(drv, "queue-table")
             and drv.find_element(By.ID, "queue-none").is_displayed())
        go(d, "overview")

        # ---- Usage
        go(d, "usage")
        Select(d.find_element(By.ID, "use-product")).select_by_visible_text("cad")
        Select(d.find_element(By.ID, "use-by")).select_by_value("hour")
        d.find_element(By.ID, "use-show").click()
        wait(d, "the usage chart draws", lambda drv: int(
            drv.find_element(By.ID, "use-chart").get_attribute("data-points") or 0) > 0)
        painted = d.execute_script("""
            const c = document.getElementById('use-chart');
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i]) n++;
            return n;""")
        check("with pixels on its canvas", painted > 1000, painted)
        denials = d.execute_script(
            "return Chart.getChart('use-denials').data.datasets[0].data.reduce((a, b) => a + b, 0)")
        check("the denials chart counts the denial", denials >= 1, denials)
        wait(d, "the per-user table has the users who held seats",
             lambda drv: {r[0] for r in rows(drv, "use-users")}
             >= {"alice", "dora", "erik", "frank"})
        wait(d, "the denials table has the computer turned away, still waiting",
             lambda drv: any(r[0] == "ws-late" and r[1] == "gina" and "seats" in r[2]
                             and r[5] == "waiting" for r in rows(drv, "use-denied")))
        csv = d.execute_async_script("""
            const done = arguments[0];
            fetch(document.getElementById('use-csv').href).then(r => r.text()).then(done);""")
        check("the CSV download is the report as CSV",
              csv.startswith("product,start,end") and "\r\ncad," in csv, csv[:200])
        if history:
            Select(d.find_element(By.ID, "use-product")).select_by_visible_text("modeling")
            Select(d.find_element(By.ID, "use-by")).select_by_value("day")
            d.execute_script("document.getElementById('use-from').value = arguments[0]",
                             (datetime.date.today() - datetime.timedelta(days=13)).isoformat())
            d.find_element(By.ID, "use-show").click()
            wait(d, "two weeks of modeling draw by day", lambda drv: int(
                drv.find_element(By.ID, "use-chart").get_attribute("data-points") or 0) >= 14)
        shot(d, "usage")

        # ---- Server
        go(d, "server")
        wait(d, "Server shows the options in force",
             lambda drv: ["--server-name", "drafting-srv"] in rows(drv, "srv-options")
             and ["--disconnect-cooldown", "120"] in rows(drv, "srv-options"))
        Select(d.find_element(By.ID, "srv-level")).select_by_visible_text("debug")
        d.find_element(By.ID, "srv-level-set").click()
        wait(d, "the log level is set", lambda drv: "Log level debug" in text(drv, "#srv-result"))
        level = licd.api("/api/v1/server")["log_level"]
        check("licd runs at it", level == "debug", level)
        shot(d, "server")

        violations = csp_violations(d)
        check("no page broke the Content-Security-Policy", not violations, violations)
        check("the token never reached licd's log", licd.token() not in licd.log())

        # ---- A forged request from another site
        attacker = AttackerSite(licd.url + "/api/v1/computers/ws-live/disconnect")
        d.get(attacker.url)
        time.sleep(2)
        page = d.page_source
        attacker.close()
        check("a cross-site POST is refused",
              "UNAUTHORIZED" in page or "FORBIDDEN" in page, page[:500])
        check("and changed nothing", any(
            c["computer"] == "ws-live" for c in licd.api("/api/v1/computers")["computers"]))
        d.get(licd.url + "/#overview")
        wait(d, "the session survives it",
             lambda drv: drv.find_element(By.ID, "app").is_displayed())
        r = fetch(d, "POST", "/api/v1/computers/ws-live/disconnect", csrf=False)
        check("a change without the CSRF token is refused (403)",
              r["status"] == 403 and "CSRF" in r["body"], r)

        # ---- Logout
        d.find_element(By.ID, "logout").click()
        wait(d, "Log out shows the login form",
             lambda drv: drv.find_element(By.ID, "login").is_displayed())
        r = fetch(d, "GET", "/api/v1/computers", csrf=False)
        check("and the session is over", r["status"] == 401, r)

        # ---- The read-only token
        with open(readonly_file) as f:
            readonly = f.read().strip()
        login(d, licd.url, readonly)
        wait(d, "the read-only token logs in", lambda drv: text(drv, "#role") == "read-only")
        go(d, "computers")
        wait(d, "it sees the computers",
             lambda drv: any(r[0] == "ws-live" for r in rows(drv, "comp-table")))
        buttons = d.find_elements(By.CSS_SELECTOR, "#comp-table button")
        check("its Disconnect buttons are disabled",
              buttons and all(not b.is_enabled() for b in buttons), len(buttons))
        installed = len(licd.api("/api/v1/licenses")["licenses"])
        r = fetch(d, "POST", "/api/v1/computers/ws-live/disconnect")
        check("and licd refuses its changes even with the CSRF token (403 FORBIDDEN)",
              r["status"] == 403 and "FORBIDDEN" in r["body"], r)
        r = fetch(d, "POST", "/api/v1/licenses", {"code": cad_code})
        check("a license add too", r["status"] == 403, r)
        check("nothing changed", any(
            c["computer"] == "ws-live" for c in licd.api("/api/v1/computers")["computers"])
            and len(licd.api("/api/v1/licenses")["licenses"]) == installed)
        d.find_element(By.ID, "logout").click()
        wait(d, "the read-only session logs out",
             lambda drv: drv.find_element(By.ID, "login").is_displayed())

        # ---- Stop, from the Server page
        login(d, licd.url, licd.token())
        wait(d, "the admin logs in again", lambda drv: text(drv, "#role") == "admin")
        go(d, "server")
        d.find_element(By.ID, "srv-stop").click()
        confirm(d)
        wait(d, "Stop (confirmed) says licd is stopping",
             lambda drv: "licd is stopping" in text(drv, "#srv-result"))
        try:
            code = licd.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
        check("and licd stops cleanly", code == 0, code)
    finally:
        d.quit()
        for h in holds:
            if h.poll() is None:
                h.kill()
        licd.stop()

    https_admin(key, pub)


def https_admin(key, pub):
    """--admin-tls-cert/--admin-tls-key: the UI and the API over HTTPS, a Secure cookie, and
    licd's warning when the admin port listens beyond loopback without TLS."""
    cert, tkey = os.path.join(work, "admin.crt"), os.path.join(work, "admin.key")
    run(tool["licd"], "--allow-root", "--make-tls-cert", "--tls-cert=" + cert, "--tls-key=" + tkey,
        "--tls-name=127.0.0.1", "--data-dir=" + os.path.join(work, "tls-made"),
        "--create-data-dir")
    licd = Licd("licd-tls", "--admin-tls-cert=" + cert, "--admin-tls-key=" + tkey,
                "--admin-bind=0.0.0.0")
    licd.start()
    d = browser(insecure_certs=True)
    try:
        check("with TLS the admin URL is https", licd.url.startswith("https://"), licd.url)
        check("and licd does not warn about the clear-text port",
              "beyond this machine without TLS" not in licd.log())
        login(d, licd.url, licd.token())
        wait(d, "the License Manager logs in over HTTPS",
             lambda drv: drv.find_element(By.ID, "app").is_displayed())
        c = {c["name"]: c for c in d.get_cookies()}.get("licd_session", {})
        check("its cookie is Secure", c.get("secure") is True, c)
        p = run(tool["licadmin"], "--data-dir=" + licd.data, "--ca-cert=" + cert, "status",
                ok=False)
        check("licadmin reaches the https API trusting its certificate",
              p.returncode == 0 and "licd " in p.stdout, p.stdout + p.stderr)
        p = run(tool["licadmin"], "--data-dir=" + licd.data, "status", ok=False)
        check("and refuses it without (TLS failed)",
              p.returncode != 0 and "TLS failed" in p.stderr, p.stdout + p.stderr)
    finally:
        d.quit()
        licd.stop()
    plain = Licd("licd-open", "--admin-bind=0.0.0.0")
    plain.start()
    plain.stop()
    check("licd warns when the admin port listens beyond loopback without TLS",
          "beyond this machine without TLS" in plain.log(), plain.log()[-1000:])
    bad = Licd("licd-badcert", "--admin-tls-cert=" + tkey, "--admin-tls-key=" + cert)
    try:
        bad.start()
        bad.stop()
        check("a key and certificate that do not load stop licd with a message", False)
    except RuntimeError as e:
        check("a key and certificate that do not load stop licd with a message",
              "cannot serve TLS" in str(e) and bad.proc.returncode == 1, str(e)[-500:])


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # an error is a failure, with what happened
        import traceback
        traceback.print_exc()
        failures.append(repr(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all checks passed", flush=True)
    sys.exit(1 if failures else 0)
