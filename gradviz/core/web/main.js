// main.js: the player. Opens at the story's default step (the app's choice), steps with
// the app's keys, plays, and exposes a small API for tests: window.gradviz.

/* global DATA, N, ROWS */
const errors = [];
window.addEventListener("error", (ev) => errors.push(String(ev.message)));

const P = { index: -1, playing: false, speed: 1, timer: null, anim: null };

function animateTokens(animate) {
  if (P.anim) cancelAnimationFrame(P.anim);
  P.anim = null;
  if (!animate || !SCENE.tokens.length) { placeTokens(1); return; }
  const start = performance.now(), duration = 900 / P.speed;
  const frame = (now) => {
    const p = Math.min(1, (now - start) / duration);
    placeTokens(p);
    P.anim = p < 1 ? requestAnimationFrame(frame) : null;
  };
  placeTokens(0);
  P.anim = requestAnimationFrame(frame);
}

function render(i, animate) {
  if (!N) return;
  i = Math.max(0, Math.min(N - 1, i));
  P.index = i;
  document.body.dataset.step = String(i); // for tools that read the DOM, e.g. --dump-dom
  const st = DATA.steps[i];
  drawScene(i);
  animateTokens(animate);
  $("counter").textContent = "Step " + (i + 1) + " / " + N;
  const badge = $("phase");
  badge.textContent = st.ph;
  badge.className = "badge " + cls(st.ph);
  showNarration(i);
  $("slider").value = String(i);
  const selRow = SCENE.selected !== null ? SCENE.byId.get(SCENE.selected) : null;
  highlightSource(st.l, selRow ? selRow.info.line : null);
  if (markEpisode(st.ep)) fitView();
  else if (animate) followActive();
  showInspector(SCENE.selected, showLine, st);
  markLossIteration(i);
}

function showLine(line) {
  highlightSource(DATA.steps[P.index].l, line);
}

function select(id) {
  SCENE.selected = id === undefined ? null : id;
  const entry = SCENE.selected === null ? null : SCENE.byId.get(SCENE.selected);
  SCENE.selectedRef = entry ? entry.info.ref : null;
  render(P.index, false);
}

function go(i) { render(i, true); }
function next() { if (P.index < N - 1) go(P.index + 1); else pause(); }
function prev() { if (P.index > 0) go(P.index - 1); }

function stepDelay() { return 1400 / P.speed; }
function tick() {
  if (!P.playing) return;
  if (P.index >= N - 1) { pause(); return; }
  next();
  P.timer = setTimeout(tick, stepDelay());
}
function setPlaying(on) {
  P.playing = on;
  const b = $("play");
  b.classList.toggle("playing", on);
  b.title = on ? "Pause (space)" : "Play (space)";
  b.setAttribute("aria-label", b.title);
}
function play() {
  if (!N) return;
  if (P.index >= N - 1) go(0);
  setPlaying(true);
  clearTimeout(P.timer);
  P.timer = setTimeout(tick, stepDelay());
}
function pause() {
  clearTimeout(P.timer);
  setPlaying(false);
}
function toggle() { if (P.playing) pause(); else play(); }

// PgUp/PgDn: the previous / next episode's start (PgUp first goes to this episode's start).
function jumpEpisode(delta) {
  const n = episodeAt(P.index);
  if (n < 0) return;
  if (delta < 0 && P.index > EPISODES[n].start) { go(EPISODES[n].start); return; }
  const target = EPISODES[Math.max(0, Math.min(EPISODES.length - 1, n + delta))];
  if (target) go(target.start);
}

