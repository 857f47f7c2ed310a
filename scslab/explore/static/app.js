// scslab explorer: the page. Plain JavaScript, no libraries, nothing fetched but this server's API.
"use strict";

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const fmt = (x, d = 2) => {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en");
  const s = Number(x).toFixed(d);
  const t = s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  return t === "-0" ? "0" : t;  // a small negative rounded to zero is shown as 0, not -0
};

// Each tab is its own client: its runs are its own, and a new run replaces only its own old one.
const CLIENT = sessionStorage.getItem("scslab-client") || (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
sessionStorage.setItem("scslab-client", CLIENT);

const S = {
  rulebook: null,          // the loaded rulebook's description (controls, audit)
  edits: { rulebook: {}, engine: {} },
  run: null,               // the current run's id
  cur: { main: 0, off: 0 },
  days: { main: [], off: [] },
  hist: null, net: null, people: null,
  finished: false, mainDone: false,
  auditTimer: null, pollTimer: null, auditSeq: 0,
};

async function api(path, body) {
  const opt = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opt);
  const data = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) { const e = new Error(data.error || `HTTP ${r.status}`); e.data = data; throw e; }
  return data;
}

function showProblems(err) {
  const box = $("problems");
  if (!err) { box.hidden = true; box.innerHTML = ""; return; }
  const probs = (err.data && err.data.problems) || [];
  box.innerHTML = `<b>${esc(err.message)}</b>` + (probs.length ? `<pre>${probs.map((p) => esc(p.text || p)).join("\n")}</pre>` : "");
  box.hidden = false;
}

// ---------- rulebook and controls ----------

async function loadPilot(name) {
  try { setRulebook(await api("/api/rulebooks", { pilot: name })); showProblems(null); }
  catch (e) { showProblems(e); }
}

async function loadFile(file) {
  if (!file) return;
  if (file.size > 1_000_000) { showProblems(new Error(`${file.name}: larger than 1,000,000 bytes, the limit for a rulebook`)); return; }
  const text = await file.text();
  try { setRulebook(await api("/api/rulebooks", { text, filename: file.name })); showProblems(null); }
  catch (e) { showProblems(e); }
}

function setRulebook(desc) {
  S.rulebook = desc;
  S.edits = { rulebook: {}, engine: {} };
  $("rb-title").textContent = desc.title + (desc.origin === "file" ? ` (${desc.filename})` : "");
  const sel = $("pilot");
  if (desc.origin === "pilot") sel.value = desc.name; else sel.value = "";
  buildControls(desc.controls);
  renderAudit(desc.audit);
}

function slider(parent, { key, label, value, min, max, step, help, onChange }) {
  const div = document.createElement("div");
  div.className = "ctl";
  div.dataset.key = key;
  div.innerHTML = `<span class="name"></span><div class="row"><input type="range"><input type="number"></div>`;
  div.querySelector(".name").textContent = label;
  if (help) div.title = help;
  const r = div.querySelector("input[type=range]"), n = div.querySelector("input[type=number]");
  for (const el of [r, n]) { el.min = min; el.max = max; el.step = step; el.value = value; }
  r.id = `ctl-${key}`; n.id = `num-${key}`;
  r.setAttribute("aria-label", label); n.setAttribute("aria-label", label);
  const initial = Number(value);
  const set = (v, from) => {
    if (from !== r) r.value = v; if (from !== n) n.value = v;
    div.classList.toggle("changed", Number(v) !== initial);
    onChange(Number(v), Number(v) === initial);
  };
  r.addEventListener("input", () => set(r.value, r));
  n.addEventListener("change", () => { if (n.value !== "" && Number.isFinite(Number(n.value))) set(n.value, n); });
  parent.appendChild(div);
  return { div, set: (v) => set(v, null) };
}

function checkbox(parent, { key, label, value, onChange }) {
  const l = document.createElement("label");
  l.className = "check ctl";
  l.innerHTML = `<input type="checkbox"> <span class="name"></span>`;
  l.querySelector(".name").textContent = label;
  const c = l.querySelector("input");
  c.id = `ctl-${key}`; c.checked = value;
  c.addEventListener("change", () => { l.classList.toggle("changed", c.checked !== value); onChange(c.checked, c.checked === value); });
  parent.appendChild(l);
  return l;
}

