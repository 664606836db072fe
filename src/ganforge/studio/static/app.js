// ganforge studio: one page, plain JavaScript, no build step and nothing from elsewhere.
// Views are chosen by the URL's hash: #/ (runs), #/run/NAME/TAB, #/compare/A,B, #/study/NAME.
// Every text from the server goes in through textContent (run names are folder names).
"use strict";

const state = { index: null, selected: new Set(), timers: [] };
const view = () => document.getElementById("view");

// -- small helpers -------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value) && Math.abs(value) >= 1000) return value.toLocaleString("en");
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

// Text that may be missing: "—", never "null" or "undefined".
const text = (value) => (value === null || value === undefined || value === "" ? "—" : String(value));

// Metrics and run facts come formatted by the server (ganforge's one formatter, the same as
// the CLI tables and the reports: KID ×10³, "—" when missing); these read that text.
const shown = (item, key) => text(item && item.shown ? item.shown[key] : undefined);
const header = (key) => (state.index.formats[key] || { header: key }).header;
const label = (key) => (state.index.formats[key] || { label: key }).label;
const lowerIsBetter = (key) => (state.index.formats[key] || {}).better === "lower";

const enc = (name) => encodeURIComponent(name);
// A run (or study) on a subset of the training split (--data-limit N, --data-fraction F).
const subsetNote = (images, fraction) => (images != null ? ` (${fmt(images)} training images)`
  : fraction != null ? ` (${fmt(fraction, 3)} of the training images)` : "");
const runPath = (name) => "/api/runs/" + name.split("/").map(enc).join("/");
const runLink = (name, tab) => `#/run/${enc(name)}${tab ? "/" + tab : ""}`;

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
}

async function api(url) {
  const response = await fetch(url);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = (await response.json()).error || message;
    } catch (_) {
      /* not JSON: keep the status line */
    }
    throw new Error(message);
  }
  return response;
}

async function getJson(url) {
  return (await api(url)).json();
}

function stopTimers() {
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
}

// A number input with its bounds; `onchange` gets the value once it is valid.
function numberInput(id, value, min, max, onchange) {
  const input = h("input", { id, type: "number", value, min, max, step: 1, inputmode: "numeric" });
  input.addEventListener("change", () => {
    const v = Math.round(Number(input.value));
    input.value = Math.min(max, Math.max(min, Number.isFinite(v) ? v : min));
    if (onchange) onchange(Number(input.value));
  });
  return input;
}

function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), control,
    hint ? h("span", { class: "hint", text: hint }) : null);
}

function pixelImage(attrs) {
  return h("img", { class: "pixel", alt: "", ...attrs });
}

