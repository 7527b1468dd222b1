// MSA live map: Leaflet (vendored by `make web`, no CDN, no tile server) over Natural Earth land served by the API.
// Alerts arrive over SSE; an alert opens with its evidence drawn and charted; the coordinator workflow runs here.
"use strict";

// ---- constants -------------------------------------------------------------------------------------------
const KINDS = {
  go_fast: { label: "Go-fast boat", shape: "tri" },
  dark_period: { label: "Dark period (AIS off)", shape: "ring" },
  rendezvous: { label: "Rendezvous at sea", shape: "diamond" },
  dark_vessel: { label: "Dark vessel (satellite, no AIS)", shape: "square" },
  dark_rendezvous: { label: "Dark rendezvous", shape: "star" },
  identity_anomaly: { label: "Identity anomaly (one MMSI, impossible places)", shape: "twin" },
};
const SHAPES = {  // around (0, 0), about ±8
  tri: "M0,-8L7,5L-7,5Z", diamond: "M0,-8L7,0L0,8L-7,0Z", square: "M-6,-6H6V6H-6Z",
  ring: "M-7,0a7,7 0 1,0 14,0a7,7 0 1,0 -14,0M-3,0a3,3 0 1,1 6,0a3,3 0 1,1 -6,0Z",
  star: "M0,-8L2.4,-2.5L8,-2.5L3.5,1L5.2,7L0,3.5L-5.2,7L-3.5,1L-8,-2.5L-2.4,-2.5Z",
  twin: "M-8.5,0a3.5,3.5 0 1,0 7,0a3.5,3.5 0 1,0 -7,0M1.5,0a3.5,3.5 0 1,0 7,0a3.5,3.5 0 1,0 -7,0M-1.5,-1.2H1.5V1.2H-1.5Z",
  det: "M-6,-6L6,6M-6,6L6,-6M-7,0a7,7 0 1,0 14,0a7,7 0 1,0 -14,0",
};
// speed over ground (or implied between fixes) → colour; the legend and the charts use the same buckets
const SPEED_BUCKETS = [[5, "#4c8dff", "< 5 kn"], [15, "#22b8cf", "5–15 kn"], [25, "#40c057", "15–25 kn"],
                       [35, "#fab005", "25–35 kn"], [45, "#fd7e14", "35–45 kn"], [Infinity, "#f03e3e", "≥ 45 kn"]];
const NO_SPEED = "#adb5bd";
const VESSEL_COLOURS = ["#ffffff", "#ff66c4", "#66d9ff", "#ffe066"];
const SEG_COLOURS = ["#c08a3e", "#4dabf7", "#f06595", "#51cf66", "#ff922b", "#9775fa"];
const SEV_SIZE = { high: 30, medium: 24, low: 20 };
const TILE_ZOOM = 6;  // from this zoom the 1:10m land tiles replace the 1:50m overview
const ROLE_PERMS = (() => {  // mirrors services/api/principal.py (the server decides; this only hides what it refuses)
  const read = ["read_alerts", "officer_view", "read_vessels", "read_tracks", "read_audit", "export"];
  const officer = [...read, "acknowledge", "comment", "assign_self", "close"];
  return { partner: ["read_alerts"], tester: read, officer, supervisor: [...officer, "assign_any", "reopen"],
           admin: [...officer, "assign_any", "reopen", "admin"] };
})();
const ACTION_PATH = { acknowledge: "acknowledge", assign: "assign", comment: "comments", close: "close", reopen: "reopen" };

const state = {
  token: "", me: null, alerts: new Map(), lastId: null, abort: null, selected: null, cursor: null, etag: null,
  detail: null, audit: null, home: null, kind: "", zone: "", lastEventAt: null, retryMs: 2000,
  drafts: {}, wfMsg: {}, openForm: {}, vtracks: new Map(), sound: false, audio: null, beeps: 0,
};
const $ = (id) => document.getElementById(id);
const UI = () => parseFloat(getComputedStyle(document.documentElement).fontSize) / 14;  // 1 at 14 px, ~1.6 on 4K

// ---- small DOM helpers -----------------------------------------------------------------------------------
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v; else if (k.startsWith("on")) e[k] = v; else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k != null && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}
const SVGNS = "http://www.w3.org/2000/svg";
function s(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
function kindIcon(kind, size) {
  const svg = s("svg", { width: size || 16, height: size || 16, viewBox: "-9 -9 18 18", class: "kicon" });
  svg.appendChild(s("path", { d: SHAPES[(KINDS[kind] || {}).shape || "square"], fill: `var(--${kind}, #888)`,
                              stroke: "#fff", "stroke-width": 1, "fill-rule": "evenodd" }));
  return svg;
}
const kindLabel = (k) => (KINDS[k] || { label: k }).label;
const arr = (v) => (Array.isArray(v) ? v : []);
const num = (v) => (typeof v === "number" && isFinite(v) ? v : null);

// ---- times (always UTC) and ages --------------------------------------------------------------------------
const tms = (ts) => { const t = Date.parse(ts); return isNaN(t) ? null : t; };
function utc(ts) {
  if (!ts) return "—";
  const d = new Date(ts); if (isNaN(d)) return String(ts);
  return d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}
const utcSec = (d) => d.toISOString().slice(11, 19) + "Z";
const hhmm = (ts) => { const d = new Date(ts); return isNaN(d) ? "" : d.toISOString().slice(11, 16) + "Z"; };
function ago(ts, now) {
  const t = tms(ts); if (t == null) return "";
  let sec = Math.round(((now || Date.now()) - t) / 1000); const fut = sec < 0; sec = Math.abs(sec);
  let txt;
  if (sec < 45) return fut ? "in a moment" : "just now";
  if (sec < 3600) txt = `${Math.max(1, Math.round(sec / 60))} min`;
  else if (sec < 48 * 3600) { const hh = Math.floor(sec / 3600), mm = Math.round((sec % 3600) / 60);
    txt = hh < 10 && mm ? `${hh} h ${mm} min` : `${hh} h`; }
  else if (sec < 60 * 86400) txt = `${Math.round(sec / 86400)} d`;
  else if (sec < 730 * 86400) txt = `${Math.round(sec / (30.44 * 86400))} mo`;
  else txt = `${Math.round(sec / (365.25 * 86400))} y`;
  return fut ? `in ${txt}` : `${txt} ago`;
}
const agoEl = (ts) => h("span", { class: "ago", "data-ts": ts || "" }, ts ? ` (${ago(ts)})` : "");
function refreshAges() {
  const now = Date.now();
  for (const e of document.querySelectorAll(".ago[data-ts]")) if (e.dataset.ts) e.textContent = ` (${ago(e.dataset.ts, now)})`;
}
function dur(sec) {
  if (sec == null || isNaN(sec)) return "—";
  sec = Math.round(sec); const hh = Math.floor(sec / 3600), mm = Math.floor((sec % 3600) / 60);
  return hh ? `${hh} h ${String(mm).padStart(2, "0")} min` : mm ? `${mm} min ${sec % 60} s` : `${sec} s`;
}
const nm = (m) => (m == null ? "—" : `${(m / 1852).toFixed(1)} NM (${(m / 1000).toFixed(1)} km)`);
const pct = (v) => (v == null ? "—" : `${Math.round(v * 1000) / 10} %`);
function prob(v) {
  if (v == null) return "—";
  return v >= 0.01 ? v.toFixed(2) : v.toExponential(1);
}

// ---- who am I (from the token's claims; the server checks every request) ---------------------------------
function claims(token) {
  try {
    const p = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(p + "===".slice((p.length + 3) % 4)))));
  } catch (e) { return null; }
}
function whoAmI(token) {
  const c = claims(token) || {};
  const role = String(c.role || "");
  return { name: c.sub ? String(c.sub) : "", role, perms: new Set(ROLE_PERMS[role] || []) };
}
const can = (p) => !!(state.me && state.me.perms.has(p));

// ---- the map -----------------------------------------------------------------------------------------------
let map = null;
const layers = {};
function initMap() {
  if (!window.L) {
    const e = $("maperr"); e.hidden = false;
    e.textContent = "The map library is missing on the server (run `make web`). The alert list still works.";
    return;
  }
  map = L.map("map", { minZoom: 2, maxZoom: 15, zoomSnap: 0.25, zoomDelta: 0.5, wheelPxPerZoomLevel: 90,
                       worldCopyJump: false, keyboard: true, preferCanvas: false,
                       maxBounds: [[-85, -400], [85, 400]] });
  map.attributionControl.setPrefix("Leaflet (BSD-2)");
  map.attributionControl.addAttribution("Land: Natural Earth (public domain) via world-atlas");
  for (const [name, z] of [["land", 200], ["coast", 250], ["zones", 300], ["vtrack", 380], ["evidence", 420],
                           ["evpoints", 620], ["measure", 660]]) {
    map.createPane(name).style.zIndex = z;
  }
  map.getPane("land").style.pointerEvents = "none";
  map.getPane("coast").style.pointerEvents = "none";
  layers.zones = L.layerGroup().addTo(map);
  layers.markers = L.layerGroup().addTo(map);
  layers.evidence = L.layerGroup().addTo(map);
  layers.vtrack = L.layerGroup().addTo(map);
  layers.measure = L.layerGroup().addTo(map);
  new ScaleNM({ position: "bottomright", imperial: false, maxWidth: Math.round(160 * UI()) }).addTo(map);
  new MeasureControl({ position: "topleft" }).addTo(map);
  new HomeControl({ position: "topleft" }).addTo(map);
  map.fitBounds([[20, -35], [52, 37]]);
  loadLand();
  map.on("zoomend moveend", updateLandTiles);
  map.on("click", measureClick);
  map.on("dblclick", (ev) => { if (measure.active) { L.DomEvent.stop(ev); toggleMeasure(false, true); } });
}

// scale bar in metres and nautical miles (Leaflet's own is metric/imperial)
const ScaleNM = window.L ? L.Control.Scale.extend({
  _addScales(options, className, container) {
    L.Control.Scale.prototype._addScales.call(this, options, className, container);
    this._nScale = L.DomUtil.create("div", `${className} scale-nm`, container);  // className: "…-scale-line"
  },
  _updateScales(maxMeters) {
    L.Control.Scale.prototype._updateScales.call(this, maxMeters);
    const maxNm = maxMeters / 1852, n = roundNice(maxNm);
    this._updateScale(this._nScale, `${n} NM`, n / maxNm);
  },
}) : null;
function roundNice(x) {
  const p = Math.pow(10, Math.floor(Math.log10(x))), d = x / p;
  return +(p * (d >= 5 ? 5 : d >= 3 ? 3 : d >= 2 ? 2 : 1)).toPrecision(3);
}
const RULER = '<svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true"><path d="M2 13L13 2L18 7L7 18Z M5 10L7 12 M8 7L10 9 M11 4L13 6" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>';
function barControl(title, text, id, onClick) {
  return window.L ? L.Control.extend({
    onAdd() {
      const c = L.DomUtil.create("div", "leaflet-bar leaflet-control");
      const a = L.DomUtil.create("a", "", c); a.href = "#"; a.title = title; a.id = id; if (text.startsWith("<svg")) a.innerHTML = text; else a.textContent = text;
      a.setAttribute("role", "button");
      L.DomEvent.on(a, "click", (ev) => { L.DomEvent.stop(ev); onClick(); });
      L.DomEvent.disableClickPropagation(c);
      return c;
    },
  }) : null;
}
const MeasureControl = barControl("measure distance (M)", RULER, "measurebtn", () => toggleMeasure());
const HomeControl = barControl("fit to my zones (F)", "⤢", "zfit", () => fitHome());

