/* page.js -- the page around mailsim's window (web/web_main.c, compiled to
 * mailsim.js + mailsim.wasm by 'make web').
 *
 * The lesson picker, "open a scenario file" (input and drag-and-drop: the
 * file is written to the program's in-memory file system and read there;
 * nothing is uploaded), full screen, and links that open a moment:
 * ?lesson=03&step=120&variant=NAME, with the address bar following the step.
 * The keys go to the window (SDL) as on a computer; F is taken here, because
 * a page may enter full screen only while handling the key press.
 * window.mailsim is what tests/web/test_web.py reads. */
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = {
  lessons: [],         /* lessons.json: {file, id, title, line, description, variants} */
  lesson: null,        /* the lesson shown, or null for a file the user opened */
  cwd: "/work",        /* the in-memory folder the shown scenario's path is relative to */
  ready: false,        /* the first frame is drawn */
  frames: 0,           /* turns of the window's loop */
  firstFrameMs: null,  /* performance.now() at the first frame */
  error: "",           /* the error shown, "" when none */
  loopMs: [],          /* the last turns of the loop, in ms (tests/bench/bench_web.py) */
  turnStart: 0,
  lastUrl: "",
};
let api = null;        /* the program's functions, after it started */

function showError(text) {
  state.error = text;
  $("error-text").textContent = text;
  $("error").hidden = !text;
}
$("error-close").addEventListener("click", () => { showError(""); focusWindow(); });

function status(text) {
  $("status").textContent = text;
  $("status").hidden = !text;
}

function focusWindow() {
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  $("canvas").focus({ preventScroll: true });
}

/* ---- the program (Emscripten's Module) ------------------------------------------ */

var Module = {
  canvas: $("canvas"),
  print: (t) => console.log(t),
  printErr: (t) => console.warn(t),
  locateFile: (name) => name,
  preRun: [() => {
    /* Before main: the fonts the window draws with, and the lesson list. */
    Module.addRunDependency("mailsim-files");
    const fonts = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"];
    Promise.all([
      ...fonts.map((f) => fetchBytes("fonts/" + f).then((b) => [f, b])),
      fetch("lessons.json").then((r) => {
        if (!r.ok) throw new Error("lessons.json: " + r.status);
        return r.json();
      }),
    ]).then((got) => {
      Module.FS.mkdirTree("/mailsim/assets/fonts");
      for (const [name, bytes] of got.slice(0, fonts.length))
        Module.FS.writeFile("/mailsim/assets/fonts/" + name, bytes);
      state.lessons = got[fonts.length];
      Module.FS.mkdirTree("/work/scenarios");
      Module.FS.mkdirTree("/work/opened");
      Module.FS.chdir("/work");
      fillPicker();
      Module.removeRunDependency("mailsim-files");
    }).catch((e) => {
      status("");
      showError("mailsim could not load its files: " + e.message);
    });
  }],
  postRun: [() => {
    api = {
      open: Module.cwrap("web_open", "string", ["string", "string", "number"]),
      seek: Module.cwrap("web_seek", null, ["number"]),
      step: Module.cwrap("web_step", "number", []),
      steps: Module.cwrap("web_steps", "number", []),
      variant: Module.cwrap("web_variant", "string", []),
      notice: Module.cwrap("web_notice", "string", []),
      bench: Module.cwrap("web_bench_frame_ms", "number", ["number", "number", "number"]),
    };
    start();
  }],
  preMainLoop: () => { state.turnStart = performance.now(); },
  postMainLoop: () => {
    state.frames++;
    if (state.loopMs.length >= 600) state.loopMs.shift();
    state.loopMs.push(performance.now() - state.turnStart);
    if (state.firstFrameMs === null) {
      state.firstFrameMs = performance.now();
      state.ready = true;
      status("");
    }
    followUrl();
  },
  onAbort: (what) => {
    status("");
    showError("mailsim stopped: " + what);
  },
};

function fetchBytes(url) {
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error(url + ": " + r.status + " " + r.statusText);
    return r.arrayBuffer();
  }).then((b) => new Uint8Array(b));
}