// -- routing -------------------------------------------------------------------------------
async function route() {
  stopTimers();
  showError("");
  const parts = location.hash.replace(/^#\/?/, "").split("/");
  for (const link of document.querySelectorAll("header nav a")) link.classList.remove("active");
  try {
    if (!state.index || parts[0] === "") await loadIndex();
    if (parts[0] === "run" && parts[1]) {
      await showRun(decodeURIComponent(parts[1]), parts[2] || "overview");
    } else if (parts[0] === "compare") {
      document.getElementById("nav-compare").classList.add("active");
      const names = (parts[1] || "").split(",").filter(Boolean).map(decodeURIComponent);
      showCompare(names.length ? names : [...state.selected]);
    } else if (parts[0] === "study" && parts[1]) {
      await showStudy(decodeURIComponent(parts[1]));
    } else {
      document.getElementById("nav-runs").classList.add("active");
      showRuns();
    }
  } catch (err) {
    showError(err.message);
  }
}

async function loadIndex() {
  state.index = await getJson("/api/runs");
  document.getElementById("root").textContent = state.index.root;
}

// -- the runs list ---------------------------------------------------------------------------
function showRuns() {
  const { runs, studies } = state.index;
  const compareButton = h("button", { class: "primary", id: "compare-selected" });
  const updateButton = () => {
    const k = state.selected.size;
    compareButton.textContent = k ? `Compare ${k} selected` : "Compare selected";
    compareButton.disabled = k < 2 || k > 6;
  };
  compareButton.addEventListener("click", () => {
    location.hash = "#/compare/" + [...state.selected].map(enc).join(",");
  });
  updateButton();

  const rows = runs.map((run) => {
    const box = h("input", { type: "checkbox", "aria-label": `select ${run.name}` });
    box.checked = state.selected.has(run.name);
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(run.name);
      else state.selected.delete(run.name);
      updateButton();
    });
    const thumb = run.final_grid
      ? pixelImage({ class: "pixel thumb", loading: "lazy",
        src: `${runPath(run.name)}/samples/${enc(run.final_grid)}` })
      : h("span", { class: "muted", text: "no grid" });
    return h("tr", { "data-run": run.name },
      h("td", {}, box),
      h("td", {}, h("a", { href: runLink(run.name) }, thumb)),
      h("td", {}, h("a", { class: "run-name", href: runLink(run.name), text: run.name }),
        run.trained ? null : h("span", { class: "tag", text: "no checkpoint" })),
      h("td", {}, run.recipe, run.conditional ? h("span", { class: "tag", text: "classes" }) : null),
      h("td", { text: text(run.dataset) }),
      h("td", { class: "num", text: shown(run, "epochs") }),
      h("td", { class: "num", text: shown(run, "wall_time_s") }),
      h("td", { class: "num", text: shown(run, "fid") }));
  });

  const studyCards = studies.map((study) => h("div", { class: "card study" },
    h("h3", {}, h("a", { href: `#/study/${enc(study.name)}`,
      text: study.name === "." ? "this folder" : study.name }),
    h("span", { class: "tag", text: `ganforge ${text(study.kind)}` })),
    h("p", { text: `${study.arms.map(text).join(", ")} · ${text(study.runs)} runs · ${text(study.dataset)}` }),
    h("p", {}, h("a", { href: `#/study/${enc(study.name)}`, text: "results table" }),
      study.report ? " · " : null,
      study.report ? h("a", { href: `/api/study/report.html?name=${enc(study.name)}`,
        target: "_blank", rel: "noopener", text: "report.html ↗" }) : null)));

  view().replaceChildren(
    studyCards.length ? h("section", {}, h("h2", { text: "Studies" }),
      h("div", { class: "cards" }, studyCards)) : null,
    h("section", {},
      h("div", { class: "bar" }, h("h2", { text: `Runs (${runs.length})` }),
        h("span", { class: "hint", text: "tick 2–6 runs to compare them" }), compareButton),
      runs.length === 0
        ? h("p", { class: "muted", text: "No runs here yet: ganforge train … --out in this folder." })
        : h("table", { class: "runs" },
          h("thead", {}, h("tr", {}, ["", "final grid", "run", "recipe", "dataset",
            label("epochs"), label("wall_time_s"), label("fid")].map((t) => h("th", { text: t })))),
          h("tbody", {}, rows))));
}

// -- one run ---------------------------------------------------------------------------------
async function showRun(name, tab) {
  const run = await getJson(runPath(name));
  const tabs = ["overview", "generate", "interpolate"];
  const header = h("div", { class: "run-head" },
    h("p", { class: "crumbs" }, h("a", { href: "#/", text: "Runs" }), " / ",
      run.study ? h("a", { href: `#/study/${enc(run.study)}`,
        text: run.study === "." ? "compare folder" : run.study }) : null,
      run.study ? " / " : null, h("strong", { text: name })),
    h("h2", { text: `${text(run.recipe)} · ${text(run.dataset)}${subsetNote(run.subset_images)}` }),
    h("dl", { class: "facts" },
      ["epochs", "steps", "wall_time_s", "fid"].map((k) => fact(label(k), shown(run, k))),
      ["params_g", "params_d", "images_per_s"].map((k) =>
        fact(label(k), text(run.summary_shown[k])))),
    h("nav", { class: "tabs" }, tabs.map((t) => h("a", {
      href: runLink(name, t), class: t === tab ? "active" : "", id: `tab-${t}`,
      text: t[0].toUpperCase() + t.slice(1),
    }))));
  const body = h("div", { class: "tab-body" });
  view().replaceChildren(header, body);
  if (tab === "generate") generatePanel(body, name, run);
  else if (tab === "interpolate") interpolatePanel(body, name, run);
  else overviewPanel(body, name, run);
}

