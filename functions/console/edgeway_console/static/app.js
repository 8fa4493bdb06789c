// The Edgeway console: polls the JSON endpoints and draws each section.
import { getJSON, AuthError, takeTokenFromFragment, token } from "./api.js";
import { el, svg, fillTable, badge, clock, regionColour } from "./dom.js";
import { loadLand, drawMap } from "./map.js";

const FAST_MS = 2000;          // regions, transitions, consumers
const SLOW_EVERY = 5;          // steering, latency, traffic: every fifth tick
const STALE_AFTER_MS = 3 * FAST_MS;
const TIMELINE_S = 15 * 60;    // the strip: recent enough that a failover of seconds is visible
const $ = (id) => document.getElementById(id);

const state = { lastOk: 0, regionNames: [], steering: null, mapMode: "engine", drawn: new Set(), tick: 0 };
const SECTIONS = ["regions", "transitions", "steering", "latency", "traffic", "consumers"];

// text: a note or an error for the section; available: whether its data came
function setState(section, text, available) {
  $(section).querySelector("[data-state]").textContent = text || "";
  $(section).dataset.available = available ? "true" : "false";
}

function markDrawn(section) {
  state.drawn.add(section);
  if (state.drawn.size === SECTIONS.length && !document.body.dataset.ready) {
    document.body.dataset.ready = "1";
    window.consoleReadyAt = performance.now();
  }
}

async function refresh(section, draw, params) {
  try {
    const data = await getJSON(section, params);
    draw(data);
    setState(section, (data.problems || []).join("; "), true);
    if (section === "regions") state.lastOk = Date.now();
  } catch (err) {
    if (err instanceof AuthError) showSignIn(err.message);
    setState(section, err instanceof AuthError ? `sign in to see this (${err.message})`
      : `unavailable: ${err.message}`, false);
  }
  markDrawn(section);
}

// -- sections -------------------------------------------------------------------------
function drawRegions(data) {
  state.regionNames = data.regions.map((r) => r.region);
  const vantages = [...new Set(data.regions.flatMap((r) => Object.keys(r.vantages)))].sort();
  fillTable($("regions-table"), ["region", "verdict and reason", ...vantages.map((v) => `via ${v}`)],
    data.regions.map((r) => el("tr", { "data-region": r.region, "data-health": r.health },
      el("th", { scope: "row" }, r.region),
      el("td", {}, badge(r.health), el("span", { class: "reason" }, r.reason)),
      vantages.map((v) => {
        const cell = r.vantages[v];
        return el("td", { "data-vantage": v }, cell ? badge(cell.state) : "—",
          cell && cell.age_s !== null ? el("span", { class: "age" }, ` ${cell.age_s}s ago`) : "");
      }))));
}

function drawTransitions(data) {
  const names = state.regionNames.length ? state.regionNames : [...new Set(data.verdicts.map((v) => v.region))];
  const now = Date.now() / 1000, from = now - TIMELINE_S;
  const box = $("timeline");
  const width = box.clientWidth || 600, rowH = 22, left = 110;
  box.setAttribute("viewBox", `0 0 ${width} ${names.length * rowH + 16}`);
  box.style.height = `${names.length * rowH + 16}px`;
  const px = (t) => left + ((Math.max(t, from) - from) / TIMELINE_S) * (width - left - 4);
  const rows = names.map((name, i) => {
    const changes = data.verdicts.filter((v) => v.region === name);
    const segments = [];
    let start = from, current = changes.length ? changes[0].from : "up";
    for (const c of changes) {
      if (c.at > from) segments.push([start, c.at, current]);
      start = c.at; current = c.to;
    }
    segments.push([start, now, current]);
    return svg("g", { "data-region": name },
      svg("text", { x: 0, y: i * rowH + 15, "font-size": 12 }, document.createTextNode(name)),
      segments.filter(([a, b]) => b > from).map(([a, b, s]) => svg("rect", {
        x: px(a), y: i * rowH + 4, width: Math.max(1, px(b) - px(a)), height: rowH - 8,
        class: `seg ${s}`, fill: s === "down" ? "#b42318" : s === "up" ? "#1a7f37" : "#c9a227" },
        svg("title", {}, document.createTextNode(`${name} ${s} from ${clock(a)}`)))));
  });
  const axis = svg("text", { x: left, y: names.length * rowH + 13, "font-size": 11, fill: "#5b6474" },
    document.createTextNode(`last 15 min, ${clock(from)} … now (green up, red down, amber unknown)`));
  box.replaceChildren(...rows, axis);
  const items = [...data.verdicts.map((v) => ({ ...v, kind: "verdict" })),
                 ...data.transitions.map((t) => ({ ...t, kind: "vantage" }))]
    .sort((a, b) => b.at - a.at).slice(0, 100);
  $("transition-list").replaceChildren(...(items.length ? items.map((t) => el("li", {
      "data-region": t.region, "data-to": t.to, "data-kind": t.kind },
    el("time", {}, clock(t.at)),
    t.kind === "verdict" ? `${t.region}: ${t.from} → ${t.to.toUpperCase()} (verdict; ${t.reason})`
      : `${t.region} seen from ${t.vantage}: ${t.from} → ${t.to} (${t.reason})`))
    : [el("li", {}, "no health changes in the last 24 h")]));
}