function setEdit(path, v, isDefault) {
  // path: ["rulebook", "behaviours", id, "points"] or ["engine", "w_virtue"] ...
  let o = S.edits;
  const stack = [];
  for (const k of path.slice(0, -1)) { stack.push([o, k]); o = o[k] = o[k] || {}; }
  const last = path[path.length - 1];
  if (isDefault) delete o[last]; else o[last] = v;
  for (let i = stack.length - 1; i > 0; i--) { const [p, k] = stack[i]; if (Object.keys(p[k]).length === 0) delete p[k]; }
  if (path[0] === "engine" && path[1] === "levers") {
    // levers go as a whole: all four, or none when all are as they were
    const lv = S.edits.engine.levers || {};
    if (Object.keys(lv).length === 0) delete S.edits.engine.levers;
  }
  showChanged();
  scheduleAudit();
}

function showChanged() {
  const n = document.querySelectorAll(".ctl.changed").length;
  $("changed").textContent = n ? `${n} change${n > 1 ? "s" : ""} from the rulebook as loaded (exported with "Export rulebook").` : "";
}

function buildControls(c) {
  const rules = $("rule-controls"), eng = $("engine-controls");
  rules.innerHTML = ""; eng.innerHTML = "";
  // a behaviour's points: pick the behaviour, then move its points
  if (c.behaviours.length) {
    const lab = document.createElement("label");
    lab.innerHTML = `Behaviour <select id="behaviour"></select>`;
    rules.appendChild(lab);
    const sel = lab.querySelector("select");
    const holder = document.createElement("div");
    rules.appendChild(holder);
    for (const b of c.behaviours) {
      const o = document.createElement("option");
      o.value = b.id; o.textContent = `${b.label} (${b.points > 0 ? "+" : ""}${b.points})`;
      sel.appendChild(o);
    }
    const ctls = {};
    for (const b of c.behaviours) {
      const box = document.createElement("div");
      box.dataset.behaviour = b.id;
      box.hidden = true;
      holder.appendChild(box);
      ctls[b.id] = slider(box, { key: `points-${b.id}`, label: `points per recorded act (${b.legal_status})`, value: b.points,
        min: b.min, max: b.max, step: 1, onChange: (v, d) => setEdit(["rulebook", "behaviours", b.id, "points"], v, d) });
    }
    const show = () => { for (const el of holder.children) el.hidden = el.dataset.behaviour !== sel.value; };
    sel.addEventListener("change", show); show();
  }
  const n = c.network;
  slider(rules, { key: "association_penalty", label: "association penalty (points a day per blacklisted tie)", value: n.association_penalty,
    min: 0, max: n.association_penalty_max, step: 0.1, onChange: (v, d) => setEdit(["rulebook", "network", "association_penalty"], v, d) });
  slider(rules, { key: "peer_weight", label: "peer weight (daily pull toward ties' mean score)", value: n.peer_weight,
    min: 0, max: 0.2, step: 0.001, onChange: (v, d) => setEdit(["rulebook", "network", "peer_weight"], v, d) });
  checkbox(rules, { key: "appeals", label: "appeals available", value: c.appeals.available,
    onChange: (v, d) => setEdit(["rulebook", "appeals", "available"], v, d) });
  slider(rules, { key: "review_accuracy", label: "appeal review accuracy", value: c.appeals.review_accuracy,
    min: 0, max: 1, step: 0.01, onChange: (v, d) => setEdit(["rulebook", "appeals", "review_accuracy"], v, d) });
  for (const l of c.lists) {
    if (l.duration_days === null || l.duration_days === undefined) continue;
    slider(rules, { key: `duration-${l.id}`, label: `days on the ${l.kind} '${l.id}'`, value: l.duration_days,
      min: 1, max: Math.max(1460, l.duration_days), step: 1, onChange: (v, d) => setEdit(["rulebook", "lists", l.id, "duration_days"], v, d) });
  }
  slider(rules, { key: "disclosure_reward", label: "reward for disclosing one's data (points, once)", value: c.disclosure.reward,
    min: 0, max: c.disclosure.reward_max, step: 1, onChange: (v, d) => setEdit(["rulebook", "disclosure", "reward"], v, d) });
  slider(rules, { key: "disclosure_penalty", label: "penalty for keeping data private (points a day)", value: c.disclosure.penalty,
    min: 0, max: c.disclosure.penalty_max, step: 0.1, onChange: (v, d) => setEdit(["rulebook", "disclosure", "penalty"], v, d) });
  // the engine: four levers and the behavioural weights
  const lv = document.createElement("div");
  lv.innerHTML = `<span class="muted">Levers (Lessig): which regulators act</span>`;
  eng.appendChild(lv);
  const levers = { ...c.engine.levers };
  for (const k of ["law", "market", "norms", "code"]) {
    checkbox(eng, { key: `lever-${k}`, label: k, value: c.engine.levers[k], onChange: (v) => {
      levers[k] = v;
      const same = ["law", "market", "norms", "code"].every((x) => levers[x] === c.engine.levers[x]);
      setEdit(["engine", "levers"], { ...levers }, same);
    } });
  }
  for (const w of ["w_virtue", "w_strategic", "w_norm", "w_law", "w_market"]) {
    slider(eng, { key: w, label: `${w}`, help: c.engine_help[w], value: c.engine[w], min: 0, max: 10, step: 0.1,
      onChange: (v, d) => setEdit(["engine", w], v, d) });
  }
  showChanged();
}

