"""Live mode: a line ended by a bare LF (what `nc` without -C sends) gets the
protocol's syntax-error reply with a hint (SMTP 500 5.5.2, POP3 -ERR, IMAP
BAD) instead of silence, and the session goes on with CRLF lines. In DATA a
bare LF is still never a line end (the smuggling defence): the message is
refused as before."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check, connect  # noqa: E402
from livehelp import read_line_open as read_line  # noqa: E402




def ask(s, line, prefix, live):
    s.sendall(line)
    got = read_line(s)
    while got[3:4] == b"-":
        got = read_line(s)
    check(got.startswith(prefix), "%r answered %r, wanted %r" % (line, got, prefix), live)
    return got


def main():
    bound_test(60)
    with Live() as live:
        s = connect(live.port(NET, "smtp"))
        read_line(s)
        got = ask(s, b"HELO student.example\n", b"500 5.5.2 ", live)
        check(b"CRLF" in got and b"nc -C" in got, "SMTP reply has no hint: %r" % got, live)
        ask(s, b"EHLO student.example\r\n", b"250 ", live)
        ask(s, b"MAIL FROM:<a@example.org>\r\n", b"250 ", live)
        ask(s, b"RCPT TO:<bob@example.net>\r\n", b"250 ", live)
        ask(s, b"DATA\r\n", b"354 ", live)
        # Smuggling: "\n.\n" inside DATA ends nothing; the message is refused.
        s.sendall(b"Subject: x\r\n\r\nhi\n.\nMAIL FROM:<evil@example.org>\r\n.\r\n")
        got = read_line(s)
        check(got.startswith(b"5") and b"bare" in got, "DATA with bare LF: %r" % got, live)
        # The next reply answers QUIT: no smuggled MAIL FROM was executed.
        ask(s, b"QUIT\r\n", b"221 ", live)
        s.close()

        p = connect(live.port(NET, "pop3"))
        read_line(p)
        got = ask(p, b"USER bob\n", b"-ERR ", live)
        check(b"CRLF" in got, "POP3 reply has no hint: %r" % got, live)
        ask(p, b"USER bob\r\n", b"+OK", live)
        ask(p, b"PASS builder\r\n", b"+OK", live)
        ask(p, b"QUIT\r\n", b"+OK", live)
        p.close()

        m = connect(live.port(NET, "imap"))
        read_line(m)
        got = ask(m, b"a1 NOOP\n", b"a1 BAD ", live)
        check(b"CRLF" in got, "IMAP reply has no hint: %r" % got, live)
        ask(m, b"a2 NOOP\r\n", b"a2 OK", live)
        ask(m, b"a3 LOGOUT\r\n", b"* BYE", live)
        m.close()
        check(live.stop() == 0, "exit status", live)
    print("ok: bare-LF lines answered 500 / -ERR / BAD with a hint; DATA still refuses bare LF")


if __name__ == "__main__":
    main()