async function fetchJson(url, opts) {
  const r = await fetch(url, opts);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}
async function loadLand() {
  try {
    const fc = await fetchJson("/static/vendor/geo/land-50m.geojson");
    layers.land50 = L.geoJSON(fc, { pane: "land", interactive: false, style: { className: "land land-50m" } });
    if (!layersOn10m()) layers.land50.addTo(map);
    map.getContainer().dataset.land = layersOn10m() ? "10m" : "50m";
    document.body.dataset.land50 = "1";
  } catch (e) {
    const m = $("maperr"); m.hidden = false; m.textContent = "Land outlines could not be loaded (run `make web`).";
  }
  try { layers.tileIndex = new Set((await fetchJson("/static/vendor/geo/land-10m/index.json")).tiles); } catch (e) { layers.tileIndex = new Set(); }
  layers.tiles = new Map();
  updateLandTiles();
}
const layersOn10m = () => map && map.getZoom() >= TILE_ZOOM;
async function updateLandTiles() {
  if (!layers.tiles || !layers.tileIndex) return;
  const want = new Set();
  if (layersOn10m()) {
    const b = map.getBounds().pad(0.2), D = 10;
    for (let x = Math.floor(Math.max(-180, b.getWest()) / D); x <= Math.floor(Math.min(179.99, b.getEast()) / D); x++)
      for (let y = Math.floor(Math.max(-85, b.getSouth()) / D); y <= Math.floor(Math.min(84.99, b.getNorth()) / D); y++)
        if (layers.tileIndex.has(`${x}_${y}`)) want.add(`${x}_${y}`);
  }
  const loads = [];
  for (const name of want) {
    let t = layers.tiles.get(name);
    if (!t) {
      t = { layer: null, promise: null }; layers.tiles.set(name, t);
      t.promise = fetchJson(`/static/vendor/geo/land-10m/${name}.geojson`).then((fc) => {
        t.layer = L.geoJSON(fc, { interactive: false,
          pane: "land",
          style: (f) => (f.properties.layer === "coast" ? { className: "coast coast-10m", fill: false }
                                                        : { className: "land land-10m", stroke: false }),
        });
        for (const l of t.layer.getLayers()) if (l.feature.properties.layer === "coast") l.options.pane = "coast";
      }).catch(() => { t.failed = true; });
    }
    loads.push(t.promise);
  }
  await Promise.all(loads);
  if (!layers.land50) return;
  const on10 = layersOn10m();
  for (const [name, t] of layers.tiles) {
    if (!t.layer) continue;
    if (on10 && want.has(name)) { if (!map.hasLayer(t.layer)) t.layer.addTo(map); }
    else if (map.hasLayer(t.layer)) map.removeLayer(t.layer);
  }
  if (on10 && want.size) { if (map.hasLayer(layers.land50)) map.removeLayer(layers.land50); }
  else if (!map.hasLayer(layers.land50)) layers.land50.addTo(map);
  map.getContainer().dataset.land = on10 && want.size ? "10m" : "50m";
}
function fitHome() {
  if (!map) return;
  if (state.home) map.fitBounds(state.home, { padding: [10, 10] }); else map.fitBounds([[20, -35], [52, 37]]);
}
function drawZones(fc, keepView) {
  if (!map) return;
  state.zonesFc = fc;
  layers.zones.clearLayers();
  const names = [];
  // zones on a canvas: a dashed SVG outline of a large zone seen close up left stale tiles over the rest of the
  // page in Chromium's software compositor (headless)
  layers.zoneRenderer = layers.zoneRenderer || L.canvas({ pane: "zones", padding: 0.2 });
  const cs = getComputedStyle(document.documentElement);
  const g = L.geoJSON(fc, { pane: "zones", renderer: layers.zoneRenderer,
    style: { className: "zone", color: cs.getPropertyValue("--zone").trim() || "#7fb4e6", weight: 1.2, opacity: 0.9,
             dashArray: "6 4", fillColor: cs.getPropertyValue("--zone").trim() || "#7fb4e6", fillOpacity: 0.05 },
    onEachFeature: (f, l) => { const n = (f.properties && f.properties.name) || ""; names.push(n);
                               l.bindTooltip(n, { sticky: true }); } });
  g.addTo(layers.zones);
  const b = g.getBounds();
  if (b.isValid()) { state.home = b; if (!keepView) fitHome(); }
  for (const n of names.sort()) addZoneOption(n);
}

// ---- distance measure ---------------------------------------------------------------------------------------
const measure = { active: false, pts: [] };
function toggleMeasure(on, keep) {
  if (!map) return;
  measure.active = on == null ? !measure.active : on;
  $("measurebtn").classList.toggle("on", measure.active);
  map.getContainer().classList.toggle("measuring", measure.active);
  if (measure.active) {
    map.doubleClickZoom.disable(); measure.pts = []; layers.measure.clearLayers();
    showMeasure("Measure: click points on the map; double-click or M to finish, Esc to clear.");
  } else {
    map.doubleClickZoom.enable();
    if (!keep || measure.pts.length < 2) { layers.measure.clearLayers(); measure.pts = []; $("measureout").hidden = true; }
  }
}
function bearing(a, b) {
  const r = Math.PI / 180, f1 = a.lat * r, f2 = b.lat * r, dl = (b.lng - a.lng) * r;
  const y = Math.sin(dl) * Math.cos(f2), x = Math.cos(f1) * Math.sin(f2) - Math.sin(f1) * Math.cos(f2) * Math.cos(dl);
  return (Math.atan2(y, x) / r + 360) % 360;
}
function measureClick(ev) {
  if (!measure.active) return;
  const p = ev.latlng;
  if (measure.pts.length) {  // a double-click also fires two clicks: ignore a point on top of the last one
    const last = measure.pts[measure.pts.length - 1];
    if (map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(p)) < 4) return;
  }
  measure.pts.push(p);
  layers.measure.clearLayers();
  if (measure.pts.length > 1) L.polyline(measure.pts, { pane: "measure", className: "measure-line", color: "#ffd43b",
                                                        weight: 3, dashArray: "8 6", interactive: false }).addTo(layers.measure);
  for (const q of measure.pts) L.circleMarker(q, { pane: "measure", className: "measure-pt", radius: 4, color: "#000",
                                                   weight: 1, fillColor: "#ffd43b", fillOpacity: 1 }).addTo(layers.measure);
  let total = 0; const legs = [];
  for (let i = 1; i < measure.pts.length; i++) {
    const a = measure.pts[i - 1], b = measure.pts[i], d = map.distance(a, b); total += d;
    legs.push(`${(d / 1852).toFixed(2)} NM at ${Math.round(bearing(a, b))}°`);
  }
  const out = $("measureout");
  out.dataset.meters = String(Math.round(total)); out.dataset.points = String(measure.pts.length);
  showMeasure(measure.pts.length < 2 ? "Measure: click the next point." :
    `Distance ${(total / 1852).toFixed(2)} NM (${(total / 1000).toFixed(2)} km)` +
    (legs.length > 1 ? ` — legs: ${legs.join(", ")}` : ` — bearing ${Math.round(bearing(measure.pts[0], measure.pts[1]))}°`));
}
function showMeasure(text) { const o = $("measureout"); o.hidden = false; o.textContent = text; }

