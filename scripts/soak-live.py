#!/usr/bin/env python3
"""soak-live.py -- a bounded load on live mode, on loopback, and mailsim's
memory through it.

    python3 scripts/soak-live.py [--seconds 3600] [--clients 50] [--idle 300]
                                 [--slow 32] [--size 20000] [--bin ./mailsim]
                                 [--max-rss-mb N] [--extra "--line-timeout 5s"]

Starts `BIN --serve tests/interop/live.json --port-base 0` with room for the
whole load, then for --seconds runs
  * --clients clients, each in a loop: send a message of about --size bytes
    with smtplib, read the newest message and delete it with IMAP (every
    third turn with POP3 instead);
  * --idle connections that only read the greeting and stay open (opened
    again when the server closes them);
  * --slow slowloris connections (from 127.0.0.2) that send one byte a
    second and never end a line (connected again when cut).
Every second it samples mailsim's resident memory (VmRSS) and prints
    soak-live: rss start X MiB, peak Y MiB, end Z MiB; N messages sent
    (M MiB), R read, D deleted, E client errors; cut slow S
and exits 1 when mailsim died, a client saw a protocol failure it should
not, or (with --max-rss-mb) the peak went over the bound.
"""
import argparse
import imaplib
import os
import poplib
import random
import re
import smtplib
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "tests", "interop", "live.json")
PORT_RE = re.compile(r"^live: (\S+) (\w+) [0-9.]+:(\d+) -> simulated port (\d+)$")
USERS = {"example.org": [("alice", "wonderland"), ("carol", "lookingglass")],
         "example.net": [("bob", "builder"), ("dave", "diver")]}
SERVER = {"example.org": "mail.example.org", "example.net": "mail.example.net"}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {"sent": 0, "bytes": 0, "read": 0, "deleted": 0, "errors": 0,
                  "locked": 0, "conflicts": 0, "idle_reopen": 0, "slow_cut": 0}
        self.last_error = ""

    def add(self, key, n=1):
        with self.lock:
            self.c[key] += n


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def body_of(size, rnd):
    words = ["mail", "simulator", "packet", "queue", "relay", "inbox", "header", "lesson"]
    lines, n = [], 0
    while n < size:
        line = " ".join(rnd.choice(words) for _ in range(10))
        lines.append(line)
        n += len(line) + 2
    return "\r\n".join(lines) + "\r\n"