function scheduleAudit() {
  clearTimeout(S.auditTimer);
  S.auditTimer = setTimeout(refreshAudit, 200);
}

async function refreshAudit() {
  const seq = ++S.auditSeq;
  try {
    const r = await api("/api/audit", { rulebook: S.rulebook.id, edits: S.edits });
    if (seq === S.auditSeq) { renderAudit(r.audit); showProblems(null); }
  } catch (e) { if (seq === S.auditSeq) showProblems(e); }
}

const VCLASS = { "supported": "v-supported", "not supported": "v-not-supported", "mixed": "v-mixed",
  "too few events": "v-few" };
const badge = (v) => `<span class="v ${VCLASS[v] || "v-other"}">${esc(v)}</span>`;

function renderAudit(a) {
  const c = a.counts;
  $("audit-summary").innerHTML = `<p><b>${esc(a.conclusion)}</b></p><p class="muted">${a.findings.length} findings from ${a.rules} rules
    (critical ${c.critical}, high ${c.high}, medium ${c.medium}, low ${c.low}); lines refer to ${esc(a.lines_refer_to)} (${esc(a.file)}).
    The audit reads the rules only; the engine's parameters do not change it.</p>`;
  $("audit-badge").textContent = (c.critical + c.high) ? String(c.critical + c.high) : "";
  $("audit-conditions").innerHTML = `<tr><th>EU AI Act Art. 5(1)(c)</th><th>met</th><th>because</th></tr>` +
    a.conditions.map((x) => `<tr><td>${esc(x.text)}</td><td>${esc(x.met)}</td><td>${esc(x.because)}</td></tr>`).join("");
  $("audit-findings").innerHTML = `<tr><th>severity</th><th>rule</th><th>finding</th><th>where</th><th>fix</th></tr>` +
    a.findings.map((f) => `<tr><td><span class="v sev-${esc(f.severity)}">${esc(f.severity)}</span></td><td>${esc(f.code)}<br><span class="muted">${esc(f.name)}</span></td>
      <td>${esc(f.message)}</td><td>${esc(f.field)}<br><span class="muted">line ${f.line}</span></td><td>${esc(f.fix || "")}</td></tr>`).join("");
}

// ---------- runs ----------

