"""webhelp.py -- what the browser test and the web benchmark share: the
page's folder served on 127.0.0.1, headless Chromium driven by Selenium
(Debian's chromium, chromium-driver, python3-selenium), PNG pixels (python3-pil),
and the native mailsim for reference frames.

Debian's python3 packages live in /usr/bin/python3; a script run by another
python3 (pyenv, a venv) re-executes itself there (reexec_with_debian_python)."""
import base64
import functools
import http.server
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

CI = os.environ.get("CI") == "true"
BUILD = os.environ.get("MAILSIM_BUILD", "build")
WEB = os.path.join(BUILD, "web")
INSTALL = "make deps-web && make web"


def reexec_with_debian_python(script):
    try:
        import selenium  # noqa: F401
        import PIL  # noqa: F401
        return
    except ImportError:
        pass
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3") \
            and not os.environ.get("MAILSIM_WEB_REEXEC"):
        env = dict(os.environ, MAILSIM_WEB_REEXEC="1")
        sys.exit(subprocess.call(["/usr/bin/python3", os.path.abspath(script)] + sys.argv[1:],
                                 env=env))


def missing_tools():
    """What the browser test needs and this machine lacks (a list of words)."""
    miss = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        miss.append("python3-selenium")
    try:
        import PIL  # noqa: F401
    except ImportError:
        miss.append("python3-pil")
    if not shutil.which("chromium"):
        miss.append("chromium")
    if not shutil.which("chromedriver"):
        miss.append("chromium-driver")
    return miss


def skip_or_fail(name, what):
    """The web toolchain or build is missing: fail under CI, else skip (77)."""
    if CI:
        print("FAIL: %s: %s (CI=true: the browser test is required; run %s)" % (name, what, INSTALL))
        sys.exit(1)
    print("SKIP: %s: %s; install and build with: %s" % (name, what, INSTALL))
    sys.exit(77)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        # Always ask the server: the page's own service worker does the caching.
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


class Server:
    """build/web on http://127.0.0.1:PORT/, in a thread; .stop() takes it away."""

    def __init__(self, root=WEB):
        handler = functools.partial(_Quiet, directory=root)
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d/" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def chromium(width=1280, height=800):
    """Headless Chromium with a fresh profile; caller quits it (and removes
    driver.profile_dir)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="mailsim-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
              "--user-data-dir=" + profile, "--window-size=%d,%d" % (width, height)):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    d.profile_dir = profile
    d.set_script_timeout(60)
    return d


def quit_chromium(d):
    try:
        d.quit()
    finally:
        shutil.rmtree(d.profile_dir, ignore_errors=True)


def wait(d, js, timeout=60, what=None):
    """Poll the page until js (an expression) is truthy; its value."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = d.execute_script("return " + js)
        except Exception as e:  # the page is between loads
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.05)
    err = d.execute_script("return window.mailsim ? window.mailsim.state.error : 'no page'")
    raise AssertionError("timed out waiting for %s (last: %r; page error: %r)"
                         % (what or js, last, err))


def canvas_png(d):
    """The canvas's pixels, exactly (toDataURL is lossless PNG)."""
    url = d.execute_script("return document.getElementById('canvas').toDataURL('image/png')")
    return base64.b64decode(url.split(",", 1)[1])


def rgb(png_bytes):
    from PIL import Image
    return Image.open(io.BytesIO(png_bytes)).convert("RGB")


def native_bin():
    for b in ("./mailsim", os.path.join(BUILD, "rel", "mailsim"), os.path.join(BUILD, "san", "mailsim")):
        if os.access(b, os.X_OK):
            return b
    return None


def native_frame(scenario, step, w, h, out_dir):
    """mailsim --render-step step --size WxH: the reference frame."""
    out = os.path.join(out_dir, "native-%d-%dx%d.png" % (step, w, h))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run([native_bin(), "--render-step", str(step), "--size", "%dx%d" % (w, h),
                        "--out", out, scenario], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise AssertionError("native --render-step %d failed: %s" % (step, r.stderr))
    with open(out, "rb") as f:
        return f.read()


def compare(a, b):
    """(pixels that differ, largest channel difference, total pixels) of two images."""
    from PIL import ImageChops
    if a.size != b.size:
        return (a.size[0] * a.size[1], 255, a.size[0] * a.size[1])
    diff = ImageChops.difference(a, b)
    bbox = diff.getbbox()
    if not bbox:
        return (0, 0, a.size[0] * a.size[1])
    gray = diff.convert("L").point(lambda v: 255 if v else 0)
    n = sum(1 for v in gray.getdata() if v)
    return (n, max(hi for lo, hi in diff.getextrema()), a.size[0] * a.size[1])