function fact(label, value) {
  return h("div", {}, h("dt", { text: label }), h("dd", { text: value }));
}

function overviewPanel(body, name, run) {
  const grids = run.grids;
  const gridImage = pixelImage({ class: "pixel big", id: "epoch-grid" });
  const label = h("span", { class: "hint" });
  const slider = h("input", { type: "range", min: 0, max: Math.max(0, grids.length - 1),
    value: Math.max(0, grids.length - 1), id: "epoch-slider", "aria-label": "epoch" });
  const showGrid = () => {
    const grid = grids[Number(slider.value)];
    if (!grid) return;
    gridImage.src = `${runPath(name)}/samples/${enc(grid.name)}`;
    label.textContent = `epoch ${fmt(grid.epoch)} (${Number(slider.value) + 1} of ${grids.length})`;
  };
  slider.addEventListener("input", showGrid);
  showGrid();

  const metricRows = state.index.metrics
    .filter((key) => key in run.metrics)
    .map((key) => h("tr", {}, h("th", { text: header(key) }),
      h("td", { class: "num", text: text(run.metrics_shown[key]) })));

  body.replaceChildren(
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h3", { text: "Grids over training" }),
        grids.length ? [gridImage, h("div", { class: "slider" }, slider, label)]
          : h("p", { class: "muted", text: "no sample grids" }),
        run.gif ? h("p", {}, h("a", { href: `${runPath(name)}/progress.gif`, target: "_blank",
          text: "progress.gif" })) : null),
      h("section", { class: "card" }, h("h3", { text: "Metrics" }),
        metricRows.length ? h("table", { class: "metrics" }, metricRows)
          : h("p", { class: "muted", text: "not evaluated yet: ganforge evaluate RUN" }),
        run.metrics.n_fake ? h("p", { class: "hint", text: `n = ${fmt(run.metrics.n_fake)} samples` })
          : null,
        h("h3", { text: "FID during training" }),
        run.fid_curve.length ? lineChart(run.fid_curve.map((r) => [r.epoch, r.fid]), "epoch", "FID")
          : h("p", { class: "muted", text: "no FID curve (ganforge compare measures one)" }))),
    h("section", { class: "card" }, h("h3", { text: "Losses" }),
      h("div", { class: "plots" }, run.plots.map((plot) => h("img", {
        class: "plot", alt: plot, src: `${runPath(name)}/plots/${enc(plot)}` })))),
    h("section", { class: "card" }, h("h3", { text: "Config" }),
      h("pre", { class: "config", text: run.config })));
}

// An SVG line chart of [x, y] points, with its axes' ends labelled.
function lineChart(points, xName, yName) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const W = 360, H = 190, L = 44, B = 28, T = 22, R = 12;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => L + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - L - R);
  const sy = (y) => H - B - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - B - T);
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    svg.append(el);
  };
  add("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" });
  add("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" });
  add("polyline", { points: points.map((p) => `${sx(p[0])},${sy(p[1])}`).join(" "), class: "line" });
  for (const p of points) add("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, class: "dot" });
  add("text", { x: L - 4, y: sy(y1) + 4, class: "tick end" }, fmt(y1, 1));
  add("text", { x: L - 4, y: sy(y0) + 4, class: "tick end" }, fmt(y0, 1));
  add("text", { x: sx(x0), y: H - B + 14, class: "tick" }, fmt(x0, 2));
  add("text", { x: sx(x1), y: H - B + 14, class: "tick end" }, fmt(x1, 2));
  add("text", { x: (L + W) / 2, y: H - 2, class: "tick" }, xName);
  add("text", { x: L, y: 12, class: "tick" }, yName);
  return svg;
}