// ---- alert list and markers -----------------------------------------------------------------------------------
function firstPoint(geom) {
  let c = geom && geom.coordinates;
  while (Array.isArray(c) && Array.isArray(c[0])) c = c[0];
  return Array.isArray(c) && c.length >= 2 ? c : null;
}
function vesselCell(a) {
  const vs = (a.vessels && a.vessels.length) ? a.vessels : (a.mmsi || []).map((m) => ({ mmsi: m }));
  const td = h("td");
  if (!vs.length) td.append(h("span", { class: "sub" }, "unidentified"));
  vs.forEach((v, i) => {
    if (i) td.append(h("br"));
    td.append(h("span", { class: "vname" }, v.name || "(no name)"), h("br"),
              h("span", { class: "sub" }, `MMSI ${v.mmsi}${v.flag ? " · " + v.flag : ""}`));
  });
  return td;
}
function addZoneOption(z) {
  if (z && ![...$("fzone").options].some((o) => o.value === z)) $("fzone").appendChild(h("option", { value: z }, z));
}
function render(alert, fresh) {
  const prev = state.alerts.get(alert.alert_id);
  state.alerts.set(alert.alert_id, alert);
  addZoneOption(alert.zone);
  let row = document.querySelector(`#alerts tr[data-alert-id="${CSS.escape(alert.alert_id)}"]`);
  if (!row) { row = document.createElement("tr"); row.dataset.alertId = alert.alert_id;
              row.onclick = () => { setCursor(alert.alert_id); select(alert.alert_id); }; }
  const wf = alert.workflow || null;
  row.className = [alert.status, alert.alert_id === state.selected ? "selected" : "",
                   alert.alert_id === state.cursor ? "cursor" : ""].join(" ").trim();
  Object.assign(row.dataset, { kind: alert.kind, zone: alert.zone, updated: alert.updated || "", severity: alert.severity });
  row.replaceChildren(
    h("td", {}, kindIcon(alert.kind), " ", kindLabel(alert.kind), h("br"), h("span", { class: "sub" }, alert.zone)),
    vesselCell(alert),
    h("td", {}, h("span", { class: `sev ${alert.severity}` }, alert.severity)),
    h("td", {}, utc(alert.start), agoEl(alert.start), h("br"), h("span", { class: "sub" }, "upd. " + utc(alert.updated).slice(11)), agoEl(alert.updated)),
    h("td", { class: "wf" }, alert.status, h("br"),
      wf ? h("span", { class: wf.state === "new" ? "wf-new" : "sub" }, wf.state + (wf.assignee ? ` → ${wf.assignee}` : "")) : ""));
  row.title = alert.summary || "";
  placeRow(row);
  if (fresh) { row.classList.remove("fresh"); void row.offsetWidth; row.classList.add("fresh"); }
  drawMarker(alert);
  applyFilters();
  if (fresh && !prev && alert.severity === "high" && alert.status !== "retracted") beep();
  if (fresh && prev && state.selected === alert.alert_id) loadDetail(alert.alert_id, false);
}
function placeRow(row) {  // newest activity first (ISO-8601 UTC strings sort as times)
  const tb = $("alerts"), key = row.dataset.updated + row.dataset.alertId;
  for (const r of tb.children) {
    if (r === row) continue;
    if ((r.dataset.updated + r.dataset.alertId) < key) { if (r.previousSibling !== row) tb.insertBefore(row, r); return; }
  }
  if (tb.lastChild !== row) tb.appendChild(row);
}
function markerIcon(alert, selected) {
  const size = Math.round((SEV_SIZE[alert.severity] || 24) * UI());
  const shape = SHAPES[(KINDS[alert.kind] || {}).shape || "square"];
  return L.divIcon({
    className: `amk kind-${alert.kind} sev-${alert.severity} ${alert.status}${selected ? " selected" : ""}`,
    iconSize: [size, size],
    html: `<svg viewBox="-10 -10 20 20"><circle r="9.5" class="halo"></circle><path class="shape" fill-rule="evenodd" d="${shape}" fill="var(--${alert.kind}, #888)"></path></svg>`,
  });
}
function drawMarker(alert) {
  if (!map) return;
  const p = firstPoint(alert.geometry);
  const old = layers.markers.getLayers().find((m) => m.alertId === alert.alert_id);
  if (old) layers.markers.removeLayer(old);
  if (!p) return;
  const v = (alert.vessels || []).map((x) => x.name || x.mmsi).join(" + ") || "unidentified";
  const m = L.marker([p[1], p[0]], { icon: markerIcon(alert, state.selected === alert.alert_id), keyboard: false,
                                     riseOnHover: true, zIndexOffset: alert.severity === "high" ? 500 : 0 });
  m.alertId = alert.alert_id; m.kind = alert.kind; m.zone = alert.zone;
  m.bindTooltip(`${esc(kindLabel(alert.kind))} — ${esc(v)} — ${esc(alert.severity)} — ${utc(alert.start)}`, { direction: "top" });
  m.on("click", () => { setCursor(alert.alert_id); select(alert.alert_id); });
  m.on("add", () => {
    const e = m.getElement(); if (!e) return;
    Object.assign(e.dataset, { alertId: alert.alert_id, kind: alert.kind, zone: alert.zone, lon: String(p[0]), lat: String(p[1]) });
    e.classList.toggle("filtered", !passes(alert));
  });
  m.addTo(layers.markers);
}
const passes = (a) => (!state.kind || a.kind === state.kind) && (!state.zone || a.zone === state.zone);
function applyFilters() {
  const counts = {}; let shown = 0;
  for (const a of state.alerts.values()) {
    if (state.zone && a.zone !== state.zone) continue;
    counts[a.kind] = (counts[a.kind] || 0) + 1;
  }
  for (const r of $("alerts").children) {
    const ok = (!state.kind || r.dataset.kind === state.kind) && (!state.zone || r.dataset.zone === state.zone);
    r.hidden = !ok; if (ok) shown++;
  }
  if (map) for (const m of layers.markers.getLayers()) {
    const e = m.getElement(); if (e) e.classList.toggle("filtered", !passes({ kind: m.kind, zone: m.zone }));
  }
  const c = $("counts"); c.replaceChildren();
  for (const k of Object.keys(KINDS)) {
    const chip = h("span", { class: "chip" + (state.kind === k ? " on" : ""), "data-kind": k, title: kindLabel(k) },
                   kindIcon(k, 14), kindLabel(k).split(" (")[0], h("b", {}, String(counts[k] || 0)));
    chip.onclick = () => { state.kind = state.kind === k ? "" : k; $("fkind").value = state.kind; applyFilters(); };
    c.appendChild(chip);
  }
  $("shown").textContent = `${shown} of ${state.alerts.size} shown`;
  $("noalerts").hidden = state.alerts.size > 0;
}
function visibleRows() { return [...$("alerts").children].filter((r) => !r.hidden); }
function setCursor(id) {
  state.cursor = id;
  for (const r of document.querySelectorAll("#alerts tr.cursor")) r.classList.remove("cursor");
  const row = id && document.querySelector(`#alerts tr[data-alert-id="${CSS.escape(id)}"]`);
  if (row) { row.classList.add("cursor"); row.scrollIntoView({ block: "nearest" }); }
}
function moveCursor(step) {
  const rows = visibleRows(); if (!rows.length) return;
  const cur = rows.findIndex((r) => r.dataset.alertId === (state.cursor || state.selected));
  const next = cur < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, cur + step));
  setCursor(rows[next].dataset.alertId);
}

// ---- details ------------------------------------------------------------------------------------------------
const FIGURES = [  // evidence key → label, formatter (absent keys are skipped)
  ["profile", "Profile", String], ["mean_speed_kn", "Mean speed", (v) => `${v} kn`],
  ["max_speed_kn", "Max speed", (v) => `${v} kn`], ["max_speed_kn_floor5", "Max speed (so far)", (v) => `≥ ${v} kn`],
  ["threshold_kn", "Speed threshold", (v) => `${v} kn`],
  ["duration_s", "Duration", dur], ["distance_m", "Distance", nm], ["fixes", "AIS fixes", String],
  ["coast_approach_m", "Approach to coast", nm], ["gap_s", "AIS gap", dur], ["threshold_s", "Gap threshold", dur],
  ["gap_distance_m", "Gap distance", nm], ["implied_speed_kn", "Implied speed in gap", (v) => `${v} kn`],
  ["opened_at", "Gap opened (UTC)", utc], ["regime", "Reception regime", String],
  ["reports_before_gap", "Reports before gap", String], ["typical_interval_s", "Typical report interval", (v) => `${v} s`],
  ["reception_ratio", "Reception ratio", (v) => `${Math.round(v * 100)} %`],
  ["reception", "Reception model", (r) => r && typeof r === "object" ?
    `P(heard per opportunity) ${prob(r.p_heard)}, ${r.opportunities ?? "?"} opportunities, P(silence by chance) ${prob(r.p_silent)}` : String(r)],
  ["coverage", "Receiver coverage", (c) => `${Math.round((c.fraction || 0) * 100)} % (${c.buckets_heard}/${c.buckets_total} buckets, ${c.other_vessels} other vessels)${c.low ? " — LOW, gap may be reception" : ""}`],
  ["together_s", "Time together", dur], ["closest_m", "Closest approach", (v) => `${v} m`],
  ["median_speed_kn", "Median speeds", (v) => Array.isArray(v) ? v.map((x) => `${x} kn`).join(" / ") : v],
  ["loitering_s", "Loitering", dur], ["uncertainty_m", "Position uncertainty", (v) => `${v} m`],
  ["position_method", "Position method", String], ["identity_basis", "Identity", String],
  ["retracted_because", "Retracted because", String],
  ["pattern", "Pattern", (v) => ({ far_apart: "far apart — positions too far apart for one vessel",
                                   alternating: "alternating — positions switch back and forth between places" })[v] || String(v)],
  ["segments_count", "Places heard", String], ["transitions", "Transitions between places", String],
  ["max_implied_speed_kn", "Max implied speed", (v) => `${v} kn`],
  ["placeholder_mmsi", "Placeholder MMSI", (v) => v ? "yes — not a real vessel's number" : "no"],
];
function vesselText(v) {
  return [v.name || "(no name)", `MMSI ${v.mmsi}`, v.flag && `flag ${v.flag}`, v.call_sign && `call sign ${v.call_sign}`,
          v.imo && `IMO ${v.imo}`, v.length_m && `${v.length_m} m`].filter(Boolean).join(" · ");
}
function dl(pairs) {
  const d = h("dl");
  for (const [k, v] of pairs) if (v != null && v !== "") d.append(h("dt", {}, k), h("dd", {}, v));
  return d;
}
async function select(id) {
  const changed = state.selected !== id;
  state.selected = id;
  for (const r of document.querySelectorAll("#alerts tr.selected")) r.classList.remove("selected");
  const row = document.querySelector(`#alerts tr[data-alert-id="${CSS.escape(id)}"]`); if (row) row.classList.add("selected");
  if (map) for (const m of layers.markers.getLayers()) { const e = m.getElement(); if (e) e.classList.toggle("selected", m.alertId === id); }
  if (changed) clearVesselTracks();
  await loadDetail(id, true);
}
function closeDetail() {
  const panel = $("detail"); panel.hidden = true; panel.removeAttribute("data-alert-id");
  state.selected = null; state.detail = null;
  if (map) { layers.evidence.clearLayers(); clearVesselTracks();
             for (const m of layers.markers.getLayers()) { const e = m.getElement(); if (e) e.classList.remove("selected"); } }
  for (const r of document.querySelectorAll("#alerts tr.selected")) r.classList.remove("selected");
}
async function loadDetail(id, zoom) {
  const r = await fetch(`/alerts/${encodeURIComponent(id)}`, { headers: headers() });
  if (state.selected !== id) return;
  const panel = $("detail"); panel.hidden = false;
  if (!r.ok) { panel.replaceChildren(h("p", { class: "err" }, `could not load alert (${r.status})`)); return; }
  state.etag = r.headers.get("ETag");
  const a = await r.json();
  let audit = null;
  if (can("read_audit") && a.workflow) {
    const ra = await fetch(`/alerts/${encodeURIComponent(id)}/audit`, { headers: headers() });
    if (ra.ok) audit = await ra.json();
  }
  if (state.selected !== id) return;
  state.detail = a; state.audit = audit;
  const known = state.alerts.get(id);
  if (known && a.workflow && JSON.stringify(known.workflow) !== JSON.stringify(a.workflow)) {
    const { track, detections, comments, evidence, ...rest } = a; render(rest, false);
  }
  showDetail(a, audit);
  drawEvidence(a, zoom);
}
function showDetail(a, audit) {
  const panel = $("detail"); panel.dataset.alertId = a.alert_id;
  const ev = a.evidence || {};
  const figs = FIGURES.filter(([k]) => ev[k] != null).map(([k, label, f]) => [label, f(ev[k])]);
  const last = ev.last_fix, re = ev.reappeared;
  if (last) figs.push(["Last fix before gap", `${utc(last.ts)} at ${last.lat}°, ${last.lon}°`]);
  if (re) figs.push(["Reappeared", `${utc(re.ts)} at ${re.lat}°, ${re.lon}°${re.sog_kn != null ? `, ${re.sog_kn} kn` : ""}`]);
  for (const det of detectionsOf(a)) figs.push(["Satellite detection", `${det.sensor || "?"} ${utc(det.ts)}, confidence ${det.confidence}` +
    `${det.length_m != null ? `, ${det.length_m} m long` : ""}${det.scene_id ? `, scene ${det.scene_id}` : ""}`]);
  const zoomBtn = h("button", { id: "zoomto", title: "zoom to the alert (Z)", onclick: () => drawEvidence(state.detail, true) }, "Zoom to alert");
  const parts = [
    h("h2", {}, kindIcon(a.kind, 20), kindLabel(a.kind), h("span", { class: `sev ${a.severity}` }, a.severity),
      h("button", { id: "closedetail", title: "close details (Esc)", onclick: closeDetail }, "✕")),
    h("div", {}, a.summary || ""),
    vesselsBlock(a),
    a.workflow && state.me && state.me.perms.has("officer_view") ? workflowBlock(a, audit) : null,
    dl([["Zone", a.zone], ["Start (UTC)", h("span", {}, utc(a.start), agoEl(a.start))],
        ["End (UTC)", a.end ? h("span", {}, utc(a.end), agoEl(a.end)) : "ongoing"],
        ["Updated (UTC)", h("span", {}, utc(a.updated), agoEl(a.updated))],
        ["Status", `${a.status} (detector version ${a.version})`], ["Score", a.score],
        ["Evidence", `${arr(a.track).length} AIS positions, ${detectionsOf(a).length} satellite detections`]]),
    h("div", { class: "actions" }, zoomBtn),
  ];
  parts.push(...charts(a));
  if (figs.length) parts.push(h("h3", {}, "Evidence"), dl(figs));
  parts.push(...nearbyTable(ev), ...meetingsTable(ev), ...clusterTables(ev, a));
  if (ev.thresholds && Object.keys(ev.thresholds).length) {
    const d = h("details", {}, h("summary", {}, "Thresholds applied"));
    d.append(dl(Object.entries(ev.thresholds).map(([k, v]) => [k, String(v)]))); parts.push(d);
  }
  if (audit) parts.push(auditBlock(audit));
  else if (arr(a.comments).length) parts.push(h("h3", {}, "Comments"), dl(a.comments.map((c) => [`${utc(c.at)} ${c.author}`, c.text])));
  // a refresh (the live feed, a conflict) must not take the focus or the caret from what the officer is typing
  const active = document.activeElement && panel.contains(document.activeElement) ? document.activeElement : null;
  const focusId = active && active.id, caret = active && typeof active.selectionStart === "number"
    ? [active.selectionStart, active.selectionEnd] : null;
  const scroll = panel.scrollTop;
  panel.replaceChildren(...parts.filter(Boolean));
  panel.scrollTop = scroll;
  const again = focusId && document.getElementById(focusId);
  if (again && !again.closest("[hidden]")) {
    again.focus({ preventScroll: true });
    if (caret && again.setSelectionRange) try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not text */ }
  }
  panel.dataset.workflow = (a.workflow && a.workflow.state) || "";
  panel.dataset.version = a.workflow ? String(a.workflow.version) : "";
}
function vesselsBlock(a) {
  const vs = arr(a.vessels).length ? a.vessels : arr(a.mmsi).map((m) => ({ mmsi: m }));
  const box = h("div", { class: "vessels" });
  if (!vs.length) box.append(h("div", { class: "sub" }, "No AIS identity (unidentified vessel)."));
  vs.forEach((v, i) => {
    const btn = can("read_vessels") ? h("button", { class: "vtrack-btn" + (state.vtracks.has(v.mmsi) ? " on" : ""),
      id: `vtrack-${v.mmsi}`, title: "the vessel's recent stored track on the map (T)", onclick: () => toggleVesselTrack(v.mmsi) }, "Recent track") : null;
    box.append(h("div", { class: "vrow", "data-mmsi": String(v.mmsi) }, h("span", { class: "vtext" },
                 h("span", { class: "swatch", title: "the colour of this vessel's track casing", style: `background:${VESSEL_COLOURS[i % VESSEL_COLOURS.length]}` }),
                 vesselText(v)), btn));
  });
  return box;
}

