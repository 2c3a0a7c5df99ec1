// The playground's page: controls -> the server's API -> canvases. Every number drawn here comes
// from the server (slopefit on PyTorch); this script only draws and forwards what the learner does.
"use strict";

const BOOT = JSON.parse(document.getElementById("boot").textContent);
const T = BOOT.texts;
// twelve colours told apart with the common colour-vision deficiencies: Okabe and Ito's eight
// (yellow darkened to read on white) and four dark ones of Paul Tol's (checked apart as a deuteranope sees them)
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#B8A100",
                "#882255", "#661100", "#332288", "#999933"];
const MAX_RUNS = COLORS.length;
const $ = (id) => document.getElementById(id);
// every request names the page's language (the server's messages come back in it)
const api = (path) => path + (path.includes("?") ? "&" : "?") + "lang=" + BOOT.lang;
const postJSON = (path, body) => fetch(api(path), { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify(body) });
function say(key, values = {}) { return (T[key] || key).replace(/\{(\w+)\}/g, (_, k) => values[k]); }
function setStatus(key, values) {  // the run's state, shown until the next one
  const el = $("status");
  el.dataset.state = key || ""; el.textContent = key ? say("state." + key, values) : "";
}

const state = {
  bowl: null,        // the server's /api/bowl answer: data, exact line, advice, landscape
  landscape: null,   // the contour grid being drawn
  runs: [],          // overlaid runs: {color, label, e, loss, w, b, slope, icpt, shown, total, done, ...}
  start: null,       // [W, B] clicked on the contours (scaled units), or null: zeros
  points: null,      // the learner's edited points [[x, y], ...], or null: the data set's own
  lineSpan: null,    // the line plot's [x0, x1, y0, y1], kept while a point is dragged
  upload: null,      // {token, name, columns}
  job: null,         // the running job's id
  sweep: null,
};

// ---------------------------------------------------------------- formatting, texts
function fmt(v, digits = 4) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}
function applyTexts() {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = T[el.dataset.t] || el.dataset.t; });
  $("title").textContent = T.title;
  $("subtitle").textContent = T.subtitle;
  const other = BOOT.lang === "ko" ? "en" : "ko";
  $("lang-switch").textContent = T["lang.switch"];
  $("lang-switch").href = "?lang=" + other;
}