async function startRun() {
  if (!S.rulebook) return;
  const body = { rulebook: S.rulebook.id, edits: S.edits, client: CLIENT,
    population: Number($("population").value), steps: Number($("steps").value), seed: Number($("seed").value),
    claims: $("claims").checked, levers: $("levers").checked };
  try {
    const r = await api("/api/runs", body);
    showProblems(null);
    S.run = r.id; S.cur = { main: 0, off: 0 }; S.days = { main: [], off: [] };
    S.hist = S.net = S.people = null; S.finished = S.mainDone = false; S.steps = body.steps;
    $("stop").disabled = false;
    setExport(null);
    $("report-frame").removeAttribute("src");
    $("claims-table").innerHTML = ""; $("mechanisms-table").innerHTML = "";
    $("claims-caption").textContent = body.claims ? "Waiting for the claims runs..." : "The claims table is switched off for this run.";
    $("people").innerHTML = `<tbody><tr><td class="muted">After the run.</td></tr></tbody>`;
    drawAll();
    clearTimeout(S.pollTimer);
    poll();
  } catch (e) { showProblems(e); }
}

async function stopRun() {
  if (!S.run) return;
  try { await api(`/api/runs/${S.run}/stop`, {}); } catch (e) { showProblems(e); }
}

function setExport(id) {
  const a = $("export-report");
  if (id) { a.href = `/api/runs/${id}/export`; a.classList.remove("disabled"); a.removeAttribute("aria-disabled"); a.setAttribute("download", ""); }
  else { a.href = "#"; a.classList.add("disabled"); a.setAttribute("aria-disabled", "true"); }
}

async function poll() {
  const id = S.run;
  let r;
  try { r = await api(`/api/runs/${id}?main=${S.cur.main}&off=${S.cur.off}`); }
  catch (e) { showProblems(e); return; }
  if (id !== S.run) return; // a newer run replaced this one
  for (const k of ["main", "off"]) {
    const p = r[k];
    if (S.cur[k] + p.days.length === p.n) { S.days[k].push(...p.days); S.cur[k] = p.n; }
    else { S.days[k] = []; S.cur[k] = 0; } // the server's series was replaced: read it again
  }
  const m = r.main;
  if (m.hist) S.hist = m.hist;
  if (m.net) S.net = m.net;
  if (m.people && !S.people) { S.people = m.people; renderPeople(); }
  const pct = m.of ? Math.round(100 * m.done / m.of) : 0;
  $("progress-bar").style.width = `${pct}%`;
  const status = { queued: "waiting for a worker", running: "running", done: "done", stopped: "stopped", error: "failed" };
  let txt = `${r.rulebook}: day ${m.done} of ${m.of} (${status[m.status] || m.status}; ${r.settings.population.toLocaleString("en")} citizens)`;
  txt += ` · code off: ${status[r.off.status] || r.off.status}`;
  if (m.seconds) txt += ` · ${fmt(m.seconds, 1)} s`;
  if (m.error) txt += ` · ${m.error.message}`;
  if (!m.streaming) txt += " · (live series not available: drawn at the end)";
  $("progress-text").textContent = txt;
  $("run-status").textContent = !r.finished ? "Running..." : m.status === "done" ? "Finished." :
    m.status === "stopped" ? "Finished: stopped." : "Finished: the run failed (see above).";
  drawAll();
  renderClaims(r.claims);
  if (m.status === "done" && !S.mainDone) {
    S.mainDone = true;
    setExport(id);
    if (!$("panel-report").hidden) loadReport();
  }
  if (m.error) { const e = new Error(m.error.message); e.data = m.error; showProblems(e); }
  S.finished = r.finished;
  if (r.finished) { $("stop").disabled = true; if (!$("panel-report").hidden) loadReport(); return; }
  S.pollTimer = setTimeout(poll, 200);
}