// ---- evidence on the map ------------------------------------------------------------------------------------------
function detectionsOf(a) {
  const ev = a.evidence || {}, seen = new Set(), out = [];
  for (const d of [...arr(a.detections), ...arr(ev.detections), ...(ev.detection ? [ev.detection] : []), ...arr(ev.satellite_detections)]) {
    if (!d || num(d.lat) == null || num(d.lon) == null) continue;
    const k = d.detection_id || `${d.lat},${d.lon},${d.ts}`; if (seen.has(k)) continue;
    seen.add(k); out.push(d);
  }
  return out;
}
function trackOf(a) {  // evidence fixes with coordinates, oldest first; API track, else the evidence's own
  const ok = (p) => p && num(p.lat) != null && num(p.lon) != null;
  let t = arr(a.track).filter(ok);
  const ev = a.evidence || {};
  if (!t.length) t = [...arr(ev.track), ...arr(ev.positions)].filter(ok).map((p) => ({ mmsi: a.mmsi && a.mmsi.length === 1 ? a.mmsi[0] : null, ...p,
    ts: p.ts || (p.ts_ms != null ? new Date(p.ts_ms).toISOString() : null) }));
  return t.slice().sort((x, y) => (tms(x.ts) || 0) - (tms(y.ts) || 0));
}
function clustersOf(ev, a) {
  // identity_anomaly: evidence.clusters (current), evidence.segments (older alerts), else the places of the
  // alert's MultiPoint geometry (no positions: centroids only)
  let src = arr(ev.clusters).length ? ev.clusters : arr(ev.segments);
  if (!src.length && a && a.kind === "identity_anomaly" && a.geometry && a.geometry.type === "MultiPoint")
    src = arr(a.geometry.coordinates).map((c, i) => ({ segment: i, centroid: c, positions: [] }));
  return src.map((c, i) => ({ id: c.segment ?? c.cluster ?? i, positions: arr(c.positions).filter((p) => p && num(p.lat) != null && num(p.lon) != null),
                             centroid: Array.isArray(c.centroid) ? c.centroid : null, first: c.first, last: c.last, fixes: c.fixes }));
}
function speedBucket(kn) {
  if (kn == null || !isFinite(kn)) return -1;
  return SPEED_BUCKETS.findIndex(([lim]) => kn < lim);
}
const speedColour = (b) => (b < 0 ? NO_SPEED : SPEED_BUCKETS[b][1]);
function legSpeed(p, q) {  // the fix's own speed over ground, else the speed implied by the leg
  if (num(q.sog_kn) != null) return q.sog_kn;
  const dt = ((tms(q.ts) || 0) - (tms(p.ts) || 0)) / 1000;
  if (!map || dt <= 0) return null;
  return map.distance([p.lat, p.lon], [q.lat, q.lon]) / dt * 3600 / 1852;
}
function setData(layer, data) {  // data-* on the layer's SVG element (for people's dev tools and the tests)
  const apply = () => { const e = layer.getElement && layer.getElement(); if (e) for (const [k, v] of Object.entries(data)) e.setAttribute(`data-${k}`, String(v)); };
  if (layer.getElement && layer.getElement()) apply(); else layer.on("add", apply);
  return layer;
}
function drawTrack(points, vi, mmsi, all) {
  // one vessel's fixes as polylines coloured by speed (runs of legs in the same speed bucket), a casing in the
  // vessel's colour under them, small fixes with a tooltip, and UTC time labels at a few points
  const g = layers.evidence, lat = (p) => [p.lat, p.lon];
  if (points.length > 1) L.polyline(points.map(lat), { pane: "evidence", className: "ev-casing", color: VESSEL_COLOURS[vi % VESSEL_COLOURS.length],
                                                      weight: 8, opacity: 0.55, interactive: false }).addTo(g);
  let run = null;
  const flush = () => { if (run && run.pts.length > 1) setData(L.polyline(run.pts, { pane: "evidence", className: `ev-track speed-${run.b}`,
    color: speedColour(run.b), weight: 4, opacity: 1 }).bindTooltip(`MMSI ${mmsi}: ${run.b < 0 ? "speed unknown" : SPEED_BUCKETS[run.b][2]}`, { sticky: true }).addTo(g),
    { mmsi, "speed-bucket": run.b, points: run.pts.length }); };
  for (let i = 1; i < points.length; i++) {
    const b = speedBucket(legSpeed(points[i - 1], points[i]));
    if (!run || run.b !== b) { flush(); run = { b, pts: [lat(points[i - 1])] }; }
    run.pts.push(lat(points[i]));
  }
  flush();
  for (const p of points) {
    all.push(lat(p));
    setData(L.circleMarker(lat(p), { pane: "evpoints", className: "ev-fix", radius: 2.5 * UI(), color: "#000", weight: 1,
      fillColor: speedColour(speedBucket(num(p.sog_kn))), fillOpacity: 1 })
      .bindTooltip(`MMSI ${mmsi} ${utc(p.ts)}${p.sog_kn != null ? ` · ${p.sog_kn} kn` : ""}${p.cog_deg != null ? ` · ${p.cog_deg}°` : ""}`).addTo(g), { mmsi });
  }
  const n = points.length, idx = new Set(n ? [0, n - 1] : []);
  for (let k = 1; k <= 3 && n > 8; k++) idx.add(Math.round((k * (n - 1)) / 4));
  for (const i of [...idx].sort((x, y) => x - y)) {
    const p = points[i];
    const left = vi % 2 === 1;  // a second vessel's labels on the other side, so that two tracks' labels do not overlap
    L.tooltip({ permanent: true, direction: left ? "left" : "right", className: "ev-time", offset: [left ? -6 : 6, 0], interactive: false })
      .setLatLng(lat(p)).setContent(hhmm(p.ts)).addTo(g);
  }
}
function evMarker(latlng, cls, shape, title, data, size) {
  const px = Math.round((size || 22) * UI());
  const m = L.marker(latlng, { pane: "evpoints", keyboard: false, zIndexOffset: 900,
    icon: L.divIcon({ className: `evmk ${cls}`, iconSize: [px, px],
                      html: `<svg viewBox="-10 -10 20 20"><path class="shape" fill-rule="evenodd" d="${shape}"></path></svg>` }) });
  if (title) m.bindTooltip(title);
  m.on("add", () => { const e = m.getElement(); if (e) for (const [k, v] of Object.entries(data || {})) e.setAttribute(`data-${k}`, String(v)); });
  return m.addTo(layers.evidence);
}
function drawEvidence(a, zoom) {
  if (!map || !a) return;
  layers.evidence.clearLayers();
  const ev = a.evidence || {}, all = [], g = layers.evidence;
  const clusters = clustersOf(ev, a);
  if (clusters.length) drawClusters(a, clusters, all);
  else {
    const byV = new Map();
    for (const p of trackOf(a)) { const k = p.mmsi ?? 0; if (!byV.has(k)) byV.set(k, []); byV.get(k).push(p); }
    const order = [...(a.mmsi || []), ...[...byV.keys()].filter((k) => !(a.mmsi || []).includes(k))];
    order.filter((k) => byV.has(k)).forEach((k, i) => drawTrack(byV.get(k), i, k, all));
  }
  // dark period: expected path across the gap (dashed), else the straight line from last fix to reappearance
  const exp = ev.expected_path;
  if (exp && exp.type === "LineString" && arr(exp.coordinates).length > 1) {
    const ll = exp.coordinates.map((c) => [c[1], c[0]]); all.push(...ll);
    setData(L.polyline(ll, { pane: "evidence", className: "ev-expected", color: "#e599f7", weight: 3, dashArray: "10 8" })
      .bindTooltip("expected path across the silence").addTo(g), { points: ll.length });
  } else if (ev.last_fix && ev.reappeared) {
    const ll = [[ev.last_fix.lat, ev.last_fix.lon], [ev.reappeared.lat, ev.reappeared.lon]]; all.push(...ll);
    L.polyline(ll, { pane: "evidence", className: "ev-gap", color: "#e599f7", weight: 2, dashArray: "4 8" })
      .bindTooltip("straight line across the silence (no expected path in this alert)").addTo(g);
  }
  if (ev.last_fix && num(ev.last_fix.lat) != null) {
    all.push([ev.last_fix.lat, ev.last_fix.lon]);
    evMarker([ev.last_fix.lat, ev.last_fix.lon], "ev-gapend ev-lastfix", "M-5,-5H5V5H-5Z", `last fix before the silence ${utc(ev.last_fix.ts)}`, {}, 14);
  }
  if (ev.reappeared && num(ev.reappeared.lat) != null) {
    all.push([ev.reappeared.lat, ev.reappeared.lon]);
    evMarker([ev.reappeared.lat, ev.reappeared.lon], "ev-gapend ev-reappeared", "M0,-6L6,6L-6,6Z", `reappeared ${utc(ev.reappeared.ts)}`, {}, 14);
  }
  // satellite scene footprint and the AIS vessels near the detection at scene time
  const fp = ev.footprint;
  if (fp && (fp.type === "Polygon" || fp.type === "MultiPolygon")) {
    const l = L.geoJSON(fp, { pane: "evidence", style: { className: "ev-footprint", color: "#74c0fc", weight: 1.5, fillOpacity: 0.06, dashArray: "2 4" } }).addTo(g);
    l.eachLayer((x) => x.bindTooltip("satellite scene footprint", { sticky: true }));
    const b = l.getBounds(); if (b.isValid()) all.push(b.getSouthWest(), b.getNorthEast());
  }
  const dets = detectionsOf(a);
  for (const d of dets) {
    all.push([d.lat, d.lon]);
    evMarker([d.lat, d.lon], "ev-det", SHAPES.det, `satellite detection ${d.sensor || ""} ${utc(d.ts)} confidence ${d.confidence}` +
      `${d.length_m != null ? `, ${d.length_m} m` : ""}`, { "detection-id": d.detection_id || "" }, 22);
  }
  for (const n of arr(ev.nearby)) {
    if (num(n.lat) == null || num(n.lon) == null) continue;
    all.push([n.lat, n.lon]);
    if (dets.length) L.polyline([[n.lat, n.lon], [dets[0].lat, dets[0].lon]], { pane: "evidence", className: "ev-nearby-link",
      color: "#74c0fc", weight: 1, dashArray: "2 4", interactive: false }).addTo(g);
    setData(L.circleMarker([n.lat, n.lon], { pane: "evpoints", className: "ev-nearby", radius: 5 * UI(), color: "#fff", weight: 1.5,
      fillColor: "#1c7ed6", fillOpacity: 1 }).bindTooltip(`AIS MMSI ${n.mmsi} at ${utc(n.ts)}: ${nm(n.distance_m)} from the detection`).addTo(g),
      { mmsi: n.mmsi });
  }
  if (Array.isArray(ev.last_centroid) && ev.last_centroid.length >= 2) all.push([ev.last_centroid[1], ev.last_centroid[0]]);
  const gp = firstPoint(a.geometry); if (gp) all.push([gp[1], gp[0]]);
  map.getContainer().dataset.evidence = a.alert_id;
  if (zoom && all.length) {
    const b = L.latLngBounds(all);
    if (map.distance(b.getSouthWest(), b.getNorthEast()) < 3000) map.setView(b.getCenter(), 11);  // one point: some context
    else {  // keep the evidence clear of the legend (bottom left) when it is open
      const lg = $("legend"), r = lg.open ? lg.getBoundingClientRect() : null;
      const left = r && r.width < map.getSize().x / 2 ? r.width + 20 : 20;
      map.fitBounds(b.pad(0.1), { maxZoom: 12, paddingTopLeft: [left, 20], paddingBottomRight: [20, 20] });
    }
  }
}
function drawClusters(a, clusters, all) {
  // identity anomaly: each place heard under the MMSI in its own colour with a numbered centroid; hops dashed
  const g = layers.evidence, ev = a.evidence || {}, centre = new Map();
  const multi = a.geometry && a.geometry.type === "MultiPoint" ? a.geometry.coordinates : [];
  clusters.forEach((c, i) => {
    const col = SEG_COLOURS[i % SEG_COLOURS.length], ll = c.positions.map((p) => [p.lat, p.lon]);
    if (ll.length > 1) setData(L.polyline(ll, { pane: "evidence", className: "ev-cluster", color: col, weight: 3 })
      .bindTooltip(`place ${c.id}: ${ll.length} positions`, { sticky: true }).addTo(g), { cluster: c.id, points: ll.length });
    for (const p of c.positions) {
      all.push([p.lat, p.lon]);
      L.circleMarker([p.lat, p.lon], { pane: "evpoints", className: "ev-clusterfix", radius: 3 * UI(), color: "#fff", weight: 1,
        fillColor: col, fillOpacity: 1 }).bindTooltip(`place ${c.id} ${utc(p.ts)}`).addTo(g);
    }
    let cc = c.centroid || multi[i];
    if (!cc && ll.length) cc = [ll.reduce((s2, p) => s2 + p[1], 0) / ll.length, ll.reduce((s2, p) => s2 + p[0], 0) / ll.length];
    if (!cc) return;
    centre.set(String(c.id), cc); all.push([cc[1], cc[0]]);
    const px = Math.round(22 * UI());
    const m = L.marker([cc[1], cc[0]], { pane: "evpoints", keyboard: false, zIndexOffset: 950, icon: L.divIcon({
      className: "evmk ev-centroid", iconSize: [px, px],
      html: `<svg viewBox="-10 -10 20 20"><circle r="8" style="fill:${col}"></circle><text y="3.2" text-anchor="middle">${esc(c.id)}</text></svg>` }) });
    m.bindTooltip(`place ${c.id}: ${c.fixes ?? c.positions.length} fixes${c.first ? `, ${utc(c.first)} – ${utc(c.last)}` : ""}`);
    m.on("add", () => { const e = m.getElement(); if (e) e.setAttribute("data-cluster", String(c.id)); });
    m.addTo(g);
  });
  const pairs = new Map();
  for (const hp of arr(ev.hops)) {
    const k = [hp.from_segment, hp.to_segment].map(String).sort().join("-");
    const p = pairs.get(k) || { a: String(hp.from_segment), b: String(hp.to_segment), n: 0, kn: 0, m: hp.distance_m };
    p.n++; p.kn = Math.max(p.kn, hp.implied_speed_kn || 0); pairs.set(k, p);
  }
  if (!pairs.size && centre.size > 1) {  // no hop list: join consecutive places
    const ids = [...centre.keys()];
    for (let i = 1; i < ids.length; i++) pairs.set(`${ids[i - 1]}-${ids[i]}`, { a: ids[i - 1], b: ids[i], n: 0, kn: 0, m: null });
  }
  for (const p of pairs.values()) {
    const ca = centre.get(p.a), cb = centre.get(p.b); if (!ca || !cb) continue;
    setData(L.polyline([[ca[1], ca[0]], [cb[1], cb[0]]], { pane: "evidence", className: "ev-hop", color: "#ced4da", weight: 2, dashArray: "8 6" })
      .bindTooltip(p.n ? `${p.n} hop${p.n > 1 ? "s" : ""} between places ${p.a} and ${p.b}: ${nm(p.m)}, up to ${p.kn} kn implied`
                       : `places ${p.a} and ${p.b}: ${nm(map.distance([ca[1], ca[0]], [cb[1], cb[0]]))} apart`).addTo(g), { from: p.a, to: p.b });
  }
}

