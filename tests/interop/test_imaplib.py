"""Live mode: Python's imaplib logs in, lists, creates a folder, selects,
searches, fetches a header and one MIME part, moves, stores flags; a second
session sees the changes."""
import imaplib
import os
import smtplib
import sys
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import ORG, Live, bound_test, check  # noqa: E402


def seed(live):
    with smtplib.SMTP("127.0.0.1", live.port(ORG, "smtp"), timeout=10) as s:
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "bob@example.net", "carol@example.org", "first plain"
        m.set_content("Just text.\n")
        s.send_message(m)
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "bob@example.net", "carol@example.org", "second with attachment"
        m.set_content("The text part of the second message.\n")
        m.add_attachment(b"\x00\x01binary-bytes\xff" * 20, maintype="application",
                         subtype="octet-stream", filename="data.bin")
        s.send_message(m)


def ok(typ, data, what, live):
    check(typ == "OK", "%s: %s %r" % (what, typ, data), live)
    return data


def main():
    bound_test(120)
    with Live() as live:
        seed(live)
        port = live.port(ORG, "imap")
        M = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        ok(*M.login("carol", "lookingglass"), "LOGIN", live=live)
        boxes = ok(*M.list(), "LIST", live=live)
        check(any(b"INBOX" in b for b in boxes), "LIST lacks INBOX: %r" % boxes, live)
        ok(*M.create("Archive"), "CREATE", live=live)
        data = ok(*M.select("INBOX"), "SELECT", live=live)
        check(data[0] == b"2", "INBOX has %r messages" % data, live)
        found = ok(*M.search(None, "SUBJECT", '"attachment"'), "SEARCH", live=live)
        check(found[0].split() == [b"2"], "SEARCH SUBJECT gave %r" % found, live)
        hdr = ok(*M.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH header", live=live)
        check(b"Subject: first plain" in hdr[0][1], "header fetch gave %r" % hdr, live)
        part = ok(*M.fetch("2", "(BODY.PEEK[1])"), "FETCH part", live=live)
        check(b"The text part of the second message." in part[0][1], "part 1 gave %r" % part, live)
        ok(*M.store("2", "+FLAGS", "(\\Flagged)"), "STORE", live=live)
        ok(*M._simple_command("MOVE", "1", "Archive"), "MOVE", live=live)
        M.logout()

        N = imaplib.IMAP4("127.0.0.1", port, timeout=10)
        ok(*N.login("carol", "lookingglass"), "LOGIN 2", live=live)
        data = ok(*N.select("Archive", readonly=True), "SELECT Archive", live=live)
        check(data[0] == b"1", "Archive holds %r messages" % data, live)
        hdr = ok(*N.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH moved", live=live)
        check(b"first plain" in hdr[0][1], "the moved message is %r" % hdr, live)
        data = ok(*N.select("INBOX", readonly=True), "SELECT INBOX", live=live)
        check(data[0] == b"1", "INBOX holds %r messages after MOVE" % data, live)
        flags = ok(*N.fetch("1", "(FLAGS)"), "FETCH FLAGS", live=live)
        check(b"\\Flagged" in flags[0], "flags seen by the second session: %r" % flags, live)
        flagged = ok(*N.search(None, "FLAGGED"), "SEARCH FLAGGED", live=live)
        check(flagged[0].split() == [b"1"], "SEARCH FLAGGED gave %r" % flagged, live)
        N.logout()
        check("MOVE 1 Archive" in live.output(), "trace lacks the MOVE line", live)
        check(live.stop() == 0, "mailsim did not exit 0 after SIGINT", live)
    print("ok: imaplib LOGIN LIST CREATE SELECT SEARCH FETCH STORE MOVE; second session sees them")


if __name__ == "__main__":
    main()