function renderClaims(c) {
  if (!c || c.status === "off") return;
  const cap = $("claims-caption");
  if (c.status !== "done") {
    cap.textContent = c.status === "error" ? `The claims could not be computed: ${c.error && c.error.message}` :
      c.status === "stopped" ? "The claims runs were stopped." :
      `Claims: ${c.done} of ${c.of} runs (${fmt(c.population, 0)} citizens, ${c.seeds} seeds, the same rulebook and settings)...`;
    return;
  }
  cap.textContent = `The claims for the current settings: ${c.seeds} seeds of ${Number(c.population).toLocaleString("en")} citizens for ${c.steps} days,
    each claim against the same rulebook with its mechanism switched off (paired by seed). Verdicts as in scslab compare; docs/metrics.md.`;
  $("claims-table").innerHTML = `<tr><th>claim</th><th>tested quantity</th><th>mean [interval]</th><th>verdict</th><th>compared against / why not tested</th></tr>` +
    c.table.map((x) => {
      const iv = x.interval;
      const val = iv ? `${fmt(iv.mean, 3)} [${fmt(iv.lo, 3)}, ${fmt(iv.hi, 3)}]` : "—";
      return `<tr data-claim="${esc(x.id)}"><td><b>${esc(x.id)}</b> ${esc(x.claim)}</td><td>${esc(x.metric)}</td><td class="num">${val}</td>
        <td>${badge(x.verdict)}${x.evidence_note ? `<div class="ev muted">${esc(x.evidence_note)}</div>` : ""}</td><td class="muted">${esc(x.reason || x.against)}</td></tr>`;
    }).join("");
  $("mechanisms-table").innerHTML = `<tr><th>mechanism</th><th>present</th><th>what</th></tr>` +
    c.mechanisms.map((m) => `<tr><td>${esc(m.id)}</td><td>${m.present ? "yes" : "no"}</td><td class="muted">${esc(m.detail)}</td></tr>`).join("");
}

function renderPeople() {
  const t = $("people");
  if (!S.people || !S.people.length) { t.innerHTML = `<tbody><tr><td class="muted">Nobody to show.</td></tr></tbody>`; return; }
  t.innerHTML = `<tbody><tr><th>citizen</th><th>why shown</th><th>score</th><th>grade</th><th>blacklisted</th></tr>` +
    S.people.map((p) => `<tr class="click" data-citizen="${p.citizen}"><td>${p.citizen}</td><td>${esc(p.why)}</td><td class="num">${fmt(p.score, 1)}</td>
      <td>${esc(p.grade)}</td><td>${p.blacklisted ? (p.wrongful ? "yes, wrongfully" : "yes") : "no"}</td></tr>`).join("") + "</tbody>";
  for (const tr of t.querySelectorAll("tr.click")) tr.addEventListener("click", () => showCitizen(Number(tr.dataset.citizen)));
}

// ---------- charts (SVG, drawn here) ----------

function gradeColour(i, n) {
  // low grades red, middle yellow, high green (as the report's RdYlGn)
  const stops = [[215, 48, 39], [252, 141, 89], [254, 224, 139], [145, 207, 96], [26, 152, 80]];
  const t = n > 1 ? i / (n - 1) : 1;
  const x = t * (stops.length - 1), k = Math.min(stops.length - 2, Math.floor(x)), f = x - k;
  const c = stops[k].map((v, j) => Math.round(v + f * (stops[k + 1][j] - v)));
  return `rgb(${c.join(",")})`;
}

