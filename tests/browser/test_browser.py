#!/usr/bin/env python3
"""Browser tests in real Chromium (Debian's chromium + chromium-driver, driven by selenium).

Starts `openets serve --demo` on a throwaway SQLite database with the drill clock in a trading
session, then, as real users would: logs in with password and TOTP; posts a listing as one
entity and takes part of it as an investor; checks the trade on the tape and both holdings;
checks a certificate publicly; enters monthly data, submits the annual report and surrenders
in the entity portal; concludes a verification (verifier) and approves a report (province); sees
a listing posted in another tab appear in the live book (server-sent events); calculates an event's footprint, buys the tonnes from the CCER
listings and cancels them for the event, and checks its certificate publicly; switches language; and checks that a wrong one-time code and a
missing CSRF token are refused; a CCER project owner submits a project, a validation body
validates another and its owner applies for registration. Screenshots of the main pages go to $OPENETS_SCREENSHOTS
(default artifacts/screenshots).

    tests/browser/test_browser.py [path/to/openets]
"""
import base64, hashlib, hmac, os, re, shutil, socket, struct, subprocess, sys, tempfile, time, traceback, urllib.request

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/openets"
SHOTS = os.environ.get("OPENETS_SCREENSHOTS", "artifacts/screenshots")
DRILL = "2025-06-03T10:00:00+08:00"  # a Tuesday, inside the morning session


def totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="openets-browser-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--db", os.path.join(self.dir, "b.db"), "--demo", "--port", str(self.port), "--drill-clock", DRILL],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.base + "/ready", timeout=2).status == 200:
                    break
            except Exception:
                time.sleep(0.5)
        else:
            raise RuntimeError("server did not become ready; see " + self.log.name)
        self.users = {}
        for line in open(self.log.name, encoding="utf-8"):
            m = re.match(r"\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+-demo-2025)\s+(\S+)", line)
            if m:
                self.users[m.group(1)] = (m.group(4), None if m.group(5) == "-" else m.group(5))
        assert "e1" in self.users and "i1" in self.users, "demo users were not printed"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    options = Options()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600", "--lang=zh-CN"]:
        options.add_argument(arg)
    # No password-manager or leak-check prompts over the login form.
    options.add_argument("--disable-features=PasswordLeakDetection,PasswordManagerOnboarding")
    options.add_experimental_option("prefs", {"credentials_enable_service": False, "profile.password_manager_enabled": False,
                                              "profile.password_manager_leak_detection": False})
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