function drawSteering(data) {
  state.steering = data;
  $("plan-toggle").hidden = !data.plan;
  drawMap($("map"), $("map-legend"), data, data.plan ? state.mapMode : "engine");
}

function drawLatency(data) {
  const head = ["client area", ...data.regions.map((r) => ({ text: r, num: true }))];
  const all = data.areas.flatMap((a) => Object.values(a.rtt).map((c) => c.ms));
  const hi = Math.max(1, ...all);
  fillTable($("latency-table"), head, data.areas.map((a) => {
    const best = Math.min(...data.regions.map((r) => a.rtt[r] ? a.rtt[r].ms : Infinity));
    return el("tr", {}, el("th", { scope: "row" }, a.area), data.regions.map((r) => {
      const c = a.rtt[r];
      if (!c) return el("td", { class: "num" }, "—");
      const td = el("td", { class: `num${c.ms === best ? " best" : ""}`, "data-source": c.source,
        title: `${a.area} → ${r}: ${c.ms} ms (${c.source})` }, `${Math.round(c.ms)}${c.source === "measured" ? " m" : ""}`);
      td.style.background = `hsl(${Math.round(120 - 120 * Math.min(1, c.ms / hi))} 70% 80%)`;
      return td;
    }));
  }));
}

let chart = null;
function drawTraffic(data) {
  const t = data.series.t;
  const series = [t, data.series.requests, data.series.errors];
  const box = $("traffic-chart");
  const width = Math.max(240, box.clientWidth || 400);
  if (window.uPlot) {
    if (!chart) {
      chart = new window.uPlot({ width, height: 160, legend: { show: true },
        series: [{}, { label: "requests/min", stroke: "#1f6feb" }, { label: "errors/min (5xx)", stroke: "#b42318" }],
        axes: [{}, { size: 40 }] }, series, box);
    } else { chart.setData(series); if (chart.width !== width) chart.setSize({ width, height: 160 }); }
  }
  const ms = (v) => (v === null || v === undefined ? "—" : `${v}`);
  fillTable($("traffic-table"), ["route", { text: "requests", num: true }, { text: "errors", num: true },
    { text: "p50 ms", num: true }, { text: "p99 ms", num: true }, { text: "avg ms", num: true }],
  data.routes.length ? data.routes.map((r) => el("tr", { "data-route": r.route },
    el("th", { scope: "row" }, r.route === "-" ? "(no route id: /health and 404s)" : r.route),
    el("td", { class: "num" }, r.requests), el("td", { class: "num" }, r.errors),
    el("td", { class: "num" }, ms(r.p50_ms)), el("td", { class: "num" }, ms(r.p99_ms)),
    el("td", { class: "num" }, ms(r.avg_ms))))
    : [el("tr", {}, el("td", { colspan: 6 }, "no requests in the last hour"))]);
}

function quota(w) {
  if (w.limit === null) return el("td", { class: "num" }, "no quota");
  const full = w.used >= w.limit;
  const bar = el("span", { class: `bar${full ? " full" : ""}` }, el("span"));
  bar.firstChild.style.width = `${Math.min(100, (100 * w.used) / w.limit)}%`;
  return el("td", { class: "num" }, bar, `${w.used} / ${w.limit}`);
}