function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) { hi = lo + 1; }
  const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function lineChart(svg, series, { xmax, ylabel = "", yMinZero = true } = {}) {
  // The legend has its own band above the plot (T), so it never hides a line.
  const W = 420, H = 230, L = 46, R = 10, T = 24, B = 28;
  let ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v));
  let lo = ys.length ? Math.min(...ys) : 0, hi = ys.length ? Math.max(...ys) : 1;
  if (yMinZero) lo = Math.min(0, lo);
  if (hi - lo < 1e-9) { hi = lo + (Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1); }
  const pad = (hi - lo) * 0.05; hi += pad; if (!yMinZero) lo -= pad;
  const X = (x) => L + (W - L - R) * (x / Math.max(1, xmax)), Y = (y) => T + (H - T - B) * (1 - (y - lo) / (hi - lo));
  let s = "";
  for (const v of niceTicks(lo, hi)) s += `<line class="grid" x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}"/><text x="${L - 4}" y="${Y(v) + 3}" text-anchor="end">${fmt(v, 3)}</text>`;
  for (const v of niceTicks(0, xmax)) s += `<text x="${X(v)}" y="${H - B + 13}" text-anchor="middle">${fmt(v, 0)}</text>`;
  s += `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
  s += `<text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle">day</text>`;
  if (ylabel) s += `<text x="10" y="11">${esc(ylabel)}</text>`;
  series.forEach((ser, i) => {
    const pts = ser.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length) {
      const d = pts.map((p, j) => `${j ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
      s += `<path d="${d}" fill="none" stroke="${ser.colour}" stroke-width="${ser.dash ? 1.3 : 1.8}" ${ser.dash ? 'stroke-dasharray="5 3"' : ""} class="series-${i}"/>`;
    }
    const lx = L + 40 + i * 150;
    s += `<g class="legend"><line x1="${lx}" x2="${lx + 18}" y1="8" y2="8" stroke="${ser.colour}" stroke-width="2" ${ser.dash ? 'stroke-dasharray="4 2"' : ""}/>
      <text x="${lx + 22}" y="11">${esc(ser.label)}</text></g>`;
  });
  svg.innerHTML = s;
  svg.dataset.points = String(series.reduce((a, x) => a + x.points.length, 0));
}

function trailing(vals, w) {
  const out = []; let sum = 0;
  for (let i = 0; i < vals.length; i++) { sum += vals[i]; if (i >= w) sum -= vals[i - w]; out.push(sum / Math.min(i + 1, w)); }
  return out;
}

function drawAll() {
  const steps = S.steps || 365;
  const on = S.days.main, off = S.days.off;
  const pair = (f, w = 1) => {
    const mk = (rows) => { const v = trailing(rows.map(f), w); return rows.map((r, i) => [r.step + 1, v[i]]); };
    return [{ label: "this rulebook", colour: "#2563eb", points: mk(on) }, { label: "code off (paired)", colour: "#111", dash: true, points: mk(off) }];
  };
  for (const id of ["chart-listed", "chart-sectors", "chart-trust", "chart-harm"]) $(id).dataset.run = S.run || "";
  lineChart($("chart-listed"), pair((r) => 100 * r.listed_black / r.population), { xmax: steps, ylabel: "%" });
  lineChart($("chart-sectors"), pair((r) => 1000 * r.sector_restrictions / r.population), { xmax: steps });
  lineChart($("chart-trust"), pair((r) => r.trust_sum / r.population), { xmax: steps, yMinZero: false });
  lineChart($("chart-harm"), pair((r) => 1000 * r.harm / r.population, Math.max(1, Math.floor(steps / 30))), { xmax: steps });
  drawHist();
  drawNet();
}

function drawHist() {
  const svg = $("chart-hist"), h = S.hist;
  const W = 420, H = 230, L = 46, R = 104, T = 10, B = 28;  // R: a column for the grades' legend
  if (!h) { svg.innerHTML = `<text x="210" y="115" text-anchor="middle" class="muted">No run yet.</text>`; return; }
  $("hist-day").textContent = S.days.main.length ? `(day ${S.days.main.length})` : "";
  const nb = h.edges.length - 1, ng = h.grades.length;
  const tot = Array.from({ length: nb }, (_, b) => h.counts.reduce((a, c) => a + c[b], 0));
  const ymax = Math.max(1, ...tot);
  const lg = (v) => Math.log10(1 + v), Y = (v) => T + (H - T - B) * (1 - lg(v) / lg(ymax));
  const X = (i) => L + (W - L - R) * i / nb;
  let s = "";
  for (const v of [1, 10, 100, 1000, 10000, 100000].filter((v) => v <= ymax)) s += `<line class="grid" x1="${L}" x2="${W - R}" y1="${Y(v)}" y2="${Y(v)}"/><text x="${L - 4}" y="${Y(v) + 3}" text-anchor="end">${v.toLocaleString("en")}</text>`;
  for (let b = 0; b < nb; b++) {
    let acc = 0;
    for (let g = 0; g < ng; g++) {
      const c = h.counts[g][b]; if (!c) continue;
      // stacked in log space: the bar's total height is log(1+total), split in proportion
      const y0 = Y(tot[b]) + (Y(0) - Y(tot[b])) * (acc / tot[b]), y1 = Y(tot[b]) + (Y(0) - Y(tot[b])) * ((acc + c) / tot[b]);
      s += `<rect x="${X(b) + 0.5}" width="${Math.max(0.5, X(1) - X(0) - 1)}" y="${y0.toFixed(1)}" height="${Math.max(0.5, y1 - y0).toFixed(1)}" fill="${gradeColour(g, ng)}"><title>${esc(h.grades[g])}: ${c}</title></rect>`;
      acc += c;
    }
  }
  s += `<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>`;
  for (const i of [0, Math.floor(nb / 2), nb]) s += `<text x="${X(i)}" y="${H - B + 13}" text-anchor="middle">${fmt(h.edges[i], 0)}</text>`;
  s += `<text x="${(L + W - R) / 2}" y="${H - 2}" text-anchor="middle">score (citizens, log scale)</text>`;
  h.grades.slice(0, 12).forEach((g, i) => { s += `<rect x="${W - R + 8}" y="${T + i * 12}" width="9" height="9" fill="${gradeColour(i, ng)}"/><text x="${W - R + 21}" y="${T + 8 + i * 12}">${esc(g)}</text>`; });
  svg.innerHTML = s;
}

function drawNet() {
  const svg = $("chart-net"), n = S.net;
  if (!n) { svg.innerHTML = `<text x="210" y="150" text-anchor="middle">No run yet.</text>`; return; }
  const W = 420, H = 300, ng = (S.hist && S.hist.grades.length) || 2;
  const P = (i) => [10 + (W - 122) * n.xy[i][0], 10 + (H - 20) * n.xy[i][1]];  // right of it: the legend
  const dropped = new Set(n.dropped || []);
  let s = "";
  n.edges.forEach(([a, b], k) => { const [x1, y1] = P(a), [x2, y2] = P(b); s += `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${dropped.has(k) ? "#e11" : "#bbb"}" ${dropped.has(k) ? 'stroke-dasharray="3 2"' : ""}/>`; });
  n.nodes.forEach((id, i) => {
    const [x, y] = P(i), listed = n.listed[i];
    s += `<circle class="node" data-citizen="${id}" cx="${x}" cy="${y}" r="${i === 0 ? 8 : 5.5}" fill="${gradeColour(n.grade[i], ng)}" stroke="${listed ? "#000" : "#fff"}" stroke-width="${listed ? 2.5 : 1}"><title>citizen ${id}: score ${n.score[i]}${listed ? ", blacklisted" : ""}</title></circle>`;
  });
  const names = (S.hist && S.hist.grades) || [];
  names.slice(0, 12).forEach((g, i) => { s += `<rect x="${W - 96}" y="${10 + i * 12}" width="9" height="9" fill="${gradeColour(i, ng)}"/><text x="${W - 83}" y="${18 + i * 12}">${esc(g)}</text>`; });
  svg.innerHTML = s;
  for (const c of svg.querySelectorAll(".node")) c.addEventListener("click", () => showCitizen(Number(c.dataset.citizen)));
}

// ---------- a citizen's notice ----------

async function showCitizen(id) {
  selectTab("citizen");
  $("citizen-id").value = id;
  const box = $("notice");
  if (!S.run) { box.innerHTML = `<p class="muted">Run first.</p>`; return; }
  box.innerHTML = `<p class="muted">Reading citizen ${id}...</p>`;
  try {
    const n = await api(`/api/runs/${S.run}/citizen/${id}`);
    const HEAD = { step: "day" };
    const table = (rows, cols) => rows.length ? `<table class="data"><tr>${cols.map((c) => `<th>${esc(HEAD[c] || c)}</th>`).join("")}</tr>` +
      rows.map((r) => `<tr>${cols.map((c) => `<td>${esc(r[c])}</td>`).join("")}</tr>`).join("") + `</table>` : `<p class="muted">None.</p>`;
    box.innerHTML = `<div class="notice" data-citizen="${n.citizen}"><h3>Adverse-action notice: citizen ${n.citizen}</h3>
      <p>Score <b>${fmt(n.score, 0)}</b> on a scale of ${fmt(n.scale[0], 0)}..${fmt(n.scale[1], 0)}; grade <b>${esc(n.grade)}</b>.
      ${n.blacklisted ? `<span class="pill bad">blacklisted</span>` : `<span class="pill ok">not listed</span>`}
      ${n.wrongfully_listed ? `<span class="pill bad">the ground truth says this listing is wrongful</span>` : ""}</p>
      <h4>Principal reasons</h4>${n.reasons.length ? `<ol class="reasons">${n.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ol>` : `<p class="muted">None (no adverse record).</p>`}
      ${(n.grounds || []).length ? `<h4>Why each listing happened</h4><ul class="grounds">${n.grounds.map((g) => `<li data-basis="${esc(g.basis)}">${esc(g.text)}</li>`).join("")}</ul>` : ""}
      <p class="muted">Records ${n.facts.records} (false ${n.facts.false_records}, excused ${n.facts.excused_records}); listings ${n.facts.listings}
      (wrongful ${n.facts.wrongful_listings}); appeals ${n.facts.appeals} (won ${n.facts.appeals_won}); sectors ever restricted ${n.facts.sectors_ever}.</p>
      <h4>Records${n.records_total > n.records.length ? ` (first ${n.records.length} of ${n.records_total})` : ""}</h4>${table(n.records, ["step", "behaviour", "source", "points", "truth"])}
      <h4>Listings</h4>${table(n.listings, ["step", "list", "kind", "wrongful", "detail"])}
      <h4>Sanctions by sector</h4>${table(n.sectors, ["step", "sectors", "why"])}
      <h4>Appeals</h4>${table(n.appeals, ["step", "kind", "list", "detail", "wrongful"])}</div>`;
  } catch (e) { box.innerHTML = `<p class="problems">${esc(e.message)}</p>`; }
}

// ---------- tabs, exports, start ----------

function selectTab(name) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== `panel-${name}`;
  if (name === "report") loadReport();
}

function loadReport() {
  const f = $("report-frame");
  if (S.run && S.mainDone) {
    const src = `/api/runs/${S.run}/report${S.finished ? "?final=1" : ""}`;
    if (f.getAttribute("src") !== src) f.setAttribute("src", src);
  } else f.srcdoc = "<p style='font-family:sans-serif;color:#666'>The report appears when a run has finished.</p>";
}

async function exportYaml() {
  if (!S.rulebook) return;
  try {
    const r = await fetch("/api/export/rulebook", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rulebook: S.rulebook.id, edits: S.edits }) });
    if (!r.ok) { const d = await r.json(); const e = new Error(d.error); e.data = d; throw e; }
    const name = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "rulebook.yaml";
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  } catch (e) { showProblems(e); }
}

