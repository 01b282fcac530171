"""Live mode webmail: a message composed in the browser gets MIME headers
(UTF-8 text/plain, a 7-bit-safe transfer encoding), checked through IMAP's
BODYSTRUCTURE and the decoded body; a POST /send needs the compose page's
token and a same-origin Origin or Referer: a cross-site form, a form without
the token and a request with neither header are refused with 403 and
nothing is sent."""
import base64
import email
import email.policy
import http.client
import imaplib
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from livehelp import HERE, ORG, Live, bound_test, check, connect, read_line  # noqa: E402

AUTH = "Basic " + base64.b64encode(b"alice:wonderland").decode()
BODY = "Grüße aus Köln, naïve café — 10 €.\nSecond line.\n"


def request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Authorization": AUTH}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, data


def post(port, fields, headers):
    body = urllib.parse.urlencode(fields)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers)
    return request(port, "POST", "/send", h, body)


def carol_count(live):
    m = imaplib.IMAP4("127.0.0.1", live.port(ORG, "imap"), timeout=10)
    m.login("carol", "lookingglass")
    typ, data = m.select("INBOX")
    m.logout()
    return int(data[0])


def main():
    bound_test(90)
    with Live(scenario=os.path.join(HERE, "live-webmail.json")) as live:
        port = live.port(ORG, "http")
        here = "http://127.0.0.1:%d" % port
        status, page = request(port, "GET", "/compose")
        check(status == 200, "GET /compose: %d" % status, live)
        m = re.search(r'name="token" value="([0-9a-f]{32})"', page)
        check(m, "no token in the compose page", live)
        token = m.group(1)
        form = {"token": token, "to": "carol@example.org", "subject": "Ünïcode",
                "body": BODY}
        # Refused: cross-site Origin; no token; wrong token; no Origin/Referer;
        # a cross-site Referer.
        for fields, headers, what in (
                (form, {"Origin": "http://evil.example"}, "Origin"),
                ({k: v for k, v in form.items() if k != "token"}, {"Origin": here}, "token"),
                (dict(form, token="0" * 32), {"Origin": here}, "token"),
                (form, {}, "Origin or Referer"),
                (form, {"Referer": "http://evil.example/page.html"}, "Referer")):
            status, page = post(port, fields, headers)
            check(status == 403 and "Not sent" in page and what in page,
                  "POST with %r accepted or wrong: %d" % (headers, status), live)
        time.sleep(0.3)
        check(carol_count(live) == 0, "a refused POST sent mail", live)
        # Accepted: same origin (Origin, then Referer only), with the token.
        status, page = post(port, form, {"Origin": here})
        check(status == 200, "same-origin POST: %d %s" % (status, page[:200]), live)
        status, page = post(port, dict(form, subject="by Referer"), {"Referer": here + "/compose"})
        check(status == 200, "same-origin POST by Referer: %d" % status, live)
        time.sleep(0.3)
        m = imaplib.IMAP4("127.0.0.1", live.port(ORG, "imap"), timeout=10)
        m.login("carol", "lookingglass")
        typ, data = m.select("INBOX")
        check(int(data[0]) == 2, "carol has %s messages" % data[0], live)
        typ, data = m.fetch("1", "(BODYSTRUCTURE RFC822)")
        check(typ == "OK", "FETCH", live)
        meta = data[0][0].decode()
        check('("TEXT" "PLAIN" ("CHARSET" "utf-8")' in meta.upper().replace('"UTF-8"', '"utf-8"')
              or '("text" "plain" ("charset" "utf-8")' in meta,
              "BODYSTRUCTURE is not text/plain utf-8: %s" % meta, live)
        check("QUOTED-PRINTABLE" in meta.upper() or "8BIT" in meta.upper(),
              "transfer encoding: %s" % meta, live)
        msg = email.message_from_bytes(data[0][1], policy=email.policy.default)
        check(msg["MIME-Version"] == "1.0", "no MIME-Version", live)
        check(msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8",
              "content type %s" % msg["Content-Type"], live)
        check(str(msg["Subject"]) == "Ünïcode", "subject %r" % str(msg["Subject"]), live)
        check(msg.get_content().replace("\r\n", "\n") == BODY,
              "body came back as %r" % msg.get_content(), live)
        m.logout()
        check(live.stop() == 0, "exit status", live)
    # Over the connection cap, webmail's own engine answers 503 (RFC 9110
    # 15.6.4), traced like any line.
    with Live(scenario=os.path.join(HERE, "live-webmail.json"), extra=["--max-conns", "1"]) as live:
        hold = connect(live.port(ORG, "imap"))
        check(read_line(hold).startswith(b"* OK"), "IMAP greeting", live)
        status, page = request(live.port(ORG, "http"), "GET", "/compose")
        check(status == 503 and "too many connections" in page, "over the cap: %d %r" % (status, page),
              live)
        live.wait_for(r"mail\.example\.org -> real-client  HTTP S: HTTP/1\.1 503 Service Unavailable", 10)
        hold.close()
        check(live.stop() == 0, "exit status", live)
    print("ok: webmail MIME (text/plain utf-8, %s); 5 forged POSTs refused with 403; 503 over the cap"
          % msg["Content-Transfer-Encoding"])


if __name__ == "__main__":
    main()
