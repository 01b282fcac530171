"""Live mode: Python's smtplib against the simulated servers.

Sends without AUTH (port 25, local recipient) and with AUTH (submission,
remote recipient, relayed through the simulation; a remote unknown user comes
back as a bounce), a 3 MB message through the bounded buffers, and checks
that a send to an unknown user and a relay attempt without AUTH fail with the
right codes.
Outcomes are checked through POP3 (the mailbox as another client sees it)
and in the trace mailsim prints.
"""
import poplib
import smtplib
import sys
from email.message import EmailMessage

sys.path.insert(0, __import__("os").path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check, wait_until  # noqa: E402


def message(frm, to, subject, body):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    m.set_content(body)
    return m


def pop_subjects(live, user, password):
    p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=10)
    try:
        p.user(user)
        p.pass_(password)
        out = []
        count, _ = p.stat()
        for i in range(1, count + 1):
            _, lines, _ = p.top(i, 0)
            for line in lines:
                if line.lower().startswith(b"subject:"):
                    out.append(line[8:].strip().decode())
        return out
    finally:
        p.quit()


def main():
    bound_test(150)
    with Live() as live:
        # 1. Without AUTH: port 25 of example.net's server, for its own user.
        with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
            code, _ = s.ehlo("student.example")
            check(code == 250, "EHLO answered %d" % code)
            refused = s.send_message(message("carol@example.org", "bob@example.net",
                                             "no auth needed", "Hello Bob.\n"))
            check(refused == {}, "recipients refused: %r" % refused)
        check("no auth needed" in pop_subjects(live, "bob", "builder"),
              "bob's mailbox lacks the message sent without AUTH", live)

        # 2. With AUTH on submission: alice relays to example.net through the
        #    simulation (DNS MX, SMTP between the simulated servers).
        with smtplib.SMTP("127.0.0.1", live.port(ORG, "submission"), timeout=10) as s:
            s.ehlo("student.example")
            check(s.has_extn("auth"), "submission does not offer AUTH")
            code, _ = s.login("alice", "wonderland")
            check(code == 235, "AUTH answered %d" % code)
            refused = s.send_message(message("alice@example.org", "bob@example.net",
                                             "relayed by the simulation", "Hi Bob, via two servers.\n"))
            check(refused == {}, "recipients refused: %r" % refused)
        got = wait_until(lambda: "relayed by the simulation" in pop_subjects(live, "bob", "builder"), 40)
        check(got, "the relayed message never reached bob's mailbox", live)

        # 2a. Relayed to a user example.net does not have: the simulated
        #     servers bounce it, and alice reads the bounce with POP3.
        with smtplib.SMTP("127.0.0.1", live.port(ORG, "submission"), timeout=10) as s:
            s.login("alice", "wonderland")
            s.send_message(message("alice@example.org", "ghost@example.net", "to a ghost", "Boo.\n"))

        def bounce():
            p = poplib.POP3("127.0.0.1", live.port(ORG, "pop3"), timeout=10)
            try:
                p.user("alice")
                p.pass_("wonderland")
                for i in range(1, p.stat()[0] + 1):
                    text = b"\n".join(p.retr(i)[1])
                    if b"delivery-status" in text and b"ghost@example.net" in text:
                        return text
            finally:
                p.quit()
            return None
        check(wait_until(bounce, 40), "no bounce for ghost@example.net in alice's mailbox", live)

        # 2b. A 3 MB message: the bridge stops reading the socket while the
        #     simulated TCP is full, and nothing is lost on the way.
        big = "".join("line %06d of a long message, to fill the buffers\n" % i for i in range(60000))
        with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=30) as s:
            refused = s.send_message(message("carol@example.org", "dave@example.net", "big one", big))
            check(refused == {}, "big message refused: %r" % refused)
        p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=30)
        p.user("dave")
        p.pass_("diver")
        _, lines, _ = p.retr(1)
        p.quit()
        body = [l for l in lines if l.startswith(b"line ")]
        check(len(body) == 60000 and body[0] == b"line 000000 of a long message, to fill the buffers"
              and body[-1].startswith(b"line 059999 "), "big message came back with %d lines" % len(body), live)

        # 3. Unknown user: 550 for the RCPT.
        with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
            try:
                s.send_message(message("carol@example.org", "nobody@example.net", "x", "x\n"))
                check(False, "a message to an unknown user was accepted")
            except smtplib.SMTPRecipientsRefused as e:
                code, text = e.recipients["nobody@example.net"]
                check(code == 550, "unknown user answered %d %r" % (code, text))

        # 4. Remote domain without AUTH on port 25: relay denied (554 5.7.1).
        with smtplib.SMTP("127.0.0.1", live.port(ORG, "smtp"), timeout=10) as s:
            try:
                s.send_message(message("mallory@example.com", "bob@example.net", "relay?", "x\n"))
                check(False, "example.org's server relayed for a stranger")
            except smtplib.SMTPRecipientsRefused as e:
                code, text = e.recipients["bob@example.net"]
                check(code == 554 and b"Relay access denied" in text,
                      "relay attempt answered %d %r" % (code, text))

        # 5. Submission without AUTH where the server requires it: 530.
        with smtplib.SMTP("127.0.0.1", live.port(ORG, "submission"), timeout=10) as s:
            try:
                s.send_message(message("alice@example.org", "bob@example.net", "no login", "x\n"))
                check(False, "submission accepted mail without AUTH")
            except smtplib.SMTPSenderRefused as e:
                check(e.smtp_code == 530, "MAIL without AUTH answered %d" % e.smtp_code)
            except smtplib.SMTPRecipientsRefused as e:
                code = e.recipients["bob@example.net"][0]
                check(code == 530, "RCPT without AUTH answered %d" % code)

        # The trace shows the real client's lines and the relay.
        out = live.output().lower()  # smtplib writes "mail FROM:"
        check("real-client -> mail.example.net  smtp c: mail from:<carol@example.org>" in out, "trace lacks the client's MAIL FROM", live)
        check("mail.example.net -> real-client  smtp s: 550 5.1.1" in out,
              "trace lacks the server's 550", live)
        check("mail.example.org -> mail.example.net  smtp c: rcpt to:<bob@example.net>" in out,
              "trace lacks the relay between the simulated servers", live)
        check("rcpt to:<nobody@example.net>" in out, "trace lacks the refused RCPT", live)
        rc = live.stop()
        check(rc == 0, "mailsim exited %s after SIGINT" % rc, live)
        check("live: stopping" in live.output(), "no summary after SIGINT", live)
    print("ok: smtplib with and without AUTH, unknown user 550, relay 554, AUTH required 530")


if __name__ == "__main__":
    main()