// ---- the vessel's recent track (on demand) ---------------------------------------------------------------------------
async function toggleVesselTrack(mmsi) {
  if (!map) return;
  if (state.vtracks.has(mmsi)) { layers.vtrack.removeLayer(state.vtracks.get(mmsi)); state.vtracks.delete(mmsi); markVtrackButtons(); return; }
  const r = await fetch(`/vessels/${encodeURIComponent(mmsi)}`, { headers: headers() });
  if (!r.ok) { flashWf(`Recent track of ${mmsi}: not available (${r.status}).`, "err"); return; }
  const v = await r.json(), pts = arr(v.track).filter((p) => num(p.lat) != null).map((p) => [p.lat, p.lon]);
  const grp = L.layerGroup();
  if (pts.length > 1) setData(L.polyline(pts, { pane: "vtrack", className: "vessel-track", color: "#adb5bd", weight: 2, dashArray: "1 5",
    lineCap: "round" }).bindTooltip(`recent stored track of MMSI ${mmsi} (${pts.length} positions)`, { sticky: true }).addTo(grp), { mmsi, points: pts.length });
  if (v.last_position) L.circleMarker([v.last_position.lat, v.last_position.lon], { pane: "vtrack", className: "vessel-last", radius: 5 * UI(),
    color: "#fff", weight: 2, fillColor: "#495057", fillOpacity: 1 }).bindTooltip(`last known position of ${mmsi}: ${utc(v.last_position.ts)}`).addTo(grp);
  grp.addTo(layers.vtrack); state.vtracks.set(mmsi, grp); markVtrackButtons();
  if (pts.length > 1) { const b = L.latLngBounds(pts); if (!map.getBounds().contains(b)) map.fitBounds(b.extend(map.getBounds().pad(-0.2)), { maxZoom: 12 }); }
  if (!pts.length) flashWf(`No stored positions for ${mmsi}.`, "err");
}
function clearVesselTracks() { if (layers.vtrack) layers.vtrack.clearLayers(); state.vtracks.clear(); markVtrackButtons(); }
function markVtrackButtons() { for (const b of document.querySelectorAll(".vtrack-btn")) b.classList.toggle("on", state.vtracks.has(Number(b.id.slice(7)))); }
async function toggleAllVesselTracks() {
  const a = state.detail; if (!a || !can("read_vessels")) return;
  const ms = arr(a.mmsi); const anyOn = ms.some((m) => state.vtracks.has(m));
  for (const m of ms) if (anyOn === state.vtracks.has(m)) await toggleVesselTrack(m);
}