// -- generate ------------------------------------------------------------------------------
function classPicker(classes, withAll, selected, onpick) {
  const picker = h("div", { class: "classes", role: "radiogroup", "aria-label": "class" });
  const options = [...(withAll ? [["all", "all classes"]] : []), ...classes.map((c, i) => [String(i), c])];
  for (const [value, text] of options) {
    const button = h("button", { type: "button", class: value === selected ? "on" : "",
      "data-class": value, title: text, text });
    button.addEventListener("click", () => {
      for (const b of picker.children) b.classList.toggle("on", b === button);
      onpick(value);
    });
    picker.append(button);
  }
  return picker;
}

function checkpointSelect(run) {
  return h("select", { id: "checkpoint" }, run.checkpoints.map((c) => h("option", { value: c,
    text: c === "last.safetensors" ? "last" : c.replace(/^epoch_0*(\d+)\.safetensors$/, "epoch $1") })));
}

function generatePanel(body, name, run) {
  const limits = state.index.limits;
  const st = { klass: run.conditional ? "all" : null, busy: false, again: false, url: null };
  const seed = numberInput("seed", 0, 0, limits.seed[1], () => { seedSlider.value = Math.min(999, seed.value); go(); });
  const seedSlider = h("input", { type: "range", min: 0, max: 999, value: 0, id: "seed-slider",
    "aria-label": "seed" });
  seedSlider.addEventListener("input", () => { seed.value = seedSlider.value; go(); });
  const dice = h("button", { type: "button", title: "a random seed", text: "random" });
  dice.addEventListener("click", () => {
    seed.value = Math.floor(Math.random() * 1e6);
    go();
  });
  const n = numberInput("n", 64, limits.n[0], limits.n[1], () => go());
  const checkpoint = checkpointSelect(run);
  checkpoint.addEventListener("change", () => go());
  const button = h("button", { class: "primary", id: "generate", type: "button", text: "Generate" });
  button.addEventListener("click", () => go());
  const image = pixelImage({ class: "pixel big", id: "generated" });
  const status = h("p", { class: "hint", id: "gen-status" });
  const download = h("a", { class: "button", id: "download", download: "digits.png", hidden: true,
    text: "Download PNG" });
  const labels = h("p", { class: "hint", id: "gen-labels" });

  // One request at a time; a change while one runs asks for one more when it ends.
  async function go() {
    if (!run.trained) return showError("this run has no checkpoint to generate from");
    if (st.busy) { st.again = true; return; }
    st.busy = true;
    button.disabled = true;
    const query = new URLSearchParams({ seed: seed.value, n: n.value, checkpoint: checkpoint.value });
    if (st.klass !== null) query.set("class", st.klass);
    const started = performance.now();
    try {
      const response = await api(`${runPath(name)}/generate?${query}`);
      const blob = await response.blob();
      const total = performance.now() - started;
      const server = /dur=([\d.]+)/.exec(response.headers.get("Server-Timing") || "");
      if (st.url) URL.revokeObjectURL(st.url);
      st.url = URL.createObjectURL(blob);
      image.src = st.url;
      download.href = st.url;
      download.download = `${name.replaceAll("/", "_")}_seed${seed.value}_n${n.value}` +
        (st.klass !== null && st.klass !== "all" ? `_class${st.klass}` : "") + ".png";
      download.hidden = false;
      status.textContent = `${n.value} images from seed ${seed.value}` +
        (server ? ` · drawn in ${Math.round(server[1])} ms` : "") + ` · ${Math.round(total)} ms in all`;
      const inTurn = run.classes && run.classes.length > limits.class_columns;
      labels.textContent = run.conditional
        ? (st.klass === "all" ? (inTurn ? "classes in turn, in reading order: " : "columns: classes ") +
          run.classes.join(", ") : `class ${run.classes[Number(st.klass)]}`) : "";
      image.dataset.seed = seed.value;
      image.dataset.klass = st.klass === null ? "" : st.klass;
      showError("");
    } catch (err) {
      showError(err.message);
    } finally {
      st.busy = false;
      button.disabled = false;
      if (st.again) { st.again = false; go(); }
    }
  }

  body.replaceChildren(h("div", { class: "studio" },
    h("section", { class: "card controls" },
      h("h3", { text: "Generate" }),
      field("checkpoint", checkpoint),
      field("seed", h("div", { class: "row" }, seed, dice), "same seed, same digits"),
      field("drag through seeds", seedSlider),
      field("how many", n, `${limits.n[0]}–${limits.n[1]}`),
      run.conditional ? field("class", classPicker(run.classes, true, "all", (value) => {
        st.klass = value;
        go();
      })) : h("p", { class: "hint", text: `${run.recipe} is unconditional: no classes to pick` }),
      h("div", { class: "row" }, button, download)),
    h("section", { class: "card output" }, image, status, labels)));
  go();
}

