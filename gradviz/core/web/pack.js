// pack.js: a packed payload ("gradviz-page/5", see page_pack.py) back into the page's own
// form ("gradviz-page/4"): iterations of one shape are stored once (a template) and each
// episode as its numbers. This mirrors page_pack.unpack exactly.

/* exported unpackPayload */
const PACK_NUMBER = /([ \n]*-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)/;
const PACK_FIXED = /^([ \n]*)(-?)([0-9]+)(?:\.([0-9]+))?$/;
const PACK_SEP = "|";

// Every number of a template as text, in order (the JSON numbers as Python wrote them:
// page_pack never packs a float that JavaScript would write differently).
function packSlots(value, out) {
  if (typeof value === "string") {
    const parts = value.split(PACK_NUMBER);
    for (let k = 1; k < parts.length; k += 2) out.push(parts[k]);
  } else if (typeof value === "number") {
    out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) packSlots(v, out);
  } else if (value !== null && typeof value === "object") {
    for (const k of Object.keys(value)) packSlots(value[k], out);
  }
}

function packFill(value, values, at) {
  if (typeof value === "string") {
    const parts = value.split(PACK_NUMBER);
    if (parts.length === 1) return value;
    for (let k = 1; k < parts.length; k += 2) parts[k] = values[at.i++];
    return parts.join("");
  }
  if (typeof value === "number") return Number(values[at.i++]);
  if (Array.isArray(value)) return value.map((v) => packFill(v, values, at));
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const k of Object.keys(value)) out[k] = packFill(value[k], values, at);
    return out;
  }
  return value;
}

// [spaces, decimals (-1: no point), digits as one integer] of a plain decimal, or null.
function packFixed(text) {
  const m = PACK_FIXED.exec(text);
  if (!m || m[3].length + (m[4] || "").length > 15) return null;
  const n = Number(m[3] + (m[4] || ""));
  return [m[1], m[4] === undefined ? -1 : m[4].length, m[2] ? -n : n];
}

function packStep(text, delta) {
  const f = packFixed(text);
  if (!f) return null;
  const n = f[2] + delta;
  let digits = String(Math.abs(n));
  if (f[1] > 0) {
    digits = digits.padStart(f[1] + 1, "0");
    digits = digits.slice(0, -f[1]) + "." + digits.slice(-f[1]);
  }
  return f[0] + (n < 0 ? "-" : "") + digits;
}

// One template's class values, episode after episode (page_pack._Coder.decode).
function packCoder(base) {
  const last = base.slice(), change = base.map(() => null);
  const guess = (c) => {
    const g = change[c] !== null ? packStep(last[c], change[c]) : null;
    return g === null ? last[c] : g;
  };
  return (text) => {
    const out = [];
    if (!last.length) return out;
    for (const token of text.split(PACK_SEP)) {
      if (token === "" || token[0] === "~") {
        const count = token ? Number(token.slice(1)) : 1;
        for (let r = 0; r < count; r++) {
          const c = out.length;
          out.push(guess(c));
          last[c] = out[c];
        }
        continue;
      }
      const c = out.length;
      let value;
      if (token[0] === "^") {
        change[c] = Number(token.slice(1));
        value = packStep(last[c], change[c]);
      } else {
        value = token;
        change[c] = null;
      }
      last[c] = value;
      out.push(value);
    }
    return out;
  };
}

function packTable() {
  const items = [], index = new Map();
  return {
    items,
    add(item) {
      const key = typeof item === "string" ? "s" + item : JSON.stringify(item);
      let found = index.get(key);
      if (found === undefined) {
        found = items.length;
        index.set(key, found);
        items.push(item);
      }
      return found;
    },
  };
}

function unpackPayload(packed) {
  if (packed.format !== "gradviz-page/5") return packed;
  const bases = packed.templates.map((template, t) => {
    const values = [];
    packSlots(template, values);
    const flat = packed.repeats[t], repeat = new Map();
    for (let k = 0; k + 1 < flat.length; k += 2) repeat.set(flat[k], flat[k + 1]);
    const pattern = [], firsts = [];
    for (let slot = 0; slot < values.length; slot++) {
      if (repeat.has(slot)) pattern.push(repeat.get(slot));
      else { pattern.push(firsts.length); firsts.push(values[slot]); }
    }
    return { template, pattern, decode: packCoder(firsts) };
  });
  const strings = packTable(), boxes = packTable(), edges = packTable(), details = packTable();
  const text = (s) => (s === null ? -1 : strings.add(s));
  const box = (item) => {
    const copy = item.slice();
    copy[10] = item[10] === null ? -1 : details.add(item[10].map((s) => strings.add(s)));
    return boxes.add(copy);
  };
  const episodes = [], steps = [];
  for (const entry of packed.episodes) {
    const base = bases[entry[0]];
    const own = base.decode(entry[1]);
    const ep = packFill(base.template, base.pattern.map((c) => own[c]), { i: 0 });
    episodes.push(ep.e);
    for (const st of ep.s) {
      const row = { ep: st.ep, ph: st.ph, n: text(st.n), l: st.l };
      if (st.m) row.m = st.m.map((m) => strings.add(m));
      if (st.f) row.f = st.f;
      if (st.a) row.a = st.a;
      if (st.t) row.t = [st.t[0], text(st.t[1])];
      if (st.B) row.B = st.B.map((r) => [box(r[0])].concat(r.slice(1).map(text)));
      if (st.dB) row.dB = st.dB.map((r) => [r[0]].concat(r.slice(1).map(text)));
      if (st.E) row.E = st.E.map((r) => [edges.add(r[0])].concat(r.slice(1).map(text)));
      if (st.dE) row.dE = st.dE.map((r) => [r[0]].concat(r.slice(1).map(text)));
      steps.push(row);
    }
  }
  const out = { format: "gradviz-page/4" };
  for (const k of ["title", "filename", "source", "defaultStep", "output", "error", "series"]) {
    if (k in packed) out[k] = packed[k];
  }
  Object.assign(out, {
    strings: strings.items, details: details.items, boxes: boxes.items, edges: edges.items,
    episodes, steps, states: packed.states.map(text),
  });
  return out;
}
