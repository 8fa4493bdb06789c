// Small DOM helpers: every text goes in through textContent, never as HTML.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, v);
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

export function fillTable(table, head, rows) {
  table.tHead.replaceChildren(el("tr", {}, head.map((h) => el("th", { class: h.num ? "num" : null }, h.text ?? h))));
  table.tBodies[0].replaceChildren(...rows);
}

export function badge(state) {
  return el("span", { class: `badge ${state}`, "data-health": state }, state.toUpperCase());
}

export function clock(epochSeconds) {
  return new Date(epochSeconds * 1000).toISOString().slice(11, 19) + "Z";
}

export const PALETTE = ["#1f6feb", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666"];
export function regionColour(regions, name) {
  const i = regions.indexOf(name);
  return PALETTE[(i < 0 ? PALETTE.length - 1 : i) % PALETTE.length];
}
