#!/usr/bin/env python3
"""test_web.py -- mailsim's page (make web: build/web) in a real browser,
headless Chromium driven by Selenium, against the native program:

  1. ?lesson=01&step=K opens lesson 01 at step K; the canvas's pixels equal
     the native `mailsim --render-step K --size WxH` frame of the same size
     (same C code, same bundled fonts, same versions of SDL2, FreeType,
     HarfBuzz and SDL2_ttf built from the same Debian sources: every glyph
     and every line in the same place), within TOLERANCE (below);
  2. Right, Shift+Right and Left move the step as in the native window, and
     each frame equals the native frame of that step; the address bar
     follows the step;
  3. a broken scenario file, opened through the file input and dropped on
     the page, shows the native loader's error (file:line:col) on the page,
     and the lesson stays;
  4. ?lesson=03&step=120 opens that moment; the picker names lesson 03;
     every shipped lesson opens in the page with as many steps as the
     native run has (the same simulation, record for record, in WebAssembly);
  5. resizing the browser window resizes the frame (again equal to native);
     F enters and leaves full screen, the frame following;
  6. once loaded, the page works with its server gone (offline).

Skipped (exit 77, saying so) only when the web toolchain or build is missing
and CI is not set; under CI=true that is a failure."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webhelp  # noqa: E402
from webhelp import wait  # noqa: E402

webhelp.reexec_with_debian_python(__file__)

LESSON01 = "scenarios/01-alice-to-bob.json"
K = 30
# Why not zero: text is blended onto the frame by SDL2's blitter for
# ARGB pixels with alpha. On x86-64 the native SDL2 uses its MMX routine,
# (src*a >> 8) + (dst*(255-a) >> 8); WebAssembly has no MMX, so the same
# SDL2 uses its portable C routine, dst + ((src-dst)*a >> 8). The two round
# apart by at most 2 levels of 255 per blend (checked over every src, dst
# and alpha), so by at most 4 where text lies on a blended highlight. Only
# the antialiased edges of text differ; a glyph or a line out of place
# differs by far more than 4, and so does the next step's frame (checked).
TOLERANCE = 4          # largest difference of a channel, of 255
MAX_SHARE = 0.05       # of the pixels, at most this many may differ at all
failures = []
LOGS = os.path.join(webhelp.BUILD, "test-logs", "web")


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def same_frame(d, step, what, tmp):
    """The canvas equals the native frame at step, at the canvas's size."""
    w, h = d.execute_script("const c = document.getElementById('canvas'); return [c.width, c.height]")
    page = webhelp.rgb(webhelp.canvas_png(d))
    native = webhelp.rgb(webhelp.native_frame(LESSON01, step, w, h, tmp))
    n, worst, total = webhelp.compare(page, native)
    ok = worst <= TOLERANCE and n <= MAX_SHARE * total
    if not ok:
        os.makedirs(LOGS, exist_ok=True)
        base = os.path.join(LOGS, "step-%d-%dx%d" % (step, w, h))
        page.save(base + "-page.png")
        native.save(base + "-native.png")
    check(ok, "%s: step %d at %dx%d equals the native frame (%d of %d pixels differ, "
          "by at most %d of 255; tolerance %d%s)" % (what, step, w, h, n, total, worst, TOLERANCE,
                                                     "" if ok else "; both saved under " + LOGS))
    return native


def step_now(d):
    return d.execute_script("return mailsim.step()")


def press(d, *keys):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    a = ActionChains(d)
    if "shift" in keys:
        a.key_down(Keys.SHIFT)
    for k in keys:
        if k != "shift":
            a.send_keys(getattr(Keys, k) if hasattr(Keys, k) else k)
    if "shift" in keys:
        a.key_up(Keys.SHIFT)
    a.perform()


def wait_step(d, old, what):
    """Wait for the window to leave step old (and draw); the new step."""
    return wait(d, "mailsim.step() !== %d && mailsim.step()" % old, 30, what)


def native_error(path):
    """What the native program says about a bad scenario file."""
    import subprocess
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    d = os.path.dirname(path)
    r = subprocess.run([os.path.abspath(webhelp.native_bin()), "--text", os.path.basename(path)],
                       capture_output=True, text=True, cwd=d, env=env)
    line = r.stderr.strip().splitlines()[0] if r.stderr.strip() else ""
    return r.returncode, line[len("mailsim: "):] if line.startswith("mailsim: ") else line


