// scene.js: draws the graph at a step. Each box and edge keeps its own SVG node; a step
// only touches the nodes whose row changed, so stepping costs the size of the change.

/* exported setTitleSize, drawScene, redrawBox, placeTokens, sceneBoxes, currentBoxRow, SCENE */
const gEdges = $("edges"), gBoxes = $("boxes"), gTokens = $("tokens");
const SCENE = {
  boxes: new Map(), // box index -> {info, g, row, sel}
  edges: new Map(), // edge index -> {info, g, line, row, faint}
  byId: new Map(), // box id -> its entry at the current step
  list: null, // the box rows of the step shown
  elist: null,
  tokens: [],
  selected: null,
  selectedRef: null, // the node of the selected box, when it is one of a shared node's boxes
  titlePx: 13, // the title's size in scene pixels (13 = as designed; more when zoomed out)
};

function roundedBottom(w, h, s, r) {
  const arc = `A${r},${r} 0 0 1`;
  return `M0,${h - s} H${w} V${h - r} ${arc} ${w - r},${h} H${r} ${arc} 0,${h - r} Z`;
}

function boxEntry(index) {
  let entry = SCENE.boxes.get(index);
  if (!entry) {
    const info = boxInfo(index);
    const g = svgEl("g", { transform: `translate(${info.x - info.w / 2},${info.y - info.h / 2})` });
    g.dataset.id = info.id;
    entry = { info, g, row: null, sel: false };
    SCENE.boxes.set(index, entry);
  }
  return entry;
}

// Rebuild one box's SVG from its row:
// [box, state, value, grad, note, value printout, grad printout, badges].
function redrawBox(entry, row) {
  const b = entry.info, g = entry.g;
  const state = str(row[1]), value = str(row[2]), grad = str(row[3]), note = str(row[4]);
  const hidden = state === "hidden";
  entry.row = row;
  entry.sel = isSelected(b);
  g.setAttribute("class", "box role-" + cls(b.role) + " state-" + cls(state) + (b.muted ? " muted" : ""));
  g.replaceChildren();
  svgEl("title", {}, g).textContent = b.title + (b.subtitle ? " — " + b.subtitle : "");
  // The halo marks only the focus of the current step.
  if (state === "active") {
    svgEl("rect", { class: "halo", x: -4, y: -4, width: b.w + 8, height: b.h + 8, rx: 11 }, g);
  }
  // One of several boxes of one shared node: a stack of cards.
  if (b.ref) svgEl("rect", { class: "body stack", x: 4, y: -4, width: b.w, height: b.h, rx: 7 }, g);
  svgEl("rect", { class: "body", width: b.w, height: b.h, rx: 7 }, g);
  if (entry.sel) {
    svgEl("rect", { class: "sel", x: -7, y: -7, width: b.w + 14, height: b.h + 14, rx: 13 }, g);
  }
  const isLeaf = b.role === "leaf";
  const strip = !hidden && (isLeaf || grad !== null);
  const stripH = strip ? Math.min(20, Math.max(14, b.h * 0.28)) : 0;
  const lines = [{ text: b.title, kind: "title" }];
  if (b.subtitle) lines.push({ text: b.subtitle, kind: "sub" });
  if (value !== null && !hidden) lines.push({ text: value, kind: "val" });
  const LH = 16, avail = b.h - stripH - 6;
  while (lines.length > 1 && lines.length * LH > avail) lines.splice(1, 1);
  const top = 3 + (avail - lines.length * LH) / 2;
  lines.forEach((ln, i) => {
    const t = svgText(g, b.w / 2, top + i * LH + 12, fit(ln.text, FONTS[ln.kind], b.w - 12), ln.kind);
    if (i === 0) { entry.title = t; entry.titleY = top + 12; }
  });
  entry.titlePx = 13;
  if (SCENE.titlePx !== 13) sizeTitle(entry);
  if (strip) {
    svgEl("path", { class: "strip", d: roundedBottom(b.w, b.h, stripH, 7) }, g);
    svgEl("line", { class: "strip-line", x1: 0, x2: b.w, y1: b.h - stripH, y2: b.h - stripH }, g);
    const text = (isLeaf ? ".grad " : "grad ") + (grad === null ? "None" : grad);
    svgText(g, b.w / 2, b.h - stripH / 2 + 4, fit(text, FONTS.gradtext, b.w - 10), "gradtext");
  }
  if (state === "done") svgText(g, b.w - 6, 11, "✓", "tag", "end");
  if (state === "error") svgText(g, b.w - 6, 11, "error", "tag", "end");
  const badges = str(row[7]) === null ? [] : str(row[7]).split(",");
  let right = b.w - 4;
  for (const badge of ["freed", "shared"]) {
    if (badges.indexOf(badge) < 0 && !(badge === "freed" && state === "freed")) continue;
    // A badge, not a halo: freed is a lasting state, the halo is this step's focus.
    const w = textWidth(badge, FONTS.badge) + 10;
    svgEl("rect", { class: "badge-bg", x: right - w, y: -7, width: w, height: 14, rx: 7 }, g);
    svgText(g, right - w / 2, 3, badge, "badge-t");
    right -= w + 3;
  }
  if (note !== null && !hidden) {
    const text = fit(note, FONTS.note, Math.max(b.w * 2, 160));
    const w = textWidth(text, FONTS.note) + 14;
    svgEl("rect", { class: "note-bg", x: (b.w - w) / 2, y: b.h + 5, width: w, height: 19, rx: 9.5 }, g);
    svgText(g, b.w / 2, b.h + 18, text, "note");
  }
}