// ---- charts (plain SVG) ----------------------------------------------------------------------------------------------------
function timeChart({ id, title, series, yLabel, yFmt, threshold, band, note, yMin }) {
  const W = 480, H = 170, L0 = 46, R = 10, T = 12, B = 24;
  const pts = series.flatMap((se) => se.points);
  if (pts.length < 2) return [];
  let t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]));
  if (band) { t0 = Math.min(t0, band[0]); t1 = Math.max(t1, band[1]); }
  if (t1 <= t0) t1 = t0 + 60000;
  let v1 = Math.max(...pts.map((p) => p[1]), threshold ? threshold.value * 1.15 : -Infinity);
  const v0 = yMin != null ? yMin : Math.min(0, ...pts.map((p) => p[1]));
  if (v1 <= v0) v1 = v0 + 1;
  const x = (t) => L0 + (t - t0) / (t1 - t0) * (W - L0 - R), y = (v) => H - B - (v - v0) / (v1 - v0) * (H - T - B);
  const svg = s("svg", { class: "chart", id, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  const ax = s("g", { class: "axis" }); svg.appendChild(ax);
  const step = roundNice((v1 - v0) / 4);
  for (let v = Math.ceil(v0 / step) * step; v <= v1 + 1e-9; v += step) {
    ax.appendChild(s("line", { class: "grid", x1: L0, x2: W - R, y1: y(v), y2: y(v) }));
    ax.appendChild(s("text", { x: L0 - 4, y: y(v) + 3, "text-anchor": "end" }, yFmt(v)));
  }
  const span = t1 - t0, tstep = [60, 300, 600, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((v) => v * 1000).find((v) => span / v <= 6) || 86400000;
  for (let t = Math.ceil(t0 / tstep) * tstep; t <= t1; t += tstep) {
    ax.appendChild(s("line", { class: "grid", x1: x(t), x2: x(t), y1: T, y2: H - B }));
    ax.appendChild(s("text", { x: x(t), y: H - B + 13, "text-anchor": "middle" }, new Date(t).toISOString().slice(11, 16)));
  }
  ax.appendChild(s("text", { x: 4, y: T - 2 }, yLabel));
  ax.appendChild(s("text", { x: W - R, y: H - 2, "text-anchor": "end" }, "UTC"));
  if (band) svg.appendChild(s("rect", { class: "band", x: x(band[0]), y: T, width: Math.max(1, x(band[1]) - x(band[0])), height: H - T - B }));
  for (const se of series) {
    const sorted = se.points.slice().sort((p, q) => p[0] - q[0]);
    const path = s("path", { class: `series ${se.cls || ""}`, stroke: se.colour || "var(--accent)",
                             d: "M" + sorted.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("L") });
    path.setAttribute("data-points", String(sorted.length)); path.setAttribute("data-label", se.label || "");
    svg.appendChild(path);
    if (se.dots) for (const p of sorted) svg.appendChild(s("circle", { class: "pt", cx: x(p[0]), cy: y(p[1]), r: 1.8, fill: se.dotColour ? se.dotColour(p) : (se.colour || "var(--accent)") }));
  }
  if (threshold) {
    svg.appendChild(s("line", { class: "threshold", x1: L0, x2: W - R, y1: y(threshold.value), y2: y(threshold.value), "data-value": threshold.value }));
    svg.appendChild(s("text", { class: "thlabel", x: W - R - 2, y: y(threshold.value) - 3, "text-anchor": "end" }, threshold.label));
  }
  return [h("div", { class: "chart-title" }, title), svg, note ? h("div", { class: "chart-note" }, note) : null];
}
function charts(a) {
  const ev = a.evidence || {}, out = [];
  if (a.kind === "go_fast") {
    const main = arr(a.mmsi)[0], t = trackOf(a).filter((p) => main == null || p.mmsi == null || p.mmsi === main);
    const pts = [];
    for (let i = 0; i < t.length; i++) {
      const v = num(t[i].sog_kn) != null ? t[i].sog_kn : i ? legSpeed(t[i - 1], t[i]) : null;
      if (v != null && tms(t[i].ts) != null) pts.push([tms(t[i].ts), v]);
    }
    const th = num(ev.threshold_kn) ?? num((ev.thresholds || {}).gofast_min_speed_kn);
    const band = tms(a.start) != null ? [tms(a.start), tms(a.end || a.updated) || tms(a.start)] : null;
    out.push(...timeChart({ id: "chart-speed", title: "Speed over ground", yLabel: "kn", yFmt: (v) => String(Math.round(v)), yMin: 0,
      series: [{ points: pts, cls: "speed", colour: "var(--go_fast)", dots: true, dotColour: (p) => speedColour(speedBucket(p[1])), label: "speed" }],
      threshold: th != null ? { value: th, label: `threshold ${th} kn` } : null, band,
      note: "Shaded: the run the alert is about." }));
  }
  if (a.kind === "rendezvous" || a.kind === "dark_rendezvous") {
    const ds = arr(ev.distance_series).filter((d) => tms(d.ts) != null && num(d.distance_m) != null).map((d) => [tms(d.ts), d.distance_m]);
    const th = num((ev.thresholds || {}).rv_max_distance_m);
    const meet = arr(ev.meetings).map((m) => [tms(m.start), tms(m.end)]).filter((m) => m[0] != null && m[1] != null);
    out.push(...timeChart({ id: "chart-distance", title: "Distance between the two vessels", yLabel: "m",
      yFmt: (v) => (v >= 10000 ? `${Math.round(v / 1000)}k` : String(Math.round(v))), yMin: 0,
      series: [{ points: ds, cls: "distance", colour: "var(--rendezvous)", dots: true, label: "distance" }],
      threshold: th != null ? { value: th, label: `${th} m` } : null, band: meet[0] || null,
      note: meet.length ? "Shaded: the first meeting." : null }));
  }
  if (a.kind === "dark_period") out.push(...receptionChart(a));
  return out;
}
function receptionChart(a) {
  // the silence against the neighbours' reception: one bar per 10-min bucket, green when other vessels near the
  // expected path were heard in it (so the receivers worked), grey when none was
  const ev = a.evidence || {}, bk = arr(ev.neighbour_buckets).filter((b) => tms(b.ts) != null);
  if (!bk.length) return [];
  const W = 480, H = 90, L0 = 46, R = 10, T = 10, B = 24;
  const ts = bk.map((b) => tms(b.ts)).sort((p, q) => p - q);
  const width = ts.length > 1 ? Math.min(...ts.slice(1).map((t, i) => t - ts[i]).filter((d) => d > 0), 600000) : 600000;
  const s0 = tms((ev.last_fix || {}).ts) ?? tms(a.start), s1 = tms((ev.reappeared || {}).ts) ?? tms(a.end) ?? ts[ts.length - 1] + width;
  const t0 = Math.min(ts[0], s0 ?? ts[0]), t1 = Math.max(ts[ts.length - 1] + width, s1 ?? 0);
  const x = (t) => L0 + (t - t0) / (t1 - t0 || 1) * (W - L0 - R);
  const svg = s("svg", { class: "chart", id: "chart-reception", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "reception of neighbours during the silence" });
  if (s0 != null && s1 != null) svg.appendChild(s("rect", { class: "silence", x: x(s0), y: T - 4, width: Math.max(1, x(s1) - x(s0)), height: H - T - B + 8 }));
  let heard = 0;
  for (const b of bk) {
    const t = tms(b.ts), on = !!b.heard; heard += on ? 1 : 0;
    const r = s("rect", { class: `bucket ${on ? "heard" : "silent"}`, x: x(t) + 0.5, y: on ? T : T + (H - T - B) * 0.55,
                          width: Math.max(1, x(t + width) - x(t) - 1), height: on ? H - T - B : (H - T - B) * 0.45 });
    r.appendChild(s("title", {}, `${hhmm(b.ts)}: ${on ? "other vessels heard" : "no other vessel heard"}`));
    svg.appendChild(r);
  }
  const ax = s("g", { class: "axis" }); svg.appendChild(ax);
  const span = t1 - t0, tstep = [600, 1800, 3600, 7200, 10800, 21600, 43200].map((v) => v * 1000).find((v) => span / v <= 6) || 86400000;
  for (let t = Math.ceil(t0 / tstep) * tstep; t <= t1; t += tstep)
    ax.appendChild(s("text", { x: x(t), y: H - B + 13, "text-anchor": "middle" }, new Date(t).toISOString().slice(11, 16)));
  ax.appendChild(s("text", { x: 4, y: T + 12 }, "heard"));
  ax.appendChild(s("text", { x: W - R, y: H - 2, "text-anchor": "end" }, "UTC"));
  svg.dataset.buckets = String(bk.length); svg.dataset.heard = String(heard);
  const rc = ev.reception || {};
  return [h("div", { class: "chart-title" }, "The silence against the neighbours' reception"), svg,
          h("div", { class: "chart-note" }, `Red band: the vessel's silence. ${heard} of ${bk.length} ten-minute buckets had other vessels heard near the expected path` +
            (rc.p_silent != null ? `; the chance of this silence if the vessel were transmitting: ${prob(rc.p_silent)} (P(heard) ${prob(rc.p_heard)}, ${rc.opportunities ?? "?"} opportunities).` : "."))];
}
function nearbyTable(ev) {
  const rows = arr(ev.nearby).length ? ev.nearby : arr(ev.nearest_ais);
  if (!rows.length) return [];
  const tb = h("tbody");
  for (const n of rows) tb.append(h("tr", {}, h("td", {}, String(n.mmsi)), h("td", {}, nm(n.distance_m)),
    h("td", {}, n.ts ? utc(n.ts) : (n.method || "—"))));
  return [h("h3", {}, arr(ev.nearby).length ? "AIS vessels near the detection at scene time" : "Nearest AIS vessels"),
          h("table", { class: "ev", id: "nearby" }, h("thead", {}, h("tr", {}, h("th", {}, "MMSI"), h("th", {}, "Distance"),
            h("th", {}, arr(ev.nearby).length ? "Position at (UTC)" : "Position method"))), tb)];
}
function meetingsTable(ev) {
  const ms = arr(ev.meetings); if (!ms.length) return [];
  return [h("h3", {}, `Meetings (${ms.length})`), dl(ms.map((m, i) => [`#${i + 1}`, `${utc(m.start)} – ${utc(m.end)} (${dur(((tms(m.end) || 0) - (tms(m.start) || 0)) / 1000)})`]))];
}
function clusterTables(ev, a) {
  const cl = clustersOf(ev, a), hops = arr(ev.hops), out = [];
  if (cl.length) {
    const tb = h("tbody");
    cl.forEach((c, i) => {
      const ps = c.positions, first = c.first || (ps[0] || {}).ts, last = c.last || (ps[ps.length - 1] || {}).ts;
      const ms = (tms(last) || 0) - (tms(first) || 0);
      const cc = c.centroid || (ps.length ? [ps.reduce((s2, p) => s2 + p.lon, 0) / ps.length, ps.reduce((s2, p) => s2 + p.lat, 0) / ps.length] : null);
      tb.append(h("tr", { "data-segment": String(c.id) },
        h("td", {}, h("span", { class: "swatch", style: `background:${SEG_COLOURS[i % SEG_COLOURS.length]}` }), String(c.id)),
        h("td", {}, c.fixes != null ? String(c.fixes) : ps.length ? String(ps.length) : "—"),
        h("td", {}, first || last ? `${utc(first)} – ${utc(last)}` : "—"),
        h("td", {}, first && last ? dur(ms / 1000) : "—"), h("td", {}, cc ? `${(+cc[1]).toFixed(3)}°, ${(+cc[0]).toFixed(3)}°` : "—")));
    });
    out.push(h("h3", {}, `Places heard under this MMSI (${cl.length})`),
      h("table", { class: "ev", id: "segments" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Fixes"),
        h("th", {}, "First – last (UTC)"), h("th", {}, "Span"), h("th", {}, "Centroid (lat, lon)"))), tb));
  }
  if (hops.length) {
    const tb = h("tbody"), shown = hops.slice(0, 50);
    for (const hp of shown) tb.append(h("tr", {}, h("td", {}, utc(hp.ts)), h("td", {}, `${hp.from_segment} → ${hp.to_segment}`),
      h("td", {}, nm(hp.distance_m)), h("td", {}, hp.implied_speed_kn != null ? `${hp.implied_speed_kn} kn` : "—")));
    if (hops.length > shown.length) tb.append(h("tr", {}, h("td", { colspan: "4", class: "sub" }, `… ${hops.length - shown.length} more`)));
    out.push(h("h3", {}, `Hops (${hops.length})`), h("table", { class: "ev", id: "hops" }, h("thead", {}, h("tr", {},
      h("th", {}, "Time (UTC)"), h("th", {}, "Places"), h("th", {}, "Distance"), h("th", {}, "Implied speed"))), tb));
  }
  return out;
}

// ---- workflow -----------------------------------------------------------------------------------------------------------
function offered(a) {  // what this role may do on this alert in its current state (the server re-checks)
  const st = (a.workflow || {}).state, open = st === "new" || st === "acknowledged";
  return {
    acknowledge: can("acknowledge") && st === "new",
    assign: (can("assign_self") || can("assign_any")) && open,
    comment: can("comment"),
    close: can("close") && open,
    reopen: can("reopen") && st === "closed",
  };
}
function draft(id) { return state.drafts[id] || (state.drafts[id] = {}); }
function workflowBlock(a, audit) {
  const wf = a.workflow, id = a.alert_id, d = draft(id), off = offered(a), openF = state.openForm[id] || "";
  const box = h("div", { id: "wf", "data-state": wf.state, "data-version": String(wf.version) });
  box.append(h("div", {}, "Workflow: ", h("span", { class: `state ${wf.state}`, id: "wfstate" }, wf.state),
    wf.assignee ? h("span", {}, " · assigned to ", h("b", { id: "wfassignee" }, wf.assignee)) : h("span", { class: "sub" }, " · unassigned"),
    wf.closed_reason ? h("span", {}, ` · ${wf.closed_reason.replace("_", " ")}`) : "",
    h("span", { class: "sub" }, ` · v${wf.version}`)));
  const btns = h("div", { class: "actions" });
  const btn = (key, label, kbd, onclick) => off[key] ? btns.append(h("button", { id: `wf-${key}`, title: `${label} (${kbd})`, onclick },
    label, " ", h("kbd", {}, kbd))) : null;
  btn("acknowledge", "Acknowledge", "A", () => act("acknowledge", {}));
  btn("assign", "Assign", "S", () => openForm("assign"));
  btn("comment", "Comment", "C", () => openForm("comment"));
  btn("close", "Close", "X", () => openForm("close"));
  btn("reopen", "Reopen", "R", () => openForm("reopen"));
  if (!btns.childElementCount) btns.append(h("span", { class: "sub" }, can("acknowledge") ? "No action possible in this state." : "Read-only role: no workflow actions."));
  box.append(btns);
  // assign: supervisors name anyone (names seen in the audit are suggested); officers assign to themselves
  if (off.assign) {
    const anyone = can("assign_any");
    const names = [...new Set([state.me.name, ...arr(audit).map((e) => e.actor).filter((n) => n && n !== "detector"),
                               ...arr(audit).map((e) => (e.detail || {}).assignee).filter(Boolean)])];
    const inp = h("input", { type: "text", id: "assignee", name: "assignee", list: "assignees", autocomplete: "off", required: true,
                             value: d.assignee ?? (anyone ? "" : state.me.name), readonly: !anyone, placeholder: "officer's name",
                             oninput: (e) => { d.assignee = e.target.value; } });
    box.append(h("form", { id: "f-assign", hidden: openF !== "assign", onsubmit: (e) => { e.preventDefault(); act("assign", { assignee: inp.value.trim() }); } },
      h("label", { for: "assignee" }, anyone ? "Assign to" : "Assign to me"), inp,
      h("datalist", { id: "assignees" }, names.map((n) => h("option", { value: n }))),
      anyone ? h("button", { type: "button", onclick: () => { inp.value = state.me.name; d.assignee = inp.value; } }, "me") : null,
      h("button", { type: "submit", class: "primary" }, "Assign"), h("button", { type: "button", onclick: () => openForm("") }, "Cancel")));
  }
  if (off.comment) {
    const ta = h("textarea", { id: "comment", name: "comment", maxlength: "4000", placeholder: "comment (Ctrl+Enter sends)",
                               oninput: (e) => { d.comment = e.target.value; } });
    ta.value = d.comment || "";
    ta.onkeydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); ta.form.requestSubmit(); } };
    box.append(h("form", { id: "f-comment", hidden: openF !== "comment", onsubmit: (e) => { e.preventDefault(); if (ta.value.trim()) act("comment", { text: ta.value.trim() }); } },
      ta, h("button", { type: "submit", class: "primary" }, "Add comment"), h("button", { type: "button", onclick: () => openForm("") }, "Cancel")));
  }
  if (off.close) {
    const reason = d.closeReason || "";
    const radio = (v, label) => h("label", {}, h("input", { type: "radio", name: "reason", value: v, id: `reason-${v}`, checked: reason === v,
                                                             onchange: () => { d.closeReason = v; } }), " ", label);
    const note = h("input", { type: "text", id: "closenote", name: "note", maxlength: "4000", placeholder: "reason / note (optional)",
                              oninput: (e) => { d.closeNote = e.target.value; } });
    note.value = d.closeNote || "";
    box.append(h("form", { id: "f-close", hidden: openF !== "close", onsubmit: (e) => { e.preventDefault();
        const r = (e.target.querySelector("input[name=reason]:checked") || {}).value;
        if (!r) { flashWf("Choose actioned or false positive.", "err"); return; }
        act("close", note.value.trim() ? { reason: r, note: note.value.trim() } : { reason: r }); } },
      radio("actioned", "actioned"), radio("false_positive", "false positive"), note,
      h("button", { type: "submit", class: "primary" }, "Close alert"), h("button", { type: "button", onclick: () => openForm("") }, "Cancel")));
  }
  if (off.reopen) {
    const note = h("input", { type: "text", id: "reopennote", name: "note", maxlength: "4000", placeholder: "why reopen (optional)",
                              oninput: (e) => { d.reopenNote = e.target.value; } });
    note.value = d.reopenNote || "";
    box.append(h("form", { id: "f-reopen", hidden: openF !== "reopen", onsubmit: (e) => { e.preventDefault();
        act("reopen", note.value.trim() ? { note: note.value.trim() } : {}); } },
      note, h("button", { type: "submit", class: "primary" }, "Reopen"), h("button", { type: "button", onclick: () => openForm("") }, "Cancel")));
  }
  const m = state.wfMsg[id];
  box.append(h("div", { id: "wfmsg", class: m ? m.cls : "", role: "status" }, m ? m.text : ""));
  return box;
}
function openForm(name) {
  const id = state.selected; if (!id) return;
  const names = ["assign", "comment", "close", "reopen"];
  if (name && !document.getElementById(`f-${name}`)) { flashWf(`${name[0].toUpperCase() + name.slice(1)} is not possible here (role or state).`, "err"); return; }
  state.openForm[id] = name;
  for (const n of names) { const f = document.getElementById(`f-${n}`); if (f) f.hidden = n !== name; }
  const focus = { assign: "assignee", comment: "comment", close: "closenote", reopen: "reopennote" }[name];
  if (name === "close") { const r = document.querySelector("#f-close input[name=reason]:checked") || document.querySelector("#f-close input[name=reason]"); if (r) r.focus(); }
  else if (focus) { const e = $(focus); if (e) { e.focus(); if (e.select && name === "assign" && !e.readOnly) e.select(); } }
  if (name) document.getElementById(`f-${name}`).scrollIntoView({ block: "nearest" });
}
function flashWf(text, cls) {
  const id = state.selected; if (id) state.wfMsg[id] = { text, cls };
  const e = $("wfmsg"); if (e) { e.className = cls; e.textContent = text; }
}
async function act(action, body) {
  const id = state.selected; if (!id || !state.detail) return;
  const a = state.detail;
  if (!offered(a)[action]) { flashWf(`${action} is not possible here (role or state).`, "err"); return; }
  const hd = headers(); hd["Content-Type"] = "application/json";
  if (state.etag) hd["If-Match"] = state.etag;  // compare-and-set on the workflow version on screen
  flashWf(`${action}…`, "");
  let r;
  try { r = await fetch(`/alerts/${encodeURIComponent(id)}/${ACTION_PATH[action]}`, { method: "POST", headers: hd, body: JSON.stringify(body) }); }
  catch (e) { flashWf(`${action} failed: the API cannot be reached — nothing was changed, your input is kept.`, "err"); return; }
  let out = {}; try { out = await r.json(); } catch (e) { /* not JSON */ }
  if (r.ok) {
    const d = draft(id);
    if (action === "comment") delete d.comment;
    if (action === "close") { delete d.closeNote; delete d.closeReason; }
    if (action === "reopen") delete d.reopenNote;
    if (action === "assign") delete d.assignee;
    state.openForm[id] = "";
    state.wfMsg[id] = { cls: "ok", text: `${{ acknowledge: "Acknowledged", assign: `Assigned to ${body.assignee}`, comment: "Comment added",
      close: `Closed (${(body.reason || "").replace("_", " ")})`, reopen: "Reopened" }[action]} — workflow v${out.version}.` };
    const known = state.alerts.get(id);
    if (known) render({ ...known, workflow: { ...(known.workflow || {}), state: out.state, version: out.version,
      ...(action === "assign" ? { assignee: body.assignee } : {}), ...(action === "close" ? { closed_reason: body.reason } : {}),
      ...(action === "reopen" ? { closed_reason: null } : {}) } }, false);
    await loadDetail(id, false);
    return;
  }
  if (r.status === 409 || r.status === 412) {
    // someone acted first: refresh the view (new state, version and audit) and say who did what; drafts are kept
    const mine = state.detail && state.detail.workflow ? state.detail.workflow.version : null;
    await loadDetail(id, false);
    const fresh = state.detail || {}, wf = fresh.workflow || {};
    const other = arr(state.audit).filter((e) => e.detail && e.detail.workflow_version > (mine || 0)).pop()
               || arr(state.audit).filter((e) => e.actor !== "detector").pop();
    const who = other ? `${other.actor} ${other.action === "comment" ? "commented" : other.action + (other.action.endsWith("e") ? "d" : "ed")} at ${utc(other.at)}` : "someone else acted";
    const kept = action === "comment" ? " Your comment is kept below." : action === "close" ? " Your close reason is kept." : "";
    state.openForm[id] = action === "acknowledge" ? "" : action;
    state.wfMsg[id] = { cls: "conflict", text: `Conflict (${r.status}): ${who} — the alert is now ${wf.state} (v${wf.version}). ` +
      `The view is refreshed; check it and ${offered(fresh)[action] ? "resend if still right" : `${action} is no longer possible`}.${kept}` };
    showDetail(fresh, state.audit);
    return;
  }
  flashWf(r.status === 403 ? `Your role may not ${action} (${out.detail || "forbidden"}).` : r.status === 401 ? "Your token has expired: reconnect."
    : `${action} failed (${r.status}) ${out.detail || ""}`, "err");
}
function auditBlock(audit) {
  const ol = h("ol", {});
  for (const e of audit) {
    const d = e.detail || {};
    const bits = [];
    if (d.from && d.to && d.from !== d.to) bits.push(`${d.from} → ${d.to}`);
    if (d.assignee) bits.push(`to ${d.assignee}`);
    if (d.reason) bits.push(String(d.reason).replace("_", " "));
    if (d.version != null && e.actor === "detector") bits.push(`detector v${d.version} ${d.status || ""}`.trim());
    if (d.workflow_version != null) bits.push(`workflow v${d.workflow_version}`);
    const text = d.text || d.note;
    ol.append(h("li", { "data-action": e.action, "data-actor": e.actor }, utc(e.at), agoEl(e.at), " · ", h("span", { class: "actor" }, e.actor),
      d.role ? h("span", { class: "sub" }, ` (${d.role})`) : "", " ", h("span", { class: "act" }, e.action),
      bits.length ? h("span", { class: "sub" }, ` — ${bits.join(", ")}`) : "", text ? h("div", { class: "sub" }, `“${text}”`) : ""));
  }
  return h("details", { id: "audit", open: true }, h("summary", {}, h("b", {}, `Audit trail (${audit.length})`)), ol);
}

