// The per-sample browser of a harness report page. Data come as scripts (HR.index / HR.chunk) because a page
// opened from disk may not fetch() the files beside it. The index holds one short row per sample
// [id, flags, mean, chunk, search text]; a chunk (the sample's prompt, every run's output) loads when opened.
"use strict";
(function () {
  const FLAGS = {1: "wrong in every run", 2: "inconsistent across runs", 4: "diverged in verification",
                 8: "judged", 16: "sandbox error", 32: "unscored run"};
  const HR = window.HR = {indexes: {}, chunks: {}, pending: {}, lastFilterMs: null, lastRenderMs: null,
    index(bench, data) { HR.indexes[bench] = data; HR._resolve("index:" + bench); },
    chunk(bench, n, data) { HR.chunks[bench + ":" + n] = data; HR._resolve("chunk:" + bench + ":" + n); },
    _resolve(key) { const p = HR.pending[key]; if (p) { delete HR.pending[key]; p.forEach(f => f()); } },
  };
  function loadScript(key, src, ready) {
    return new Promise((resolve, reject) => {
      if (ready()) return resolve();
      (HR.pending[key] = HR.pending[key] || []).push(resolve);
      const s = document.createElement("script");
      s.src = src; s.onerror = () => reject(new Error("cannot load " + src));
      document.head.appendChild(s);
    });
  }
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") e.className = v; else e.setAttribute(k, v); }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  };
  const fmt = x => (x === null || x === undefined) ? "–" : (typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : (typeof x === "string" ? x : JSON.stringify(x)));

  const state = {bench: null, mask: 0, terms: [], matches: [], page: 0, selected: null};
  let cfg, root;

  function filter() {
    const t0 = performance.now();
    const rows = HR.indexes[state.bench].rows, mask = state.mask, terms = state.terms, out = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if ((r[1] & mask) !== mask) continue;
      let ok = true;
      for (const t of terms) if (r[4].indexOf(t) < 0) { ok = false; break; }
      if (ok) out.push(i);
    }
    state.matches = out; state.page = 0;
    HR.lastFilterMs = performance.now() - t0;
  }

  function renderList() {
    const t0 = performance.now();
    const idx = HR.indexes[state.bench], size = cfg.pageSize, pages = Math.max(1, Math.ceil(state.matches.length / size));
    state.page = Math.min(state.page, pages - 1);
    const body = el("tbody");
    for (const i of state.matches.slice(state.page * size, (state.page + 1) * size)) {
      const r = idx.rows[i];
      const badges = el("td");
      for (const [bit, name] of Object.entries(FLAGS)) if (r[1] & bit) badges.append(el("span", {class: "badge flag"}, name));
      const tr = el("tr", {"data-sample-id": r[0]}, el("td", {class: "mono"}, r[0]), el("td", {class: "num"}, fmt(r[2])), badges);
      if (state.selected === r[0]) tr.classList.add("selected");
      tr.addEventListener("click", () => openSample(i));
      body.append(tr);
    }
    const table = root.querySelector("#sample-list");
    table.replaceChildren(el("thead", {}, el("tr", {}, el("th", {}, "sample"), el("th", {class: "num"}, "mean"), el("th", {}, "flags"))), body);
    root.querySelector("#match-count").textContent = `${state.matches.length} of ${idx.rows.length} samples`;
    root.querySelector("#page-info").textContent = `page ${state.page + 1} of ${pages}`;
    HR.lastRenderMs = performance.now() - t0;
  }

  function kv(obj) {
    const t = el("table");
    for (const [k, v] of Object.entries(obj || {})) t.append(el("tr", {}, el("th", {}, k), el("td", {class: "mono"}, fmt(v))));
    return t;
  }

  function runBlock(run, metric, prompts) {
    const v = run.metrics ? run.metrics[metric] : undefined;
    const cls = run.score_error ? "run" : (typeof v === "number" || typeof v === "boolean") ? (Number(v) > 0 ? "run right" : "run wrong") : "run";
    const box = el("div", {class: cls, "data-run": run.run});
    box.append(el("h4", {}, `run ${run.run}`, el("span", {class: "muted"}, ` · seed ${run.seed}` + (run.score_error ? " · unscored" : ""))));
    if (run.score_error) box.append(el("div", {class: "badge FAIL"}, run.score_error));
    for (const r of run.responses) {
      if (r.type === "generate_until") {
        box.append(el("div", {class: "muted"}, `output (${r.n_tokens} tokens, finish: ${r.finish_reason})`), el("pre", {class: "output"}, r.text || ""));
      }
    }
    const ll = run.responses.filter(r => r.type !== "generate_until");
    if (ll.length) {
      const t = el("table", {}, el("tr", {}, el("th", {}, "continuation"), el("th", {class: "num"}, "log-likelihood"), el("th", {}, "greedy")));
      for (const r of ll) t.append(el("tr", {}, el("td", {class: "mono"}, r.continuation), el("td", {class: "num"}, fmt(r.loglikelihood)), el("td", {}, String(r.is_greedy))));
      box.append(t);
    }
    box.append(el("div", {class: "muted"}, "extracted"), kv(run.extracted), el("div", {class: "muted"}, "metrics"), kv(run.metrics));
    if (run.judge) box.append(el("div", {class: "muted"}, `judge (${run.judge.model})`), kv(run.judge.verdict));
    return box;
  }

  async function openSample(i) {
    const idx = HR.indexes[state.bench], row = idx.rows[i], key = state.bench + ":" + row[3];
    state.selected = row[0];
    root.querySelectorAll("#sample-list tr.selected").forEach(tr => tr.classList.remove("selected"));
    const tr = root.querySelector(`#sample-list tr[data-sample-id="${CSS.escape(row[0])}"]`);
    if (tr) tr.classList.add("selected");
    await loadScript("chunk:" + key, `${cfg.benchmarks[state.bench].dir}/chunk-${row[3]}.js`, () => key in HR.chunks);
    const s = HR.chunks[key].find(x => x.id === row[0]);
    const d = root.querySelector("#sample-detail");
    d.replaceChildren(el("h3", {class: "mono", id: "detail-id"}, s.id),
      el("div", {}, `task ${s.task} · document ${s.doc_id} · mean ${fmt(row[2])}`),
      el("div", {class: "muted"}, "target"), el("pre", {class: "target"}, fmt(s.target)));
    for (const [sha, text] of Object.entries(s.prompts)) d.append(el("div", {class: "muted"}, `prompt ${sha.slice(0, 12)}`), el("pre", {class: "prompt"}, text === null ? "(not in the prompt store)" : text));
    for (const run of s.runs) d.append(runBlock(run, idx.metric, s.prompts));
    HR.openedSample = s.id;
  }

  async function selectBench(b) {
    state.bench = b; state.selected = null;
    await loadScript("index:" + b, cfg.benchmarks[b].index, () => b in HR.indexes);
    filter(); renderList();
    root.querySelector("#sample-detail").replaceChildren(el("p", {class: "muted"}, "Click a sample to see its prompt and every run's output."));
  }

  function init() {
    root = document.getElementById("browser");
    if (!root) return;
    cfg = JSON.parse(document.getElementById("browser-config").textContent);
    const sel = root.querySelector("#bench-select");
    for (const b of Object.keys(cfg.benchmarks)) sel.append(el("option", {value: b}, b));
    sel.addEventListener("change", () => selectBench(sel.value));
    const boxes = root.querySelector("#flag-boxes");
    for (const [bit, name] of Object.entries(FLAGS)) {
      const cb = el("input", {type: "checkbox", "data-flag": bit, id: "flag-" + bit});
      cb.addEventListener("change", () => { state.mask = cb.checked ? state.mask | Number(bit) : state.mask & ~Number(bit); filter(); renderList(); });
      boxes.append(el("label", {}, cb, " " + name));
    }
    let timer = null;
    root.querySelector("#sample-search").addEventListener("input", e => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.terms = e.target.value.toLowerCase().split(/\s+/).filter(Boolean); filter(); renderList(); }, 120);
    });
    root.querySelector("#prev-page").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); renderList(); });
    root.querySelector("#next-page").addEventListener("click", () => { state.page += 1; renderList(); });
    HR.openById = async (bench, id) => {
      if (state.bench !== bench) { sel.value = bench; await selectBench(bench); }
      const i = HR.indexes[bench].rows.findIndex(r => r[0] === id);
      if (i >= 0) { root.scrollIntoView(); await openSample(i); }
    };
    document.querySelectorAll("a[data-open-sample]").forEach(a => a.addEventListener("click", ev => {
      ev.preventDefault(); HR.openById(a.dataset.bench, a.dataset.openSample);
    }));
    selectBench(sel.value).then(() => { HR.ready = true; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
