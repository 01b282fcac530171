"""Live mode and a simulated server that is down (docs/live-mode.md, "When
the simulated server cannot answer"): its real ports do not listen, so a
real client's connect is refused, as by a real host that is off; nobody
answers for it with a made-up reply. The other server works meanwhile, and
once the scenario brings the host up its ports listen again and its engine
greets as usual. A session opened before the host went down is reset (the
host forgot it), with no reply."""
import errno
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check, connect, read_line  # noqa: E402

SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "live-down.json")


def refused(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
    except ConnectionRefusedError:
        return True
    except OSError as e:
        return e.errno == errno.ECONNREFUSED
    finally:
        s.close()
    return False


def main():
    bound_test(120)
    with Live(scenario=SCENARIO) as live:
        # A session under way before the host goes down (at 5 s).
        before = connect(live.port(NET, "smtp"))
        check(read_line(before).startswith(b"220 mail.example.net"), "greeting before down", live)
        live.wait_for(r"^live: mail\.example\.net smtp port \d+ closed: the simulated server is down",
                      20)
        t_down = time.time()
        for proto in ("smtp", "submission", "pop3", "imap"):
            check(refused(live.port(NET, proto)), "%s of a down server accepted a connection"
                  % proto, live)
        # The other server carries on.
        s = connect(live.port(ORG, "smtp"))
        check(read_line(s).startswith(b"220 mail.example.org"), "mail.example.org greeting", live)
        s.close()
        # Up again (at 8 s simulated time, which follows the wall clock).
        live.wait_for(r"^live: mail\.example\.net smtp port \d+ listens again", 20)
        check(time.time() - t_down > 1, "the port listened again too early", live)
        # The host forgot the old session: its next command meets a reset in
        # the simulation, and the real connection is reset too, no reply.
        before.sendall(b"NOOP\r\n")
        try:
            got = before.recv(100)
        except ConnectionResetError:
            got = "reset"
        check(got == "reset", "old session after the host came back: %r" % (got,), live)
        before.close()
        live.wait_for(r"ended: connection reset by peer; the real connection is reset", 10)
        for proto, greet in (("smtp", b"220 mail.example.net"), ("pop3", b"+OK"),
                             ("imap", b"* OK")):
            s = connect(live.port(NET, proto))
            got = read_line(s)
            check(got.startswith(greet), "%s greeting after the host came up: %r" % (proto, got),
                  live)
            s.close()
        out = live.output()
        check(re.search(r"mail\.example\.net is down: its live ports \d+ \(smtp\), \d+ \(submission\), "
                        r"\d+ \(pop3\), \d+ \(imap\) stop listening", out),
              "no narration of the closed ports", live)
        check(live.stop() == 0, "mailsim did not stop cleanly", live)
        check("server unreachable 0;" in live.output(), "summary: %s" % live.output()[-600:], live)
    print("ok: a down server's ports refuse connections, and listen again once it is up")


if __name__ == "__main__":
    main()
