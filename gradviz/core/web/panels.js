// panels.js: the source with the step's line, the episode list and timeline, the
// narration with its chain-rule lines, and the inspector (the app's rows, verbatim).

/* exported buildOutput, buildSource, highlightSource, buildEpisodes, markEpisode, showNarration, showInspector */
const sourceLines = [];
const SRC = { cur: null, sel: null, scrolled: -1 };

function buildSource() {
  const pane = $("source");
  if (!DATA.source) {
    htmlEl("div", "none", "No source code was given.", pane);
    return;
  }
  pane.addEventListener("scroll", () => { SRC_GEOM.scroll = pane.scrollTop; }, { passive: true });
  DATA.source.replace(/\r\n?/g, "\n").split("\n").forEach((text, i) => {
    const row = htmlEl("div", "ln", null, pane);
    htmlEl("span", "no", String(i + 1), row);
    htmlEl("span", "code", text || " ", row);
    sourceLines.push(row);
  });
}

// What the script printed, and its error: both plain text.
function buildOutput() {
  const pane = $("output");
  if (DATA.output) htmlEl("span", "", DATA.output, pane);
  const err = DATA.error;
  if (err) {
    const where = err.line ? " (line " + err.line + ")" : "";
    htmlEl("div", "err", err.kind + " error" + where + ": " + err.message + (err.hint ? "\nhint: " + err.hint : ""), pane);
  }
  if (!DATA.output && !err) $("output-wrap").hidden = true;
  else if (err) $("output-wrap").open = true;
}

// Rows have one height, measured once, so following the step reads no layout.
const SRC_GEOM = { row: 0, top: 0, pane: 0 };
function scrollToLine(row, index) {
  const pane = $("source");
  if (!SRC_GEOM.row) {
    SRC_GEOM.row = row.offsetHeight || 19;
    SRC_GEOM.top = (sourceLines[0] ? sourceLines[0].offsetTop : 0) - pane.offsetTop;
    SRC_GEOM.pane = pane.clientHeight;
  }
  const top = SRC_GEOM.top + index * SRC_GEOM.row, h = SRC_GEOM.row;
  const scroll = SRC_GEOM.scroll === undefined ? pane.scrollTop : SRC_GEOM.scroll;
  if (top < scroll + h || top > scroll + SRC_GEOM.pane - 2 * h) {
    SRC_GEOM.scroll = Math.max(0, top - SRC_GEOM.pane / 3);
    pane.scrollTop = SRC_GEOM.scroll;
  }
}
window.addEventListener("resize", () => { SRC_GEOM.row = 0; SRC_GEOM.scroll = undefined; });

// Only the rows whose mark changes are touched.
function highlightSource(line, selLine) {
  if (selLine === line) selLine = null;
  if (SRC.cur !== line) {
    if (sourceLines[SRC.cur - 1]) sourceLines[SRC.cur - 1].classList.remove("cur");
    if (sourceLines[line - 1]) sourceLines[line - 1].classList.add("cur");
    SRC.cur = line;
    $("source-line").textContent = line ? "line " + line : "";
  }
  if (SRC.sel !== selLine) {
    if (sourceLines[SRC.sel - 1]) sourceLines[SRC.sel - 1].classList.remove("sel");
    if (sourceLines[selLine - 1]) sourceLines[selLine - 1].classList.add("sel");
    SRC.sel = selLine;
  }
  const index = (line || selLine || 0) - 1;
  if (sourceLines[index] && index !== SRC.scrolled) scrollToLine(sourceLines[index], index);
  SRC.scrolled = index;
}

// A title as text with a break opportunity after each dot and before each bracket.
function breakableTitle(title, parent) {
  const span = htmlEl("span", "", null, parent);
  let piece = "";
  for (let i = 0; i < title.length; i++) {
    const ch = title[i], next = title[i + 1] || " ";
    if (ch === "(" && piece) { span.append(piece, document.createElement("wbr")); piece = ""; }
    piece += ch;
    if (ch === "." && next.trim()) { span.append(piece, document.createElement("wbr")); piece = ""; }
  }
  if (piece) span.append(piece);
}

