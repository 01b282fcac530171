"""Live mode with --tls: clients that verify the certificate mailsim made at
start connect with default settings. Python's ssl (smtplib.starttls, SMTP_SSL,
poplib.stls, POP3_SSL, imaplib.starttls, IMAP4_SSL) and curl (--ssl-reqd,
smtps://, pop3s://, imaps://); the EHLO after STARTTLS no longer offers it,
plaintext pipelined after STARTTLS never reaches the server, a client that
speaks plaintext to an implicit-TLS port is dropped, the trace says where
encryption begins. Without --tls nothing is offered and no TLS port opens."""
import imaplib
import os
import poplib
import re
import smtplib
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check, connect, read_line, require_tool, wait_until  # noqa: E402


def delivered(live, user, n):
    """Wait until n messages were filed into user's INBOX."""
    rx = re.compile(r"delivered .*-> <%s@example\.net>: into" % user)
    got = wait_until(lambda: sum(1 for l in live.snapshot() if rx.search(l)) >= n, 20)
    check(got, "fewer than %d messages delivered to %s" % (n, user), live)


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")




def python_clients(live, ctx):
    # SMTP: STARTTLS on submission, AUTH only inside TLS; then SMTP_SSL.
    with smtplib.SMTP("localhost", live.port(ORG, "submission"), timeout=10) as s:
        s.ehlo()
        check(s.has_extn("starttls"), "EHLO does not offer STARTTLS", live)
        s.starttls(context=ctx)
        s.ehlo()
        check(not s.has_extn("starttls"), "STARTTLS offered again inside TLS", live)
        s.login("alice", "wonderland")
        s.sendmail("alice@example.org", ["bob@example.net"], "Subject: one\r\n\r\nby STARTTLS\r\n")
    with smtplib.SMTP_SSL("localhost", live.port(ORG, "submissions"), context=ctx, timeout=10) as s:
        s.ehlo()
        check(not s.has_extn("starttls"), "STARTTLS offered on an implicit-TLS port", live)
        s.login("alice", "wonderland")
        s.sendmail("alice@example.org", ["bob@example.net"], "Subject: two\r\n\r\nby SMTPS\r\n")
    delivered(live, "bob", 2)
    # POP3: STLS, then POP3_SSL.
    p = poplib.POP3("localhost", live.port(NET, "pop3"), timeout=10)
    check("STLS" in p.capa(), "CAPA does not list STLS", live)
    p.stls(context=ctx)
    p.user("bob")
    p.pass_("builder")
    p.quit()
    p = poplib.POP3_SSL("localhost", live.port(NET, "pop3s"), context=ctx, timeout=10)
    check("STLS" not in p.capa(), "STLS offered on an implicit-TLS port", live)
    p.user("bob")
    p.pass_("builder")
    check(p.stat()[0] >= 1, "POP3S sees no mail", live)
    p.quit()
    # IMAP: STARTTLS, then IMAP4_SSL reading what SMTPS sent.
    m = imaplib.IMAP4("localhost", live.port(NET, "imap"), timeout=10)
    check("STARTTLS" in m.capabilities, "CAPABILITY lacks STARTTLS: %r" % (m.capabilities,), live)
    m.starttls(ssl_context=ctx)
    m.login("bob", "builder")
    m.logout()
    m = imaplib.IMAP4_SSL("localhost", live.port(NET, "imaps"), ssl_context=ctx, timeout=10)
    check("STARTTLS" not in m.capabilities, "STARTTLS offered on an implicit-TLS port", live)
    m.login("bob", "builder")
    m.select("INBOX")
    typ, data = m.search(None, "BODY", "SMTPS")
    check(typ == "OK" and data[0], "IMAPS does not find the SMTPS message", live)
    m.logout()


def injection_and_plaintext(live):
    # Plaintext pipelined after STARTTLS is dropped, never a command.
    s = connect(live.port(NET, "smtp"))
    read_line(s)
    s.sendall(b"EHLO x.example\r\n")
    while not read_line(s).startswith(b"250 "):
        pass
    s.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
    check(read_line(s).startswith(b"220 "), "STARTTLS not answered 220", live)
    s.close()
    # Plaintext on an implicit-TLS port: the handshake fails, the client is dropped.
    s = connect(live.port(NET, "imaps"))
    s.sendall(b"a1 LOGIN bob builder\r\n")
    try:
        got = s.recv(4096)
    except ConnectionResetError:
        got = b""
    check(got[:1] in (b"", b"\x15"), "plaintext on imaps was answered: %r" % got, live)
    s.close()
    live.wait_for(r"dropped: the client failed the TLS handshake", 10)
    check("injected@evil.example" not in live.output(), "injected command reached the server", live)