async function init() {
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
  $("run").addEventListener("click", startRun);
  $("stop").addEventListener("click", stopRun);
  $("export-yaml").addEventListener("click", exportYaml);
  $("reset").addEventListener("click", () => { if (S.rulebook) setRulebook(S.rulebook); });
  $("pilot").addEventListener("change", (e) => { if (e.target.value) loadPilot(e.target.value); });
  $("file").addEventListener("change", (e) => { loadFile(e.target.files[0]); e.target.value = ""; });
  $("citizen-form").addEventListener("submit", (e) => { e.preventDefault(); showCitizen(Number($("citizen-id").value)); });
  drawAll();
  const st = await api("/api/state");
  const sel = $("pilot");
  sel.innerHTML = `<option value="">(a file)</option>` + st.pilots.map((p) => `<option value="${esc(p.name)}">${esc(p.name)}: ${esc(p.title)}</option>`).join("");
  if (st.initial) setRulebook(await api("/api/rulebooks", { id: st.initial }));
  else await loadPilot(st.pilots[0].name);
  const ready = async () => {
    const s = await api("/api/state");
    if (s.broken) { showProblems(new Error(s.broken)); return; }
    if (s.workers_ready < s.workers) { $("run-status").textContent = `Workers starting (${s.workers_ready} of ${s.workers} ready)...`; setTimeout(ready, 500); }
    else if (!S.run) $("run-status").textContent = "Ready: change a rule, then Run.";
  };
  ready();
  document.body.dataset.ready = "1";
}

init().catch((e) => showProblems(e));