// -- interpolate -----------------------------------------------------------------------------
function interpolatePanel(body, name, run) {
  const limits = state.index.limits;
  const from = numberInput("from", 0, 0, limits.seed[1]);
  const to = numberInput("to", 1, 0, limits.seed[1]);
  const steps = numberInput("steps", 12, limits.steps[0], limits.steps[1]);
  const checkpoint = checkpointSelect(run);
  const classOptions = (id, value) => h("select", { id }, (run.classes || []).map((c, i) =>
    h("option", { value: i, text: c, selected: i === value })));
  const mode = h("select", { id: "mode" },
    h("option", { value: "seeds", text: "between two seeds" }),
    run.conditional ? h("option", { value: "classes", text: "between two classes" }) : null);
  const klass = classOptions("class", 0);
  const classFrom = classOptions("class-from", 0);
  const classTo = classOptions("class-to", 1);
  const fromField = field("from seed", from);
  const seedOnly = [field("to seed", to), run.conditional ? field("class", klass) : null];
  const classFields = h("div", { hidden: true }, field("from class", classFrom),
    field("to class", classTo));
  mode.addEventListener("change", () => {
    const byClass = mode.value === "classes";
    classFields.hidden = !byClass;
    for (const f of seedOnly) if (f) f.hidden = byClass;
    fromField.querySelector(".label").textContent = byClass ? "seed (held fixed)" : "from seed";
  });
  const button = h("button", { class: "primary", id: "interpolate", type: "button",
    text: "Interpolate" });
  const canvas = h("canvas", { class: "pixel frame", id: "frame", width: 28, height: 28 });
  const scrub = h("input", { type: "range", min: 0, max: 0, value: 0, id: "scrub",
    "aria-label": "position along the path" });
  const play = h("button", { type: "button", id: "play", text: "Pause" });
  const strip = pixelImage({ class: "pixel strip", id: "strip" });
  const links = h("p", { class: "row" });
  const status = h("p", { class: "hint", id: "interp-status" });
  const anim = { frames: 0, size: 28, playing: true, direction: 1, source: new Image() };

  function draw(i) {
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    // Cells of a grid are size + 2 wide, after a 2-pixel border (reporting.images).
    ctx.drawImage(anim.source, 2 + i * (anim.size + 2), 2, anim.size, anim.size, 0, 0,
      anim.size, anim.size);
    scrub.value = i;
  }
  scrub.addEventListener("input", () => {
    anim.playing = false;
    play.textContent = "Play";
    draw(Number(scrub.value));
  });
  play.addEventListener("click", () => {
    anim.playing = !anim.playing;
    play.textContent = anim.playing ? "Pause" : "Play";
  });
  state.timers.push(setInterval(() => {
    if (!anim.playing || anim.frames < 2) return;
    let i = Number(scrub.value) + anim.direction;
    if (i < 0 || i >= anim.frames) { anim.direction *= -1; i += 2 * anim.direction; }
    draw(i);
  }, 120));

  async function go() {
    const query = new URLSearchParams({ from: from.value, steps: steps.value,
      checkpoint: checkpoint.value, format: "json" });
    if (mode.value === "classes") {
      query.set("class", classFrom.value);
      query.set("class_to", classTo.value);
    } else {
      query.set("to", to.value);
      if (run.conditional) query.set("class", klass.value);
    }
    button.disabled = true;
    try {
      const result = await getJson(`${runPath(name)}/interpolate?${query}`);
      anim.source = new Image();
      anim.source.onload = () => {
        anim.frames = result.steps;
        anim.size = anim.source.height - 4;
        canvas.width = canvas.height = anim.size;
        scrub.max = result.steps - 1;
        draw(0);
      };
      anim.source.src = result.strip;
      strip.src = result.strip;
      const base = `${name.replaceAll("/", "_")}_${query.get("from")}_${query.get("to") ||
        "class" + query.get("class") + "-" + query.get("class_to")}`;
      links.replaceChildren(
        h("a", { class: "button", href: result.strip, download: base + ".png", text: "Strip PNG" }),
        h("a", { class: "button", href: result.gif, download: base + ".gif", text: "GIF" }));
      status.textContent = `${result.steps} images, drawn in ${Math.round(result.ms)} ms` +
        " (strip and GIF)";
      showError("");
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
    }
  }
  button.addEventListener("click", go);

  body.replaceChildren(h("div", { class: "studio" },
    h("section", { class: "card controls" },
      h("h3", { text: "Interpolate" }),
      field("checkpoint", checkpoint),
      run.conditional ? field("walk", mode) : null,
      fromField, seedOnly, classFields,
      field("steps", steps, `${limits.steps[0]}–${limits.steps[1]} images along the path`),
      button),
    h("section", { class: "card output" },
      canvas, h("div", { class: "slider" }, play, scrub), strip, status, links)));
  go();
}