def main() -> int:
    os.makedirs(SHOTS, exist_ok=True)
    site = Site()
    driver = browser()
    failures = []
    passed = 0

    def submit(element):
        """Click a button or link that loads a new page, and wait until the new page is there."""
        old = driver.find_element(By.TAG_NAME, "html")
        element.click()

        def replaced(_):
            # Chromium sometimes reports the old page's node as "not in the document" instead of
            # stale while the new page loads: both mean the page was replaced.
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                if "does not belong to the document" in str(error):
                    return True
                raise

        WebDriverWait(driver, 30).until(replaced)

    def shot(name):
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))

    used_steps = {}

    def fresh_code(user):
        # A TOTP code logs in once: a second login of the user in the same 30-second step
        # waits for the next step's code.
        secret = site.users[user][1]
        while used_steps.get(user) == int(time.time() // 30):
            time.sleep(0.5)
        now = time.time()
        used_steps[user] = int(now // 30)
        return totp(secret, at=now)

    def login(user, code=None):
        password, secret = site.users[user]
        if code is None and secret:
            code = fresh_code(user)
        driver.get(site.base + "/login")
        driver.find_element(By.ID, "user").send_keys(user)
        driver.find_element(By.ID, "password").send_keys(password)
        # Roles that move no units or money (verifier, province) have no second factor.
        driver.find_element(By.ID, "totp").send_keys(code if code is not None else (totp(secret) if secret else ""))
        submit(driver.find_element(By.ID, "login-submit"))

    def logout():
        submit(driver.find_element(By.ID, "logout"))

    def holding(unit):
        for row in driver.find_elements(By.CSS_SELECTOR, "#holdings tbody tr"):
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            if cells and cells[0] == unit:
                return int(cells[1].replace(",", ""))
        return 0

    def check(name, fn):
        nonlocal passed
        try:
            fn()
            passed += 1
            print(f"✔ {name}")
        except Exception:
            failures.append(name)
            print(f"✘ {name}\n{traceback.format_exc()}")
            shot("failed-" + name)

    def public_pages():
        driver.get(site.base + "/?lang=zh")
        assert "全国碳排放权注册登记系统" in driver.page_source
        shot("overview-zh")
        driver.get(site.base + "/market")
        assert "CEA24" in driver.find_element(By.ID, "instruments").text
        shot("market")
        driver.get(site.base + "/market/CEA24")
        assert driver.find_element(By.ID, "price-chart")
        shot("market-cea24")

    def compliance_statistics():
        # The demo's 2024 compliance year (DemoCycle): GD 2/3 and 96.18 %, nation 80.00 %.
        driver.get(site.base + "/statistics/2024?lang=zh")
        table = driver.find_element(By.ID, "compliance").text
        assert "66.67%" in table and "96.18%" in table and "80.00%" in table, table
        assert driver.find_element(By.ID, "compliance-chart")
        assert "1,936,070" in driver.find_element(By.ID, "allocation").text
        shot("statistics-2024")

    def wrong_code_is_refused():
        login("e1", code="000000" if totp(site.users["e1"][1]) != "000000" else "111111")
        assert driver.find_element(By.ID, "login-error").is_displayed()
        assert "/login" in driver.current_url

    state = {}

    def listing_and_take():
        # Entity 1 posts a sell listing at the previous close.
        driver.get(site.base + "/market/CEA24")
        close = re.search(r"前收盘 ([0-9.]+)", driver.page_source).group(1)
        login("e1")
        assert "/trade" in driver.current_url, driver.current_url
        before_seller = holding("CEA24")
        Select(driver.find_element(By.ID, "place-instrument")).select_by_value("CEA24")
        Select(driver.find_element(By.ID, "place-side")).select_by_value("sell")
        driver.find_element(By.ID, "place-price").send_keys(close)
        driver.find_element(By.ID, "place-quantity").send_keys("1000")
        submit(driver.find_element(By.ID, "place-submit"))
        message = driver.find_element(By.ID, "message").text
        order = re.search(r"order (\d+)", message).group(1)
        assert order in driver.find_element(By.ID, "my-orders").text
        shot("trade-seller")
        logout()
        # The investor takes 400 t of it.
        login("i1")
        before_buyer = holding("CEA24")
        quantity = driver.find_element(By.ID, f"take-quantity-{order}")
        quantity.clear()
        quantity.send_keys("400")
        submit(driver.find_element(By.ID, f"take-{order}"))
        message = driver.find_element(By.ID, "message").text
        deal = re.search(r"deal (DL-\d+)", message).group(1)
        assert holding("CEA24") == before_buyer + 400, (holding("CEA24"), before_buyer)
        shot("trade-buyer")
        logout()
        # The tape shows the deal; the seller holds 400 t less.
        driver.get(site.base + "/market/CEA24")
        tape = driver.find_element(By.ID, "tape").text
        assert deal in tape and "400" in tape, tape
        login("e1")
        assert holding("CEA24") == before_seller - 400, (holding("CEA24"), before_seller)
        # 600 t of the listing are still on offer and locked.
        assert "600 / 1,000" in driver.find_element(By.ID, "my-orders").text
        logout()
        state["deal"] = deal

    def surrender():
        login("e1")
        before = holding("CEA23")
        Select(driver.find_element(By.ID, "surrender-unit")).select_by_value("CEA23")
        driver.find_element(By.ID, "surrender-quantity").send_keys("100000")
        driver.find_element(By.ID, "surrender-year").send_keys("2023")
        submit(driver.find_element(By.ID, "surrender-submit"))
        assert "surrender" in driver.find_element(By.ID, "message").text
        assert holding("CEA23") == before - 100000, (holding("CEA23"), before)
        assert "100,000" in driver.find_element(By.ID, "surrendered").text
        # A later vintage cannot be surrendered for an earlier year: refused with its code.
        Select(driver.find_element(By.ID, "surrender-unit")).select_by_value("CEA24")
        driver.find_element(By.ID, "surrender-quantity").send_keys("1")
        driver.find_element(By.ID, "surrender-year").send_keys("2023")
        submit(driver.find_element(By.ID, "surrender-submit"))
        assert "VINTAGE_NOT_ELIGIBLE" in driver.find_element(By.ID, "error").text
        shot("surrender")
        logout()

    def entity_portal():
        # Monthly data by the form, the annual report, and a surrender against the obligation.
        login("e1")
        submit(driver.find_element(By.ID, "portal-link"))
        assert driver.find_element(By.ID, "vintages") and driver.find_element(By.ID, "obligations")
        Select(driver.find_element(By.ID, "month-fuel")).select_by_value("coal")
        year = driver.find_element(By.ID, "month-year")
        year.clear()
        year.send_keys("2024")
        for name, value in [("month-month", "12"), ("month-consumption", "250000"), ("month-ncv", "20"), ("month-generation", "600000")]:
            driver.find_element(By.ID, name).send_keys(value)
        submit(driver.find_element(By.ID, "month-submit"))
        assert "mrv.submit_month" in driver.find_element(By.ID, "message").text, driver.find_element(By.TAG_NAME, "main").text[:400]
        # The same month again is refused with its code, and nothing changes.
        year = driver.find_element(By.ID, "month-year")
        year.clear()
        year.send_keys("2024")
        for name, value in [("month-month", "12"), ("month-consumption", "1")]:
            driver.find_element(By.ID, name).send_keys(value)
        submit(driver.find_element(By.ID, "month-submit"))
        assert "MONTH_ALREADY_SUBMITTED" in driver.find_element(By.ID, "error").text, driver.find_element(By.ID, "error").text
        submit(driver.find_element(By.ID, "report-submit"))
        assert "mrv.submit_report" in driver.find_element(By.ID, "message").text
        assert driver.find_element(By.ID, "report-facilities")
        gap_before = driver.find_element(By.ID, "obligations").text
        Select(driver.find_element(By.ID, "portal-surrender-unit")).select_by_value("CEA23")
        driver.find_element(By.ID, "portal-surrender-quantity").send_keys("50000")
        submit(driver.find_element(By.ID, "portal-surrender-submit"))
        assert "surrender" in driver.find_element(By.ID, "message").text
        assert driver.find_element(By.ID, "obligations").text != gap_before
        shot("entity-portal")
        logout()

    def verifier_and_province_portals():
        login("verifier")
        assert "/portal/verifier" in driver.current_url, driver.current_url
        conclude = driver.find_elements(By.CSS_SELECTOR, "button.conclude-submit")
        assert conclude, "the demo verifier has a report to verify"
        submit(conclude[0])
        assert "mrv.conclude_verification" in driver.find_element(By.ID, "message").text, driver.find_element(By.TAG_NAME, "main").text[:400]
        shot("verifier-portal")
        logout()
        login("sc")
        assert "/portal/province" in driver.current_url, driver.current_url
        assert driver.find_element(By.ID, "entities") and driver.find_element(By.ID, "anomalies")
        approve = driver.find_elements(By.CSS_SELECTOR, "#reviews button[id^=approve-]")
        assert approve, "a report awaits the province's review"
        submit(approve[0])
        assert "mrv.approve_review" in driver.find_element(By.ID, "message").text
        shot("province-portal")
        logout()

    def live_market():
        # The market page subscribes to the stream; a listing posted in another tab appears in its book.
        driver.get(site.base + "/market/CEA24")
        WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "book").get_attribute("data-updated"))
        close = re.search(r"前收盘 ([0-9.]+)|previous close ([0-9.]+)", driver.page_source)
        price = close.group(1) or close.group(2)
        before = driver.find_element(By.ID, "book").text
        driver.execute_script("window.notReloaded = true;")
        market = driver.current_window_handle
        driver.switch_to.new_window("tab")
        login("e1")
        Select(driver.find_element(By.ID, "place-instrument")).select_by_value("CEA24")
        Select(driver.find_element(By.ID, "place-side")).select_by_value("sell")
        driver.find_element(By.ID, "place-price").send_keys(price)
        driver.find_element(By.ID, "place-quantity").send_keys("777")
        submit(driver.find_element(By.ID, "place-submit"))
        assert "order" in driver.find_element(By.ID, "message").text
        logout()
        driver.close()
        driver.switch_to.window(market)
        # The new listing joins the book (alone at its price, or added to the level's quantity)
        # without a reload of the page.
        WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "book").text != before)
        assert driver.execute_script("return window.notReloaded === true;"), "the page was reloaded"
        shot("market-live")

    def operator_closes_the_day():
        # A trader may not see surveillance; the operator may, and closes the day.
        login("i1")
        driver.get(site.base + "/surveillance")
        assert "forbidden" in driver.page_source
        driver.get(site.base + "/trade")
        logout()
        login("operator")
        driver.get(site.base + "/surveillance")
        assert driver.find_element(By.ID, "alerts")
        submit(driver.find_element(By.ID, "close-day"))
        assert "close_day" in driver.find_element(By.ID, "message").text
        assert "休市" in driver.find_element(By.ID, "trading-day").text or "closed" in driver.find_element(By.ID, "trading-day").text
        shot("surveillance")
        driver.get(site.base + "/market/CEA24")
        assert state["deal"] in driver.find_element(By.ID, "tape").text

    def account_opening():
        # A new individual investor applies with an identity document (no session: an
        # anonymous applicant); the registry operator approves; the account appears and its
        # user logs in with the TOTP secret shown at submission.
        driver.delete_all_cookies()
        driver.get(site.base + "/accounts/apply?lang=zh")
        Select(driver.find_element(By.ID, "kind")).select_by_value("individual")
        driver.find_element(By.ID, "owner-id").send_keys("11010519491231002X")
        driver.find_element(By.ID, "owner-name").send_keys("王五")
        driver.find_element(By.ID, "user1-id").send_keys("wang5")
        driver.find_element(By.ID, "user1-name").send_keys("王五")
        driver.find_element(By.ID, "user1-password").send_keys("wang5 password")
        document = os.path.join(tempfile.mkdtemp(), "id-card.txt")
        with open(document, "w") as f:
            f.write("居民身份证 11010519491231002X\n")
        driver.find_element(By.ID, "document1").send_keys(document)
        shot("account-apply")
        submit(driver.find_element(By.ID, "apply-submit"))
        application = driver.find_element(By.ID, "application-id").text
        secret = driver.find_element(By.CSS_SELECTOR, ".totp-secret").text
        assert application.startswith("AO-") and secret
        login("registrar")
        driver.get(site.base + "/accounts/review")
        card = driver.find_element(By.ID, "application-" + application)
        assert hashlib.sha256(open(document, "rb").read()).hexdigest() in card.text
        shot("account-review")
        submit(card.find_element(By.CSS_SELECTOR, "button.approve"))
        message = driver.find_element(By.ID, "message").text
        account = re.search(r"→ (IND-[0-9]+)", message).group(1)
        driver.get(site.base + "/accounts")
        assert account in driver.page_source
        driver.get(site.base + "/accounts/review")
        logout()
        site.users["wang5"] = ("wang5 password", secret)
        login("wang5")
        assert account in driver.page_source

    def certificate_check():
        driver.get(site.base + "/certificates")
        driver.find_element(By.NAME, "number").send_keys("VC-00000001")
        submit(driver.find_element(By.CSS_SELECTOR, "main form button"))
        assert driver.find_element(By.ID, "certificate-valid")
        shot("certificate")

    def neutrality():
        # The public calculator: the documented example gives 22.94… t, 23 t to cancel.
        driver.get(site.base + "/neutrality/calculator")
        for name, value in [("event", "OpenETS 2025"), ("attendees", "100"), ("km1", "1000"), ("travellers1", "20"),
                            ("km2", "500.5"), ("travellers2", "80"), ("kwh", "12345.6"), ("nights", "150")]:
            driver.find_element(By.ID, name).send_keys(value)
        Select(driver.find_element(By.ID, "mode1")).select_by_value("air")
        Select(driver.find_element(By.ID, "mode2")).select_by_value("high_speed_rail")
        driver.find_element(By.ID, "round1").click()
        driver.find_element(By.ID, "round2").click()
        submit(driver.find_element(By.ID, "calculate"))
        assert driver.find_element(By.ID, "calc-cancel-quantity").text == "23"
        assert "22.94309568" in driver.find_element(By.ID, "calc-total").text
        shot("neutrality-calculator")
        # Straight on to buying: the login comes back to the page with the quantity.
        submit(driver.find_element(By.ID, "offset-link"))
        password, secret = site.users["i1"]
        driver.find_element(By.ID, "user").send_keys("i1")
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "totp").send_keys(fresh_code("i1"))
        submit(driver.find_element(By.ID, "login-submit"))
        assert "/neutrality" in driver.current_url and "quantity=23" in driver.current_url, driver.current_url
        assert driver.find_element(By.ID, "plan-CCER-P000001-M01")
        submit(driver.find_element(By.ID, "buy-CCER-P000001-M01"))
        assert "bought 23 t CCER-P000001-M01" in driver.find_element(By.ID, "message").text
        shot("neutrality-bought")
        # Cancelled at once (a cancellation is not a sale, T+1 does not apply).
        Select(driver.find_element(By.ID, "cancel-unit")).select_by_value("CCER-P000001-M01")
        assert driver.find_element(By.ID, "cancel-quantity").get_attribute("value") == "23"
        driver.find_element(By.ID, "beneficiary").send_keys("OpenETS 会务组")
        submit(driver.find_element(By.ID, "cancel-submit"))
        issued = driver.find_element(By.ID, "certificate-issued").text
        assert "OpenETS 会务组" in issued and "OpenETS 2025" in issued, issued
        code = driver.find_element(By.ID, "verification-code").text
        shot("neutrality-certificate")
        # Anyone can check it.
        submit(driver.find_element(By.ID, "certificate-link"))
        assert driver.find_element(By.ID, "certificate-valid")
        assert code in driver.current_url
        shot("neutrality-certificate-check")
        driver.get(site.base + "/neutrality")
        logout()

    def switch_language():
        driver.get(site.base + "/market?lang=zh")
        assert "行情" in driver.title
        submit(driver.find_element(By.ID, "lang-switch"))
        assert "Market" in driver.title and "Five" not in driver.page_source
        driver.get(site.base + "/market/CEA24")
        assert "Five-level book" in driver.page_source, "the language choice should stick"
        shot("market-en")
        submit(driver.find_element(By.ID, "lang-switch"))
        assert "五档行情" in driver.page_source

    def forged_post_is_refused():
        login("e1")
        # A form post without the session's CSRF token changes nothing.
        driver.execute_script("""
            const f = document.createElement('form'); f.method = 'post'; f.action = '/trade/place';
            for (const [k, v] of [['instrument','CEA24'],['side','sell'],['price','90.00'],['quantity','1'],['nonce','x1']]) {
              const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
            document.body.appendChild(f); f.submit();""")
        WebDriverWait(driver, 15).until(lambda d: "CSRF" in d.page_source)
        assert "CSRF" in driver.page_source, driver.page_source[:200]
        driver.get(site.base + "/trade")
        logout()

    def ccer_portals():
        # The project owner submits a project (its design notice opens), the validation body records
        # a positive validation of the demo's P000002 (its notice has ended), the owner applies for
        # its registration.
        login("owner")
        driver.get(site.base + "/portal/owner")
        fields = {"project-name": "攀枝花光热电站 Panzhihua solar thermal", "project-location": "四川省攀枝花市仁和区",
                  "project-type": "grid solar thermal", "project-construction": "2024-06-01", "project-crediting-start": "2025-01-01",
                  "project-crediting-end": "2034-12-31", "project-expected": "50000", "project-design-text": "项目设计文件 PDD v1"}
        for field, value in fields.items():
            driver.find_element(By.ID, field).send_keys(value)
        Select(driver.find_element(By.ID, "project-methodology")).select_by_value("CCER-01-001-V01")
        submit(driver.find_element(By.ID, "submit-project"))
        assert "ccer.submit_project" in driver.find_element(By.ID, "message").text, driver.page_source[:300]
        assert "攀枝花光热电站" in driver.find_element(By.ID, "owner-projects").text
        logout()
        login("validator")
        driver.get(site.base + "/portal/validator")
        driver.find_element(By.ID, "report-P000002-text").send_keys("会理光热电站审定报告")
        driver.find_element(By.ID, "findings-P000002").send_keys("选址核实无误")
        Select(driver.find_element(By.ID, "conclusion-P000002")).select_by_value("positive")
        submit(driver.find_element(By.ID, "validate-P000002"))
        assert "ccer.record_validation" in driver.find_element(By.ID, "message").text, driver.page_source[:300]
        assert "P000002" in driver.find_element(By.ID, "body-reports").text
        shot("validator-portal")
        logout()
        login("owner")
        driver.get(site.base + "/portal/owner")
        submit(driver.find_element(By.ID, "apply-P000002"))
        assert "ccer.apply_for_registration" in driver.find_element(By.ID, "message").text, driver.page_source[:300]
        row = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#owner-projects tbody tr") if "P000002" in r.text]
        assert row and ("登记审核中" in row[0] or "registration review" in row[0]), row
        shot("owner-portal")
        logout()

    def city_and_mee_portals():
        # Rongcheng's 2023 report (Chengdu) through the three reviews: the city approves it, the
        # province, then the MEE nationally; the MEE dashboard shows the allocation chart.
        rongcheng = "91510100MA6RCRD01M-2023"
        login("chengdu")
        assert "/portal/city" in driver.current_url, driver.current_url
        assert driver.find_element(By.ID, "entities") and driver.find_element(By.ID, "city-reviews")
        submit(driver.find_element(By.ID, "city-approve-" + rongcheng))
        assert "mrv.approve_review" in driver.find_element(By.ID, "message").text, driver.find_element(By.TAG_NAME, "main").text[:400]
        assert not driver.find_elements(By.ID, "city-approve-" + rongcheng)
        shot("city-portal")
        logout()
        login("sc")
        submit(driver.find_element(By.ID, "approve-" + rongcheng))
        assert "mrv.approve_review" in driver.find_element(By.ID, "message").text
        logout()
        login("mee")
        assert "/portal/mee" in driver.current_url, driver.current_url
        submit(driver.find_element(By.ID, "national-approve-" + rongcheng))
        assert "mrv.approve_review" in driver.find_element(By.ID, "message").text, driver.find_element(By.TAG_NAME, "main").text[:400]
        assert not driver.find_elements(By.ID, "national-approve-" + rongcheng)
        bars = driver.find_elements(By.CSS_SELECTOR, "#allocation-chart rect.bar")
        assert len(bars) >= 2 and all(int(b.get_attribute("width")) > 0 for b in bars), [b.get_attribute("width") for b in bars]
        assert driver.find_element(By.ID, "compliance-chart") and driver.find_element(By.ID, "allocation-csv")
        shot("mee-portal")

    def operator_portals_and_four_eyes():
        # The exchange operator announces a one-way auction from its portal (window tomorrow,
        # floor and ceiling left empty: the previous close ±10 %).
        login("operator")
        assert "/portal/exchange" in driver.current_url, driver.current_url
        now = re.search(r"(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}", driver.find_element(By.ID, "trading-day").text).group(1)
        import datetime
        day = (datetime.date.fromisoformat(now) + datetime.timedelta(days=1)).isoformat()
        driver.find_element(By.ID, "announce-applicant").send_keys("ENT-000003")
        Select(driver.find_element(By.ID, "announce-instrument")).select_by_value("CEA24")
        driver.find_element(By.ID, "announce-quantity").send_keys("10000")
        driver.find_element(By.ID, "announce-opens").send_keys(day + " 13:00")
        driver.find_element(By.ID, "announce-closes").send_keys(day + " 13:30")
        submit(driver.find_element(By.ID, "announce-submit"))
        assert "announce_auction" in driver.find_element(By.ID, "message").text, driver.page_source[:500]
        assert "ENT-000003" in driver.find_element(By.ID, "auctions").text
        shot("exchange-portal")
        logout()
        # The registry operator's page: accounts, pending transfers, funds.
        login("registrar")
        assert "/portal/registry" in driver.current_url, driver.current_url
        assert "ENT-000001" in driver.find_element(By.ID, "accounts").text
        shot("registry-portal")
        logout()
        # e1 initiates a transfer; its approver approves it (four eyes).
        login("e1")
        submit(driver.find_element(By.ID, "transfers-link"))
        driver.find_element(By.ID, "initiate-to").send_keys("INV-000001")
        Select(driver.find_element(By.ID, "initiate-unit")).select_by_value("CEA23")
        driver.find_element(By.ID, "initiate-quantity").send_keys("321")
        submit(driver.find_element(By.ID, "initiate-submit"))
        assert "initiate_transfer" in driver.find_element(By.ID, "message").text, driver.page_source[:500]
        logout()
        login("e1-approver")
        submit(driver.find_element(By.ID, "transfers-link"))
        row = [r for r in driver.find_elements(By.CSS_SELECTOR, "#pending-transfers tbody tr") if "321" in r.text][0]
        submit(row.find_element(By.CSS_SELECTOR, "button[id^=approve-]"))
        assert "approve_transfer" in driver.find_element(By.ID, "message").text, driver.page_source[:500]
        assert "已执行" in driver.find_element(By.ID, "decided-transfers").text
        shot("approver")
        logout()

    try:
        check("public pages", public_pages)
        check("compliance statistics of the demo year", compliance_statistics)
        check("a wrong one-time code is refused", wrong_code_is_refused)
        check("post a listing, take it from another account, see the trade and both holdings", listing_and_take)
        check("surrender for compliance", surrender)
        check("entity portal: monthly data, the annual report, surrender against the obligation", entity_portal)
        check("verifier concludes, province approves", verifier_and_province_portals)
        check("live market data: the book updates from the stream", live_market)
        check("check a certificate publicly", certificate_check)
        check("calculate an event's footprint, buy the tonnes, cancel them, check the certificate", neutrality)
        check("switch language", switch_language)
        check("a form post without the CSRF token is refused", forged_post_is_refused)
        check("the operator sees the alerts and closes the day; a trader may not", operator_closes_the_day)
        check("CCER: the owner submits a project, the validation body validates, the owner applies for registration", ccer_portals)
        check("the city, the province and the MEE approve a report in turn; the MEE dashboard's charts", city_and_mee_portals)
        check("operator portals: an auction announced, the registry page, a transfer initiated by e1 and approved", operator_portals_and_four_eyes)
        check("apply for an account as a new investor, the registry operator approves, the account appears", account_opening)
    finally:
        driver.quit()
        site.stop()
    print(f"browser: {passed} passed, {len(failures)} failed; screenshots in {SHOTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