// ---- sound (WebAudio, off by default) -------------------------------------------------------------------------------
function beep() {
  if (!state.sound) return;
  state.beeps++; document.body.dataset.beeps = String(state.beeps);
  try {
    const ctx = state.audio || (state.audio = new (window.AudioContext || window.webkitAudioContext)());
    const t = ctx.currentTime;
    for (const [f, dt] of [[880, 0], [660, 0.18]]) {
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.type = "sine"; o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t + dt); g.gain.exponentialRampToValueAtTime(0.25, t + dt + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + dt + 0.16);
      o.connect(g).connect(ctx.destination); o.start(t + dt); o.stop(t + dt + 0.17);
    }
  } catch (e) { /* no audio device */ }
}

// ---- keyboard ------------------------------------------------------------------------------------------------------------
function onKey(ev) {
  const t = ev.target, typing = t && (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) ||
    (t.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(t.type)));
  if (ev.key === "Escape") {
    if (!$("helpdlg").hidden) { $("helpdlg").hidden = true; return; }
    if (measure.active || measure.pts.length) { toggleMeasure(false); return; }
    const id = state.selected;
    if (id && state.openForm[id]) { openForm(""); if (typing) t.blur(); return; }
    if (typing) { t.blur(); return; }
    if (id) closeDetail();
    return;
  }
  if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (t && t.closest && t.closest("form")) return;  // keys in a workflow form (its radios, buttons) are the form's
  const inMap = t && t.closest && t.closest("#map");
  const k = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  const handlers = {
    ArrowDown: () => !inMap && moveCursor(1), ArrowUp: () => !inMap && moveCursor(-1),
    Enter: () => { if (state.cursor && !inMap) select(state.cursor); },
    a: () => act("acknowledge", {}), s: () => openForm("assign"), c: () => openForm("comment"),
    x: () => openForm("close"), r: () => openForm("reopen"), t: () => toggleAllVesselTracks(),
    z: () => state.detail && drawEvidence(state.detail, true), f: () => fitHome(), m: () => toggleMeasure(!measure.active, true),
    l: () => { $("legend").open = !$("legend").open; }, "?": () => { $("helpdlg").hidden = !$("helpdlg").hidden; },
  };
  const fn = handlers[k];
  if (!fn) return;
  if (["a", "s", "c", "x", "r", "t", "z"].includes(k) && !state.selected) return;
  if ((k === "ArrowDown" || k === "ArrowUp" || k === "Enter") && inMap) return;
  ev.preventDefault();
  fn();
}