// -- compare ---------------------------------------------------------------------------------
function showCompare(names) {
  const limits = state.index.limits;
  const chosen = [...names];
  const seed = numberInput("cmp-seed", 0, 0, limits.seed[1]);
  const n = numberInput("cmp-n", 16, limits.compare_n[0], limits.compare_n[1]);
  const list = h("ul", { class: "chosen" });
  const adder = h("select", { id: "add-run" });
  const result = h("div", {});
  const button = h("button", { class: "primary", id: "compare", type: "button", text: "Compare" });

  function refresh() {
    list.replaceChildren(...chosen.map((name) => {
      const remove = h("button", { type: "button", class: "small", title: "remove",
        text: "×" });
      remove.addEventListener("click", () => { chosen.splice(chosen.indexOf(name), 1); refresh(); });
      return h("li", {}, h("a", { href: runLink(name), text: name }), remove);
    }));
    adder.replaceChildren(h("option", { value: "", text: "add a run…" }),
      ...state.index.runs.filter((r) => r.trained && !chosen.includes(r.name))
        .map((r) => h("option", { value: r.name, text: r.name })));
    adder.disabled = chosen.length >= limits.compare[1];
    button.disabled = chosen.length < limits.compare[0];
    state.selected = new Set(chosen);
  }
  adder.addEventListener("change", () => {
    if (adder.value) chosen.push(adder.value);
    refresh();
  });

  async function go() {
    history.replaceState(null, "", "#/compare/" + chosen.map(enc).join(","));
    button.disabled = true;
    try {
      const query = new URLSearchParams({ seed: seed.value, n: n.value });
      for (const name of chosen) query.append("run", name);
      const data = await getJson(`/api/compare?${query}`);
      result.replaceChildren(compareResult(data));
      showError("");
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = chosen.length < limits.compare[0];
    }
  }
  button.addEventListener("click", go);
  refresh();

  view().replaceChildren(
    h("section", { class: "card controls wide" },
      h("h3", { text: "Compare runs from the same latents" }),
      list, field("add", adder, `${limits.compare[0]}–${limits.compare[1]} runs`),
      h("div", { class: "row" }, field("seed", seed), field("images each", n), button)),
    result);
  if (chosen.length >= limits.compare[0]) go();
}

