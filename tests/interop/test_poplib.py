"""Live mode: Python's poplib does STAT, LIST, UIDL, RETR, TOP, DELE and QUIT
against the simulated POP3 server, and a second session sees the deletion."""
import os
import poplib
import smtplib
import sys
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check  # noqa: E402


def seed(live):
    with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
        for i in range(1, 4):
            m = EmailMessage()
            m["From"], m["To"] = "carol@example.org", "dave@example.net"
            m["Subject"] = "pop test %d" % i
            m.set_content("Line one of message %d.\n.a line starting with a dot\nlast line\n" % i)
            s.send_message(m)


def login(live):
    p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=10)
    check(p.getwelcome().startswith(b"+OK"), "greeting %r" % p.getwelcome())
    p.user("dave")
    p.pass_("diver")
    return p


def main():
    bound_test(120)
    with Live() as live:
        seed(live)
        p = login(live)
        count, size = p.stat()
        check(count == 3 and size > 0, "STAT gave %d %d" % (count, size), live)
        resp, listing, _ = p.list()
        check(resp.startswith(b"+OK") and len(listing) == 3, "LIST gave %r" % listing)
        sizes = [int(x.split()[1]) for x in listing]
        check(sum(sizes) == size, "LIST sizes %r do not add up to STAT %d" % (sizes, size))
        resp, uidls, _ = p.uidl()
        uids = [x.split()[1] for x in uidls]
        check(len(set(uids)) == 3, "UIDL gave %r" % uidls)
        resp, lines, octets = p.retr(2)
        check(b"Subject: pop test 2" in lines, "RETR 2 lacks its subject: %r" % lines[:12])
        check(b".a line starting with a dot" in lines, "RETR did not undo dot-stuffing: %r" % lines)
        resp, top, _ = p.top(3, 1)
        check(b"Subject: pop test 3" in top, "TOP 3 lacks the header")
        blank = top.index(b"")
        check(len(top) - blank - 1 == 1, "TOP 3 1 gave %d body lines" % (len(top) - blank - 1))
        check(p.dele(1).startswith(b"+OK"), "DELE 1 failed")
        check(p.quit().startswith(b"+OK"), "QUIT failed")

        p = login(live)
        count2, _ = p.stat()
        check(count2 == 2, "after DELE and QUIT a new session sees %d messages" % count2, live)
        _, uidls2, _ = p.uidl()
        uids2 = [x.split()[1] for x in uidls2]
        check(uids[0] not in uids2 and uids2 == uids[1:], "UIDLs after DELE: %r (before %r)" % (uids2, uids))
        p.quit()
        out = live.output()
        check("RETR 2" in out and "DELE 1" in out, "trace lacks the POP3 commands", live)
        check(live.stop() == 0, "mailsim did not exit 0 after SIGINT", live)
    print("ok: poplib STAT LIST UIDL RETR TOP DELE QUIT; deletion seen by a second session")


if __name__ == "__main__":
    main()
