"""Live mode with Thunderbird (optional: SKIP, exit 77, without thunderbird,
Xvfb, xdotool or certutil; Thunderbird is too big for scripts/deps.sh).

Under Xvfb, with a profile made here (user.js: an IMAP or POP3 account for
bob and an SMTP server on mail.example.net's submission port), each of RUNS:
IMAP and POP3, each plain, with STARTTLS (--tls; STLS for POP3) and on the
implicit-TLS ports (--tls; imaps or pop3s, and submissions: RFC 8314), with
the certificate mailsim made trusted in the profile's NSS database with
certutil. Thunderbird logs in (the password typed into its prompt with
xdotool) and fetches the message smtplib delivered: over IMAP, SELECT INBOX
and its header fields (BODY.PEEK[HEADER.FIELDS ...], for the message list;
the body, BODY.PEEK[], comes when Thunderbird's offline sync gets to it,
which under load can be minutes, so it is not waited for); over POP3, RETR 1,
DELE 1 and QUIT. Started again with -compose, it sends a message
(Ctrl+Return) that is delivered to alice. Every check reads the live trace:
the real client's lines as the server's engine read them. Arguments run
some of RUNS only: test_thunderbird.py pop3-implicit imap-plain."""
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import NET, ORG, Live, bound_test, check, wait_until  # noqa: E402

TOOLS = ("thunderbird", "Xvfb", "xdotool", "certutil")


def skip_without_tools():
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        print("SKIP: %s not installed (optional: apt-get install thunderbird xvfb xdotool "
              "libnss3-tools)" % ", ".join(missing))
        sys.exit(77)


def start_xvfb():
    """Xvfb on a free display; returns (process, ":N")."""
    r, w = os.pipe()
    xv = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                           "-nolisten", "tcp"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        num = f.readline().strip()
    if not num:
        xv.kill()
        raise AssertionError("Xvfb did not start")
    return xv, ":" + num


# Thunderbird's socketType / try_ssl: 0 plain, 2 STARTTLS, 3 SSL/TLS (implicit).
SOCKET = {"plain": 0, "starttls": 2, "implicit": 3}


def user_js(path, incoming, in_port, smtp_port, security):
    tls = security != "plain"
    host = "localhost" if tls else "127.0.0.1"  # the certificate names localhost
    sock = SOCKET[security]
    prefs = {
        "mail.accountmanager.accounts": "account1,account2",
        "mail.accountmanager.defaultaccount": "account1",
        "mail.accountmanager.localfoldersserver": "server2",
        "mail.account.account1.server": "server1",
        "mail.account.account1.identities": "id1",
        "mail.account.account2.server": "server2",
        "mail.server.server2.type": "none",
        "mail.server.server2.hostname": "Local Folders",
        "mail.server.server2.userName": "nobody",
        "mail.server.server1.type": incoming,
        "mail.server.server1.hostname": host,
        "mail.server.server1.port": in_port,
        "mail.server.server1.userName": "bob",
        "mail.server.server1.name": "bob@example.net",
        "mail.server.server1.socketType": sock,
        "mail.server.server1.authMethod": 3,  # "Normal password"
        "mail.server.server1.login_at_startup": True,
        "mail.server.server1.check_new_mail": True,
        "mail.server.server1.offline_download": True,
        "mail.server.server1.download_on_biff": True,   # POP3: fetch, not only count
        "mail.server.server1.leave_on_server": False,   # POP3: DELE after RETR
        "mail.identity.id1.fullName": "Bob Smith",
        "mail.identity.id1.useremail": "bob@example.net",
        "mail.identity.id1.smtpServer": "smtp1",
        "mail.identity.id1.valid": True,
        "mail.smtpservers": "smtp1",
        "mail.smtp.defaultserver": "smtp1",
        "mail.smtpserver.smtp1.hostname": host,
        "mail.smtpserver.smtp1.port": smtp_port,
        "mail.smtpserver.smtp1.authMethod": 1,  # no AUTH: example.net does not ask for it
        "mail.smtpserver.smtp1.try_ssl": sock,
        "mail.shell.checkDefaultClient": False,
        "mailnews.start_page.enabled": False,
        "mail.provider.suppress_dialog_on_startup": True,
        "mail.warn_on_send_accel_key": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "app.update.enabled": False,
        "mail.rights.version": 1,
    }
    with open(os.path.join(path, "user.js"), "w") as f:
        for k, v in prefs.items():
            val = ("true" if v else "false") if isinstance(v, bool) else (
                str(v) if isinstance(v, int) else '"%s"' % v)
            f.write('user_pref("%s", %s);\n' % (k, val))