// Zoomed out, a title is drawn big enough to stay readable (SCENE.titlePx scene pixels,
// set by view.js) and centred, the other rows hidden; if even that does not fit the box,
// the box shows no text.
function sizeTitle(entry) {
  const t = entry.title, b = entry.info, px = SCENE.titlePx;
  entry.titlePx = px;
  if (!t) return;
  if (px <= 13) {
    t.style.fontSize = "";
    t.setAttribute("y", entry.titleY);
    t.textContent = fit(b.title, FONTS.title, b.w - 12);
    return;
  }
  t.style.fontSize = px + "px";
  t.setAttribute("y", b.h / 2 + px * 0.36);
  const text = px > b.h - 4 ? "" : fit(b.title, "600 " + px + "px " + SANS, b.w - 8);
  t.textContent = text === "…" ? "" : text;
}

// Selecting one box of a shared node selects all of them: they are one node.
function isSelected(info) {
  if (SCENE.selected === null) return false;
  return SCENE.selected === info.id || (!!info.ref && info.ref === SCENE.selectedRef);
}

function setTitleSize(px) {
  if (SCENE.titlePx === px) return;
  SCENE.titlePx = px;
  for (const r of SCENE.list || []) sizeTitle(SCENE.boxes.get(r[0]));
}

function edgeEntry(index) {
  let entry = SCENE.edges.get(index);
  if (!entry) {
    const e = edgeInfo(index);
    const g = svgEl("g", {});
    const line = svgEl("polyline", { points: e.points.map((p) => p[0] + "," + p[1]).join(" ") }, g);
    const cum = measure(e.points);
    entry = { info: e, g, line, cum, row: null, faint: null, mark: null };
    if (e.points.length >= 2 && e.base === "cut") {
      const [mx, my] = pointAt(e.points, cum, 0.5);
      const mark = svgEl("g", { class: "cut-mark", transform: `translate(${mx},${my})` }, g);
      const text = "✂ " + (e.label && e.label !== "cut" ? "cut · " + e.label : "cut");
      const w = textWidth(text, FONTS.cut) + 12;
      svgEl("rect", { x: -w / 2, y: -9, width: w, height: 18, rx: 9 }, mark);
      svgText(mark, 0, 4, text, "");
      entry.mark = mark;
    } else if (e.points.length >= 2 && e.label) {
      // Input slot names sit just above the middle of the edge.
      const [lx, ly] = pointAt(e.points, cum, 0.5);
      entry.mark = svgText(g, lx, ly - 5, e.label, "edge-label");
    }
    SCENE.edges.set(index, entry);
  }
  return entry;
}

