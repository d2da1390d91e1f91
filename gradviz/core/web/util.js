// util.js: DOM helpers (text always through textContent) and text measuring.

/* exported $, SVG_NS, svgEl, svgText, htmlEl, cls, textWidth, fit, FONTS, measure, pointAt */
const $ = (id) => document.getElementById(id);
const SVG_NS = $("canvas").namespaceURI; // read from the page: no namespace URL in the code

function svgEl(tag, attrs, parent) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const k in attrs) {
    if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function svgText(parent, x, y, text, className, anchor) {
  const t = svgEl("text", { x, y, class: className, "text-anchor": anchor || "middle" }, parent);
  t.textContent = text;
  return t;
}

function htmlEl(tag, className, text, parent) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// A safe class-name fragment from data (roles, states, phases).
function cls(s) {
  return String(s).replace(/[^A-Za-z0-9_-]/g, "_");
}

const measureCtx = document.createElement("canvas").getContext("2d");
const rootStyle = getComputedStyle(document.documentElement);
const SANS = rootStyle.getPropertyValue("--sans"), MONO = rootStyle.getPropertyValue("--mono");
// Canvas fonts matching the CSS of each text kind, for measuring.
const FONTS = {
  title: "600 13px " + SANS, sub: "11px " + SANS, val: "12px " + MONO, gradtext: "11px " + MONO,
  note: "italic 11px " + SANS, cut: "600 11px " + SANS, token: "600 11px " + MONO,
  badge: "600 9px " + SANS,
};

function textWidth(text, font) {
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

// Shorten text with an ellipsis to fit a width; the full text is in the inspector.
const fitCache = new Map();
function fit(text, font, width) {
  const key = font + "|" + width + "|" + text;
  let out = fitCache.get(key);
  if (out !== undefined) return out;
  out = text;
  if (textWidth(text, font) > width) {
    let lo = 0, hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (textWidth(text.slice(0, mid) + "…", font) <= width) lo = mid;
      else hi = mid - 1;
    }
    out = text.slice(0, lo) + "…";
  }
  if (fitCache.size > 20000) fitCache.clear();
  fitCache.set(key, out);
  return out;
}

// Cumulative lengths along a polyline, and the point at a fraction of its length.
function measure(points) {
  const cum = [0];
  for (let i = 1; i < points.length; i++) {
    const dx = points[i][0] - points[i - 1][0], dy = points[i][1] - points[i - 1][1];
    cum.push(cum[i - 1] + Math.hypot(dx, dy));
  }
  return cum;
}

function pointAt(points, cum, frac) {
  const total = cum[cum.length - 1], d = Math.max(0, Math.min(1, frac)) * total;
  for (let i = 1; i < points.length; i++) {
    if (d <= cum[i] || i === points.length - 1) {
      const seg = cum[i] - cum[i - 1] || 1, t = (d - cum[i - 1]) / seg;
      return [points[i - 1][0] + t * (points[i][0] - points[i - 1][0]),
        points[i - 1][1] + t * (points[i][1] - points[i - 1][1])];
    }
  }
  return points[0] || [0, 0];
}