def with_curl(live, cert):
    with tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False) as f:
        f.write("Subject: by curl\r\n\r\nHello over TLS, from curl.\r\n")
    try:
        rc, out, err = curl("--ssl-reqd", "--cacert", cert,
                            "smtp://localhost:%d/client.example.org" % live.port(ORG, "submission"),
                            "-u", "alice:wonderland", "--mail-from", "alice@example.org",
                            "--mail-rcpt", "dave@example.net", "--upload-file", f.name)
        check(rc == 0, "curl smtp --ssl-reqd: %d %s" % (rc, err), live)
        rc, out, err = curl("--cacert", cert, "smtps://localhost:%d/client.example.org" % live.port(ORG, "submissions"),
                            "-u", "alice:wonderland", "--mail-from", "alice@example.org",
                            "--mail-rcpt", "dave@example.net", "--upload-file", f.name)
        check(rc == 0, "curl smtps: %d %s" % (rc, err), live)
    finally:
        os.unlink(f.name)
    delivered(live, "dave", 2)
    rc, out, err = curl("--ssl-reqd", "--cacert", cert,
                        "pop3://localhost:%d/" % live.port(NET, "pop3"), "-u", "dave:diver")
    check(rc == 0 and re.match(r"1 \d+", out), "curl pop3 --ssl-reqd: %d %r %s" % (rc, out, err), live)
    rc, out, err = curl("--cacert", cert, "pop3s://localhost:%d/1" % live.port(NET, "pop3s"),
                        "-u", "dave:diver")
    check(rc == 0 and "from curl" in out, "curl pop3s: %d %s" % (rc, err), live)
    rc, out, err = curl("--ssl-reqd", "--cacert", cert,
                        "imap://localhost:%d/INBOX;UID=1" % live.port(NET, "imap"), "-u", "dave:diver")
    check(rc == 0 and "from curl" in out, "curl imap --ssl-reqd: %d %s" % (rc, err), live)
    rc, out, err = curl("--cacert", cert, "imaps://localhost:%d/INBOX;UID=1" % live.port(NET, "imaps"),
                        "-u", "dave:diver")
    check(rc == 0 and "from curl" in out, "curl imaps: %d %s" % (rc, err), live)
    # A client that does not trust the certificate refuses it.
    rc, out, err = curl("--ssl-reqd", "smtp://localhost:%d" % live.port(ORG, "submission"))
    check(rc != 0, "curl trusted a self-signed certificate without --cacert", live)


def main():
    require_tool("curl")
    bound_test(150)
    with Live(extra=["--tls"]) as live:
        m = re.search(r"certificate (\S+-cert\.pem) \(self-signed", live.output())
        check(m and os.path.exists(m.group(1)), "no certificate file named", live)
        cert = m.group(1)
        ctx = ssl.create_default_context(cafile=cert)  # verifies name and chain
        python_clients(live, ctx)
        injection_and_plaintext(live)
        with_curl(live, cert)
        out = live.output()
        check("STARTTLS - from here the connection is encrypted (live connection" in out
              and "Implicit TLS - from the first byte the connection is encrypted" in out,
              "no TLS narration", live)
        # The engines' typed facts: the reply accepting STARTTLS, then every
        # line inside TLS, the client's (bridge) and the server's (engine).
        check(re.search(r"S: 220 2\.0\.0 Ready to start TLS  \[sent [^]]*\] \(STARTTLS accepted: "
                        r"encrypted from the next byte\)", out)
              and re.search(r"S: \+OK Begin TLS negotiation  \[sent [^]]*\] \(STARTTLS accepted", out)
              and re.search(r"S: \S+ OK Begin TLS negotiation now  \[sent [^]]*\] \(STARTTLS accepted", out),
              "a STARTTLS reply is not marked as where TLS starts", live)
        check(re.search(r"real-client -> mail\.example\.org  SMTP C: EHLO \S+  \[sent real client -> "
                        r"real client\] \(inside TLS: only the endpoints see this\)", out)
              and re.search(r"mail\.example\.org -> real-client  SMTP S: 235 .*\(inside TLS: only the "
                            r"endpoints see this\)", out),
              "lines inside TLS are not marked", live)
        check(not re.search(r"C: STARTTLS  \[sent real client -> real client\] \(inside TLS", out),
              "the STARTTLS command itself is marked as inside TLS", live)
        check(live.stop() == 0, "exit status", live)
        check(not os.path.exists(cert), "the certificate file was left behind", live)
    # Without --tls: no offer, no TLS port.
    with Live() as live:
        check(not any(p in ("submissions", "pop3s", "imaps") for _, p in live.ports),
              "TLS ports without --tls", live)
        with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
            s.ehlo()
            check(not s.has_extn("starttls"), "STARTTLS offered without --tls", live)
        check(live.stop() == 0, "exit status", live)
    print("ok: STARTTLS and implicit TLS with Python's ssl and curl; none without --tls")


if __name__ == "__main__":
    main()