// Edge rows: [edge, kind, active, token].
function redrawEdge(entry, row, faint) {
  entry.row = row;
  entry.faint = faint;
  const kind = str(row[1]), active = !!row[2];
  entry.line.setAttribute("class", "edge kind-" + cls(kind) + (active ? " active" : "") + (faint ? " faint" : ""));
  // Gradient edges point backward, at the source end; the others forward.
  if (kind === "grad") {
    entry.line.setAttribute("marker-start", "url(#m-grad)");
    entry.line.removeAttribute("marker-end");
  } else {
    entry.line.removeAttribute("marker-start");
    entry.line.setAttribute("marker-end", active ? "url(#m-active)" : "url(#m-data)");
  }
  if (entry.mark) entry.mark.setAttribute("opacity", faint ? ".3" : "1");
}

function sameItems(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j][0] !== b[j][0]) return false;
  return true;
}

function drawScene(i) {
  const rows = ROWS[i];
  const boxesSame = sameItems(SCENE.list, rows.b);
  if (!boxesSame) {
    gBoxes.replaceChildren();
    SCENE.byId.clear();
  }
  for (const r of rows.b) {
    const entry = boxEntry(r[0]);
    if (entry.row !== r || entry.sel !== isSelected(entry.info)) redrawBox(entry, r);
    else if (entry.titlePx !== SCENE.titlePx) sizeTitle(entry);
    if (!boxesSame) {
      gBoxes.appendChild(entry.g);
      SCENE.byId.set(entry.info.id, entry);
    }
  }
  SCENE.list = rows.b;

  const edgesSame = sameItems(SCENE.elist, rows.e);
  if (!edgesSame) gEdges.replaceChildren();
  SCENE.tokens = [];
  for (const r of rows.e) {
    const entry = edgeEntry(r[0]);
    const src = SCENE.byId.get(entry.info.source), dst = SCENE.byId.get(entry.info.target);
    const faint = (src && str(src.row[1]) === "hidden") || (dst && str(dst.row[1]) === "hidden");
    if (entry.row !== r || entry.faint !== !!faint) redrawEdge(entry, r, !!faint);
    if (!edgesSame) gEdges.appendChild(entry.g);
    if (r[3] >= 0 && entry.info.points.length >= 2) SCENE.tokens.push({ entry, text: str(r[3]) });
  }
  SCENE.elist = rows.e;
  drawTokens();
}

function sceneBoxes() {
  return SCENE.list ? SCENE.list.map((r) => ({ entry: SCENE.boxes.get(r[0]), row: r })) : [];
}

function currentBoxRow(id) {
  const entry = SCENE.byId.get(id);
  return entry ? entry.row : null;
}

// ---- gradient tokens: a pill carrying the value, sliding from target to source ----
const TOKEN_FROM = 0.82, TOKEN_TO = 0.22; // along the edge, measured from its source
function drawTokens() {
  gTokens.replaceChildren();
  for (const t of SCENE.tokens) {
    const g = svgEl("g", { class: "token" }, gTokens);
    const text = fit(t.text, FONTS.token, 150);
    const w = Math.max(22, textWidth(text, FONTS.token) + 14);
    svgEl("rect", { x: -w / 2, y: -10, width: w, height: 20, rx: 10 }, g);
    svgText(g, 0, 4, text, "");
    svgEl("title", {}, g).textContent = "gradient " + t.text;
    t.g = g;
  }
}

function placeTokens(progress) {
  const eased = progress < 0.5 ? 2 * progress * progress : 1 - Math.pow(-2 * progress + 2, 2) / 2;
  const frac = TOKEN_FROM + (TOKEN_TO - TOKEN_FROM) * eased;
  for (const t of SCENE.tokens) {
    const [x, y] = pointAt(t.entry.info.points, t.entry.cum, frac);
    t.g.setAttribute("transform", `translate(${x},${y})`);
  }
}
