"""Live mode: a connection's slot is free the moment its client closes,
whatever the dialogue's state. With --max-conns 2, clients close (FIN, or
RST) at every point of an SMTP, POP3 and IMAP dialogue; each time, two new
clients are greeted at once, never "too many connections"."""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check, connect, read_line, read_reply  # noqa: E402








def send_expect(s, cmd, prefix, live, reader=read_line):
    s.sendall(cmd)
    got = reader(s)
    check(got.startswith(prefix), "%r answered %r" % (cmd, got), live)


def smtp_points(port, sub_port, live):
    """(name, function that leaves an open socket at that point); the AUTH
    point on sub_port (submission, where AUTH is offered)."""
    def fresh():
        return connect(port)

    def greeted():
        s = connect(port)
        check(read_line(s).startswith(b"220 "), "SMTP greeting", live)
        return s

    def half_line():
        s = greeted()
        s.sendall(b"EHLO stu")
        return s

    def after_ehlo():
        s = greeted()
        send_expect(s, b"EHLO student.example\r\n", b"250", live, read_reply)
        return s

    def after_auth_challenge():
        s = connect(sub_port)
        check(read_line(s).startswith(b"220 "), "SMTP greeting", live)
        send_expect(s, b"EHLO student.example\r\n", b"250", live, read_reply)
        send_expect(s, b"AUTH LOGIN\r\n", b"334 ", live)
        return s

    def in_data():
        s = greeted()
        send_expect(s, b"EHLO student.example\r\n", b"250", live, read_reply)
        send_expect(s, b"MAIL FROM:<x@example.org>\r\n", b"250 ", live)
        send_expect(s, b"RCPT TO:<bob@example.net>\r\n", b"250 ", live)
        send_expect(s, b"DATA\r\n", b"354 ", live)
        s.sendall(b"Subject: cut short\r\n\r\nhalf a mes")
        return s

    return [("smtp before greeting", fresh), ("smtp after greeting", greeted),
            ("smtp mid-line", half_line), ("smtp after EHLO", after_ehlo),
            ("smtp AUTH challenge", after_auth_challenge), ("smtp in DATA", in_data)]


def pop3_points(port, live):
    def greeted():
        s = connect(port)
        check(read_line(s).startswith(b"+OK"), "POP3 greeting", live)
        return s

    users = [(b"bob", b"builder"), (b"dave", b"diver")]

    def after_user():
        s = greeted()
        send_expect(s, b"USER bob\r\n", b"+OK", live)
        return s

    def locked():  # bob and dave in turn: each maildrop has one lock
        user, password = users.pop(0)
        users.append((user, password))
        s = greeted()
        send_expect(s, b"USER " + user + b"\r\n", b"+OK", live)
        send_expect(s, b"PASS " + password + b"\r\n", b"+OK", live)
        return s

    return [("pop3 after greeting", greeted), ("pop3 after USER", after_user),
            ("pop3 maildrop locked", locked)]


def imap_points(port, live):
    def greeted():
        s = connect(port)
        check(read_line(s).startswith(b"* OK"), "IMAP greeting", live)
        return s

    def logged_in():
        s = greeted()
        send_expect(s, b"a1 LOGIN bob builder\r\n", b"a1 OK", live)
        return s

    def idling():
        s = logged_in()
        send_expect(s, b"a2 SELECT INBOX\r\n", b"*", live)
        while not read_line(s).startswith(b"a2 "):
            pass
        send_expect(s, b"a3 IDLE\r\n", b"+ ", live)
        return s

    def mid_literal():
        s = logged_in()
        send_expect(s, b"a2 APPEND INBOX {40}\r\n", b"+ ", live)
        s.sendall(b"Subject: x\r\n\r\nonly a")
        return s

    return [("imap after greeting", greeted), ("imap logged in", logged_in),
            ("imap in IDLE", idling), ("imap mid-literal", mid_literal)]


def close(s, rst):
    if rst:  # SO_LINGER 0: the kernel sends RST instead of FIN
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def room_for_two(port, greet, what, live):
    """Two new clients are greeted within a second (--max-conns 2)."""
    deadline = time.time() + 1.0
    while True:
        a, b = connect(port), connect(port)
        ga, gb = read_line(a), read_line(b)
        if ga.startswith(greet) and gb.startswith(greet):
            close(a, True)
            close(b, True)
            return
        close(a, True)
        close(b, True)
        check(time.time() < deadline,
              "after %s: new clients got %r / %r (slot not freed)" % (what, ga, gb), live)
        print("retry after %s: %r / %r" % (what, ga, gb))
        time.sleep(0.1)


def main():
    bound_test(170)
    with Live(extra=["--max-conns", "2"]) as live:
        cases = [(live.port(NET, "smtp"), b"220 ", smtp_points(live.port(NET, "smtp"), live.port(ORG, "submission"), live)),
                 (live.port(NET, "pop3"), b"+OK", pop3_points(live.port(NET, "pop3"), live)),
                 (live.port(NET, "imap"), b"* OK", imap_points(live.port(NET, "imap"), live))]
        n = 0
        for port, greet, points in cases:
            for name, make in points:
                for rst in (False, True):
                    first, second = make(), make()  # both slots taken at this point
                    close(first, rst)
                    close(second, rst)
                    room_for_two(port, greet, "%s (%s)" % (name, "RST" if rst else "FIN"), live)
                    n += 1
        # The maildrop lock went with the session: bob can log in again.
        s = connect(live.port(NET, "pop3"))
        read_line(s)
        send_expect(s, b"USER bob\r\n", b"+OK", live)
        send_expect(s, b"PASS builder\r\n", b"+OK", live)
        send_expect(s, b"QUIT\r\n", b"+OK", live)
        s.close()
        rc = live.stop()
        check(rc == 0, "exit %s" % rc, live)
        check("turned away busy 0;" in live.output(), "a client was turned away", live)
    print("ok: %d close points, each slot free at once" % n)


if __name__ == "__main__":
    main()
