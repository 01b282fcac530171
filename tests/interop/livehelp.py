"""Shared helper for the live-mode interop tests (tests/interop/test_*.py).

Starts `$MAILSIM_BUILD/san/mailsim --serve FILE --port-base 0` (the sanitizer
build; MAILSIM_BUILD defaults to "build"), waits for the ports it prints,
and always stops it: SIGINT first (the clean stop under test), SIGKILL if it
does not exit in time. Every test is bounded by an alarm.
"""
import os
import re
import shutil
import socket
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MAILSIM_BUILD", "build")
BIN = os.path.join(ROOT, BUILD, "san", "mailsim")
SCENARIO = os.path.join(HERE, "live.json")
ORG, NET = "mail.example.org", "mail.example.net"

PORT_RE = re.compile(r"^live: (\S+) (\w+) (?:\[[^\]]*\]|[0-9.]+):(\d+) -> simulated port (\d+)$")


def bound_test(seconds=120):
    """Abort the whole test process if it runs longer than seconds."""
    def on_alarm(signum, frame):
        raise TimeoutError("test ran longer than %d s" % seconds)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)


def require_tool(name):
    """Fail, naming the command that installs it, when a tool is missing."""
    if shutil.which(name):
        return
    print("FAIL: %s is not installed (make deps-test installs it)" % name)
    sys.exit(1)


class Live:
    """One mailsim --serve process."""

    def __init__(self, scenario=SCENARIO, extra=(), ready_timeout=30):
        if not os.path.exists(BIN):
            raise RuntimeError("%s is missing: run make test (it builds it)" % BIN)
        args = [BIN, "--serve"] + ([scenario] if scenario else []) + ["--port-base", "0"]
        args += list(extra)
        self.lines = []
        self.lock = threading.Lock()
        self.ports = {}
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_for(r"^live: ready", ready_timeout)
        for line in self.snapshot():
            m = PORT_RE.match(line)
            if m:
                self.ports[(m.group(1), m.group(2))] = int(m.group(3))

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.lines.append(line)

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def output(self):
        return "\n".join(self.snapshot())

    def port(self, server, proto):
        return self.ports[(server, proto)]

    def wait_for(self, pattern, timeout=20):
        """Wait until a line of output matches pattern; return the line."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.snapshot():
                if rx.search(line):
                    return line
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise AssertionError("mailsim exited (%s) before printing /%s/:\n%s"
                                     % (self.proc.returncode, pattern, self.output()))
            time.sleep(0.05)
        raise AssertionError("no line /%s/ within %s s:\n%s" % (pattern, timeout, self.output()))

    def stop(self, timeout=30):
        """SIGINT, wait; returns the exit status (SIGKILL and -9 after timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return False


def check(cond, what, live=None):
    if not cond:
        if live is not None:
            print(live.output()[-6000:])
        raise AssertionError(what)


def wait_until(fn, timeout=30, step=0.25):
    """Call fn until it returns a true value (or timeout); return that value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    return last


# ---- raw sockets: what the tests that speak the protocols by hand share ----

def connect(port, addr=None):
    """A TCP connection to 127.0.0.1:port (from local address addr if given),
    with a 10 s timeout on every operation."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    if addr:
        s.bind((addr, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_line(s, closed_ok=True):
    """One line up to CRLF, read a byte at a time (nothing past it is
    consumed). On close: what came so far, or AssertionError when not
    closed_ok."""
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = s.recv(1)
        if not chunk:
            if not closed_ok:
                raise AssertionError("connection closed; got %r" % data)
            break
        data += chunk
    return data


def read_line_open(s):
    """read_line() that fails when the server closes first."""
    return read_line(s, closed_ok=False)


def read_reply(s):
    """An SMTP reply, multi-line included."""
    lines = []
    while True:
        line = read_line(s)
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return b"".join(lines)


def read_until_close(s, limit=65536):
    """Everything until the server closes (AssertionError if it does not
    within the socket's timeout)."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            raise AssertionError("connection still open; got %r" % data)
        if not chunk:
            return data
        data += chunk
    return data
