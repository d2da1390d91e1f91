// data.js: the story payload (see html_export.py) decoded into per-step row lists.
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

function expandRows(full, delta, prev) {
  if (full) return full;
  const out = prev.slice();
  for (const d of delta) out[d[0]] = [prev[d[0]][0]].concat(d.slice(1));
  return out;
}

const ROWS = [];
{
  let pb = [], pe = [];
  for (const st of DATA.steps) {
    const b = expandRows(st.B, st.dB, pb), e = expandRows(st.E, st.dE, pe);
    ROWS.push({ b, e });
    pb = b;
    pe = e;
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
    line: s[8], muted: !!s[9], details: s[10],
    ref: s.length > 11 ? s[11] : null, // the node a shared leaf's boxes all stand for
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