function effectiveTheme() {
  const set = document.documentElement.dataset.theme;
  if (set) return set;
  return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
function setTheme(theme) {
  document.documentElement.dataset.theme = theme;
}

// ---- wiring ----
buildSource();
buildOutput();
buildEpisodes(go);
buildLossPlot((i) => { pause(); go(i); });
installPanZoom((id) => select(id));
const slider = $("slider");
slider.max = String(Math.max(0, N - 1));
slider.addEventListener("input", () => go(Number(slider.value)));
$("first").addEventListener("click", () => go(0));
$("prev").addEventListener("click", () => { pause(); prev(); });
$("play").addEventListener("click", toggle);
$("next").addEventListener("click", () => { pause(); next(); });
$("last").addEventListener("click", () => go(N - 1));
$("theme").addEventListener("click", () => setTheme(effectiveTheme() === "dark" ? "light" : "dark"));
$("speed").addEventListener("change", (ev) => {
  P.speed = Number(ev.target.value) || 1;
  if (P.playing) { clearTimeout(P.timer); P.timer = setTimeout(tick, stepDelay()); }
});
$("zoom-in").addEventListener("click", () => zoomCentre(1.25));
$("zoom-out").addEventListener("click", () => zoomCentre(0.8));
$("zoom-fit").addEventListener("click", () => fitView(false));
// A mouse click should not leave focus on a button, so space keeps meaning play/pause.
document.querySelectorAll("button").forEach((b) => b.addEventListener("mouseup", () => b.blur()));
document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (t.tagName === "SELECT") return;
  if (t.tagName === "BUTTON" && (ev.key === " " || ev.key === "Enter")) return;
  if (t.id === "slider" && ev.key.startsWith("Arrow")) return; // the slider moves itself
  const actions = {
    " ": toggle, ArrowRight: () => { pause(); next(); }, ArrowLeft: () => { pause(); prev(); },
    Home: () => go(0), End: () => go(N - 1), PageDown: () => jumpEpisode(1),
    PageUp: () => jumpEpisode(-1), f: () => fitView(false), F: () => fitView(false),
    Escape: () => select(null), "+": () => zoomCentre(1.25), "=": () => zoomCentre(1.25),
    "-": () => zoomCentre(0.8),
  };
  const action = actions[ev.key];
  if (action) { ev.preventDefault(); action(); }
});

if (!N) {
  $("empty").classList.add("shown");
  $("narration").textContent = "This story has no steps.";
  $("counter").textContent = "Step 0 / 0";
} else {
  // A link can name a step and a theme: page.html#step=4&theme=dark (step counted from 1).
  const hash = new URLSearchParams(location.hash.slice(1));
  const asked = Number(hash.get("step"));
  if (hash.get("theme") === "dark" || hash.get("theme") === "light") setTheme(hash.get("theme"));
  const first = Number.isInteger(asked) && asked >= 1 ? asked - 1 : DATA.defaultStep || 0;
  render(Math.max(0, Math.min(N - 1, first)), false);
  requestAnimationFrame(() => fitView());
}

// A small API for tests and for the curious (try gradviz.go(5) in the console).
window.gradviz = Object.freeze({
  go, next, prev, play, pause, select, fit: () => fitView(false), settle: () => animateTokens(false),
  home: () => fitView(true), // the view a step opens with: readable, on the step's boxes
  index: () => P.index, count: () => N, playing: () => P.playing,
  narration: () => $("narration").textContent, errors: () => errors.slice(),
  view: () => ({ k: VIEW.k, tx: VIEW.tx, ty: VIEW.ty, lod: VIEW.lod }),
  theme: effectiveTheme, setTheme,
  inspector: () => Array.from(document.querySelectorAll("#details dt")).map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
  payload: () => DATA, // the story as the page decoded it (tests compare it with the export)
  // The rows each step shows, and per step which are the same arrays as the step before's.
  rows: () => ROWS.map((r, k) => ({
    b: r.b, e: r.e,
    kb: k ? r.b.map((x, p) => x === ROWS[k - 1].b[p]) : [],
    ke: k ? r.e.map((x, p) => x === ROWS[k - 1].e[p]) : [],
  })),
  iteration: () => (P.index >= 0 ? iterationAtStep(P.index) : null), // [first, last], 0-based
  goIteration: (i) => { const s = DATA.series; if (s && s.jump[i] !== null && s.jump[i] !== undefined) go(s.jump[i]); },
  timeStep: (i) => { const t0 = performance.now(); render(i, false); return performance.now() - t0; },
});