function buildEpisodes(go) {
  const list = $("episodes"), markers = $("markers"), phases = $("phases");
  EPISODES.forEach((ep, n) => {
    const btn = htmlEl("button", "", null, htmlEl("li", "", null, list));
    btn.type = "button";
    // Story titles are numbered already ("1. y.backward()"); others get their number.
    if (!/^\d+\./.test(ep.title || "")) htmlEl("span", "no", String(n + 1), btn);
    const t = htmlEl("span", "t", null, btn);
    breakableTitle(ep.title || "Episode " + (n + 1), t);
    // The steps under the title, which keeps the row's width: a narrow sidebar wraps a
    // title at its dots, not inside a name.
    const sub = htmlEl("div", "sub", null, t);
    const range = ep.start === ep.end ? String(ep.start + 1) : ep.start + 1 + "–" + (ep.end + 1);
    htmlEl("span", "r", "steps " + range, sub);
    if (ep.backward !== null) htmlEl("span", "bw", "with backward", sub);
    btn.addEventListener("click", () => go(ep.start));
    ep.button = btn;
    const mk = htmlEl("button", "", null, markers);
    mk.type = "button";
    mk.style.left = (N > 1 ? (100 * ep.start) / (N - 1) : 0) + "%";
    mk.title = ep.title || "Episode " + (n + 1);
    mk.tabIndex = -1;
    mk.addEventListener("click", () => go(ep.start));
    ep.marker = mk;
  });
  // Coloured runs under the slider: where the forward and backward passes are.
  let runStart = 0;
  for (let i = 1; i <= N; i++) {
    if (i < N && DATA.steps[i].ph === DATA.steps[runStart].ph) continue;
    const span = htmlEl("span", cls(DATA.steps[runStart].ph), null, phases);
    const unit = N > 1 ? 100 / (N - 1) : 100;
    span.style.left = Math.max(0, (runStart - 0.5) * unit) + "%";
    span.style.width = Math.min(100, (i - runStart) * unit) + "%";
    span.title = DATA.steps[runStart].ph;
    runStart = i;
  }
  if (!EPISODES.length) htmlEl("li", "hint", "No steps.", list);
}

let shownEpisode = -1;
function markEpisode(n) {
  if (n === shownEpisode) return false;
  const old = EPISODES[shownEpisode], now = EPISODES[n];
  if (old) { old.button.classList.remove("current"); old.marker.classList.remove("current"); }
  if (now) {
    now.button.classList.add("current");
    now.marker.classList.add("current");
    if (now.button.scrollIntoViewIfNeeded) now.button.scrollIntoViewIfNeeded(false);
  }
  shownEpisode = n;
  return true;
}

function showNarration(i) {
  const st = DATA.steps[i], ep = EPISODES[st.ep];
  $("step-label").textContent = (ep && ep.title ? ep.title + " · " : "") + "step " + (i + 1);
  $("narration").textContent = str(st.n) || "";
  const math = $("math");
  math.replaceChildren();
  for (const m of st.m || []) htmlEl("div", "", str(m), math);
}

// The inspector is rebuilt only when the selection or the selected box's row changes.
const INSPECT = { id: undefined, row: undefined, step: undefined };
function showInspector(selected, onLine, step) {
  const row = selected === null ? null : currentBoxRow(selected);
  if (INSPECT.id === selected && INSPECT.row === row && (row === null || INSPECT.step === step)) return;
  INSPECT.id = selected;
  INSPECT.row = row;
  INSPECT.step = step;
  const pane = $("details");
  pane.replaceChildren();
  if (row === null) {
    htmlEl("p", "hint", selected !== null ? "The selected box is not part of this step."
      : "Click a box in the graph to see its name, shape, value and gradient.", pane);
    return;
  }
  const info = SCENE.byId.get(selected).info;
  const head = htmlEl("div", "swatch-title", null, pane);
  htmlEl("span", "sw role-" + cls(info.role) + (info.muted ? " muted" : ""), null, head);
  htmlEl("span", "", info.title + (info.subtitle ? " — " + info.subtitle : ""), head);
  const dl = htmlEl("dl", "", null, pane);
  for (const [name, text] of detailRows(info, row, step)) {
    htmlEl("dt", "", name, dl);
    const mono = /^(value|\.grad|grad|gradient received|saved tensors|next_functions|local rule|this step)$/.test(name) || text.indexOf("\n") >= 0;
    const dd = htmlEl("dd", mono ? "mono" : "", name === "line" ? null : text, dl);
    dd.dataset.row = name;
    if (name === "line") {
      const a = htmlEl("a", "", text, dd);
      a.title = "Show line " + text + " in the source";
      a.addEventListener("click", () => onLine(Number(text)));
    }
  }
  if (info.muted) htmlEl("p", "hint", "No gradient path: backward never reaches this box.", pane);
}
