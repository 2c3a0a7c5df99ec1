// Editing the data's points on the line plot: drag a point, click (tap) empty space to add one,
// double-click (double-tap) a point to delete it. With the keyboard, once the plot has focus:
// [ and ] choose a point, the arrow keys move it (Shift: ten times further), Delete removes it,
// + adds one in the middle. This file only turns gestures into new lists of points; the page owns
// them, draws them, and asks the server for the exact line, the bowl and the bound they give.
"use strict";

const TAP_MS = 450;  // two presses on the same point within this: a double-click (or double-tap) deletes it
const MOVED_PX = 4;  // a press that moves less than this is a click, not a drag

// canvas: the line plot; hooks: {
//   geometry() -> {xa, ya, box} of its last drawing, or null
//   points()   -> the points drawn, [[x, y], ...], or null when they cannot be edited now
//   change(points, done) -> a new list of points (done: the gesture ended, e.g. the pointer was released)
//   full()     -> called instead of adding past the page's limit
//   redraw()   -> draw the plot again (the chosen point's ring) }
function pointEditor(canvas, hooks) {
  let drag = null;      // {k: the point dragged (-1: a press on empty space), id, start, moved}
  let lastTap = null;   // {k, t}: the last click on a point, for a double-click
  let chosen = -1;      // the keyboard's point
  const limit = () => BOOT.limits.points;

  const position = (ev) => { const r = canvas.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; };
  const inside = (g, p) => p[0] >= g.box.l && p[0] <= g.box.r && p[1] >= g.box.t && p[1] <= g.box.b;
  const clamp = (g, p) => [Math.min(g.box.r, Math.max(g.box.l, p[0])), Math.min(g.box.b, Math.max(g.box.t, p[1]))];
  // a value read off an axis, rounded to a thousandth of its span: short numbers in a shared link
  const rounded = (v, axis) => {
    const step = 10 ** (Math.floor(Math.log10(Math.abs(axis.hi - axis.lo) || 1)) - 3);
    return Number((Math.round(v / step) * step).toPrecision(12));
  };
  const valueAt = (g, p) => [rounded(g.xa.inv(p[0]), g.xa), rounded(g.ya.inv(p[1]), g.ya)];
  function nearest(g, pts, p, radius) {
    let best = -1, distance = radius;
    pts.forEach(([x, y], k) => {
      const d = Math.hypot(g.xa.map(x) - p[0], g.ya.map(y) - p[1]);
      if (d <= distance) { best = k; distance = d; }
    });
    return best;
  }
  const radius = (ev) => (ev.pointerType === "touch" ? 22 : 10);
  function remove(pts, k) {
    if (pts.length <= 1) return;  // one point stays to drag; the server says why one is not enough
    chosen = Math.min(k, pts.length - 2);
    hooks.change(pts.filter((_, i) => i !== k), true);
  }
  function add(pts, point) {
    if (pts.length >= limit()) { hooks.full(); return; }
    chosen = pts.length;
    hooks.change([...pts, point], true);
  }

  canvas.addEventListener("pointerdown", (ev) => {
    const g = hooks.geometry(), pts = hooks.points(), p = position(ev);
    if (!g || !pts || ev.button > 0 || !inside(g, p)) return;
    const k = nearest(g, pts, p, radius(ev));
    if (k >= 0 && lastTap && lastTap.k === k && ev.timeStamp - lastTap.t < TAP_MS) {
      lastTap = null; drag = null; ev.preventDefault();
      remove(pts, k);
      return;
    }
    drag = { k, id: ev.pointerId, start: p, moved: false };
    if (k >= 0) { chosen = k; canvas.setPointerCapture(ev.pointerId); ev.preventDefault(); }
  });
  canvas.addEventListener("pointermove", (ev) => {
    const g = hooks.geometry(), pts = hooks.points();
    if (!drag) {  // the cursor says what a press would do
      const p = position(ev);
      canvas.style.cursor = !g || !pts || !inside(g, p) ? "default" : nearest(g, pts, p, radius(ev)) >= 0 ? "grab" : "copy";
      return;
    }
    if (ev.pointerId !== drag.id || !g || !pts) return;
    const p = position(ev);
    if (Math.hypot(p[0] - drag.start[0], p[1] - drag.start[1]) > MOVED_PX) drag.moved = true;
    if (drag.k < 0 || !drag.moved) return;
    const next = pts.slice();
    next[drag.k] = valueAt(g, clamp(g, p));
    canvas.style.cursor = "grabbing";
    hooks.change(next, false);
  });
  const release = (ev, cancelled) => {
    if (!drag || ev.pointerId !== drag.id) return;
    const { k, moved } = drag, g = hooks.geometry(), pts = hooks.points();
    drag = null;
    if (!g || !pts) return;
    if (k >= 0 && moved) hooks.change(pts, true);
    else if (k >= 0) lastTap = { k, t: ev.timeStamp };
    else if (!moved && !cancelled) { lastTap = null; add(pts, valueAt(g, position(ev))); }
  };
  canvas.addEventListener("pointerup", (ev) => release(ev, false));
  canvas.addEventListener("pointercancel", (ev) => release(ev, true));  // e.g. the finger scrolled the page
  // a finger on a point drags the point, not the page; elsewhere the page scrolls as usual
  canvas.addEventListener("touchstart", (ev) => {
    const g = hooks.geometry(), pts = hooks.points(), touch = ev.touches[0];
    if (!g || !pts || ev.touches.length !== 1) return;
    if (nearest(g, pts, position(touch), 22) >= 0) ev.preventDefault();
  }, { passive: false });

  canvas.addEventListener("keydown", (ev) => {
    const g = hooks.geometry(), pts = hooks.points();
    if (!g || !pts || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const step = (axis) => (axis.hi - axis.lo) / (ev.shiftKey ? 10 : 100);
    const move = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[ev.key];
    if (ev.key === "[" || ev.key === "]") {
      chosen = ((chosen < 0 ? 0 : chosen + (ev.key === "]" ? 1 : -1)) + pts.length) % pts.length;
      hooks.redraw();
    } else if (move) {
      if (chosen < 0 || chosen >= pts.length) chosen = 0;
      const [x, y] = pts[chosen], next = pts.slice();
      next[chosen] = [rounded(x + move[0] * step(g.xa), g.xa), rounded(y + move[1] * step(g.ya), g.ya)];
      hooks.change(next, true);
    } else if ((ev.key === "Delete" || ev.key === "Backspace") && chosen >= 0 && chosen < pts.length) {
      remove(pts, chosen);
    } else if (ev.key === "+" || ev.key === "Insert") {
      add(pts, valueAt(g, [(g.box.l + g.box.r) / 2, (g.box.t + g.box.b) / 2]));
    } else return;
    ev.preventDefault();  // the arrows move the point, not the page
  });
  canvas.addEventListener("focus", () => hooks.redraw());
  canvas.addEventListener("blur", () => hooks.redraw());

  return {
    dragging: () => drag !== null && drag.k >= 0 && drag.moved,
    chosen: () => (document.activeElement === canvas ? chosen : -1),
    forget: () => { chosen = -1; drag = null; lastTap = null; },
  };
}

// points as a query value and back: "x,y;x,y" (the server's form for them in a query)
function pointsText(points) { return points.map((p) => p.join(",")).join(";"); }
function pointsFrom(text) {
  if (!text) return null;
  return text.split(";").map((pair) => pair.split(",").map(Number));
}
