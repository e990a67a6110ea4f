#!/usr/bin/env python3
"""Restart test: SIGKILL the server mid-session, restart it, and check that the books, locks
and deals equal exactly what it acknowledged.

Two logged-in users trade through the web forms (one posts listings, the other takes them)
from several threads; each acknowledged post (303 with `order N`) and take (303 with
`deal DL-N`) is recorded. The server is killed with SIGKILL at a random moment and restarted
on the same database, several times. Afterwards every acknowledged order is in the rebuilt
exchange (open, or filled by an acknowledged or unacknowledged take) and every acknowledged
deal is in the journal, and `openets registry verify` passes (chain, projections, and the
books rebuilt from the journal hold exactly the registry's trading locks).

    tests/restart/test_restart.py [path/to/openets] [KILLS]    (OPENETS_SEED replays the kill schedule)
"""
import base64, hashlib, hmac, http.client, http.cookiejar, json, os, random, re, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/openets"
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
DRILL = "2025-06-03T10:00:00+08:00"
SEED = int(os.environ.get("OPENETS_SEED", str(int(time.time()) % 100000)))


def totp(secret, at=None):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    def __init__(self, base, user, password, secret):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.login(user, password, secret)

    def post(self, path, fields):
        """(status, decoded Location, body); status 0 when the server is gone (killed)."""
        data = urllib.parse.urlencode(fields).encode()
        try:
            response = self.opener.open(self.base + path, data, timeout=10)
            return response.status, urllib.parse.unquote(response.headers.get("Location", "")), response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, urllib.parse.unquote(e.headers.get("Location", "")), e.read().decode()
        except (OSError, http.client.HTTPException):
            return 0, "", ""

    # A TOTP code logs in once (docs/security.md): the last step used per user, so that a login
    # after a restart waits for the next 30-second step instead of replaying the code.
    used_steps = {}

    def login(self, user, password, secret):
        while secret and Client.used_steps.get(user) == int(time.time() // 30):
            time.sleep(0.5)
        now = time.time()
        Client.used_steps[user] = int(now // 30)
        # The login form's pre-session token (login CSRF): its cookie lands in the jar.
        form = self.opener.open(self.base + "/login", timeout=10).read().decode()
        login_csrf = re.search(r'name="login_csrf" value="([0-9a-f]+)"', form).group(1)
        status, location, _ = self.post(
            "/login", {"user": user, "password": password, "totp": totp(secret, now) if secret else "", "login_csrf": login_csrf})
        assert status == 303 and location == "/trade", (status, location)
        page = self.opener.open(self.base + "/trade", timeout=10).read().decode()
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db, port, log):
    # The test posts forms as fast as it can: the per-user form limit (120 a minute) is raised.
    proc = subprocess.Popen(
        [BIN, "serve", "--db", db, "--demo", "--port", str(port), "--drill-clock", DRILL, "--form-rate-limit", "100000000"],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2).status == 200:
                return proc
        except Exception:
            time.sleep(0.3)
    raise RuntimeError("server not ready")


def main():
    rng = random.Random(SEED)
    work = tempfile.mkdtemp(prefix="openets-restart-")
    db = os.path.join(work, "r.db")
    log = open(os.path.join(work, "serve.log"), "w")
    print(f"restart test: kills={KILLS} seed={SEED} work={work}")
    acked_orders, acked_deals = set(), set()
    lock = threading.Lock()
    for round_ in range(KILLS):
        port = free_port()
        proc = start(db, port, log)
        users = {}
        for line in open(log.name, encoding="utf-8"):
            m = re.match(r"\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+-demo-2025)\s+(\S+)", line)
            if m:
                users[m.group(1)] = (m.group(4), None if m.group(5) == "-" else m.group(5))
        base = f"http://127.0.0.1:{port}"
        seller = Client(base, "e1", *users["e1"])
        buyer = Client(base, "i1", *users["i1"])
        stop = threading.Event()

        def post_listings(n):
            i = 0
            while not stop.is_set():
                i += 1
                status, location, _ = seller.post("/trade/place", {"csrf": seller.csrf, "nonce": f"r{round_}-{n}-{i}", "instrument": "CEA24", "side": "sell", "price": "99.00", "quantity": str(1 + i % 50)})
                m = re.search(r"order (\d+)", location)
                if status == 303 and m:
                    with lock:
                        acked_orders.add(int(m.group(1)))

        def take_listings(n):
            i = 0
            while not stop.is_set():
                i += 1
                with lock:
                    candidates = sorted(acked_orders)[-20:]
                if not candidates:
                    time.sleep(0.05)
                    continue
                status, location, _ = buyer.post("/trade/take", {"csrf": buyer.csrf, "nonce": f"t{round_}-{n}-{i}", "order": str(rng.choice(candidates)), "quantity": "1"})
                m = re.search(r"deal (DL-\d+)", location)
                if status == 303 and m:
                    with lock:
                        acked_deals.add(m.group(1))

        threads = [threading.Thread(target=post_listings, args=(n,), daemon=True) for n in range(3)]
        threads += [threading.Thread(target=take_listings, args=(n,), daemon=True) for n in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5 + rng.random() * 1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=15)
        print(f"  kill {round_ + 1}: {len(acked_orders)} orders and {len(acked_deals)} deals acknowledged so far")
    # The rebuilt market: every acknowledged order and deal is there.
    book = json.loads(subprocess.check_output([BIN, "exchange", "book", "--db", db, "--instrument", "CEA24", "--json"]))
    open_orders = {o["id"] for o in book["orders"]}
    journal = subprocess.check_output(["sqlite3", db, "SELECT body FROM journal WHERE kind LIKE 'exchange.%'"]).decode()
    placed = set(int(x) for x in re.findall(r'"orderPlaced":\{"_0":\{"id":(\d+)', journal))
    placed |= set(int(x) for x in re.findall(r'"orderPlaced":\{"_0":\{[^{}]*?"id":(\d+)', journal))
    deals = set(re.findall(r'"id":"(DL-\d+)"', journal))
    missing_orders = sorted(acked_orders - placed)
    missing_deals = sorted(acked_deals - deals)
    print(f"acknowledged: {len(acked_orders)} orders ({len(acked_orders & open_orders)} still open), {len(acked_deals)} deals; "
          f"missing: {len(missing_orders)} orders, {len(missing_deals)} deals")
    verify = subprocess.run([BIN, "registry", "verify", "--db", db], capture_output=True, text=True)
    print(verify.stdout.splitlines()[0] if verify.stdout else verify.stderr)
    ok = not missing_orders and not missing_deals and verify.returncode == 0 and acked_orders and acked_deals
    if ok:
        shutil.rmtree(work, ignore_errors=True)
        print(f"restart test passed: {KILLS} kills, seed {SEED}")
        return 0
    print(f"restart test FAILED (seed {SEED}); missing orders {missing_orders[:10]} deals {missing_deals[:10]}; work kept in {work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