class Thunderbird:
    def __init__(self, display, profile, home, args=()):
        self.env = dict(os.environ, DISPLAY=display, HOME=home, MOZ_DISABLE_AUTO_SAFE_MODE="1")
        self.seen, self.answered = {}, set()
        self.log = open(os.path.join(home, "thunderbird.log"), "a")
        self.proc = subprocess.Popen(["thunderbird", "--no-remote", "--profile", profile]
                                     + list(args), env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def xdo(self, *args):
        return subprocess.run(["xdotool"] + list(args), env=self.env, capture_output=True,
                              text=True).stdout

    def window(self, prefix):
        for w in self.xdo("search", "--name", ".").split():
            if self.xdo("getwindowname", w).startswith(prefix):
                return w
        return None

    def type_password(self, password):
        """Answer the password prompt once it has been open a while (the
        keyboard focus is then on its field); True while one is open."""
        w = self.window("Enter your password")
        if not w:
            return False
        seen = self.seen.setdefault(w, time.time())
        if time.time() - seen >= 1.5 and w not in self.answered:
            self.xdo("key", "ctrl+a")
            self.xdo("type", "--delay", "40", password)
            self.xdo("key", "Return")
            self.answered.add(w)
        return True

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def one_run(display, tmp, incoming, security):
    """Receive with incoming ("imap" or "pop3") and send over submission,
    both with security "plain", "starttls" or "implicit" (RFC 8314 ports)."""
    mode = "%s-%s" % (incoming, security)
    tls = security != "plain"
    implicit = security == "implicit"
    with Live(extra=["--tls"] if tls else []) as live:
        with smtplib.SMTP("127.0.0.1", live.port(ORG, "submission"), timeout=10) as s:
            s.login("alice", "wonderland")
            s.sendmail("alice@example.org", ["bob@example.net"],
                       "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\n"
                       "Subject: Hello from smtplib\r\n\r\nThunderbird, read me.\r\n")
        live.wait_for(r"delivered <alice@example\.org> -> <bob@example\.net>: into bob's INBOX", 20)
        profile, home = os.path.join(tmp, mode, "profile"), os.path.join(tmp, mode, "home")
        os.makedirs(profile)
        os.makedirs(home)
        in_service = incoming + ("s" if implicit else "")
        user_js(profile, incoming, live.port(NET, in_service),
                live.port(NET, "submissions" if implicit else "submission"), security)
        if tls:
            cert = re.search(r"certificate (\S+-cert\.pem) \(self-signed", live.output()).group(1)
            for args in (["-N", "--empty-password"], ["-A", "-n", "mailsim live", "-t", "C,,", "-i", cert]):
                subprocess.run(["certutil", "-d", "sql:" + profile] + args, check=True,
                               stdout=subprocess.DEVNULL)
        proto = incoming.upper()
        c = r"real-client -> mail\.example\.net  %s C: " % proto
        inside = (r"[^\n]*\[sent real client -> real client\] \(inside TLS: only the endpoints "
                  r"see this\)" if tls else r"[^\n]*\[sent real client -> real client\]\n")
        if incoming == "imap":
            got_it = c + r"\S+ UID fetch 1 \([^\n]*BODY\.PEEK\[(?:\]|HEADER\.FIELDS)" + inside
        else:
            got_it = c + r"RETR 1" + inside
        tb = Thunderbird(display, profile, home)
        try:
            fetched = wait_until(lambda: (tb.type_password("builder") and False) or re.search(
                got_it, live.output()), 180, 1)
            if incoming == "pop3":  # then DELE and QUIT: the UPDATE state
                wait_until(lambda: re.search(c + r"QUIT" + inside, live.output()), 30, 1)
        finally:
            tb.stop()
        out = live.output()
        check(fetched, "%s: Thunderbird fetched nothing of the message" % mode, live)
        if incoming == "imap":
            check(re.search(c + r"\S+ authenticate PLAIN" + inside, out, re.I)
                  and re.search(c + r"\S+ select \"INBOX\"" + inside, out, re.I),
                  "%s: no login or SELECT INBOX from Thunderbird" % mode, live)
        else:
            check(re.search(c + r"(?:AUTH PLAIN|PASS )" + inside, out)
                  and re.search(c + r"DELE 1" + inside, out)
                  and re.search(c + r"QUIT" + inside, out),
                  "%s: no login, DELE or QUIT from Thunderbird" % mode, live)
        if security == "starttls":
            start = (r"IMAP S: \S+ OK Begin TLS negotiation now" if incoming == "imap"
                     else r"POP3 S: \+OK Begin TLS")
            check(re.search(start + r".*\(STARTTLS accepted", out),
                  "%s: Thunderbird did not use STARTTLS" % mode, live)
            check(re.search(r"real-client -> mail\.example\.net  %s C: (?:STLS|\S+ STARTTLS)"
                            % proto, out, re.I), "%s: no STARTTLS command" % mode, live)
        if implicit:
            check(re.search(r"Implicit TLS - from the first byte the connection is encrypted \(live "
                            r"connection \d+, %s,"
                            % in_service, out), "%s: no implicit TLS on %s" % (mode, in_service),
                  live)
            check(not re.search(r"(?:POP3|IMAP|SMTP) [CS]: [^\n]*(?:STLS|STARTTLS)",
                                out[out.find("Implicit TLS"):]),
                  "%s: STARTTLS offered or used on an implicit-TLS port" % mode, live)
        # Send: -compose fills the window, Ctrl+Return sends it.
        tb = Thunderbird(display, profile, home, ["-compose", "to='alice@example.org',"
                                                  "subject='Reply from Thunderbird',"
                                                  "body='Sent by Thunderbird through mailsim.'"])
        pressed = []
        try:
            def sent():
                prompt = tb.type_password("builder")
                compose = tb.window("Reply from Thunderbird") or tb.window("Write:")
                # Ctrl+Return once the window has the keyboard (no prompt over
                # it); again if it is still open 15 s later (the keys went
                # elsewhere: a sent message closes it).
                if compose and not prompt and (not pressed or time.time() - pressed[-1] > 15):
                    time.sleep(2)
                    tb.xdo("key", "ctrl+Return")
                    pressed.append(time.time())
                return re.search(r"delivered <bob@example\.net> -> <alice@example\.org>: into "
                                 r"alice's INBOX", live.output())
            ok = wait_until(sent, 180, 2)
        finally:
            tb.stop()
        out = live.output()
        check(ok, "%s: the message Thunderbird sent was not delivered" % mode, live)
        check(re.search(r"real-client -> mail\.example\.net  SMTP C: MAIL FROM:<bob@example\.net>"
                        + inside, out), "%s: no MAIL FROM from Thunderbird" % mode, live)
        if implicit:
            check(re.search(r"Implicit TLS - from the first byte the connection is encrypted \(live "
                            r"connection \d+, submissions,", out), "%s: no implicit TLS on submissions" % mode,
                  live)
        check(live.stop() == 0, "%s: exit status" % mode, live)


# What is run: IMAP or POP3 to read, submission to send, plain, with STARTTLS
# on the usual ports, and with implicit TLS on imaps / pop3s and submissions.
RUNS = tuple((incoming, security) for incoming in ("imap", "pop3")
             for security in ("plain", "starttls", "implicit"))


def main():
    skip_without_tools()
    runs = [tuple(a.split("-")) for a in sys.argv[1:]] or RUNS  # e.g. pop3-implicit
    bound_test(240 * len(runs))
    xv, display = start_xvfb()
    tmp = tempfile.mkdtemp(prefix="mailsim-tb-")
    try:
        for incoming, security in runs:
            one_run(display, tmp, incoming, security)
    finally:
        xv.terminate()
        xv.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok: Thunderbird reads and sends: %s" % ", ".join("-".join(r) for r in runs))


if __name__ == "__main__":
    main()
