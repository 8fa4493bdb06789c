// The steering map: equirectangular world, regions as rings, network prefixes as dots.
import { svg, el, regionColour } from "./dom.js";

const W = 960, H = 480;
const x = (lon) => ((lon + 180) / 360) * W;
const y = (lat) => ((90 - lat) / 180) * H;
let landPath = null;

export async function loadLand() {
  const response = await fetch(new URL("vendor/land-110m.json", document.baseURI), { cache: "no-store" });
  const topo = await response.json();
  const land = window.topojson.feature(topo, topo.objects.land);
  const parts = [];
  for (const feature of land.features || [land]) {
    const g = feature.geometry || feature;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    for (const polygon of polygons) for (const ring of polygon) {
      let prev = null;
      ring.forEach(([lon, lat]) => {
        // a ring crossing the antimeridian jumps across the map: lift the pen there
        const jump = prev === null || Math.abs(lon - prev) > 180;
        parts.push(`${jump ? "M" : "L"}${x(lon).toFixed(1)},${y(lat).toFixed(1)}`);
        prev = lon;
      });
    }
  }
  landPath = parts.join("");
}

export function drawMap(node, legend, data, mode) {
  const names = data.regions.map((r) => r.name);
  const decide = mode === "plan" && data.plan ? (p) => data.plan[p.prefix] : (p) => p.region;
  const dots = data.prefixes.map((p) => {
    const region = decide(p);
    return svg("circle", { class: "dot", cx: x(p.lon).toFixed(1), cy: y(p.lat).toFixed(1), r: 3.2,
      fill: regionColour(names, region), "data-prefix": p.prefix, "data-region": region || "" },
      svg("title", {}, document.createTextNode(`${p.prefix} ${p.label || ""} → ${region || "none"}`)));
  });
  const marks = data.regions.map((r) => svg("g", { class: "region-mark", "data-region": r.name },
    svg("circle", { class: `region ${r.health}`, cx: x(r.lon), cy: y(r.lat), r: 9,
      fill: regionColour(names, r.name) },
      svg("title", {}, document.createTextNode(`${r.name}: ${r.health}`))),
    svg("text", { x: x(r.lon) + 12, y: y(r.lat) + 4 }, document.createTextNode(`${r.name} (${r.health})`))));
  node.replaceChildren(landPath ? svg("path", { class: "land", d: landPath }) : null, ...dots, ...marks);
  const counts = {};
  data.prefixes.forEach((p) => { const r = decide(p); counts[r] = (counts[r] || 0) + 1; });
  legend.replaceChildren(...names.map((n) => el("li", {},
    el("i", { style: null, "data-colour": regionColour(names, n) }), `${n}: ${counts[n] || 0} prefixes`)));
  // colours through CSSOM, not style attributes: the CSP allows no inline style
  legend.querySelectorAll("i").forEach((i) => { i.style.background = i.dataset.colour; });
}
