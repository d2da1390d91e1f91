// data.js: the story payload ("gradviz-page/4", see html_export.py) decoded into per-step
// row lists: each step's own rows with what the step lays over them (hidden boxes, focus,
// active edges, the token), as Player.scene makes them.
// Rows that did not change between steps stay the very same arrays, so the renderer
// can skip them with one identity check.

/* global unpackPayload */
/* exported DATA, STR, N, ROWS, EPISODES, str, episodeAt, boxInfo, edgeInfo, detailRows */
const DATA = unpackPayload(JSON.parse(document.getElementById("gradviz-data").textContent));
const STR = DATA.strings;
const N = DATA.steps.length;

function str(i) {
  return i < 0 ? null : STR[i];
}

// A box row as the step shows it: its own row, hidden before its appear step, in the
// step's focus state when the step is about it (then with its other badges, the ninth
// cell, if it has one). A box shown in its own state is its own row.
function boxRow(own, k, focused, focusState) {
  let state;
  if (DATA.boxes[own[0]][11] > k) state = HIDDEN;
  else if (focused) state = focusState;
  else return own.length === 8 ? own : own.slice(0, 8);
  const row = own.slice(0, 8);
  row[1] = state;
  if (own.length > 8) row[7] = own[8];
  return row;
}

function sameRow(a, b) {
  if (a === b) return true;
  if (!b || a.length !== b.length) return false;
  for (let c = 0; c < a.length; c++) if (a[c] !== b[c]) return false;
  return true;
}

// Builds ROWS from the steps: each step's own rows (in full, or the changed ones) and what
// it lays over them. Rows the step does not change stay the very same arrays.
const ROWS = [];
const HIDDEN = DATA.states[0], ACTIVE = DATA.states[1], ERROR = DATA.states[2];
{
  let ownB = [], ownE = [], pb = [], pe = [];
  let boxesOf = new Map(), appearing = new Map(); // node -> positions, step -> positions
  let prevFocus = [], prevActive = [], prevToken = -1;
  for (let k = 0; k < N; k++) {
    const st = DATA.steps[k];
    const focusState = st.ph === "error" ? ERROR : ACTIVE;
    let boxesNew = false;
    if (st.B) {
      ownB = st.B.slice(); // then changed in place: no step keeps it
      boxesNew = true;
      boxesOf = new Map();
      appearing = new Map();
      ownB.forEach((row, p) => {
        const s = DATA.boxes[row[0]], node = s.length > 12 ? s[12] : s[0];
        if (!boxesOf.has(node)) boxesOf.set(node, []);
        boxesOf.get(node).push(p);
        if (s[11] >= 0) {
          if (!appearing.has(s[11])) appearing.set(s[11], []);
          appearing.get(s[11]).push(p);
        }
      });
    } else {
      for (const d of st.dB || []) ownB[d[0]] = [ownB[d[0]][0]].concat(d.slice(1));
    }
    const focus = [];
    for (const id of st.f || []) {
      const at = boxesOf.get(id);
      if (at) for (const p of at) focus.push(p);
    }
    const focused = new Set(focus);
    let b;
    if (boxesNew) {
      b = ownB.map((row, p) => boxRow(row, k, focused.has(p), focusState));
    } else {
      b = pb.slice();
      const redo = (p) => {
        const row = boxRow(ownB[p], k, focused.has(p), focusState);
        b[p] = sameRow(row, pb[p]) ? pb[p] : row;
      };
      for (const d of st.dB || []) redo(d[0]);
      for (const p of prevFocus) redo(p);
      for (const p of focus) redo(p);
      for (const p of appearing.get(k) || []) redo(p);
    }
    const active = st.a || [], token = st.t || null, lit = new Set(active);
    const edgeRow = (own, p) => [
      own[0], own[1], lit.has(p) ? 1 : 0, token && token[0] === p ? token[1] : -1,
    ];
    let e;
    if (st.E) {
      ownE = st.E.slice();
      e = ownE.map(edgeRow);
    } else {
      for (const d of st.dE || []) ownE[d[0]] = [ownE[d[0]][0], d[1]];
      e = pe.slice();
      const redo = (p) => {
        const row = edgeRow(ownE[p], p);
        e[p] = sameRow(row, pe[p]) ? pe[p] : row;
      };
      for (const d of st.dE || []) redo(d[0]);
      for (const p of prevActive) redo(p);
      for (const p of active) redo(p);
      if (prevToken >= 0) redo(prevToken);
      if (token) redo(token[0]);
    }
    ROWS.push({ b, e });
    pb = b;
    pe = e;
    prevFocus = focus;
    prevActive = active;
    prevToken = token ? token[0] : -1;
  }
}

// Episodes as the app lists them: title, step range, where backward starts.
const EPISODES = DATA.episodes.map((ep) => ({
  title: ep[0], start: ep[1], end: ep[2], backward: ep[3],
}));

function episodeAt(i) {
  const st = DATA.steps[i];
  return st ? st.ep : -1;
}

// Static facts about a box / edge, named.
function boxInfo(index) {
  const s = DATA.boxes[index];
  return {
    id: s[0], role: s[1], title: s[2], subtitle: s[3], x: s[4], y: s[5], w: s[6], h: s[7],
    line: s[8], muted: !!s[9], details: s[10], appears: s[11],
    ref: s.length > 12 ? s[12] : null, // the node a shared leaf's boxes all stand for
  };
}

function edgeInfo(index) {
  const s = DATA.edges[index];
  const pts = [];
  for (let k = 0; k + 1 < s[3].length; k += 2) pts.push([s[3][k], s[3][k + 1]]);
  return { id: s[0], source: s[1], target: s[2], points: pts, label: s[4], base: s[5] };
}

// The inspector rows of a box at a step, in the order and wording of the app's inspector.
function detailRows(info, row, step) {
  const rows = [];
  const fixed = info.details >= 0 ? DATA.details[info.details] : [];
  for (let k = 0; k + 1 < fixed.length; k += 2) rows.push([STR[fixed[k]], STR[fixed[k + 1]]]);
  // The chain rule of the step shown, on the boxes it is about (second, as in the app).
  if (step.m && step.f && step.f.indexOf(info.ref || info.id) >= 0) {
    rows.splice(Math.min(1, rows.length), 0, ["this step", step.m.map((m) => STR[m]).join("\n")]);
  }
  const valueFull = str(row[5]), gradFull = str(row[6]), note = str(row[4]);
  if (valueFull !== null) rows.push(["value", valueFull]);
  if (gradFull !== null) rows.push([info.role === "leaf" ? ".grad" : "gradient received", gradFull]);
  if (note !== null) rows.push(["sum", note]);
  if (info.line) rows.push(["line", String(info.line)]);
  return rows;
}
