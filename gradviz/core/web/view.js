// view.js: pan and zoom with mouse, trackpad and touch (pointer events), fit to the
// graph, follow the step, and semantic zoom: text under ~9 px on screen is hidden.

/* exported VIEW, applyTransform, sizeCanvas, fitView, zoomAt, zoomCentre, followActive, installPanZoom */
const svg = $("canvas"), gView = $("viewport");
// autoFit: the whole graph is in view and stays so; placed: the view is where the page
// put it (not where the learner panned or zoomed), so a resize places it again.
const VIEW = { k: 1, tx: 0, ty: 0, autoFit: true, placed: true, lod: -1, w: 0, h: 0 };
const MIN_TEXT_PX = 9; // smallest on-screen text size worth drawing
const READABLE_ZOOM = 0.85; // an automatic fit stays above it (text >= 9 px); the view follows instead

function applyTransform() {
  gView.setAttribute("transform", `translate(${VIEW.tx},${VIEW.ty}) scale(${VIEW.k})`);
  // Detail text is 10-12 px and titles 13 px at zoom 1.
  const lod = VIEW.k * 11 >= MIN_TEXT_PX ? 0 : VIEW.k * 13 >= MIN_TEXT_PX ? 1 : 2;
  if (lod !== VIEW.lod) {
    VIEW.lod = lod;
    svg.classList.toggle("lod-1", lod >= 1);
    svg.classList.toggle("lod-2", lod >= 2);
  }
  // Titles grow in steps of 20%, so zooming re-measures them only now and then.
  let px = 13;
  while (px * VIEW.k < MIN_TEXT_PX) px = Math.round(px * 1.2);
  setTitleSize(px);
}

function contentBounds() {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x, y) => {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  };
  for (const { entry, row } of sceneBoxes()) {
    const b = entry.info;
    add(b.x - b.w / 2, b.y - b.h / 2);
    add(b.x + b.w / 2, b.y + b.h / 2 + (row[4] >= 0 ? 26 : 0)); // notes hang below the box
  }
  if (SCENE.elist) {
    for (const r of SCENE.elist) for (const p of SCENE.edges.get(r[0]).info.points) add(p[0], p[1]);
  }
  if (!isFinite(x0)) { x0 = 0; y0 = 0; x1 = 100; y1 = 100; }
  return { x0, y0, x1, y1 };
}

// With `readable`, never zoom out so far that text is hard to read; Fit shows it all.
function fitView(readable = true) {
  const r = { width: VIEW.w, height: VIEW.h };
  if (r.width < 10 || r.height < 10) return;
  const bb = contentBounds(), m = 36;
  const k = Math.min((r.width - 2 * m) / Math.max(1, bb.x1 - bb.x0),
    (r.height - 2 * m) / Math.max(1, bb.y1 - bb.y0), 1.6);
  VIEW.k = Math.max(readable === true ? READABLE_ZOOM : 0.05, k);
  VIEW.tx = (r.width - VIEW.k * (bb.x0 + bb.x1)) / 2;
  VIEW.ty = (r.height - VIEW.k * (bb.y0 + bb.y1)) / 2;
  VIEW.autoFit = VIEW.k <= k;
  VIEW.placed = true;
  applyTransform();
  if (!VIEW.autoFit) followActive();
}

function zoomAt(px, py, factor) {
  const k = Math.max(0.05, Math.min(8, VIEW.k * factor));
  VIEW.tx = px - (px - VIEW.tx) * (k / VIEW.k);
  VIEW.ty = py - (py - VIEW.ty) * (k / VIEW.k);
  VIEW.k = k;
  VIEW.autoFit = VIEW.placed = false;
  applyTransform();
}

function zoomCentre(factor) {
  zoomAt(VIEW.w / 2, VIEW.h / 2, factor);
}

// Keep the boxes the step is about on screen: its active boxes, or with none (a finished
// backward) the leaves, whose .grad is where the step ends.
function followActive() {
  const boxes = sceneBoxes();
  let focus = boxes.filter(({ row }) => str(row[1]) === "active");
  if (!focus.length) focus = boxes.filter(({ entry }) => entry.info.role === "leaf");
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const { entry } of focus) {
    const b = entry.info;
    x0 = Math.min(x0, b.x - b.w / 2); x1 = Math.max(x1, b.x + b.w / 2);
    y0 = Math.min(y0, b.y - b.h / 2); y1 = Math.max(y1, b.y + b.h / 2);
  }
  if (!isFinite(x0)) return;
  const r = { width: VIEW.w, height: VIEW.h }, m = 24;
  const sx0 = VIEW.tx + VIEW.k * x0, sx1 = VIEW.tx + VIEW.k * x1;
  const sy0 = VIEW.ty + VIEW.k * y0, sy1 = VIEW.ty + VIEW.k * y1;
  if (sx0 >= m && sy0 >= m && sx1 <= r.width - m && sy1 <= r.height - m) return;
  const bb = contentBounds(), k = VIEW.k;
  VIEW.tx = placeFocus(k * bb.x0, k * bb.x1, k * x0, k * x1, r.width, m);
  VIEW.ty = placeFocus(k * bb.y0, k * bb.y1, k * y0, k * y1, r.height, m);
  VIEW.placed = true;
  applyTransform();
}