// ---- legend --------------------------------------------------------------------------------------------------------------
function drawLegend() {
  const lg = $("legendbody");
  for (const [k, v] of Object.entries(KINDS)) lg.appendChild(h("div", { "data-kind": k }, kindIcon(k), v.label));
  lg.appendChild(h("div", {}, h("span", { class: "sev high" }, "high"), h("span", { class: "sev medium" }, "medium"),
                   h("span", { class: "sev low" }, "low"), "severity (marker size)"));
  lg.appendChild(h("h4", {}, "Evidence of the selected alert"));
  const sp = h("div", { class: "speeds" }, "speed:");
  for (const [, col, label] of SPEED_BUCKETS) sp.append(h("span", { class: "lgline", style: `border-color:${col}`, title: label }));
  sp.append(h("span", { class: "note", style: "display:inline" }, `${SPEED_BUCKETS[0][2]} … ${SPEED_BUCKETS[SPEED_BUCKETS.length - 1][2]}`));
  lg.append(sp,
    h("div", {}, h("span", { class: "lgline dashed", style: "border-color:#e599f7" }), "expected path across a silence"),
    h("div", {}, kindIconRaw(SHAPES.det), "satellite detection"),
    h("div", {}, h("span", { class: "lgbox", style: "border-color:#74c0fc; border-style:dashed" }), "scene footprint",
      h("span", { class: "swatch", style: "background:#1c7ed6; margin-left:0.4rem" }), "AIS nearby"),
    h("div", {}, h("span", { class: "lgline dashed", style: "border-color:#adb5bd" }), "vessel's recent track (T)"),
    h("div", {}, h("span", { class: "lgline dashed", style: "border-color:#ffd43b" }), "measure (M)"),
    h("div", { class: "note" }, "Land and coastlines: Natural Earth 1:50m, 1:10m when zoomed in — not a navigational chart. Times UTC. ? = keys."));
  for (const k of Object.keys(KINDS)) $("fkind").appendChild(h("option", { value: k }, kindLabel(k)));
}
function kindIconRaw(d) {
  const svg = s("svg", { width: 16, height: 16, viewBox: "-9 -9 18 18", class: "kicon" });
  svg.appendChild(s("path", { d, fill: "none", stroke: "currentColor", "stroke-width": 2 })); return svg;
}

// ---- data and live feed ----------------------------------------------------------------------------------------------------
function headers() { return { "Authorization": "Bearer " + state.token }; }
function setStatus(cls, text) {
  const st = $("status"); st.className = cls; st.textContent = text;
  document.body.dataset.live = cls === "live" ? "1" : "";
  feedInfo();
}
function feedInfo() {
  const parts = [];
  if (state.lastId) parts.push(`last event #${state.lastId}`);
  if (state.lastEventAt) parts.push(`at ${utcSec(state.lastEventAt)}`);
  $("feedinfo").textContent = parts.join(" ");
}
async function load() {
  const r = await fetch("/alerts?limit=500", { headers: headers() });
  if (!r.ok) { setStatus("refused", "login failed (" + r.status + ")"); return false; }
  const page = await r.json();
  for (const a of page.items.slice().reverse()) render(a, false);
  const z = await fetch("/zones", { headers: headers() });
  if (z.ok) drawZones(await z.json());
  return true;
}
function parseFrame(frame) {
  let id = null, ev = "message", data = "";
  for (const raw of frame.split("\n")) {
    const line = raw.replace(/\r$/, ""); if (!line || line.startsWith(":")) continue;
    const i = line.indexOf(":"); const f = i < 0 ? line : line.slice(0, i);
    let v = i < 0 ? "" : line.slice(i + 1); if (v.startsWith(" ")) v = v.slice(1);
    if (f === "id") id = v; else if (f === "event") ev = v; else if (f === "data") data += (data ? "\n" : "") + v;
    else if (f === "retry" && /^\d+$/.test(v)) state.retryMs = Number(v);
  }
  return { id, ev, data };
}
async function stream() {
  // fetch-based SSE so the token travels in a header, never in the URL; resumes with Last-Event-ID
  let delay = state.retryMs;
  while (state.token) {
    state.abort = new AbortController();
    const hd = headers(); hd["Accept"] = "text/event-stream";
    if (state.lastId) hd["Last-Event-ID"] = state.lastId;
    try {
      const r = await fetch(document.body.dataset.feed || "/alerts/stream", { headers: hd, signal: state.abort.signal });
      if (r.status === 401 || r.status === 403) { setStatus("refused", `feed refused (${r.status}) — check token`); return; }
      if (!r.ok) throw new Error("feed " + r.status);
      setStatus("live", "● live"); delay = state.retryMs;
      const reader = r.body.getReader(); const dec = new TextDecoder(); let buf = "";
      for (;;) {
        const { value, done } = await reader.read(); if (done) break;
        buf += dec.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const { id, ev, data } = parseFrame(buf.slice(0, i)); buf = buf.slice(i + 2);
          if (ev === "overflow" && data) { state.lastId = String(JSON.parse(data).last_event_id); break; }
          if ((ev === "expired" || ev === "revoked") && data) {  // the credentials ended: ask for new ones
            state.lastId = String(JSON.parse(data).last_event_id ?? state.lastId ?? "");
            setStatus("refused", `feed closed: ${JSON.parse(data).detail} — paste a new token to resume`); return;
          }
          if (id) { state.lastId = id; state.lastEventAt = new Date(); feedInfo(); }
          if (ev === "alert" && data) render(JSON.parse(data).alert, true);
        }
      }
    } catch (e) { if (e.name === "AbortError") return; }
    setStatus("reconnecting", state.lastId ? `reconnecting… (resume after #${state.lastId})` : "reconnecting…");
    await new Promise((res) => setTimeout(res, delay));
    delay = Math.min(delay * 2, 30000);
  }
}
async function connect() {
  if (state.abort) state.abort.abort();
  state.token = $("token").value.trim();
  sessionStorage.setItem("msa-token", state.token);
  state.me = whoAmI(state.token);
  $("whoami").textContent = state.me.name ? `${state.me.name} (${state.me.role || "?"})` : "";
  document.body.dataset.role = state.me.role;
  setStatus("", "connecting…");
  if (await load()) stream();
}
function setTheme(t) {
  document.documentElement.dataset.theme = t;
  try { localStorage.setItem("msa-theme", t); } catch (e) { /* private mode */ }
  $("theme").textContent = t === "dark" ? "Light theme" : "Dark theme";
  if (state.zonesFc) drawZones(state.zonesFc, true);  // the canvas takes its colours from the theme
}

// ---- start ---------------------------------------------------------------------------------------------------------------------
drawLegend();
if (window.innerHeight < 800) $("legend").open = false;  // small screens: the legend starts folded (L opens it)
initMap();
setTheme(document.documentElement.dataset.theme === "light" ? "light" : "dark");
$("theme").onclick = () => setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
$("fkind").onchange = (e) => { state.kind = e.target.value; applyFilters(); };
$("fzone").onchange = (e) => { state.zone = e.target.value; applyFilters(); };
$("sound").checked = false;
$("sound").onchange = (e) => {
  state.sound = e.target.checked;
  if (state.sound && !state.audio) { try { state.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (err) { /* none */ } }
};
$("helpbtn").onclick = () => { $("helpdlg").hidden = !$("helpdlg").hidden; };
$("helpclose").onclick = () => { $("helpdlg").hidden = true; };
document.addEventListener("keydown", onKey);
const tick = () => { $("clock").textContent = utcSec(new Date()) + " UTC"; };
setInterval(tick, 1000); tick();
setInterval(refreshAges, 20000);
applyFilters();
$("login").addEventListener("click", connect);
$("token").addEventListener("keydown", (e) => { if (e.key === "Enter") connect(); });
const frag = new URLSearchParams(location.hash.slice(1));
const initial = frag.get("token") || sessionStorage.getItem("msa-token") || "";
if (frag.get("token")) history.replaceState(null, "", location.pathname);
if (initial) { $("token").value = initial; connect(); }
