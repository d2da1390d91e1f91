// lossplot.js: the loss curve of a training loop (DATA.series, from training_series.py),
// as in the app's loss panel: every iteration's loss and the scalars the script printed,
// the iteration the player is on marked, iterations not told step by step shaded; a click
// jumps to the step that shows that iteration (series.jump, series_view.py's rules).

/* global DATA, $, svgEl, svgText */
/* exported buildLossPlot, markLossIteration, iterationAtStep */
const LOSS = { series: null, goTo: null, x: null, y: null, now: null, readout: null, box: null };
const LOSS_MARGIN = { l: 52, r: 12, t: 8, b: 20 };

function lossNumber(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

// The iterations a step belongs to, [first, last] (series_view.iterations_at_step).
function iterationAtStep(step) {
  const s = LOSS.series;
  const st = DATA.steps[step];
  if (!s || !st) return null;
  let lo = -1, hi = -1, before = -1;
  s.episodes.forEach((ep, i) => {
    if (ep === st.ep) { if (lo < 0) lo = i; hi = i; }
    if (ep < st.ep) before = Math.max(before, i);
  });
  if (lo >= 0) return [lo, hi];
  return before >= 0 ? [before, before] : null;
}

function lossCurves(s) {
  const curves = [{ label: s.loss.name || "loss", xs: null, ys: s.loss.values, cls: "loss-line" }];
  const logged = s.logged || {};
  Object.keys(logged).forEach((label, k) => {
    const c = logged[label];
    // A printed series that only repeats the loss is not drawn twice (as in the app).
    const repeats = c.x.length && c.x.every((x, j) => {
      const l = s.loss.values[x];
      return l !== null && l !== undefined && Math.abs(l - c.y[j]) <= 5e-5 + 1e-3 * Math.abs(l);
    });
    if (!repeats) curves.push({ label, xs: c.x, ys: c.y, cls: "loss-logged loss-c" + (k % 6) });
  });
  return curves;
}

function buildLossPlot(goTo) {
  const s = DATA.series;
  if (!s || !(s.iterations >= 2) || !s.loss) return;
  LOSS.series = s;
  LOSS.goTo = goTo;
  $("loss-panel").hidden = false;
  $("loss-name").textContent = (s.loss.name || "loss") + " per iteration";
  const head = $("loss-name").parentNode;
  lossCurves(s).slice(1).forEach((c) => {
    // A key for each printed series (dashed, in its colour), before the readout.
    const key = document.createElement("span");
    key.className = "loss-key " + c.cls;
    key.textContent = "╌ " + c.label + " (printed)";
    head.insertBefore(key, $("loss-readout"));
  });
  const svg = $("loss-plot");
  const draw = () => drawLoss(svg);
  if (window.ResizeObserver) new ResizeObserver(draw).observe(svg);
  draw();
  svg.addEventListener("click", (ev) => {
    const i = lossIterationAt(svg, ev.clientX);
    if (i !== null && s.jump[i] !== null && s.jump[i] !== undefined) LOSS.goTo(s.jump[i]);
  });
  svg.addEventListener("mousemove", (ev) => showLossReadout(lossIterationAt(svg, ev.clientX)));
  svg.addEventListener("mouseleave", () => showLossReadout(null));
}

function lossIterationAt(svg, clientX) {
  if (!LOSS.x) return null;
  const r = svg.getBoundingClientRect();
  const i = Math.round(LOSS.x.invert(clientX - r.left));
  return Math.max(0, Math.min(LOSS.series.iterations - 1, i));
}

function drawLoss(svg) {
  const s = LOSS.series;
  const w = svg.clientWidth, h = svg.clientHeight;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (w < 40 || h < 30) return;
  const curves = lossCurves(s);
  const all = [];
  curves.forEach((c) => c.ys.forEach((v) => { if (v !== null && isFinite(v)) all.push(v); }));
  if (!all.length) return;
  let lo = Math.min(...all), hi = Math.max(...all);
  const log = lo > 0 && hi / lo > 100; // spans decades: a log scale, as the app does
  const f = log ? Math.log10 : (v) => v;
  let flo = f(lo), fhi = f(hi);
  if (fhi - flo < 1e-12) { flo -= 0.5; fhi += 0.5; }
  const m = LOSS_MARGIN, n = s.iterations;
  const px = (i) => m.l + (i / Math.max(1, n - 1)) * (w - m.l - m.r);
  px.invert = (x) => ((x - m.l) / (w - m.l - m.r)) * Math.max(1, n - 1);
  const py = (v) => m.t + (1 - (f(v) - flo) / (fhi - flo)) * (h - m.t - m.b);
  LOSS.x = px;
  // Shaded runs: iterations a stand-in step tells (not step by step in this page).
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const hidden = i < n && s.standIn[i];
    if (hidden && start < 0) start = i;
    if (!hidden && start >= 0) {
      svgEl("rect", {
        x: px(start - 0.5), y: m.t, width: Math.max(1, px(i - 0.5) - px(start - 0.5)),
        height: h - m.t - m.b, class: "loss-band",
      }, svg).appendChild(document.createElementNS(svg.namespaceURI, "title")).textContent =
        "iterations " + (start + 1) + "–" + i + ": not told step by step in this page " +
        "(export with --iterations all)";
      start = -1;
    }
  }
  // Axes: min and max of the values, first and last iteration.
  svgEl("line", { x1: m.l, y1: h - m.b, x2: w - m.r, y2: h - m.b, class: "loss-axis" }, svg);
  svgEl("line", { x1: m.l, y1: m.t, x2: m.l, y2: h - m.b, class: "loss-axis" }, svg);
  svgText(svg, m.l - 4, py(hi) + 4, lossNumber(hi), "loss-tick", "end");
  svgText(svg, m.l - 4, py(lo), lossNumber(lo), "loss-tick", "end");
  svgText(svg, px(0), h - 5, "1", "loss-tick", "start");
  svgText(svg, px(n - 1), h - 5, String(n), "loss-tick", "end");
  if (log) svgText(svg, m.l + 4, m.t + 10, "log scale", "loss-tick", "start");
  for (const c of curves) {
    let d = "", pen = false;
    c.ys.forEach((v, j) => {
      const x = c.xs ? c.xs[j] : j;
      if (v === null || !isFinite(v) || (log && v <= 0)) { pen = false; return; }
      d += (pen ? "L" : "M") + px(x).toFixed(1) + "," + py(v).toFixed(1);
      pen = true;
    });
    svgEl("path", { d, class: c.cls }, svg);
  }
  LOSS.now = svgEl("line", { y1: m.t, y2: h - m.b, class: "loss-now" }, svg);
  LOSS.dot = svgEl("circle", { r: 3.5, class: "loss-dot" }, svg);
  LOSS.py = py;
  markLossIteration(LOSS.step === undefined ? null : LOSS.step);
}