def native_steps(scenario):
    """N of the native run, from the native program's own range message."""
    import re
    import subprocess
    r = subprocess.run([webhelp.native_bin(), "--render-step", "99999999", "--out", "/dev/null",
                        scenario], capture_output=True, text=True,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    m = re.search(r"the trace has steps 0\.\.(\d+)", r.stderr)
    if not m:
        raise AssertionError("native mailsim gave no step range for %s: %s" % (scenario, r.stderr))
    return int(m.group(1))


BROKEN = """{
  "title": "broken",
  "hosts": [ { "name": "a", "kind": "pc", } ]
}
"""


def main():
    miss = webhelp.missing_tools()
    if miss:
        webhelp.skip_or_fail("test_web", "missing Debian packages: " + " ".join(miss))
    if not os.path.exists(os.path.join(webhelp.WEB, "mailsim.wasm")):
        webhelp.skip_or_fail("test_web", "no browser build in %s" % webhelp.WEB)
    if not webhelp.native_bin():
        print("FAIL: no native mailsim to compare with (run make)")
        sys.exit(1)
    tmp = tempfile.mkdtemp(prefix="mailsim-web-test-")
    srv = webhelp.Server()
    d = webhelp.chromium(1280, 800)
    try:
        run(d, srv, tmp)
    finally:
        webhelp.quit_chromium(d)
        srv.stop()
    if failures:
        print("test_web: %d check(s) failed" % len(failures))
        sys.exit(1)
    print("test_web: all checks passed")


def run(d, srv, tmp):
    # 1. A link to a moment, and the frame there.
    t0 = time.time()
    d.get(srv.url + "?lesson=01&step=%d" % K)
    wait(d, "window.mailsim && mailsim.state.ready && mailsim.step() === %d" % K, 60,
         "lesson 01 at step %d" % K)
    print("page ready in %.1f s" % (time.time() - t0))
    check(d.execute_script("return document.getElementById('lesson').value") == "01",
          "the picker shows lesson 01")
    n_opts = d.execute_script("return document.querySelectorAll('#lesson option:not([disabled])').length")
    n_files = len([f for f in os.listdir("scenarios") if f.endswith(".json")])
    check(n_opts == n_files, "the picker lists every shipped lesson (%d of %d)" % (n_opts, n_files))
    line = d.execute_script("return document.getElementById('line').textContent")
    check(len(line) > 20, "the bar shows the lesson's one-line description: %r" % line[:60])
    native_k = same_frame(d, K, "?lesson=01&step=%d" % K, tmp)

    # 2. Keys, as in the native window. A step is a protocol line or a
    # message event (the window's default grain), so Right and Left move to
    # the next and previous such record, whose frames --render-step draws.
    press(d, "ARROW_RIGHT")
    s1 = wait_step(d, K, "Right")
    check(s1 > K, "Right: step %d -> %d" % (K, s1))
    native_k1 = same_frame(d, s1, "after Right", tmp)
    # The comparison can fail: two neighbouring steps differ beyond the tolerance.
    n, worst, total = webhelp.compare(native_k, native_k1)
    check(worst > TOLERANCE and n > 0, "steps %d and %d differ by %d in %d pixels: the comparison "
          "tells frames apart" % (K, s1, worst, n))
    press(d, "shift", "ARROW_RIGHT")
    s2 = wait_step(d, s1, "Shift+Right")
    check(s2 > s1, "Shift+Right: to the next protocol line, step %d -> %d" % (s1, s2))
    same_frame(d, s2, "after Shift+Right", tmp)
    press(d, "ARROW_LEFT")
    s3 = wait_step(d, s2, "Left")
    check(s3 < s2, "Left: step %d -> %d" % (s2, s3))
    same_frame(d, s3, "after Left", tmp)
    # S saves a PNG natively; the page says where that is done instead.
    press(d, "s")
    said = wait(d, "mailsim.notice()", 10, "what S says")
    check("--render-step" in said and "PNG" in said, "S says PNG files come from native mailsim: %r" % said)
    check(step_now(d) == s3, "S keeps the step")
    url = wait(d, "location.search.indexOf('step=%d') >= 0 && location.search" % s3, 10,
               "the address bar following the step")
    check(url == "?lesson=01&step=%d" % s3, "the address bar follows the step: %s" % url)

    # 3. A broken scenario file: the native loader's words, on the page.
    bad = os.path.join(tmp, "broken.json")
    with open(bad, "w") as f:
        f.write(BROKEN)
    rc, want = native_error(bad)
    check(rc != 0 and want.startswith("broken.json:3:"),
          "native mailsim refuses broken.json with file:line:col: %r" % want)
    steps_before = d.execute_script("return mailsim.steps()")
    d.find_element("id", "file").send_keys(bad)
    got = wait(d, "mailsim.state.error", 30, "the error of broken.json")
    check(got == want, "file input: the page shows the native error %r (got %r)" % (want, got))
    shown = d.execute_script("return document.getElementById('error-text').textContent")
    check(shown == want and d.execute_script("return !document.getElementById('error').hidden"),
          "the error is on the page")
    check(d.execute_script("return mailsim.steps()") == steps_before and step_now(d) == s3,
          "the lesson stays at step %d after the broken file" % s3)
    d.execute_script("document.getElementById('error-close').click()")
    d.execute_script("""
        const dt = new DataTransfer();
        dt.items.add(new File([arguments[0]], 'dropped.json', {type: 'application/json'}));
        window.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    """, BROKEN)
    got = wait(d, "mailsim.state.error", 30, "the error of a dropped file")
    check(got == want.replace("broken.json", "dropped.json", 1),
          "drag and drop: the same error for dropped.json (%r)" % got)
    sent = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)"
                            ".filter(n => !/\\/(lessons|fonts)\\/|\\.(js|wasm|css|json)$/.test(n) ||"
                            " /broken|dropped/.test(n))")
    check(sent == [], "opening files made no request beyond the page's own files: %r" % sent)
    # A good file opens the same way.
    with open(LESSON01) as f:
        good = f.read()
    d.execute_script("""
        const dt = new DataTransfer();
        dt.items.add(new File([arguments[0]], 'mine.json', {type: 'application/json'}));
        window.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    """, good)
    wait(d, "mailsim.step() === 0 && mailsim.state.error === '' && mailsim.state.lesson === null",
         30, "a dropped good scenario opening at step 0")
    # The address bar follows at the next frame (postMainLoop), not at once.
    try:
        wait(d, "location.search === ''", 10, "the address bar to drop the lesson")
    except AssertionError:
        pass
    check(d.execute_script("return location.search") == "",
          "a file from this computer is not named in the address bar")

    # 4. Another lesson at a step, from a link.
    d.get(srv.url + "?lesson=03&step=120")
    wait(d, "window.mailsim && mailsim.state.ready && mailsim.step() === 120", 60,
         "lesson 03 at step 120")
    check(d.execute_script("return document.getElementById('lesson').value") == "03",
          "?lesson=03&step=120 opens lesson 03 at step 120")
    check(d.execute_script("return document.title").startswith("mailsim"),
          "the tab's title is the window's: %r" % d.execute_script("return document.title"))

    for name in sorted(f for f in os.listdir("scenarios") if f.endswith(".json")):
        want = native_steps(os.path.join("scenarios", name))
        got = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            mailsim.openLesson(arguments[0], '', 0).then(
                () => done([mailsim.state.error, mailsim.steps()]));""", name.split("-")[0])
        check(got == ["", want], "lesson %s opens in the page: %d steps as natively (page: %r)"
              % (name, want, got))

    # 5. The frame follows the browser window's size.
    d.get(srv.url + "?lesson=01&step=%d" % K)
    wait(d, "window.mailsim && mailsim.state.ready && mailsim.step() === %d" % K, 60, "lesson 01 again")
    w0 = d.execute_script("return document.getElementById('canvas').width")
    d.set_window_size(1024, 700)
    w1 = wait(d, "document.getElementById('canvas').width !== %d && document.getElementById('canvas').width" % w0,
              20, "the canvas resizing")
    frames = d.execute_script("return mailsim.state.frames")
    wait(d, "mailsim.state.frames > %d + 2" % frames, 20, "frames after the resize")
    check(w1 < w0, "resizing the browser window resizes the frame (%d -> %d px wide)" % (w0, w1))
    same_frame(d, K, "after resizing", tmp)
    # F: full screen (the canvas fills the screen), F again: back.
    press(d, "f")
    fs = wait(d, "document.fullscreenElement && document.getElementById('canvas').width === innerWidth"
                 " && document.getElementById('canvas').height === innerHeight && [innerWidth, innerHeight]",
              20, "full screen")
    check(bool(fs), "F: full screen, the frame is the screen's size %s" % fs)
    press(d, "f")
    wait(d, "!document.fullscreenElement && document.getElementById('canvas').width === %d" % w1, 20,
         "leaving full screen")
    check(step_now(d) == K, "F again leaves full screen; the step stays %d" % K)

    # 6. Offline: the service worker serves the page with the server gone.
    ok = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        if (!navigator.serviceWorker) { done(false); return; }
        setTimeout(() => done(false), 30000);
        navigator.serviceWorker.ready.then((r) => {
            const sw = r.active;
            if (sw.state === 'activated') done(true);
            else sw.addEventListener('statechange', () => { if (sw.state === 'activated') done(true); });
        });""")
    check(ok, "the service worker is installed (the page's files are cached)")
    srv.stop()
    d.get(srv.url + "?lesson=02&step=5")
    try:
        wait(d, "window.mailsim && mailsim.state.ready && mailsim.step() === 5", 30, "offline lesson 02")
        offline = True
    except AssertionError as e:
        print(e)
        offline = False
    check(offline, "with the server gone, ?lesson=02&step=5 still opens (offline)")


if __name__ == "__main__":
    main()
