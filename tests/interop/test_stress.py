"""Live mode under abuse: many clients at once sending random bytes, long
lines without an end, NULs, cut-off HTTP, and resets mid-line. mailsim must
stay up (under ASan/UBSan), keep the connection cap, and serve a well-behaved
client normally afterwards; SIGINT then stops it with exit 0 (no leaks)."""
import os
import random
import smtplib
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check  # noqa: E402

PAYLOADS = [
    b"GE", b"T / HTTP/1.1\r\n\r\n", b"\x00\x01\x02\r\n", b"A" * 20000, b"EHLO x\r\n" * 300,
    b"A1 LOGIN {99999999}\r\n", b"USER " + b"u" * 5000 + b"\r\n", b"\r\n.\r\n" * 50,
    b"a1 NOOP " + b"(" * 3000 + b"\r\n", b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
]


def abuser(live, seed, errors):
    rng = random.Random(seed)
    try:
        for _ in range(8):
            server = rng.choice([ORG, NET])
            proto = rng.choice(["smtp", "submission", "pop3", "imap"])
            try:
                s = socket.create_connection(("127.0.0.1", live.port(server, proto)), timeout=5)
            except OSError:
                continue
            s.settimeout(2)
            try:
                for _ in range(rng.randint(1, 4)):
                    s.sendall(rng.choice(PAYLOADS) if rng.random() < 0.7 else
                              bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))))
                if rng.random() < 0.5:
                    try:
                        s.recv(4096)
                    except OSError:
                        pass
            except OSError:
                pass
            if rng.random() < 0.5:  # reset instead of a clean close
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))


def main():
    bound_test(150)
    with Live() as live:
        errors = []
        threads = [threading.Thread(target=abuser, args=(live, i, errors)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        check(not errors, "abusers failed: %r" % errors[:3], live)
        check(live.proc.poll() is None, "mailsim died under abuse", live)
        # A well-behaved client is served normally afterwards (wait for the
        # abusers' sessions to be let go).
        for attempt in range(40):
            try:
                with smtplib.SMTP("127.0.0.1", live.port(NET, "smtp"), timeout=10) as s:
                    s.sendmail("carol@example.org", ["bob@example.net"],
                               "Subject: after the storm\r\n\r\nstill here\r\n")
                break
            except smtplib.SMTPResponseException as e:
                check(e.smtp_code == 421, "unexpected reply %r" % e, live)
                __import__("time").sleep(0.5)
        else:
            check(False, "never got a free connection after the abuse", live)
        check("after the storm" in live.output(), "the good message is not in the trace", live)
        check(live.stop() == 0, "mailsim did not exit 0 after SIGINT (sanitizer report?)", live)
        for line in live.snapshot():
            check("Sanitizer" not in line and "runtime error" not in line, line, live)
        summary = live.wait_for(r"^live: \d+ connection\(s\) from real clients", 5)
        print(summary)
        check(int(summary.split()[1]) >= 100, "too few connections reached mailsim", live)
    print("ok: 40 abusive clients, then a normal session; clean stop")


if __name__ == "__main__":
    main()
