"""Live mode: curl sends with smtp://, lists and retrieves with pop3:// and
fetches with imap://; the outcome is read back through the other protocols."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check, require_tool  # noqa: E402


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def main():
    require_tool("curl")
    bound_test(120)
    with Live() as live, tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False) as f:
        f.write("From: carol@example.org\r\nTo: dave@example.net\r\nSubject: sent by curl\r\n"
                "\r\nHello Dave, from curl.\r\n")
        f.close()
        smtp, pop, imap = (live.port(NET, p) for p in ("smtp", "pop3", "imap"))
        rc, out, err = curl("smtp://127.0.0.1:%d/client.example.org" % smtp,  # the path is the EHLO name (RFC 5321 forbids "_")
                            "--mail-from", "carol@example.org",
                            "--mail-rcpt", "dave@example.net", "--upload-file", f.name)
        os.unlink(f.name)
        check(rc == 0, "curl smtp:// exit %d: %s" % (rc, err), live)

        rc, out, err = curl("imap://127.0.0.1:%d/INBOX;UID=1" % imap, "-u", "dave:diver")
        check(rc == 0 and "Subject: sent by curl" in out,
              "curl imap:// FETCH gave %d %r %s" % (rc, out, err), live)

        # POP3 last: curl answers the APOP timestamp of the greeting with APOP.
        rc, out, err = curl("pop3://127.0.0.1:%d/" % pop, "-u", "dave:diver")
        check(rc == 0, "curl pop3:// LIST exit %d: %s" % (rc, err), live)
        listing = out.split()
        check(len(listing) == 2 and listing[0] == "1" and int(listing[1]) > 0,
              "POP3 LIST through curl gave %r" % out, live)
        rc, out, err = curl("pop3://127.0.0.1:%d/1" % pop, "-u", "dave:diver")
        check(rc == 0 and "Subject: sent by curl" in out and "Hello Dave, from curl." in out,
              "curl pop3:// RETR gave %d %r %s" % (rc, out, err), live)

        check("real-client" in live.output() and "RETR 1" in live.output(),
              "the trace lacks curl's lines", live)
        check(live.stop() == 0, "mailsim did not exit 0 after SIGINT", live)
    print("ok: curl smtp:// pop3:// imap://")


if __name__ == "__main__":
    main()