function drawConsumers(data) {
  fillTable($("consumers-table"), ["consumer", "plan", { text: "today", num: true }, { text: "this month", num: true }, "status"],
    data.consumers.length ? data.consumers.map((c) => el("tr", { "data-consumer": c.consumer, "data-day": c.day.used },
      el("th", { scope: "row" }, c.consumer), el("td", {}, c.plan || "—"), quota(c.day), quota(c.month),
      el("td", {}, c.at_limit ? el("strong", { class: "error" }, "AT LIMIT") : "under limit")))
    : [el("tr", {}, el("td", { colspan: 5 }, "no consumer has been counted yet"))]);
}

// -- ask ------------------------------------------------------------------------------
async function ask(event) {
  event.preventDefault();
  const out = $("ask-answer");
  const ip = $("ask-ip").value.trim();
  out.replaceChildren(el("p", {}, "asking…"));
  try {
    const d = await getJSON("resolve", { ip });
    out.replaceChildren(el("div", { class: "answer", "data-region": d.region },
      el("dl", {}, el("dt", {}, "client"), el("dd", {}, `${d.ip} (placed in ${d.prefix})`),
        el("dt", {}, "region"), el("dd", { "data-answer": "region" }, el("strong", {}, d.region), ` — ${d.latency_ms} ms, ${d.endpoint}`),
        el("dt", {}, "reason"), el("dd", {}, d.reason),
        el("dt", {}, "alternatives"), el("dd", {}, d.alternatives.length ? el("ol", {}, d.alternatives.map((a) =>
          el("li", {}, `${a.region} — ${a.latency_ms} ms (${a.reason})`))) : "none"),
        el("dt", {}, "TTL"), el("dd", {}, `${d.ttl} s`))));
  } catch (err) {
    out.replaceChildren(el("p", { class: "error", role: "alert" }, err.message));
    if (err instanceof AuthError) showSignIn(err.message);
  }
}

// -- sign-in, freshness, the loop --------------------------------------------------------
function showSignIn(why) {
  $("signin").hidden = false;
  $("signin-why").textContent = `The console's data needs a JWT with the edgeway:admin scope: ${why}`;
}

function freshness() {
  const node = $("freshness");
  if (!state.lastOk) { node.textContent = "no data yet"; return; }
  const age = Date.now() - state.lastOk;
  const stale = age > STALE_AFTER_MS;
  node.classList.toggle("stale", stale);
  node.textContent = stale ? `STALE: last update ${Math.round(age / 1000)} s ago (retrying every ${FAST_MS / 1000} s)`
    : `live · updated ${new Date(state.lastOk).toISOString().slice(11, 19)}Z · every ${FAST_MS / 1000} s`;
}

async function loop() {
  // the first pass resolves once every section has been asked; later passes are timers
  const slow = state.tick % SLOW_EVERY === 0;
  state.tick += 1;
  const jobs = [refresh("regions", drawRegions).then(() => refresh("transitions", drawTransitions)),
                refresh("consumers", drawConsumers)];
  if (slow) jobs.push(refresh("steering", drawSteering), refresh("latency", drawLatency), refresh("traffic", drawTraffic));
  await Promise.allSettled(jobs);
  freshness();
  setTimeout(loop, FAST_MS);
}

function main() {
  takeTokenFromFragment();
  $("signout").hidden = !token.get();
  $("signout").addEventListener("click", () => { token.clear(); location.reload(); });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault(); token.set($("token").value); $("signin").hidden = true; $("signout").hidden = false;
    state.tick = 0;
  });
  $("ask-form").addEventListener("submit", ask);
  document.querySelectorAll("input[name=plan]").forEach((r) => r.addEventListener("change", () => {
    state.mapMode = r.value; if (state.steering) drawSteering(state.steering);
  }));
  setInterval(freshness, 1000);
  loadLand().catch(() => null).finally(() => { if (state.steering) drawSteering(state.steering); });
  loop().then(() => $("ask-form").requestSubmit());
}

main();