// ---------------------------------------------------------------- canvas helpers
function setupCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "12px NanumGothic, sans-serif";
  return { ctx, w, h };
}
// a linear or log axis: value -> pixel, with "nice" ticks
function axis(lo, hi, p0, p1, log = false) {
  const f = log ? Math.log10 : (v) => v;
  const a = f(lo), b = f(hi);
  const map = (v) => p0 + (f(v) - a) / ((b - a) || 1) * (p1 - p0);
  const inv = (p) => { const t = a + (p - p0) / ((p1 - p0) || 1) * (b - a); return log ? 10 ** t : t; };
  let ticks = [];
  if (log) {
    for (let k = Math.floor(a); k <= Math.ceil(b); k++) if (k >= a - 1e-9 && k <= b + 1e-9) ticks.push(10 ** k);
    const every = Math.ceil(ticks.length / 7);
    ticks = ticks.filter((_, i) => i % every === 0);
  } else {
    const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
    const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 7) || step * 10;
    for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-12; t += nice) ticks.push(Math.abs(t) < nice * 1e-9 ? 0 : t);
  }
  return { map, inv, ticks, lo, hi };
}
function frame(ctx, box, xa, ya, xlabel, ylabel, log = false) {
  ctx.strokeStyle = "#8895a3"; ctx.lineWidth = 1;
  ctx.strokeRect(box.l, box.t, box.r - box.l, box.b - box.t);
  ctx.fillStyle = "#4b5b6c"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  xa.ticks.forEach((t) => { const x = xa.map(t); ctx.fillText(fmt(t, 3), x, box.b + 3);
    ctx.beginPath(); ctx.moveTo(x, box.b); ctx.lineTo(x, box.b + 3); ctx.stroke(); });
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  ya.ticks.forEach((t) => { const y = ya.map(t); ctx.fillText(log ? "1e" + Math.round(Math.log10(t)) : fmt(t, 3), box.l - 4, y);
    ctx.beginPath(); ctx.moveTo(box.l - 3, y); ctx.lineTo(box.l, y); ctx.stroke(); });
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(xlabel, (box.l + box.r) / 2, box.b + 32);
  ctx.save(); ctx.translate(12, (box.t + box.b) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "top"; ctx.fillText(ylabel, 0, -8); ctx.restore();
}
function clip(ctx, box) { ctx.save(); ctx.beginPath(); ctx.rect(box.l, box.t, box.r - box.l, box.b - box.t); ctx.clip(); }

// ---------------------------------------------------------------- the line over the data
function drawLine() {
  const { ctx, w, h } = setupCanvas($("line-canvas"));
  const bowl = state.bowl;
  if (!bowl) return;
  const d = bowl.data;
  if (!d.x) { drawPredicted(ctx, w, h); return; }
  const box = { l: 58, r: w - 10, t: 10, b: h - 40 };
  const pts = shownPoints();
  const span = (v) => { const lo = Math.min(...v), hi = Math.max(...v), m = (hi - lo) * 0.12 || 1; return [lo - m, hi + m]; };
  if (!(editor && editor.dragging() && state.lineSpan)) {  // the axes stay put under a dragged point
    state.lineSpan = [...span(pts.map((p) => p[0])), ...span(pts.map((p) => p[1]))];
  }
  const [x0, x1, y0, y1] = state.lineSpan;
  const xa = axis(x0, x1, box.l, box.r), ya = axis(y0, y1, box.b, box.t);
  $("line-canvas")._axes = { xa, ya, box };
  frame(ctx, box, xa, ya, d.features[0], d.target);
  clip(ctx, box);
  const line = (slope, icpt, color, dash, width) => {
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(xa.map(x0), ya.map(icpt + slope * x0)); ctx.lineTo(xa.map(x1), ya.map(icpt + slope * x1));
    ctx.stroke(); ctx.setLineDash([]);
  };
  residualSquares(ctx, pts, xa, ya, box);
  line(bowl.exact.coef[0], bowl.exact.intercept, "#222", [6, 4], 1.5);
  visible().forEach((run) => {
    const k = run.shown - 1;
    if (k >= 0 && run.slope.length > k && Number.isFinite(run.slope[k])) line(run.slope[k], run.icpt[k], run.color, [], 2.2);
  });
  ctx.fillStyle = "#1d2733";
  pts.forEach(([x, y]) => { ctx.beginPath(); ctx.arc(xa.map(x), ya.map(y), 3.5, 0, 2 * Math.PI); ctx.fill(); });
  const k = editor ? editor.chosen() : -1;
  if (k >= 0 && k < pts.length) {
    ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(xa.map(pts[k][0]), ya.map(pts[k][1]), 8, 0, 2 * Math.PI); ctx.stroke();
  }
  ctx.restore();
}
// each point's squared residual from the exact line, drawn as a square (few points only: many would hide the data)
const SQUARES_UP_TO = 60;
function residualSquares(ctx, pts, xa, ya, box) {
  if (pts.length > SQUARES_UP_TO) return;
  const slope = state.bowl.exact.coef[0], icpt = state.bowl.exact.intercept;
  ctx.fillStyle = "rgba(213, 94, 0, 0.10)"; ctx.strokeStyle = "rgba(213, 94, 0, 0.55)"; ctx.lineWidth = 1;
  pts.forEach(([x, y]) => {
    const px = xa.map(x), py = ya.map(y), side = Math.abs(ya.map(icpt + slope * x) - py);
    const left = px + side > box.r ? px - side : px;  // to the right of the point, unless it would leave the plot
    const top = Math.min(py, ya.map(icpt + slope * x));
    ctx.fillRect(left, top, side, side); ctx.strokeRect(left, top, side, side);
  });
}
// the points drawn: the learner's, else the data set's
function shownPoints() {
  if (state.points) return state.points;
  const d = state.bowl.data;
  return d.x.map((x, i) => [x, d.y[i]]);
}

// several features: actual against predicted once a run is done (the diagonal is a perfect fit)
function drawPredicted(ctx, w, h) {
  const last = state.runs.filter((r) => r.end && r.end.predicted && r.shown >= r.e.length).at(-1);
  if (!last) { ctx.fillStyle = "#4b5b6c"; ctx.fillText(T.multi, 20, 30); return; }
  const p = last.end.predicted;
  const box = { l: 58, r: w - 10, t: 10, b: h - 40 };
  const all = [...p.actual, ...p.predicted];
  const lo = Math.min(...all), hi = Math.max(...all), m = (hi - lo) * 0.05 || 1;
  const xa = axis(lo - m, hi + m, box.l, box.r), ya = axis(lo - m, hi + m, box.b, box.t);
  frame(ctx, box, xa, ya, state.bowl.data.target + " (" + T.actual + ")", T.predicted);
  clip(ctx, box);
  ctx.strokeStyle = "#222"; ctx.setLineDash([6, 4]); ctx.beginPath();
  ctx.moveTo(xa.map(lo - m), ya.map(lo - m)); ctx.lineTo(xa.map(hi + m), ya.map(hi + m)); ctx.stroke(); ctx.setLineDash([]);
  ctx.fillStyle = last.color;
  p.actual.forEach((a, i) => { ctx.beginPath(); ctx.arc(xa.map(a), ya.map(p.predicted[i]), 2.5, 0, 2 * Math.PI); ctx.fill(); });
  ctx.restore();
}

// ---------------------------------------------------------------- contours and paths
function contourSegments(grid, n, level) {
  // marching squares over the n x n grid (row j: B, column i: W); segments in grid coordinates
  const segs = [];
  const v = (i, j) => grid[j * n + i];
  const lerp = (a, b) => (level - a) / (b - a);
  for (let j = 0; j < n - 1; j++) {
    for (let i = 0; i < n - 1; i++) {
      const a = v(i, j), b = v(i + 1, j), c = v(i + 1, j + 1), e = v(i, j + 1);
      const pts = [];
      if ((a < level) !== (b < level)) pts.push([i + lerp(a, b), j]);
      if ((b < level) !== (c < level)) pts.push([i + 1, j + lerp(b, c)]);
      if ((e < level) !== (c < level)) pts.push([i + lerp(e, c), j + 1]);
      if ((a < level) !== (e < level)) pts.push([i, j + lerp(a, e)]);
      if (pts.length === 2) segs.push(pts);
      else if (pts.length === 4) { segs.push([pts[0], pts[1]]); segs.push([pts[2], pts[3]]); }
    }
  }
  return segs;
}
function contourBox(w, h) { return { l: 58, r: w - 10, t: 10, b: h - 40 }; }
function drawContour() {
  const canvas = $("contour-canvas");
  const { ctx, w, h } = setupCanvas(canvas);
  const L = state.landscape;
  if (!L) { if (state.bowl && !state.bowl.data.x) { ctx.fillStyle = "#4b5b6c"; ctx.fillText(T.multi, 20, 30); } return; }
  const box = contourBox(w, h);
  const xa = axis(L.w[0], L.w[1], box.l, box.r), ya = axis(L.b[0], L.b[1], box.b, box.t);
  // the bowl (shading, contours, axes, minimum) is drawn once per landscape and size, then copied
  const key = [L.w, L.b, w, h, window.devicePixelRatio, state.bowl.scaling].join();
  if (canvas._bowlKey !== key) {
    canvas._bowl = drawBowl(L, box, xa, ya, w, h);
    canvas._bowlKey = key;
  }
  ctx.drawImage(canvas._bowl, 0, 0, w, h);
  clip(ctx, box);
  drawPaths(ctx, xa, ya);  // restores the clip
  canvas._axes = { xa, ya, box };
}
function drawBowl(L, box, xa, ya, w, h) {
  const ratio = window.devicePixelRatio || 1;
  const layer = document.createElement("canvas");
  layer.width = Math.round(w * ratio); layer.height = Math.round(h * ratio);
  const ctx = layer.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.font = "12px NanumGothic, sans-serif";
  const n = L.n;
  // shading: log of the loss above the minimum, light far out, darker near the minimum
  const img = ctx.createImageData(n, n);
  const lo = Math.log10(L.levels[0] || 1e-12), hi = Math.log10(L.levels[L.levels.length - 1] || 1);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const g = L.gap[j * n + i];
    const t = Math.min(1, Math.max(0, (Math.log10(Math.max(g, 1e-300)) - lo) / ((hi - lo) || 1)));
    const p = ((n - 1 - j) * n + i) * 4;  // row 0 of the image is the top: the largest B
    img.data[p] = 235 - 60 * (1 - t); img.data[p + 1] = 240 - 50 * (1 - t); img.data[p + 2] = 246 - 20 * (1 - t);
    img.data[p + 3] = 255;
  }
  const off = document.createElement("canvas"); off.width = n; off.height = n;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, box.l, box.t, box.r - box.l, box.b - box.t);
  const unit = { none: "", center: T["scale.center"], standardize: T["scale.standardize"] }[state.bowl.scaling] || "";
  frame(ctx, box, xa, ya, "W " + (unit ? "— " + unit : ""), "B " + (unit ? "— " + unit : ""));
  clip(ctx, box);
  const gx = (i) => box.l + i / (n - 1) * (box.r - box.l), gy = (j) => box.b - j / (n - 1) * (box.b - box.t);
  ctx.strokeStyle = "#5a6b80"; ctx.lineWidth = 0.7;
  L.levels.forEach((level) => {
    ctx.beginPath();
    contourSegments(L.gap, n, level).forEach(([p, q]) => { ctx.moveTo(gx(p[0]), gy(p[1])); ctx.lineTo(gx(q[0]), gy(q[1])); });
    ctx.stroke();
  });
  star(ctx, xa.map(L.minimum[0]), ya.map(L.minimum[1]));
  ctx.restore();
  return layer;
}
function visible() { return state.runs.filter((r) => !r.hidden); }
function drawPaths(ctx, xa, ya) {
  visible().forEach((run) => {
    const k = Math.min(run.shown, run.w.length);
    if (!k) return;
    ctx.strokeStyle = run.color; ctx.fillStyle = run.color; ctx.lineWidth = 1.8;
    ctx.beginPath();
    for (let i = 0; i < k; i++) {
      const x = xa.map(run.w[i]), y = ya.map(run.b[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) break;
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    }
    ctx.stroke();
    ctx.beginPath(); ctx.arc(xa.map(run.w[0]), ya.map(run.b[0]), 4, 0, 2 * Math.PI); ctx.stroke();
    ctx.beginPath(); ctx.arc(xa.map(run.w[k - 1]), ya.map(run.b[k - 1]), 3.5, 0, 2 * Math.PI); ctx.fill();
  });
  if (state.start) {
    ctx.strokeStyle = "#d62728"; ctx.beginPath(); ctx.arc(xa.map(state.start[0]), ya.map(state.start[1]), 5, 0, 2 * Math.PI); ctx.stroke();
  }
  ctx.restore();
}
function star(ctx, x, y) {
  ctx.fillStyle = "gold"; ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? 3.5 : 8, a = -Math.PI / 2 + k * Math.PI / 5;
    k ? ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a)) : ctx.moveTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath(); ctx.fill(); ctx.stroke();
}