def client(ports, stop, st, seed, size, pause):
    rnd = random.Random(seed)
    turn = 0
    while not stop.wait(pause * rnd.uniform(0.5, 1.5) if turn else 0):
        turn += 1
        domain = rnd.choice(list(USERS))
        user, password = rnd.choice(USERS[domain])
        server = SERVER[domain]
        try:
            subject = "soak %d-%d" % (seed, turn)
            msg = "Subject: %s\r\n\r\n%s" % (subject, body_of(rnd.randint(size // 2, size * 3 // 2), rnd))
            with smtplib.SMTP("127.0.0.1", ports[(server, "smtp")], timeout=60) as s:
                s.sendmail("soak@example.com", ["%s@%s" % (user, domain)], msg)
            st.add("sent")
            st.add("bytes", len(msg))
            if turn % 3:
                m = imaplib.IMAP4("127.0.0.1", ports[(server, "imap")], timeout=60)
                m.login(user, password)
                typ, data = m.select("INBOX")
                n = int(data[0])
                if n:  # read the newest, delete all (a client emptying the box)
                    typ, _ = m.fetch(str(n), "(RFC822)")
                    if typ == "OK":
                        st.add("read")
                    m.store("1:%d" % n, "+FLAGS", "\\Deleted")
                    m.expunge()
                    st.add("deleted", n)
                m.logout()
            else:
                try:
                    p = poplib.POP3("127.0.0.1", ports[(server, "pop3")], timeout=60)
                    p.user(user)
                    p.pass_(password)
                except poplib.error_proto as e:  # another client holds the maildrop lock
                    if b"IN-USE" in str(e).encode() or "IN-USE" in str(e):
                        st.add("locked")
                        try:
                            p.quit()
                        except Exception:
                            pass
                        continue
                    raise
                count, _ = p.stat()
                if count:
                    p.retr(1)
                    st.add("read")
                    for i in range(1, count + 1):
                        p.dele(i)
                    st.add("deleted", count)
                try:
                    p.quit()
                except poplib.error_proto as e:
                    # RFC 1939 §6: UPDATE may fail when an IMAP client
                    # expunged the same messages meanwhile; not a fault.
                    if "not removed" not in str(e):
                        raise
                    st.add("conflicts")
        except Exception as e:  # noqa: BLE001 -- counted and reported
            st.add("errors")
            st.last_error = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.5)


def idler(ports, stop, st, n):
    socks = []
    targets = [v for k, v in ports.items() if k[1] in ("smtp", "pop3", "imap")]
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", targets[i % len(targets)]), timeout=10)
            s.recv(256)
            s.setblocking(False)
            socks.append([s, targets[i % len(targets)]])
        except OSError:
            st.add("errors")
    while not stop.is_set():
        for entry in socks:
            try:
                if entry[0].recv(4096) == b"":
                    raise OSError("closed")
            except BlockingIOError:
                continue
            except OSError:
                entry[0].close()
                try:
                    s = socket.create_connection(("127.0.0.1", entry[1]), timeout=10)
                    s.setblocking(False)
                    entry[0] = s
                    st.add("idle_reopen")
                except OSError:
                    st.add("errors")
        stop.wait(1)
    for entry in socks:
        entry[0].close()


def slowloris(ports, stop, st, n):
    port = ports[("mail.example.net", "smtp")]

    def dial():
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        s.recv(256)
        s.setblocking(False)
        return s

    socks = []
    for _ in range(n):
        try:
            socks.append(dial())
        except OSError:
            st.add("errors")
    while not stop.is_set():
        for i, s in enumerate(socks):
            try:
                s.send(b"X")
                try:
                    if s.recv(4096) != b"" and False:
                        pass
                except BlockingIOError:
                    pass
            except OSError:
                s.close()
                st.add("slow_cut")
                try:
                    socks[i] = dial()
                except OSError:
                    st.add("errors")
        stop.wait(1)
    for s in socks:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--slow", type=int, default=32)
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--pause", type=float, default=3.0,
                    help="seconds each client waits between turns (3 s: about 1 GB an hour)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "mailsim"))
    ap.add_argument("--env", default="", help="NAME=VALUE pairs for mailsim's environment")
    ap.add_argument("--max-rss-mb", type=float, default=0)
    ap.add_argument("--extra", default="")
    ap.add_argument("--report", type=float, default=60, help="seconds between progress lines")
    a = ap.parse_args()
    total = a.clients + a.idle + a.slow + 16
    args = [a.bin, "--serve", SCENARIO, "--port-base", "0", "--max-conns", str(total),
            "--max-conns-per-addr", str(total)] + a.extra.split()
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in a.env.split())
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)
    ports, out_tail, ready = {}, [], threading.Event()

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            m = PORT_RE.match(line)
            if m:
                ports[(m.group(1), m.group(2))] = int(m.group(3))
            if line.startswith("live: ready"):
                ready.set()
            if line.startswith("live:") or line.startswith("fates:") or "ERROR" in line:
                out_tail.append(line)
                del out_tail[:-20]

    threading.Thread(target=reader, daemon=True).start()
    if not ready.wait(60):
        proc.kill()
        print("soak-live: mailsim did not start")
        return 1
    st, stop = Stats(), threading.Event()
    rss0 = rss_kib(proc.pid)
    peak = rss0
    threads = [threading.Thread(target=idler, args=(ports, stop, st, a.idle), daemon=True),
               threading.Thread(target=slowloris, args=(ports, stop, st, a.slow), daemon=True)]
    threads += [threading.Thread(target=client, args=(ports, stop, st, i + 1, a.size, a.pause),
                                daemon=True)
                for i in range(a.clients)]
    for t in threads:
        t.start()
    t0 = time.time()
    next_print = t0 + a.report
    while time.time() - t0 < a.seconds and proc.poll() is None:
        time.sleep(1)
        r = rss_kib(proc.pid)
        if r and r > peak:
            peak = r
        if time.time() >= next_print:
            next_print += a.report
            print("soak-live: %4.0f s rss %.1f MiB peak %.1f MiB; %s" % (
                time.time() - t0, (r or 0) / 1024, peak / 1024, st.c), flush=True)
    stop.set()
    for t in threads:
        t.join(70)
    time.sleep(2)  # let the last sessions close
    end = rss_kib(proc.pid)
    died = proc.poll() is not None
    if not died:
        proc.send_signal(2)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    time.sleep(0.3)
    c = st.c
    print("soak-live: rss start %.1f MiB, peak %.1f MiB, end %.1f MiB; %d messages sent "
          "(%.1f MiB), %d read, %d deleted, %d client errors, %d POP3 lock waits, "
          "%d idle reopened, %d slowloris cut" % (
              (rss0 or 0) / 1024, peak / 1024, (end or 0) / 1024, c["sent"],
              c["bytes"] / 1048576, c["read"], c["deleted"], c["errors"], c["locked"],
              c["idle_reopen"], c["slow_cut"]))
    for line in out_tail[-4:]:
        print("  " + line)
    fail = False
    if died:
        print("soak-live: FAIL: mailsim exited during the load (status %s)" % proc.returncode)
        fail = True
    if proc.returncode not in (0, None) and not died:
        print("soak-live: FAIL: mailsim exited with status %s" % proc.returncode)
        fail = True
    if c["errors"]:
        print("soak-live: FAIL: %d client errors, the last: %s" % (c["errors"], st.last_error))
        fail = True
    if c["sent"] == 0 or c["deleted"] == 0:
        print("soak-live: FAIL: no mail went through")
        fail = True
    if a.max_rss_mb and peak / 1024 > a.max_rss_mb:
        print("soak-live: FAIL: peak RSS %.1f MiB over the bound %.0f MiB" % (peak / 1024, a.max_rss_mb))
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