/* ---- lessons ------------------------------------------------------------------ */

function findLesson(key) {
  if (!key) return null;
  const k = /^\d$/.test(key) ? "0" + key : key;
  return state.lessons.find((l) => l.id === k || l.file === k || l.file === k + ".json") || null;
}

function fillPicker() {
  const sel = $("lesson"), list = $("lessons-list");
  for (const l of state.lessons) {
    const o = document.createElement("option");
    o.value = l.id;
    o.textContent = l.title;
    o.title = l.line;
    sel.appendChild(o);
    const li = document.createElement("li"), b = document.createElement("button");
    b.type = "button";
    b.dataset.lesson = l.id;
    const t = document.createElement("strong"), d = document.createElement("span");
    t.textContent = l.title;
    d.className = "desc";
    d.textContent = l.line;
    d.title = l.description;
    b.append(t, d);
    b.addEventListener("click", () => {
      $("lessons-dialog").close();
      openLesson(l, "", 0);
    });
    li.appendChild(b);
    list.appendChild(li);
  }
  const o = document.createElement("option");
  o.value = "";
  o.textContent = "(a scenario file)";
  o.disabled = true;
  o.id = "lesson-file";
  sel.appendChild(o);
}

function showLessonInBar(l, fileName) {
  state.lesson = l;
  $("lesson").value = l ? l.id : "";
  $("line").textContent = l ? l.line : fileName;
  $("line").title = l ? l.description : fileName;
  const vs = l ? l.variants : [];
  $("variant-field").hidden = vs.length === 0;
  const vsel = $("variant");
  vsel.textContent = "";
  for (const name of [""].concat(vs)) {
    const o = document.createElement("option");
    o.value = name;
    o.textContent = name || "(none)";
    vsel.appendChild(o);
  }
}

/* Open lesson l at step k with variant v ("" none). */
async function openLesson(l, v, k) {
  try {
    const path = "scenarios/" + l.file;
    Module.FS.writeFile("/work/" + path, await fetchBytes("lessons/" + l.file));
    Module.FS.chdir("/work");
    state.cwd = "/work";
    const err = api.open(path, v || "", k || 0);
    showLessonInBar(l, "");
    showError(err);
  } catch (e) {
    showError("cannot load lesson " + l.title + ": " + e.message);
  }
  focusWindow();
}

/* ---- scenario files from this computer ---------------------------------------- */

const MAX_FILE_BYTES = 64 << 20;

/* files: what the input or a drop gave. The scenario is the (first) .json
 * one; the others are the files it may name (attachments), put beside it. */
async function openFiles(files) {
  files = Array.from(files);
  if (!files.length) return;
  if (!api) {
    showError("mailsim is still starting; open the file again in a moment");
    return;
  }
  const scenario = files.find((f) => /\.json$/i.test(f.name)) || files[0];
  const big = files.find((f) => f.size > MAX_FILE_BYTES);
  if (big) {
    showError(big.name + ": " + big.size + " bytes is more than a scenario file can be (" +
              (MAX_FILE_BYTES >> 20) + " MB)");
    return;
  }
  const dir = "/work/opened";
  try {
    for (const name of Module.FS.readdir(dir))
      if (name !== "." && name !== "..") Module.FS.unlink(dir + "/" + name);
    for (const f of files)
      Module.FS.writeFile(dir + "/" + f.name, new Uint8Array(await f.arrayBuffer()));
  } catch (e) {
    showError(scenario.name + ": cannot be read (" + (e.message || e) + ")");
    return;
  }
  /* Opened by its own name, so errors read "name.json:3:5: ...", as when
   * mailsim is given the file on a command line. */
  Module.FS.chdir(dir);
  const err = api.open(scenario.name, "", 0);
  if (err && api.step() >= 0 && !err.startsWith("--variant")) {
    /* Not opened: the window keeps what it showed, with its folder. */
    Module.FS.chdir(state.cwd);
  } else {
    state.cwd = dir;
    showLessonInBar(null, scenario.name);
  }
  showError(err);
  focusWindow();
}