// ---------------------------------------------------------------- the loss curve
function drawLoss() {
  const { ctx, w, h } = setupCanvas($("loss-canvas"));
  const runs = visible().filter((r) => r.shown > 0);
  const box = { l: 58, r: w - 10, t: 10, b: h - 40 };
  const star = state.bowl ? state.bowl.exact.loss : null;
  let maxE = 1, lo = Infinity, hi = -Infinity;
  runs.forEach((r) => {
    maxE = Math.max(maxE, r.total);
    for (let i = 0; i < r.shown; i++) {
      const v = r.loss[i];
      if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const g = v - star;
      if (star !== null && Number.isFinite(g) && g > 0) lo = Math.min(lo, g);
    }
  });
  if (!Number.isFinite(lo)) { lo = 1e-3; hi = 1; }
  lo = Math.max(lo, hi * 1e-16);
  const xa = axis(0, maxE, box.l, box.r), ya = axis(10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi)), box.b, box.t, true);
  frame(ctx, box, xa, ya, T.epoch, T.loss + " (log)", true);
  clip(ctx, box);
  if (star !== null && star > 0) {
    ctx.strokeStyle = "#222"; ctx.setLineDash([6, 4]); ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(box.l, ya.map(star)); ctx.lineTo(box.r, ya.map(star)); ctx.stroke(); ctx.setLineDash([]);
  }
  runs.forEach((r) => {
    const curve = (values, dash, width) => {
      ctx.strokeStyle = r.color; ctx.lineWidth = width; ctx.setLineDash(dash); ctx.beginPath();
      let open = false;
      for (let i = 0; i < r.shown; i++) {
        const v = values(i);
        if (!(Number.isFinite(v) && v > 0)) { open = false; continue; }
        const x = xa.map(r.e[i]), y = ya.map(v);
        open ? ctx.lineTo(x, y) : ctx.moveTo(x, y); open = true;
      }
      ctx.stroke(); ctx.setLineDash([]);
    };
    curve((i) => r.loss[i], [], 2);
    if (star !== null) curve((i) => r.loss[i] - star, [2, 3], 1.2);  // the gap to the optimum
  });
  ctx.restore();
}
function drawLegend() {
  // the runs list: each run's colour and settings, its state, a box to hide it, a button to delete it;
  // rebuilt only when something in it changed (drawAll runs every animation frame)
  const sig = JSON.stringify(state.runs.map((r) => [r.color, r.label, r.status, !!r.hidden, r.done, r.job, r.end && r.end.type]));
  if ($("legend")._sig === sig) return;
  $("legend")._sig = sig;
  const items = state.runs.map((r) => {
    const li = document.createElement("li");
    li.style.setProperty("--run", r.color); li.dataset.color = r.color;
    const show = document.createElement("input"); show.type = "checkbox"; show.checked = !r.hidden; show.title = T["run.hide"];
    show.addEventListener("change", () => { r.hidden = !show.checked; drawAll(); });
    const name = document.createElement("span"); name.className = "swatch-label";
    name.textContent = r.label + (r.status ? " (" + r.status + ")" : "");
    li.append(show, name);
    if (r.job && r.end && r.end.type === "done") {  // every finished run keeps its downloads
      [["model.json", "JSON"], ["report.html?lang=" + BOOT.lang, "HTML"]].forEach(([path, text]) => {
        const a = document.createElement("a");
        a.href = "/api/runs/" + r.job + "/" + path; a.textContent = text; a.download = "";
        li.appendChild(a);
      });
    }
    const del = document.createElement("button"); del.type = "button"; del.className = "delete"; del.textContent = "×";
    del.title = T["run.delete"]; del.setAttribute("aria-label", T["run.delete"]);
    del.disabled = !r.done;
    del.addEventListener("click", () => { state.runs = state.runs.filter((x) => x !== r); drawAll(); });
    li.appendChild(del);
    return li;
  });
  const key = document.createElement("li"); key.className = "key";
  key.textContent = "- - " + T.exact + " · ··· loss − loss*";
  $("legend").replaceChildren(...items, key);
}
function drawAll() { drawLine(); drawContour(); drawLoss(); drawLegend(); }

