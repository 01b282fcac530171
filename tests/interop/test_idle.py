"""Live mode: IMAP IDLE reports changes made elsewhere at once (RFC 2177 §3):
a raw client idling on INBOX gets "* n EXISTS" when smtplib delivers, "* n
FETCH (FLAGS ...)" when another IMAP session stores a flag, and "* n
EXPUNGE" when POP3 deletes a message. imaplib's NOOP and CHECK polls report
the same (RFC 3501 §7.3-7.4) between commands."""
import imaplib
import os
import poplib
import re
import smtplib
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check, connect  # noqa: E402
from livehelp import read_line_open as read_line  # noqa: E402




def command(s, tag, line):
    s.sendall(tag + b" " + line + b"\r\n")
    got = []
    while True:
        l = read_line(s)
        got.append(l)
        if l.startswith(tag + b" "):
            check(l.startswith(tag + b" OK"), "%r: %r" % (line, got))
            return got


def expect_untagged(s, pattern, what, live, timeout=5):
    """Lines until one matches pattern (bytes regex); fails on a timeout."""
    s.settimeout(timeout)
    seen = []
    try:
        while True:
            l = read_line(s)
            seen.append(l)
            if re.match(pattern, l):
                return l
    except socket.timeout:
        check(False, "%s: no %r while idling; got %r" % (what, pattern, seen), live)


def deliver(live, subject):
    with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
        s.sendmail("alice@example.org", ["dave@example.net"],
                   "Subject: %s\r\n\r\nnew mail\r\n" % subject)


def raw_idle(live):
    s = connect(live.port(NET, "imap"))
    read_line(s)
    command(s, b"a1", b"LOGIN dave diver")
    sel = command(s, b"a2", b"SELECT INBOX")
    check(any(l == b"* 0 EXISTS\r\n" for l in sel), "SELECT %r" % sel, live)
    s.sendall(b"a3 IDLE\r\n")
    check(read_line(s).startswith(b"+ "), "IDLE not accepted", live)
    t0 = time.time()
    deliver(live, "one")
    expect_untagged(s, rb"\* 1 EXISTS\r\n", "delivery", live)
    check(time.time() - t0 < 3, "EXISTS came late", live)
    deliver(live, "two")
    expect_untagged(s, rb"\* 2 EXISTS\r\n", "second delivery", live)
    # Another IMAP session flags message 1.
    m = imaplib.IMAP4("127.0.0.1", live.port(NET, "imap"), timeout=10)
    m.login("dave", "diver")
    m.select("INBOX")
    typ, _ = m.store("1", "+FLAGS", "\\Flagged")
    check(typ == "OK", "STORE", live)
    m.logout()
    expect_untagged(s, rb"\* 1 FETCH \(FLAGS \([^)]*\\Flagged", "STORE elsewhere", live)
    # POP3 deletes message 1 (after the other session has gone).
    p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=10)
    p.user("dave")
    p.pass_("diver")
    p.dele(1)
    p.quit()
    expect_untagged(s, rb"\* 1 EXPUNGE\r\n", "POP3 DELE+QUIT", live)
    s.sendall(b"DONE\r\n")
    while not read_line(s).startswith(b"a3 OK"):
        pass
    command(s, b"a4", b"LOGOUT")
    s.close()


def polls(live):
    m = imaplib.IMAP4("127.0.0.1", live.port(NET, "imap"), timeout=10)
    m.login("dave", "diver")
    typ, data = m.select("INBOX")
    before = int(data[0])
    deliver(live, "three")
    time.sleep(0.3)
    typ, _ = m.noop()
    check(typ == "OK", "NOOP", live)
    exists = m.untagged_responses.get("EXISTS", [])
    check(exists and int(exists[-1]) == before + 1, "NOOP did not report EXISTS: %r"
          % m.untagged_responses, live)
    deliver(live, "four")
    time.sleep(0.3)
    typ, _ = m.check()
    check(typ == "OK", "CHECK", live)
    exists = m.untagged_responses.get("EXISTS", [])
    check(exists and int(exists[-1]) == before + 2, "CHECK did not report EXISTS: %r"
          % m.untagged_responses, live)
    m.logout()


def main():
    bound_test(90)
    with Live() as live:
        raw_idle(live)
        polls(live)
        check(live.stop() == 0, "exit status", live)
    print("ok: IDLE reports EXISTS, FETCH FLAGS and EXPUNGE at once; NOOP and CHECK poll")


if __name__ == "__main__":
    main()