$("file").addEventListener("change", (e) => {
  openFiles(e.target.files);
  e.target.value = "";
});

let dragDepth = 0;
window.addEventListener("dragenter", (e) => {
  if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes("Files")) return;
  dragDepth++;
  $("drop").hidden = false;
  e.preventDefault();
});
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("dragleave", () => {
  if (dragDepth > 0 && --dragDepth === 0) $("drop").hidden = true;
});
window.addEventListener("drop", (e) => {
  e.preventDefault();
  dragDepth = 0;
  $("drop").hidden = true;
  if (e.dataTransfer && e.dataTransfer.files.length && api) openFiles(e.dataTransfer.files);
});

/* ---- controls, keys, full screen ------------------------------------------------ */

$("lesson").addEventListener("change", (e) => {
  const l = findLesson(e.target.value);
  if (l) openLesson(l, "", 0);
});
$("variant").addEventListener("change", (e) => {
  if (state.lesson) openLesson(state.lesson, e.target.value, api.step());
});
$("lessons-button").addEventListener("click", () => $("lessons-dialog").showModal());
$("about-button").addEventListener("click", () => $("about-dialog").showModal());
for (const d of document.querySelectorAll("dialog")) d.addEventListener("close", focusWindow);
$("full").addEventListener("click", () => { toggleFullScreen(); focusWindow(); });

function toggleFullScreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else if ($("stage").requestFullscreen) $("stage").requestFullscreen().catch(() => {});
}

/* Before SDL's own listener (added later, by mailsim.js): F here, and keys
 * meant for the page's controls and dialogs stay there. */
window.addEventListener("keydown", (e) => {
  const t = e.target;
  const inControl = t && t !== document.body && t !== $("canvas") &&
                    /^(SELECT|INPUT|TEXTAREA|BUTTON)$/.test(t.tagName);
  if (inControl && t.tagName === "BUTTON" && e.key !== " " && e.key !== "Enter") {
    t.blur(); /* a clicked button keeps no keys but its own */
  } else if (inControl || document.querySelector("dialog[open]")) {
    e.stopImmediatePropagation();
    return;
  }
  if ((e.key === "f" || e.key === "F") && !e.ctrlKey && !e.metaKey && !e.altKey) {
    toggleFullScreen();
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}, true);

/* ---- the address bar follows the step ------------------------------------------- */

function followUrl() {
  if (!api) return;
  const step = api.step();
  if (step < 0) return;
  const variant = api.variant();
  if (state.lesson && $("variant").value !== variant) $("variant").value = variant;
  let url = location.pathname;
  if (state.lesson) {
    url += "?lesson=" + state.lesson.id + (variant ? "&variant=" + encodeURIComponent(variant) : "") +
           "&step=" + step;
  }
  if (url !== state.lastUrl) {
    state.lastUrl = url;
    history.replaceState(null, "", url);
  }
}

/* ---- start --------------------------------------------------------------------- */

async function start() {
  const want = params.get("lesson");
  const l = findLesson(want) || state.lessons[0];
  const k = parseInt(params.get("step") || "0", 10);
  await openLesson(l, params.get("variant") || "", Number.isFinite(k) && k > 0 ? k : 0);
  if (want && !findLesson(want))
    showError("no lesson \"" + want + "\" (there are " + state.lessons[0].id + " to " +
              state.lessons[state.lessons.length - 1].id + "); showing " + l.title);
}

if ("serviceWorker" in navigator && window.isSecureContext && params.get("offline") !== "0") {
  navigator.serviceWorker.register("sw.js").catch(() => {});
}

/* For tests and for the curious: what the window shows. */
window.mailsim = {
  state,
  step: () => (api ? api.step() : -1),
  steps: () => (api ? api.steps() : -1),
  variant: () => (api ? api.variant() : ""),
  notice: () => (api ? api.notice() : ""),
  seek: (k) => api && api.seek(k),
  openLesson: (id, v, k) => openLesson(findLesson(id), v, k),
  openFiles,
  bench: (w, h, n) => api.bench(w, h, n),
};