function showLossReadout(i) {
  const s = LOSS.series;
  if (!s) return;
  const at = i === null ? LOSS.current : [i, i];
  if (!at) { $("loss-readout").textContent = ""; return; }
  const k = at[1];
  let text = "iteration " + (k + 1) + ": " + lossNumber(s.loss.values[k]);
  if (s.standIn[k] === "untold") text += " (not told step by step in this page)";
  else if (s.standIn[k] === "summary") text += " (summarised)";
  $("loss-readout").textContent = text;
}

// Mark the iteration of the player's step (called on every render).
function markLossIteration(step) {
  if (!LOSS.series) return;
  LOSS.step = step;
  LOSS.current = step === null ? null : iterationAtStep(step);
  if (LOSS.now && LOSS.x) {
    const at = LOSS.current;
    const shown = at !== null;
    LOSS.now.style.display = LOSS.dot.style.display = shown ? "" : "none";
    if (shown) {
      const x = LOSS.x(at[1]);
      LOSS.now.setAttribute("x1", x);
      LOSS.now.setAttribute("x2", x);
      const v = LOSS.series.loss.values[at[1]];
      if (v !== null && isFinite(v)) {
        LOSS.dot.setAttribute("cx", x);
        LOSS.dot.setAttribute("cy", LOSS.py(v));
      } else LOSS.dot.style.display = "none";
    }
  }
  showLossReadout(null);
}
