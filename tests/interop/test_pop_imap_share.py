"""Live mode: a POP3 session and an IMAP session on the same maildrop. IMAP
expunges a message that POP3 has listed; POP3 still retrieves it whole from
its snapshot (RFC 1939 §8), and its UPDATE then reports the message it could
not remove. Under ASan this is also the test that the snapshot never reads
memory the expunge freed."""
import imaplib
import os
import poplib
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check  # noqa: E402


def main():
    bound_test(60)
    body = "".join("line %d of the message\r\n" % i for i in range(2000))
    with Live() as live:
        with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
            s.sendmail("a@example.com", ["bob@example.net"], "Subject: shared\r\n\r\n" + body)
        p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=10)
        p.user("bob")
        p.pass_("builder")
        m = imaplib.IMAP4("127.0.0.1", live.port(NET, "imap"), timeout=10)
        m.login("bob", "builder")
        m.select("INBOX")
        m.store("1", "+FLAGS", "\\Deleted")
        typ, data = m.expunge()
        check(typ == "OK" and data == [b"1"], "EXPUNGE %r %r" % (typ, data), live)
        m.logout()
        resp, lines, octets = p.retr(1)
        got = b"\r\n".join(lines).decode()
        check(got.endswith(body.rstrip("\r\n")), "RETR after the expunge gave %d octets" % octets, live)
        p.dele(1)
        try:
            p.quit()
            check(False, "UPDATE claimed to remove a message IMAP had expunged", live)
        except poplib.error_proto as e:
            check("not removed" in str(e), "QUIT: %s" % e, live)
        check(live.stop() == 0, "exit status", live)
    print("ok: POP3 serves its snapshot after an IMAP expunge")


if __name__ == "__main__":
    main()
