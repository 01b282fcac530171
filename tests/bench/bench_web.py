#!/usr/bin/env python3
"""bench_web.py -- the page's budgets (make bench, make bench-web), measured
on build/web in headless Chromium on this machine:

  web_transfer_gzip_mb     every file the page loads (sw.js's list: page,
                           program, lessons, fonts), each gzipped as a web
                           server sends it (level 6)         budget: < 5 MB
  web_first_frame_ms       navigation start to the window's first frame
                           (the loop's first turn after the lesson opened),
                           first visit with an empty cache, median of 3
                                                             budget: < 2000 ms
  web_frame_1080p_ms       median time to draw a 1920x1080 frame in the page,
                           the workload of bench_ui's ui_frame_median_ms
  web_frame_ratio          that over the native ui_frame_median_ms (run
                           here, now)                        budget: <= 2
  web_loop_turn_ms         informative: one turn of the window's loop while
                           playing lesson 01 in a 1920x1080 canvas (events,
                           drawing, copying the frame to the canvas)
Prints "bench NAME VALUE UNIT" lines; exits 1 when a budget is missed, and
0 with a SKIP line when the web build or Chromium is missing."""
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webhelp  # noqa: E402

webhelp.reexec_with_debian_python(__file__)

BUDGET_GZIP_MB = 5.0
BUDGET_FIRST_MS = 2000.0
BUDGET_RATIO = 2.0


def transfer_size():
    with open(os.path.join(webhelp.WEB, "sw.js"), encoding="utf-8") as f:
        files = json.loads(re.search(r"const FILES = (\[.*?\]);", f.read(), re.S).group(1))
    total = 0
    for name in files:
        path = os.path.join(webhelp.WEB, "index.html" if name == "./" else name)
        with open(path, "rb") as f:
            total += len(gzip.compress(f.read(), compresslevel=6))
    return total + len(gzip.compress(open(os.path.join(webhelp.WEB, "sw.js"), "rb").read(), 6))


def first_frame(srv):
    d = webhelp.chromium(1280, 800)
    try:
        d.get(srv.url + "?lesson=01")
        return webhelp.wait(d, "window.mailsim && mailsim.state.firstFrameMs", 60, "the first frame")
    finally:
        webhelp.quit_chromium(d)


def native_frame_ms():
    b = os.path.join(webhelp.BUILD, "rel", "tests", "bench", "bench_ui")
    if not os.access(b, os.X_OK):
        subprocess.run(["make", "--no-print-directory", b], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([b], capture_output=True, text=True, check=True,
                         env=dict(os.environ, DISPLAY="")).stdout
    return float(re.search(r"^bench ui_frame_median_ms ([0-9.]+)", out, re.M).group(1))


def page_figures(srv):
    d = webhelp.chromium(1920, 1080 + 200)
    try:
        d.get(srv.url + "?lesson=01")
        webhelp.wait(d, "window.mailsim && mailsim.state.ready", 60, "the page")
        d.set_window_size(1920, 1080 + 200)
        d.execute_script("document.getElementById('canvas').style.height = '1080px';"
                         "document.getElementById('canvas').style.flex = 'none';"
                         "window.dispatchEvent(new Event('resize'))")
        webhelp.wait(d, "document.getElementById('canvas').width === 1920 && "
                        "document.getElementById('canvas').height === 1080", 20, "a 1920x1080 canvas")
        frame = d.execute_script("return mailsim.bench(1920, 1080, 60)")
        from selenium.webdriver.common.action_chains import ActionChains
        d.execute_script("mailsim.state.loopMs.length = 0")
        ActionChains(d).send_keys(" ").perform()
        time.sleep(3)
        turns = d.execute_script("return mailsim.state.loopMs.slice()")
        return frame, (statistics.median(turns) if turns else -1), len(turns)
    finally:
        webhelp.quit_chromium(d)


def main():
    miss = webhelp.missing_tools()
    if miss or not os.path.exists(os.path.join(webhelp.WEB, "mailsim.wasm")):
        print("bench web SKIP: %s; build it with: %s" % (
            "missing " + " ".join(miss) if miss else "no browser build in " + webhelp.WEB,
            webhelp.INSTALL))
        return 0
    over = []
    size_mb = transfer_size() / 1e6
    print("bench web_transfer_gzip_mb %.2f MB" % size_mb)
    if size_mb >= BUDGET_GZIP_MB:
        over.append("transfer %.2f MB >= %.1f MB" % (size_mb, BUDGET_GZIP_MB))
    srv = webhelp.Server()
    try:
        firsts = [first_frame(srv) for _ in range(3)]
        first = statistics.median(firsts)
        print("bench web_first_frame_ms %.0f ms" % first)
        if first >= BUDGET_FIRST_MS:
            over.append("first frame %.0f ms >= %.0f ms" % (first, BUDGET_FIRST_MS))
        frame, turn, n = page_figures(srv)
    finally:
        srv.stop()
    native = native_frame_ms()
    print("bench web_frame_1080p_ms %.2f ms" % frame)
    print("bench web_native_frame_1080p_ms %.2f ms" % native)
    ratio = frame / native if native > 0 else float("inf")
    print("bench web_frame_ratio %.2f x" % ratio)
    if frame < 0 or ratio > BUDGET_RATIO:
        over.append("frame %.2f ms is %.2f x native (budget %.1f x)" % (frame, ratio, BUDGET_RATIO))
    print("bench web_loop_turn_ms %.2f ms" % turn)
    sys.stderr.write("bench_web: first frames %s ms; %d loop turns while playing\n"
                     % (", ".join("%.0f" % f for f in firsts), n))
    for o in over:
        print("bench_web: OVER BUDGET: " + o)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