function compareResult(data) {
  const columns = data.runs.map((run) => h("figure", { class: "card" },
    h("figcaption", {}, h("a", { href: runLink(run.name), text: run.name }),
      h("span", { class: "hint", text: ` ${run.recipe} · ${Math.round(run.ms)} ms` })),
    pixelImage({ src: run.image, class: "pixel fill", alt: run.name })));
  const keys = state.index.metrics.filter((k) => data.runs.some((r) => r.metrics[k] != null));
  const best = (key) => {
    const values = data.runs.map((r) => r.metrics[key]).filter((v) => v != null);
    return lowerIsBetter(key) ? Math.min(...values) : Math.max(...values);
  };
  const rows = [
    ["epochs", (r) => shown(r, "epochs")],
    ["wall_time_s", (r) => shown(r, "wall_time_s")],
    ["params_g", (r) => text(r.summary_shown.params_g)],
  ].map(([key, get]) => h("tr", {}, h("th", { text: label(key) }),
    data.runs.map((r) => h("td", { class: "num", text: get(r) }))));
  for (const key of keys) {
    const top = best(key);
    rows.push(h("tr", {}, h("th", { text: header(key) }), data.runs.map((r) => h("td", {
      class: "num" + (r.metrics[key] === top ? " best" : ""),
      text: text(r.metrics_shown[key]) }))));
  }
  return h("div", {},
    h("div", { class: "side-by-side", id: "compare-grids" }, columns),
    h("section", { class: "card" }, h("h3", { text: "Metrics (from each run's metrics.json)" }),
      h("table", { class: "metrics wide" },
        h("thead", {}, h("tr", {}, h("th"), data.runs.map((r) => h("th", { text: r.name })))),
        h("tbody", {}, rows))));
}

// -- a study (compare / ablate folder) -------------------------------------------------------
async function showStudy(name) {
  const study = await getJson(`/api/study?name=${enc(name)}`);
  const keys = ["fid", "kid_mean", "precision", "recall", "coverage", "classes_covered",
    "class_accuracy"];
  const got = ["steps", "images", "wall_time_s"];  // what each run trained
  const armTable = h("table", { class: "metrics wide" },
    h("thead", {}, h("tr", {}, h("th", { text: study.kind === "ablate" ? "rung" : "recipe" }),
      h("th", { text: "runs" }), keys.map((k) => h("th", { text: header(k) })),
      got.map((k) => h("th", { text: label(k) })))),
    h("tbody", {}, study.arm_results.map((arm) => h("tr", {}, h("th", { text: text(arm.name) }),
      h("td", { class: "num", text: `${fmt(arm.finished)}/${fmt(arm.runs)}` }),
      [...keys, ...got].map((k) => h("td", { class: "num", text: shown(arm, k) }))))));
  const runKeys = ["fid", "kid_mean", "precision", "recall", "steps", "images", "wall_time_s",
    "epochs"];
  const runTable = h("table", { class: "metrics wide" },
    h("thead", {}, h("tr", {}, ["run", "seed", "status", ...runKeys.map(label)]
      .map((t) => h("th", { text: t })))),
    h("tbody", {}, study.rows.map((row) => h("tr", {},
      h("td", {}, row.run ? h("a", { href: runLink(row.run), text: row.run }) : text(row.name)),
      h("td", { class: "num", text: fmt(row.seed) }),
      h("td", { text: text(row.status) + (row.error ? `: ${row.error}` : "") }),
      runKeys.map((k) => h("td", { class: "num", text: shown(row, k) }))))));
  const firstSeeds = study.rows.filter((r) => r.run && r.status === "ok")
    .filter((r, i, all) => all.findIndex((o) => o.arm === r.arm) === i).slice(0, 6);
  view().replaceChildren(
    h("p", { class: "crumbs" }, h("a", { href: "#/", text: "Runs" }), " / ",
      h("strong", { text: name === "." ? "this folder" : name })),
    h("h2", { text: `ganforge ${text(study.kind)}: ${study.arms.map(text).join(", ")}` }),
    h("p", {}, `${text(study.runs)} runs on ${text(study.dataset)}${subsetNote(study.data_limit, study.data_fraction)}, seeds ${text((study.seeds || []).join(", "))}. `,
      study.report ? h("a", { href: `/api/study/report.html?name=${enc(name)}`, target: "_blank",
        rel: "noopener", text: "Open its report.html ↗" }) : null, " ",
      firstSeeds.length >= 2 ? h("a", { class: "button", text: `Compare one seed of each (${firstSeeds.length})`,
        href: "#/compare/" + firstSeeds.map((r) => enc(r.run)).join(",") }) : null),
    h("section", { class: "card" }, h("h3", { text: "Mean ± sd over seeds" }), armTable),
    h("section", { class: "card" }, h("h3", { text: "Every run" }), runTable));
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);
