"""Live mode's guards (bad-inputs.md a.5 L1-L3, X8): an HTTP request on a
mail port is refused and closed; a streak of bad commands is disconnected; the connection cap turns the next client
away with the protocol's "too busy" reply; idle clients are disconnected;
the others carry on; SIGTERM stops cleanly with a summary and exit 0; a
--listen that is not a literal IP is refused."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import (BIN, NET, ORG, Live, bound_test, check, connect, read_line,  # noqa: E402
                      read_until_close)








def http_on_mail_ports(live):
    # The simulated servers' own engines recognise an HTTP request line
    # (bad-inputs X8, L1), answer it once and close; the body is never read
    # as commands. A browser sends at once, without reading the greeting.
    req = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 20\r\n\r\nMAIL FROM:<a@b.c>\r\n"
    want = {"smtp": b"502 5.7.0 Error: this is an SMTP server, not a web server; closing\r\n",
            "pop3": b"-ERR this is a POP3 server, not an HTTP server\r\n",
            "imap": b"* BYE This is an IMAP server, not a web server\r\n"}
    for proto, greet in (("smtp", b"220 "), ("pop3", b"+OK"), ("imap", b"* OK")):
        for browser in (False, True):
            s = connect(live.port(NET, proto))
            if browser:
                s.sendall(req)
                first = read_line(s)
            else:
                first = read_line(s)
                s.sendall(req)
            check(first.startswith(greet), "%s greeting %r" % (proto, first), live)
            rest = read_until_close(s)
            check(rest == want[proto], "%s answered an HTTP request with %r" % (proto, rest), live)
            s.close()
    # Traced like any reply: the engine's record, and the real client's.
    live.wait_for(r"mail\.example\.net -> real-client  SMTP S: 502 5\.7\.0 Error: this is an SMTP "
                  r"server, not a web server; closing", 10)
    live.wait_for(r"mail\.example\.net -> real-client  IMAP S: \* BYE This is an IMAP server", 10)
    check("MAIL FROM:<a@b.c>" not in live.output(), "HTTP body reached the SMTP engine", live)
    check("closed by the bridge" not in live.output(), "the bridge wrote a reply of its own", live)


def bad_commands(live):
    s = connect(live.port(NET, "smtp"))
    check(read_line(s).startswith(b"220 "), "SMTP greeting", live)
    s.sendall(b"EHLO student.example\r\n")
    while not read_line(s).startswith(b"250 "):
        pass
    for i in range(9):
        s.sendall(b"XYZZY %d\r\n" % i)
        check(read_line(s).startswith(b"500 "), "bad command %d not answered 500" % i, live)
    s.sendall(b"NOOP\r\n")  # a good command ends the streak
    check(read_line(s).startswith(b"250 "), "NOOP", live)
    for i in range(10):
        s.sendall(b"XYZZY %d\r\n" % i)
        check(read_line(s).startswith(b"500 "), "bad command %d not answered 500" % i, live)
    rest = read_until_close(s)
    check(rest == b"421 4.7.0 mail.example.net Error: too many bad commands, closing\r\n",
          "after 10 bad commands in a row: %r" % rest, live)
    s.close()
    # POP3 (every -ERR counts) and IMAP (BAD counts, NO does not): the
    # engines' own limits; the summary counts them from the LINE_F_BAD mark
    # the engines put on those replies, not from the reply text.
    s = connect(live.port(NET, "imap"))
    check(read_line(s).startswith(b"* OK"), "IMAP greeting", live)
    for i in range(9):
        s.sendall(b"a%d XYZZY\r\n" % i)
        check(read_line(s).startswith(b"a%d BAD " % i), "IMAP BAD %d" % i, live)
    s.sendall(b"n1 LOGIN bob wrong\r\n")  # NO: ends the streak
    check(read_line(s).startswith(b"n1 NO "), "IMAP NO to a wrong password", live)
    for i in range(10):
        s.sendall(b"b%d XYZZY\r\n" % i)
        got = read_line(s)
        check(got.startswith(b"b%d BAD " % i), "IMAP BAD %d: %r" % (i, got), live)
    rest = read_until_close(s)
    check(rest.startswith(b"* BYE Too many invalid commands"), "IMAP after 10 BAD: %r" % rest, live)
    s.close()
    s = connect(live.port(NET, "pop3"))
    check(read_line(s).startswith(b"+OK"), "POP3 greeting", live)
    for i in range(10):
        s.sendall(b"XYZZY %d\r\n" % i)
        check(read_line(s).startswith(b"-ERR "), "POP3 -ERR %d" % i, live)
    check(read_until_close(s) == b"", "POP3 closes after 10 -ERR, without a line", live)
    s.close()


def busy(live):
    port = live.port(ORG, "smtp")
    a, b = connect(port), connect(port)
    check(read_line(a).startswith(b"220 "), "first client not greeted", live)
    check(read_line(b).startswith(b"220 "), "second client not greeted", live)
    # The simulated server's own engine turns the third away, with the
    # protocol's busy greeting (RFC 5321 3.8, RFC 2449 8.1.2, RFC 3501 7.1.5).
    for proto, want in (("imap", b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n"),
                        ("pop3", b"-ERR [SYS/TEMP] mail.example.org has too many connections, "
                                 b"try again later\r\n"),
                        ("smtp", b"421 mail.example.org Service not available, closing "
                                 b"transmission channel\r\n")):
        c = connect(live.port(ORG, proto))
        got = read_until_close(c)
        check(got == want, "third %s connection got %r" % (proto, got), live)
        c.close()
    # ... traced like every line: the engine's and the real client's record.
    live.wait_for(r"mail\.example\.org -> real-client  IMAP S: \* BYE \[UNAVAILABLE\] Too many "
                  r"connections, try again later  \[sent not authenticated -> logout\]", 10)
    live.wait_for(r"mail\.example\.org -> real-client  SMTP S: 421 mail\.example\.org Service not "
                  r"available", 10)
    # The others carry on.
    a.sendall(b"NOOP\r\n")
    check(read_line(a).startswith(b"250 "), "first client stopped working", live)
    a.sendall(b"QUIT\r\n")
    check(read_line(a).startswith(b"221 "), "QUIT not answered", live)
    check(read_until_close(a) == b"", "bytes after 221", live)
    a.close()
    b.close()
    live.wait_for(r"turned away from mail\.example\.org \(imap\)", 10)
    # Room again once they are gone.
    time.sleep(0.5)
    d = connect(port)
    check(read_line(d).startswith(b"220 "), "no room after the others left", live)
    d.sendall(b"QUIT\r\n")
    check(read_line(d).startswith(b"221 "), "QUIT not answered", live)
    read_until_close(d)
    d.close()
    time.sleep(0.5)  # the bridge lets the session go once the simulated side is closed


def idle(live):
    # The simulated server's own inactivity timeout ends the session, with
    # its own reply: SMTP 421 4.4.2 (RFC 5321 4.5.3.2.7), IMAP * BYE
    # (RFC 3501 5.4); POP3 closes without one (RFC 1939 3, autologout).
    for proto, greet, want in (("smtp", b"220 ", b"421 4.4.2 mail.example.net Error: timeout exceeded\r\n"),
                               ("imap", b"* OK", b"* BYE Autologout; idle for too long\r\n"),
                               ("pop3", b"+OK", b"")):
        s = connect(live.port(NET, proto))
        check(read_line(s).startswith(greet), "%s greeting" % proto, live)
        t0 = time.time()
        got = read_until_close(s)
        waited = time.time() - t0
        check(got == want, "idle %s client got %r" % (proto, got), live)
        check(1.5 <= waited <= 8, "idle timeout after %.1f s (configured 2s)" % waited, live)


def bad_listen():
    for addr in ("localhost", "example.com", "127.0.0.1.5", ""):
        r = subprocess.run([BIN, "--serve", "--listen", addr, "--port-base", "0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        err = r.stderr.decode()
        check(r.returncode == 2 and "is not a literal IP address" in err,
              "--listen %r: exit %d, %r" % (addr, r.returncode, err))


def main():
    bound_test(150)
    bad_listen()
    with Live(extra=["--max-conns", "2", "--idle-timeout", "2s"]) as live:
        ports = [l for l in live.snapshot() if l.startswith("live: mail.")]
        check(len(ports) == 8 and all(" 127.0.0.1:" in l for l in ports),
              "not every port is on 127.0.0.1: %r" % ports, live)
        http_on_mail_ports(live)
        bad_commands(live)
        time.sleep(0.3)
        busy(live)
        idle(live)
        live.proc.terminate()  # SIGTERM
        rc = live.proc.wait(30)
        time.sleep(0.2)
        out = live.output()
        check(rc == 0, "exit %s after SIGTERM" % rc, live)
        m = re.search(r"turned away busy (\d+); HTTP refused (\d+); idle timeouts (\d+);", out)
        check(m and m.group(1) == "3" and m.group(2) == "6" and int(m.group(3)) >= 3
              and "closed for bad commands 3;" in out,
              "summary does not count the guards", live)
    print("ok: HTTP on mail ports refused, the engines' busy greetings, idle timeout, clean SIGTERM, --listen check")


if __name__ == "__main__":
    main()