// ---------------------------------------------------------------- the advisor's numbers
function showAdvice() {
  const b = state.bowl;
  if (!b) return;
  const a = b.advice;
  const rows = [
    [T["advice.eig"], a.eigenvalues.map((v) => fmt(v)).join(", ")],
    [T["advice.cond"], Object.entries(a.condition).map(([k, v]) => k + " " + fmt(v, 3)).join(", ")],
    [T["advice.bound"], "lr < " + fmt(a.lr_bound) + " (2/λmax)"],
    [T["advice.best"], "lr = " + fmt(a.best_lr) + " (×" + fmt(a.best_rate) + "/epoch)"],
    [T["advice.heavy"], "lr = " + fmt(a.heavy_ball_lr) + ", momentum = " + fmt(a.heavy_ball_momentum) + " (×" + fmt(a.heavy_ball_rate) + "/epoch)"],
    [T["advice.own"], b.bound.lr !== null ? "lr < " + fmt(b.bound.lr) + " (" + b.bound.formula + ")" : T["advice.none"]],
  ];
  const table = document.createElement("table");
  const cap = document.createElement("caption"); cap.textContent = T.advice; cap.style.textAlign = "left"; cap.style.fontWeight = "bold";
  table.appendChild(cap);
  rows.forEach(([k, v]) => { const tr = table.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; });
  $("advice").replaceChildren(table);
  $("advice").dataset.bound = b.bound.lr === null ? "" : String(b.bound.lr);
  const warn = $("warning");
  warn.hidden = !b.warning; warn.textContent = b.warning || "";
}

// ---------------------------------------------------------------- requests
function dataParams() {
  const p = { dataset: $("dataset").value };
  if (p.dataset === "upload" && state.upload) {
    p.upload = state.upload.token; p.y = $("y").value;
    p.x = Array.from($("x").selectedOptions, (o) => o.value);  // one feature column or several
  }
  if (state.points) p.points = state.points;
  return p;
}
// numbers as JSON numbers (the server refuses text for them); an empty box is null (the batch: full batch)
const num = (id) => { const v = $(id).value.trim(); return v === "" ? null : Number(v); };
function runParams() {
  return { ...dataParams(), scale: $("scale").value, optimizer: $("optimizer").value, lr: num("lr"),
           momentum: num("momentum") || 0, epochs: num("epochs"), batch_size: num("batch-size") };
}
function showError(message) {
  const el = $("error");
  el.hidden = !message; el.textContent = message || "";
}
let bowlSerial = 0;
async function loadBowl() {
  const serial = ++bowlSerial;
  const p = runParams();
  const q = new URLSearchParams({ dataset: p.dataset, scale: p.scale, optimizer: p.optimizer, lr: p.lr, momentum: p.momentum });
  if (p.upload) { q.set("upload", p.upload); p.x.forEach((x) => q.append("x", x)); q.set("y", p.y); }
  if (state.start) q.set("start", state.start.join(","));
  if (state.points) q.set("points", pointsText(state.points));
  const res = await fetch(api("/api/bowl?" + q));
  const body = await res.json();
  if (serial !== bowlSerial) return;
  if (!res.ok) { (state.points ? pointsError : showError)(body.error); return; }
  showError(null); pointsError(null);
  state.bowl = body;
  if (!state.runs.some((r) => r.shown)) state.landscape = body.landscape;
  showAdvice(); showPointsBar(); drawAll();
}
let bowlTimer = null;
// clearRuns: the runs drawn belong to other data or another scaling; otherData: the points edited too
function bowlSoon(clearRuns, otherData = clearRuns) {
  if (clearRuns) { state.runs = []; state.start = null; }
  if (otherData) resetPoints(false);
  clearTimeout(bowlTimer); bowlTimer = setTimeout(loadBowl, 120);
}

