"""Live mode under a slowloris attack: clients from another loopback address
(127.0.0.2) open more connections than --max-conns-per-addr allows and
trickle one byte at a time, in a command line and in DATA. The excess is
turned away with the per-address reply, the tricklers are cut when their
unanswered bytes are older than --line-timeout and slower than 1 KiB/s,
and throughout, a normal client from 127.0.0.1 sends and reads mail."""
import os
import poplib
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, Live, bound_test, check, connect, read_line  # noqa: E402

ATTACKER = "127.0.0.2"






class Trickler(threading.Thread):
    """Sends payload one byte every `gap` seconds; records how it ended."""

    def __init__(self, sock, prelude, payload, gap=0.25):
        super().__init__(daemon=True)
        self.s, self.prelude, self.payload, self.gap = sock, prelude, payload, gap
        self.ended = None   # the last line the server sent before closing
        self.cut_after = None

    def run(self):
        t0 = time.time()
        try:
            for cmd, want in self.prelude:
                self.s.sendall(cmd)
                line = read_line(self.s)
                while line[3:4] == b"-":
                    line = read_line(self.s)
                if not line.startswith(want):
                    self.ended = b"prelude: " + line
                    return
            t0 = time.time()
            for i in range(10000):
                self.s.sendall(self.payload[i % len(self.payload):][:1])
                time.sleep(self.gap)
        except OSError:
            pass
        self.cut_after = time.time() - t0
        try:
            self.s.settimeout(2)
            rest = b""
            while True:
                chunk = self.s.recv(4096)
                if not chunk:
                    break
                rest += chunk
            self.ended = rest
        except OSError as e:
            self.ended = self.ended or ("error %s" % e).encode()


def normal_client(live, n):
    port = live.port(NET, "smtp")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.sendmail("alice@example.org", ["dave@example.net"],
                   "Subject: during the attack %d\r\n\r\nstill works\r\n" % n)
    p = poplib.POP3("127.0.0.1", live.port(NET, "pop3"), timeout=10)
    p.user("dave")
    p.pass_("diver")
    count, _ = p.stat()
    p.quit()
    return count


def main():
    bound_test(120)
    with Live(extra=["--max-conns", "12", "--max-conns-per-addr", "4",
                     "--line-timeout", "2s"]) as live:
        port = live.port(NET, "smtp")
        greeted, refused = [], []
        for i in range(8):
            s = connect(port, ATTACKER)
            first = read_line(s)
            if first.startswith(b"220 "):
                greeted.append(s)
            else:
                refused.append(first)
                s.close()
        check(len(greeted) == 4, "%d attacker connections got in (limit 4)" % len(greeted), live)
        check(all(r == b"421 mail.example.net Service not available, closing transmission channel\r\n" for r in refused),
              "refusals: %r" % refused, live)
        # Two trickle in a command line, two in the DATA of a message.
        data_prelude = [(b"EHLO slow.example\r\n", b"250 "), (b"MAIL FROM:<s@slow.example>\r\n", b"250 "),
                        (b"RCPT TO:<bob@example.net>\r\n", b"250 "), (b"DATA\r\n", b"354 ")]
        ts = [Trickler(greeted[0], [], b"EHLO slowloris.example.com"),
              Trickler(greeted[1], [], b"NOOP ......................"),
              Trickler(greeted[2], data_prelude, b"x\r\n"),
              Trickler(greeted[3], data_prelude, b"line of a slow body\r\n")]
        for t in ts:
            t.start()
        # Meanwhile, normal clients from 127.0.0.1 send and read mail.
        for n in range(1, 4):
            count = normal_client(live, n)
            check(count == n, "normal client sees %d messages, wanted %d" % (count, n), live)
            time.sleep(0.3)
        for t in ts:
            t.join(20)
        for i, t in enumerate(ts):
            check(t.cut_after is not None and t.cut_after < 8,
                  "trickler %d not cut in time (%r)" % (i, t.cut_after), live)
            # the simulated server's own timeout reply (RFC 5321 4.5.3.2.7)
            check(t.ended == b"421 4.4.2 mail.example.net Error: timeout exceeded\r\n",
                  "trickler %d ended with %r" % (i, t.ended), live)
        # The slots came back at once: the attacker's address may connect again.
        s = connect(port, ATTACKER)
        check(read_line(s).startswith(b"220 "), "no room after the tricklers were cut", live)
        s.close()
        count = normal_client(live, 4)
        check(count == 4, "normal client after the attack sees %d" % count, live)
        rc = live.stop()
        out = live.output()
        check(rc == 0, "exit %s" % rc, live)
        check("too slow 4;" in out and "too many from one address 4;" in out,
              "summary does not count the cuts", live)
    print("ok: 4 refused by address, 4 tricklers cut, normal clients served throughout")


if __name__ == "__main__":
    main()