// The shift on one axis that shows the focus [f0, f1] (centred, or from its start when
// it is bigger than the view), moved so that the view shows no empty margin on one side
// while the graph [c0, c1] is cut on the other (the focus stays in view).
function placeFocus(c0, c1, f0, f1, size, m) {
  const t = f1 - f0 > size - 2 * m ? m - f0 : size / 2 - (f0 + f1) / 2;
  const gapBefore = t + c0 - m, cutAfter = t + c1 - (size - m);
  if (gapBefore > 0 && cutAfter > 0) return t - Math.min(gapBefore, cutAfter, Math.max(0, t + f0 - m));
  const gapAfter = size - m - (t + c1), cutBefore = m - (t + c0);
  if (gapAfter > 0 && cutBefore > 0) return t + Math.min(gapAfter, cutBefore, Math.max(0, size - m - (t + f1)));
  return t;
}

// Pixel sizes, not percentages: see #canvas-wrap in style.css.
// The size is kept in VIEW, so stepping never asks the browser for a layout.
function sizeCanvas() {
  const r = svg.parentNode.getBoundingClientRect();
  VIEW.w = Math.round(r.width);
  VIEW.h = Math.round(r.height);
  const w = VIEW.w + "px", h = VIEW.h + "px";
  if (svg.style.width !== w) svg.style.width = w;
  if (svg.style.height !== h) svg.style.height = h;
}

function installPanZoom(onClickBox) {
  sizeCanvas();
  // The narration under the drawing grows and shrinks with its text: follow its room
  // after the browser's own layout, never during a step.
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      const w = VIEW.w, h = VIEW.h;
      sizeCanvas();
      if (w === VIEW.w && h === VIEW.h) return;
      if (VIEW.autoFit || VIEW.placed) { fitView(); return; }
      // Keep what was in the middle in the middle.
      VIEW.tx += (VIEW.w - w) / 2;
      VIEW.ty += (VIEW.h - h) / 2;
      applyTransform();
    }).observe(svg.parentNode);
  }
  // A mouse wheel zooms; a trackpad pinch arrives as a wheel with ctrlKey; a two-finger
  // sideways scroll pans.
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect();
    const scale = ev.deltaMode === 1 ? 16 : 1;
    if (!ev.ctrlKey && Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      VIEW.tx -= ev.deltaX * scale; VIEW.ty -= ev.deltaY * scale; VIEW.autoFit = VIEW.placed = false;
      applyTransform();
      return;
    }
    const speed = ev.ctrlKey ? 0.01 : 0.0015;
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * scale * speed));
  }, { passive: false });

  // Pointers: one drags the view (or clicks a box), two pinch-zoom about their midpoint.
  const pointers = new Map();
  let drag = null, pinch = null;
  const mid = () => {
    const ps = Array.from(pointers.values());
    return { x: (ps[0].x + ps[1].x) / 2, y: (ps[0].y + ps[1].y) / 2,
      d: Math.hypot(ps[0].x - ps[1].x, ps[0].y - ps[1].y) };
  };
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.pointerType === "mouse" && ev.button !== 0) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    try { svg.setPointerCapture(ev.pointerId); } catch (err) { /* a synthetic event */ }
    if (pointers.size === 2) {
      drag = null;
      pinch = mid();
      return;
    }
    const box = ev.target.closest ? ev.target.closest(".box") : null;
    drag = { x: ev.clientX, y: ev.clientY, tx: VIEW.tx, ty: VIEW.ty, moved: false,
      box: box ? box.dataset.id : null };
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!pointers.has(ev.pointerId)) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pinch && pointers.size === 2) {
      const now = mid(), r = svg.getBoundingClientRect();
      VIEW.tx += now.x - pinch.x; VIEW.ty += now.y - pinch.y;
      zoomAt(now.x - r.left, now.y - r.top, pinch.d > 0 ? now.d / pinch.d : 1);
      pinch = now;
      return;
    }
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    svg.classList.add("dragging");
    VIEW.tx = drag.tx + dx; VIEW.ty = drag.ty + dy; VIEW.autoFit = VIEW.placed = false;
    applyTransform();
  });
  const end = (ev) => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    if (drag && !drag.moved && ev.type === "pointerup") onClickBox(drag.box);
    drag = null;
    svg.classList.remove("dragging");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  window.addEventListener("resize", () => {
    sizeCanvas();
    if (VIEW.autoFit || VIEW.placed) fitView();
  });
}