// ---------------------------------------------------------------- a run, streamed
// lesson: one of the lesson's runs ("loop", "exercise1", "exercise2"): trained by the server as `slopefit lesson` trains it
async function run(lesson) {
  if (state.job) return;
  showError(null);
  $("final-loss").textContent = ""; $("final-loss-full").textContent = ""; $("summary").textContent = "";
  $("downloads").hidden = true;
  document.body.dataset.state = "running";
  setStatus("waiting");
  saveUrl();
  $("run").disabled = true; $("cancel").disabled = false;
  const params = runParams();
  if (typeof lesson === "string") params.lesson = lesson;
  else if (state.start) params.start = state.start;
  if (state.runs.length >= MAX_RUNS) state.runs.shift();  // the oldest run makes room: its colour is free again
  const used = new Set(state.runs.map((r) => r.color));
  const color = COLORS.find((c) => !used.has(c)) || COLORS[0];
  const entry = { color, label: "", e: [], loss: [], w: [], b: [], slope: [], icpt: [], shown: 0, total: Number(params.epochs),
                  done: false, end: null, status: "", t0: performance.now(), pressed: performance.now() };
  state.runs.push(entry);
  state.start = null;
  animate(entry);
  try {
    const res = await postJSON("/api/train", params);
    if (!res.ok) { const body = await res.json(); entry.end = { type: "error", message: body.error }; entry.done = true; return; }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) { handle(entry, JSON.parse(buffer.slice(0, nl))); buffer = buffer.slice(nl + 1); }
    }
  } catch (err) {
    entry.end = { type: "error", message: "slopefit: the connection to the server was lost (" + err + ")" };
  } finally {
    entry.done = true; state.job = null;
    if (!entry.end) entry.end = { type: "error", message: "slopefit: the run ended without a result" };
  }
}
function handle(entry, ev) {
  if (ev.type === "job") { state.job = ev.id; entry.job = ev.id; }
  else if (ev.type === "queued") { setStatus("queued", { place: ev.place, waiting: ev.waiting }); entry.status = $("status").textContent; drawLegend(); }
  else if (ev.type === "running") { setStatus("running"); entry.status = ""; }
  else if (ev.type === "start") {
    entry.label = ev.config + ", " + ev.scaling; entry.total = ev.epochs; entry.t0 = performance.now();
    state.bowl = ev; state.landscape = ev.landscape; showAdvice();
  } else if (ev.type === "epoch") {
    entry.e.push(ev.e); entry.loss.push(ev.loss);
    if (ev.w !== undefined) { entry.w.push(ev.w); entry.b.push(ev.b); entry.slope.push(ev.slope); entry.icpt.push(ev.intercept); }
  } else if (ev.type === "done" || ev.type === "error") { entry.end = ev; }
}
// draws the epochs as they arrive, paced so that a whole run takes about ANIMATION_MS to draw
const ANIMATION_MS = 1200;
function animate(entry) {
  const tick = () => {
    const due = Math.ceil((entry.total + 1) * (performance.now() - entry.t0) / ANIMATION_MS);
    entry.shown = Math.min(entry.e.length, Math.max(entry.shown + 1, due));
    drawAll();
    if (entry.done && entry.shown >= entry.e.length) { finish(entry); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
function finish(entry) {
  const ev = entry.end || {};
  $("run").disabled = false; $("cancel").disabled = true;
  if (ev.type === "done") {
    if (ev.landscape) state.landscape = ev.landscape;
    $("final-loss").textContent = ev.final_loss_lesson;
    $("final-loss").dataset.value = String(ev.final_loss);
    $("final-loss-full").textContent = ev.lesson && ev.lesson !== "exercise2"
      ? "(slopefit lesson: epoch = 200 loss = " + ev.final_loss_lesson + "; slopefit fit: final loss " + ev.final_loss_cli + ")"
      : "(slopefit fit: final loss " + ev.final_loss_cli + ")";
    const line = ev.coef.length === 1 ? "W = " + fmt(ev.coef[0], 7) + ", b = " + fmt(ev.intercept, 7) : "";
    $("summary").textContent = T["result.epochs"] + " " + ev.epochs_run + " · " + T["result.gap"] + " " + fmt(ev.loss_gap, 3) +
      " · " + T["result.rel"] + " " + fmt(ev.relative_gap, 3) + " · " + (ev.converged ? T["result.converged"] : T["result.notconverged"]) +
      (line ? " · " + line : "");
    entry.status = ev.converged ? T["result.converged"] : "";
    setStatus("done");
    if (entry.job) {
      $("download-model").href = "/api/runs/" + entry.job + "/model.json";
      $("download-report").href = "/api/runs/" + entry.job + "/report.html?lang=" + BOOT.lang;
      $("downloads").hidden = false;
    }
  } else {
    if (ev.kind === "diverged") { entry.status = T["sweep.diverged"]; if (ev.landscape) state.landscape = ev.landscape; }
    else if (ev.kind === "cancelled") entry.status = T["state.cancelled"];
    else entry.status = T["state.failed"];
    setStatus(ev.kind === "cancelled" ? "cancelled" : "failed");
    showError(ev.message);  // a cancelled run says why too (the Stop button, its time limit)
    if (!entry.e.length) state.runs = state.runs.filter((r) => r !== entry);
  }
  entry.drawnAt = performance.now();
  document.body.dataset.lastRunMs = String(Math.round(entry.drawnAt - entry.pressed));
  drawAll();
  $("result").scrollIntoView({ block: "nearest" });  // the newest result in view
  document.body.dataset.state = ev.type === "done" ? "done" : "error";
}
async function cancel() {
  if (state.job) await postJSON("/api/cancel/" + state.job, {});
}

// ---------------------------------------------------------------- uploads
async function upload(file) {
  // a rejected file leaves the data, their name and the runs as they were; its error shows beside the button
  uploadError(null);
  const res = await fetch(api("/api/upload?name=" + encodeURIComponent(file.name)),
                          { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
  const body = await res.json();
  $("upload").value = "";
  if (!res.ok || body.error) { uploadError((body.error || "") + " " + T["upload.kept"]); document.body.dataset.state = "error"; return; }
  showError(null);
  useUpload(body);
  state.runs = []; state.start = null; resetPoints(false);
  document.body.dataset.state = "ready";
  saveUrl();
  loadBowl();
}
function useUpload(body, x, y) {
  state.upload = body;
  $("upload-name").textContent = body.name;
  let opt = $("dataset").querySelector("option[value=upload]");
  if (!opt) { opt = document.createElement("option"); opt.value = "upload"; $("dataset").appendChild(opt); }
  opt.textContent = T.uploaded + ": " + body.name;
  $("dataset").value = "upload";
  ["x", "y"].forEach((id) => {
    $(id).replaceChildren(...body.columns.map((c) => { const o = document.createElement("option"); o.value = o.textContent = c; return o; }));
  });
  const xs = x || body.x;
  Array.from($("x").options).forEach((o) => { o.selected = xs.includes(o.value); }); $("y").value = y || body.y;
  $("columns").hidden = false;
}
function uploadError(message) { const el = $("upload-error"); el.hidden = !message; el.textContent = message || ""; }

// ---------------------------------------------------------------- the page's state in its URL
// dataset, columns, settings (and an upload's token while the server keeps it): a copied link opens the same page
const URL_KEYS = ["dataset", "scale", "optimizer", "lr", "momentum", "epochs", "batch-size"];
function saveUrl() {
  const q = new URLSearchParams({ lang: BOOT.lang });
  URL_KEYS.forEach((id) => { if ($(id).value !== "") q.set(id, $(id).value); });
  if ($("dataset").value === "upload" && state.upload) {
    q.set("upload", state.upload.token); q.set("name", state.upload.name); q.set("columns", JSON.stringify(state.upload.columns));
    Array.from($("x").selectedOptions, (o) => q.append("x", o.value)); q.set("y", $("y").value);
  }
  if (state.points) q.set("points", pointsText(state.points));
  const token = new URLSearchParams(location.search).get("token");
  if (token) q.set("token", token);
  history.replaceState(null, "", "?" + q);
  q.set("lang", BOOT.lang === "ko" ? "en" : "ko");
  $("lang-switch").href = "?" + q;
}
function loadUrl() {
  const q = new URLSearchParams(location.search);
  if (q.get("dataset") === "upload" && q.get("upload")) {
    try {
      useUpload({ token: q.get("upload"), name: q.get("name") || "upload.csv", columns: JSON.parse(q.get("columns") || "[]"),
                  x: q.getAll("x"), y: q.get("y") }, q.getAll("x"), q.get("y"));
    } catch (err) { /* a damaged link: the defaults */ }
  }
  URL_KEYS.forEach((id) => {
    const v = q.get(id);
    if (v === null || (id === "dataset" && v === "upload" && !state.upload)) return;
    if ($(id).tagName === "SELECT" && !Array.from($(id).options).some((o) => o.value === v)) return;
    $(id).value = v;
  });
  if (Number($("lr").value) > 0) $("lr-slider").value = Math.log10(Number($("lr").value));
  state.points = pointsFrom(q.get("points"));  // checked by the server like any other value
}

// ---------------------------------------------------------------- the lesson's text: its tables as tables
// a block of text_table lines (header, a rule of dashes, rows; columns two spaces apart) becomes a <table>
function lessonBlocks(section) {
  const out = [], lines = [section.title, ...section.lines];
  let text = [];
  const flush = () => { if (text.length) { const p = document.createElement("pre"); p.textContent = text.join("\n"); out.push(p); text = []; } };
  for (let i = 0; i < lines.length; i++) {
    if (i + 1 < lines.length && /^-+( {2}-+)+$/.test(lines[i + 1].trim())) {
      flush();
      const table = document.createElement("table"); table.className = "text-table";
      const cells = (line) => line.trim().split(/ {2,}/);
      const head = table.createTHead().insertRow();
      cells(lines[i]).forEach((c) => { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); });
      const body = table.createTBody();
      for (i += 2; i < lines.length && lines[i].trim() && / {2}/.test(lines[i].trim()); i++) {
        const tr = body.insertRow(); cells(lines[i]).forEach((c) => { tr.insertCell().textContent = c; });
      }
      i--;
      const wrap = document.createElement("div"); wrap.className = "scroll"; wrap.appendChild(table); out.push(wrap);
    } else text.push(lines[i]);
  }
  flush();
  return out;
}

// ---------------------------------------------------------------- the sweep
async function runSweep() {
  $("sweep-note").textContent = T.busy;
  const res = await postJSON("/api/sweep", { ...dataParams(), scale: $("scale").value,
    epochs: Math.min(Math.round(num("epochs")) || 200, BOOT.limits.sweep_epochs),
    lr_min: 1e-4, lr_max: 1, lr_count: 17, momenta: [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95] });
  const body = await res.json();
  if (!res.ok) { $("sweep-note").textContent = ""; showError(body.error); return; }
  state.sweep = body;
  $("sweep-canvas").hidden = false;
  $("sweep-note").textContent = T["sweep.color"] + " · " + T["sweep.boundary"] + " (λmax = " + fmt(body.lambda_max) + ") · " +
    body.lrs.length * body.momenta.length + " runs × " + body.epochs + " epochs, " + fmt(body.seconds, 2) + " s";
  drawSweep();
}
function sweepBox(w, h) { return { l: 58, r: w - 70, t: 10, b: h - 40 }; }
function color(t) {  // dark blue (small gap) .. yellow (large gap)
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1), k = Math.floor(x), f = x - k;
  return "rgb(" + stops[k].map((c, i) => Math.round(c + f * (stops[k + 1][i] - c))).join(",") + ")";
}
function drawSweep() {
  const S = state.sweep;
  const canvas = $("sweep-canvas");
  const { ctx, w, h } = setupCanvas(canvas);
  if (!S) return;
  const box = sweepBox(w, h);
  const nl = S.lrs.length, nm = S.momenta.length;
  const cw = (box.r - box.l) / nl, ch = (box.b - box.t) / nm;
  const finite = S.log_gap.filter((v, k) => S.diverged[k] < 0 && v !== null);
  const lo = Math.min(...finite, -16), hi = Math.max(...finite, 0);
  for (let m = 0; m < nm; m++) for (let i = 0; i < nl; i++) {
    const k = m * nl + i, x = box.l + i * cw, y = box.b - (m + 1) * ch;
    if (S.diverged[k] >= 0) { ctx.fillStyle = "#eee"; ctx.fillRect(x, y, cw, ch); ctx.fillStyle = "#a40e26"; ctx.textAlign = "center";
      ctx.textBaseline = "middle"; ctx.fillText("×", x + cw / 2, y + ch / 2); continue; }
    ctx.fillStyle = color((S.log_gap[k] - lo) / ((hi - lo) || 1)); ctx.fillRect(x, y, cw + 0.5, ch + 0.5);
  }
  // the bound per momentum row, on the log lr axis
  const a = Math.log10(S.lrs[0]), b = Math.log10(S.lrs[nl - 1]);
  const xOf = (lr) => box.l + ((Math.log10(lr) - a) / ((b - a) || 1) * (nl - 1) + 0.5) * cw;
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2.5; ctx.setLineDash([5, 3]); ctx.beginPath();
  S.bounds.forEach((bound, m) => { if (bound === null) return; const x = xOf(bound); ctx.moveTo(x, box.b - m * ch); ctx.lineTo(x, box.b - (m + 1) * ch); });
  ctx.stroke(); ctx.setLineDash([]);
  ctx.fillStyle = "#4b5b6c"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  S.lrs.forEach((lr, i) => { if (i % 2 === 0) ctx.fillText(fmt(lr, 2), box.l + (i + 0.5) * cw, box.b + 3); });
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  S.momenta.forEach((m, j) => ctx.fillText(String(m), box.l - 4, box.b - (j + 0.5) * ch));
  ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(T.lr + " (log)", (box.l + box.r) / 2, box.b + 32);
  ctx.save(); ctx.translate(12, (box.t + box.b) / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = "top"; ctx.fillText(T.momentum, 0, -8); ctx.restore();
  // colour bar
  for (let k = 0; k < 50; k++) { ctx.fillStyle = color(k / 49); ctx.fillRect(box.r + 12, box.b - (k + 1) * (box.b - box.t) / 50, 14, (box.b - box.t) / 50 + 0.5); }
  ctx.fillStyle = "#4b5b6c"; ctx.textAlign = "left";
  ctx.fillText("1e" + Math.round(hi), box.r + 30, box.t + 6); ctx.fillText("1e" + Math.round(lo), box.r + 30, box.b - 6);
  canvas._cells = { box, cw, ch, nl, nm };
}
function sweepClick(ev) {
  const S = state.sweep, c = $("sweep-canvas")._cells;
  if (!S || !c) return;
  const r = ev.target.getBoundingClientRect();
  const i = Math.floor((ev.clientX - r.left - c.box.l) / c.cw), m = Math.floor((c.box.b - (ev.clientY - r.top)) / c.ch);
  if (i < 0 || i >= c.nl || m < 0 || m >= c.nm) return;
  $("optimizer").value = "sgd"; setLr(S.lrs[i]); $("momentum").value = S.momenta[m]; $("batch-size").value = "";
  $("epochs").value = S.epochs;
  run();
}

// ---------------------------------------------------------------- the lesson
async function loadLesson() {
  const res = await fetch(api("/api/lesson"));
  if (!res.ok) return;
  const L = await res.json();
  $("lesson-text").replaceChildren(...L.sections.flatMap(lessonBlocks));
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  ["", "W", "B", "loss", "W.grad (autograd)", "(2/N)·Σ(Yp−Y)·X", "B.grad (autograd)", "(2/N)·Σ(Yp−Y)", "W ← W − lr·W.grad", "B ← B − lr·B.grad"]
    .forEach((c) => { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); });
  const body = t.createTBody();
  L.steps.forEach((s, k) => {
    const tr = body.insertRow();
    ["#" + (k + 1), fmt(s.W, 6), fmt(s.B, 6), fmt(s.loss, 6), fmt(s.grad_W, 6), fmt(s.formula_W, 6), fmt(s.grad_B, 6),
     fmt(s.formula_B, 6), fmt(s.W_next, 6), fmt(s.B_next, 6)].forEach((v) => { tr.insertCell().textContent = v; });
  });
  const cap = t.createCaption(); cap.textContent = T["lesson.step"] + " (height-weight, center, lr=0.001)"; cap.style.textAlign = "left";
  const scroll = document.createElement("div"); scroll.className = "scroll"; scroll.appendChild(t);
  $("lesson-steps").replaceChildren(scroll);
  const slip = document.createElement("p");
  slip.textContent = T["lesson.slip"] + ": W = " + fmt(L.slip.w, 7) + ", B = " + fmt(L.slip.b, 4) + ", loss = " + L.slip.loss.toFixed(4);
  $("lesson-steps").appendChild(slip);
  const buttons = [["lesson.data", L.views.data, false], ["lesson.center", L.views.center, false],
                   ["lesson.loop", L.runs.loop, true], ["lesson.ex1", L.runs.exercise1, true], ["lesson.ex2", L.runs.exercise2, true]];
  $("lesson-runs").replaceChildren(...buttons.map(([key, settings, train]) => {
    const b = document.createElement("button"); b.type = "button"; b.textContent = T[key];
    b.addEventListener("click", () => { applySettings(settings); if (train) run(settings.lesson); else { state.runs = []; loadBowl(); } });
    return b;
  }));
}
function applySettings(s) {
  if ($("dataset").value !== s.dataset || $("scale").value !== s.scale || state.points) { state.runs = []; state.start = null; }
  resetPoints(false);  // the lesson's data as they are
  $("dataset").value = s.dataset; $("scale").value = s.scale; $("optimizer").value = s.optimizer;
  setLr(s.lr); $("momentum").value = s.momentum; $("epochs").value = s.epochs; $("batch-size").value = s.batch_size;
  $("columns").hidden = true;
}
function setLr(v) { $("lr").value = v; $("lr-slider").value = Math.log10(v); }

// ---------------------------------------------------------------- the learner's points
let editor = null;
// points can be edited on data with one input x and every row drawn, while no run is going
function canEdit() {
  return Boolean(state.bowl && state.bowl.data.x && state.bowl.data.editable && !state.job && state.runs.every((r) => r.done));
}
let pointsBusy = false, pointsAgain = false;
function editPoints(points, done) {
  if (!state.points) state.runs = [];  // the runs drawn were trained on the data set's points
  state.points = points;
  pointsError(null);
  $("points-reset").disabled = false;
  drawLine();
  if (done) saveUrl();
  // the exact line, the squares, the bowl and the bound from the server, one request at a time (the last one wins)
  if (pointsBusy) { pointsAgain = true; return; }
  pointsBusy = true;
  loadBowl().finally(() => { pointsBusy = false; if (pointsAgain) { pointsAgain = false; editPoints(state.points, false); } });
}
function resetPoints(reload) {
  if (editor) editor.forget();
  if (!state.points) return;
  state.points = null; state.runs = [];
  pointsError(null);
  $("points-reset").disabled = true;
  if (reload) { saveUrl(); loadBowl(); }
}
function pointsError(message) { const el = $("points-error"); el.hidden = !message; el.textContent = message || ""; }
function showPointsBar() {
  const d = state.bowl.data;
  $("points-bar").hidden = !d.x;
  $("points-hint").textContent = d.editable ? T["points.hint"] : say("points.fixed", { high: BOOT.limits.points });
  $("points-reset").disabled = !state.points;
}

// ---------------------------------------------------------------- wiring
function init() {
  applyTexts();
  BOOT.datasets.forEach((name) => { const o = document.createElement("option"); o.value = o.textContent = name; $("dataset").appendChild(o); });
  $("dataset").value = "hours-ability";
  $("epochs").max = BOOT.limits.epochs;
  loadUrl();
  $("columns").hidden = $("dataset").value !== "upload";
  URL_KEYS.concat(["x", "y"]).forEach((id) => $(id).addEventListener("change", saveUrl));
  $("lr-slider").addEventListener("change", saveUrl);
  $("lr-slider").addEventListener("input", () => { $("lr").value = Number((10 ** Number($("lr-slider").value)).toPrecision(3)); bowlSoon(false); });
  $("lr").addEventListener("change", () => { const v = Number($("lr").value); if (v > 0) $("lr-slider").value = Math.log10(v); bowlSoon(false); });
  $("dataset").addEventListener("change", () => { $("columns").hidden = $("dataset").value !== "upload"; bowlSoon(true); });
  ["x", "y"].forEach((id) => $(id).addEventListener("change", () => bowlSoon(true)));
  $("scale").addEventListener("change", () => bowlSoon(true, false));
  ["optimizer", "momentum"].forEach((id) => $(id).addEventListener("change", () => bowlSoon(false)));
  $("run").addEventListener("click", run);
  $("cancel").addEventListener("click", cancel);
  $("clear").addEventListener("click", () => { state.runs = []; state.start = null; loadBowl(); });
  $("upload").addEventListener("change", (ev) => { if (ev.target.files.length) upload(ev.target.files[0]); });
  $("sweep-run").addEventListener("click", runSweep);
  $("sweep-canvas").addEventListener("click", sweepClick);
  $("contour-canvas").addEventListener("click", (ev) => {
    const ax = $("contour-canvas")._axes;
    if (!ax || state.job) return;
    const r = ev.target.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    if (px < ax.box.l || px > ax.box.r || py < ax.box.t || py > ax.box.b) return;
    state.start = [ax.xa.inv(px), ax.ya.inv(py)];  // the runs drawn stay; the next one starts here
    loadBowl();
  });
  editor = pointEditor($("line-canvas"), {
    geometry: () => $("line-canvas")._axes || null,
    points: () => (canEdit() ? shownPoints() : null),
    change: editPoints,
    full: () => pointsError(say("points.full", { high: BOOT.limits.points })),
    redraw: drawLine,
  });
  $("line-canvas").setAttribute("aria-label", T["fit.line"] + ". " + T["points.keys"]);
  $("points-reset").addEventListener("click", () => { resetPoints(true); });
  // the keys show while the plot has the keyboard's focus
  $("line-canvas").addEventListener("focus", () => { if (canEdit()) $("points-hint").textContent = T["points.keys"]; });
  $("line-canvas").addEventListener("blur", () => { if (state.bowl) showPointsBar(); });
  window.addEventListener("resize", () => { drawAll(); drawSweep(); });
  // canvases draw text once the font is there (a font that fails to load leaves the fallback)
  document.fonts.load("12px NanumGothic").catch(() => null).then(async () => {
    await loadBowl();
    saveUrl();
    document.body.dataset.state = "ready";
    loadLesson();
  });
}
init();
