// django-kue dashboard: Kue's UI inside the Django admin. No build step, no dependencies.
// Everything user-supplied is put in the page with textContent, never as HTML.
const config = JSON.parse(document.getElementById("kue-config").textContent);
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const view = {
  state: config.states.includes(params.get("state")) ? params.get("state") : "active",
  type: params.get("type") || "",
  order: params.get("order") === "desc" ? "desc" : "asc",
  q: params.get("q") || "",
  next: 0, loading: false, generation: 0, openId: null, counts: {},
};
const rows = new Map(); // id -> <tr>
const visible = new Set(); // ids of rows on screen
const selected = new Set();
let failures = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function ago(ms) {
  if (!ms) return "";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function duration(ms) {
  if (ms == null || ms === "") return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

function when(ms) {
  return ms ? `${new Date(ms).toLocaleString()} (${ago(ms)} ago)` : "–";
}

async function request(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
    ...options,
  });
  if (response.status === 401 || response.status === 403 || response.redirected) {
    location.reload(); // the admin session ended: the admin login takes over
    throw new Error("not logged in");
  }
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { shown: true });
  return body;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function showError(message) {
  const box = $("kue-error");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

// -- the list -------------------------------------------------------------------------------
const rowObserver = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = Number(entry.target.dataset.id);
    if (entry.isIntersecting) visible.add(id); else visible.delete(id);
  }
});

function renderRow(job, tr = el("tr")) {
  tr.replaceChildren();
  tr.dataset.id = job.id;
  tr.dataset.state = job.state;
  const check = config.can_change ? el("input", { type: "checkbox", "aria-label": `Select job ${job.id}` }) : null;
  if (check) {
    check.checked = selected.has(job.id);
    check.addEventListener("click", (event) => { event.stopPropagation(); toggleSelect(job.id, check.checked); });
  }
  const bar = el("div", { class: "kue-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(job.progress) });
  const fill = el("span");
  fill.style.width = `${job.progress}%`;
  bar.append(fill);
  const title = el("td", { class: "kue-title" }, el("span", { text: job.title ?? "untitled" }));
  if (job.state === "failed" && job.error) title.append(el("span", { class: "kue-error-line", text: job.error.split("\n")[0] }));
  if (job.state === "delayed" && job.promote_at) title.append(el("span", { class: "kue-quiet", text: ` (due in ${Math.max(0, Math.round((job.promote_at - Date.now()) / 1000))} s)` }));
  tr.append(
    el("td", {}, check), el("td", { class: "kue-id", text: String(job.id) }), el("td", { text: job.type }), title,
    el("td", { text: String(job.priority_name) }), el("td", {}, bar, el("small", { text: ` ${job.progress}%` })),
    el("td", { text: `${job.attempts.made}/${job.attempts.max}` }), el("td", { text: ago(job.created_at), title: when(job.created_at) }),
    el("td", { text: duration(job.duration) }),
  );
  if (job.id === view.openId) tr.classList.add("kue-open");
  return tr;
}

function addRows(jobs) {
  const body = $("kue-rows");
  for (const job of jobs) {
    if (rows.has(job.id)) continue;
    const tr = renderRow(job);
    tr.addEventListener("click", () => openDetail(Number(tr.dataset.id)));
    rows.set(job.id, tr);
    body.append(tr);
    rowObserver.observe(tr);
  }
  $("kue-empty").hidden = rows.size > 0 || view.next !== null;
}

function dropRow(id) {
  const tr = rows.get(id);
  if (!tr) return;
  rowObserver.unobserve(tr);
  tr.remove();
  rows.delete(id);
  visible.delete(id);
  selected.delete(id);
  updateSelection();
}

async function loadMore() {
  if (view.loading || view.next === null) return;
  view.loading = true;
  $("kue-loading").hidden = false;
  const generation = view.generation;
  const query = new URLSearchParams({ state: view.state, order: view.order, start: view.next });
  if (view.type) query.set("type", view.type);
  if (view.q) query.set("q", view.q);
  try {
    const page = await request(`${config.jobs}?${query}`);
    if (generation !== view.generation) return; // the view changed meanwhile
    view.next = page.next;
    addRows(page.jobs);
  } catch (error) {
    if (error.shown) showError(error.message);
  } finally {
    if (generation === view.generation) { view.loading = false; $("kue-loading").hidden = true; }
  }
  if (view.next !== null && isNearBottom()) loadMore();
}

function isNearBottom() {
  return $("kue-sentinel").getBoundingClientRect().top < window.innerHeight + 400;
}

new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMore(); },
  { rootMargin: "400px" }).observe($("kue-sentinel"));

function resetList(push = true) {
  view.generation += 1;
  view.next = 0;
  view.loading = false;
  for (const id of [...rows.keys()]) dropRow(id);
  $("kue-new").hidden = true;
  $("kue-heading").textContent = view.state === "inactive" ? "Queued" : view.state;
  for (const tab of document.querySelectorAll(".kue-state")) tab.setAttribute("aria-current", String(tab.dataset.state === view.state));
  $("kue").dataset.state = view.state;
  if (push) {
    const query = new URLSearchParams({ state: view.state });
    if (view.type) query.set("type", view.type);
    if (view.order !== "asc") query.set("order", view.order);
    if (view.q) query.set("q", view.q);
    history.pushState({ ...view }, "", `?${query}`);
  }
  loadMore();
}

// -- live updates ---------------------------------------------------------------------------
async function poll() {
  const query = new URLSearchParams({ ids: [...visible].slice(0, 200).join(",") });
  if (view.type) query.set("type", view.type);
  try {
    const data = await request(`${config.poll}?${query}`);
    failures = 0;
    $("kue-offline").hidden = true;
    updateCounts(data.counts);
    drawChart(data.throughput);
    updateTypes(data.types);
    for (const [id, job] of Object.entries(data.jobs)) {
      const tr = rows.get(Number(id));
      if (!tr) continue;
      if (job.state !== view.state) dropRow(job.id); else renderRow(job, tr);
    }
    for (const id of data.gone) dropRow(id);
    updateWorkers(data.workers || []);
  } catch (error) {
    failures += 1;
    $("kue-offline").hidden = false;
  }
  const base = document.hidden ? 10000 : 1000;
  setTimeout(poll, Math.min(30000, base * 2 ** Math.min(failures, 5)));
}

function updateCounts(counts) {
  const before = view.counts[view.state];
  view.counts = counts;
  for (const [state, n] of Object.entries(counts)) {
    const badge = document.querySelector(`[data-count="${state}"]`);
    if (badge) badge.textContent = n.toLocaleString();
  }
  const now = counts[view.state];
  if (!view.q && before !== undefined && now > before && rows.size > 0) $("kue-new").hidden = false;
  if (!view.q && rows.size === 0 && now > 0 && view.next === null) resetList(false);
}

function updateTypes(types) {
  const select = $("kue-type");
  const known = new Set([...select.options].map((o) => o.value));
  for (const type of types) if (!known.has(type)) select.append(el("option", { value: type, text: type }));
}

function drawChart(series) {
  const svg = $("kue-chart");
  const all = [...series.complete, ...series.failed];
  const top = Math.max(1, ...all);
  const line = (values, name) => {
    const step = 240 / Math.max(1, values.length - 1);
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(58 - (v / top) * 54).toFixed(1)}`).join(" ");
    const node = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    node.setAttribute("points", points);
    node.setAttribute("class", `line-${name}`);
    return node;
  };
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = `peak ${top}/s; last second: ${series.complete.at(-1) ?? 0} complete, ${series.failed.at(-1) ?? 0} failed`;
  svg.replaceChildren(title, line(series.complete, "complete"), line(series.failed, "failed"));
}

// -- detail panel ---------------------------------------------------------------------------
async function openDetail(id) {
  if (view.openId !== id) { // never leave another job's buttons live while this one loads
    $("kue-detail-title").textContent = `#${id}`;
    $("kue-detail-body").replaceChildren(el("p", { class: "kue-loading", text: "Loading…" }));
  }
  view.openId = id;
  for (const tr of rows.values()) tr.classList.toggle("kue-open", Number(tr.dataset.id) === id);
  $("kue-detail").hidden = false;
  $("kue").classList.add("kue-has-detail");
  await refreshDetail();
}

function closeDetail() {
  view.openId = null;
  $("kue-detail").hidden = true;
  $("kue").classList.remove("kue-has-detail");
  for (const tr of rows.values()) tr.classList.remove("kue-open");
}

async function refreshDetail() {
  const id = view.openId;
  if (id == null) return;
  try {
    const { job, log } = await request(config.job.replace(/0\/$/, `${id}/`));
    if (view.openId === id) renderDetail(job, log);
  } catch (error) {
    if (view.openId === id) { $("kue-detail-body").replaceChildren(el("p", { text: error.message })); }
  }
}

function renderDetail(job, log) {
  $("kue-detail-title").textContent = `#${job.id} ${job.type}: ${job.title ?? "untitled"}`;
  const dl = el("dl");
  const item = (label, value) => { if (value !== null && value !== undefined && value !== "") dl.append(el("dt", { text: label }), el("dd", { text: String(value) })); };
  item("State", job.state);
  item("Priority", `${job.priority_name} (${job.priority})`);
  item("Progress", `${job.progress}%`);
  item("Attempts", `${job.attempts.made} of ${job.attempts.max}`);
  item("Created", when(job.created_at));
  item("Updated", when(job.updated_at));
  item("Started", job.started_at && when(job.started_at));
  item("Due", job.state === "delayed" && !job.waiting ? when(job.promote_at) : "");
  item("Failed", job.failed_at && when(job.failed_at));
  item("Duration", duration(job.duration));
  item("Delay", job.delay ? duration(job.delay) : "");
  item("TTL", job.ttl ? duration(job.ttl) : "");
  item("Worker", job.worker_id);
  item("Cancelled", job.cancelled ? "yes" : "");
  item("Unique key", job.unique_key);
  item("Periodic", job.periodic);
  item("Waits for", job.dependencies && job.dependencies.length ? `${job.dependencies.map((i) => `#${i}`).join(" ")}${job.waiting ? ` (${job.waiting} to complete)` : ""}` : "");
  item("Dependents", job.dependents && job.dependents.length ? job.dependents.map((i) => `#${i}`).join(" ") : "");
  const bar = el("div", { class: "kue-bar", role: "progressbar", "aria-valuenow": String(job.progress), id: "kue-detail-progress" });
  const fill = el("span");
  fill.style.width = `${job.progress}%`;
  bar.append(fill);
  const section = (label, value) => (value === null || value === undefined || value === "") ? null
    : el("section", {}, el("h3", { text: label }), el("pre", { text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }));
  const actions = config.can_change ? detailActions(job) : null;
  const logList = el("ol", { class: "kue-log", id: "kue-detail-log" }, ...log.map((line) => el("li", { text: line })));
  const parts = [bar, actions, dl, section("Data", job.data), section("Result", job.result),
    section("Error", job.error), section("Stack", job.stack), el("h3", { text: `Log (${log.length})` }), logList];
  $("kue-detail-body").replaceChildren(...parts.filter((part) => part !== null));
}

function detailActions(job) {
  const box = el("div", { class: "kue-actions" });
  const button = (label, handler) => { const b = el("button", { type: "button", class: "button", text: label }); b.addEventListener("click", handler); return b; };
  if (job.state !== "active") box.append(button("Retry", () => act("retry", [job.id], `Retry job ${job.id}?`)));
  if (["inactive", "delayed", "active"].includes(job.state) && !job.cancelled) box.append(button("Cancel", () => act("cancel", [job.id], job.state === "active" ? `Ask running job ${job.id} to stop?` : `Cancel job ${job.id}?`)));
  box.append(button("Remove", () => act("remove", [job.id], `Remove job ${job.id}? This cannot be undone.`)));
  const select = el("select", { "aria-label": "Priority" }, el("option", { value: "", text: "priority…" }),
    ...Object.keys(config.priorities).map((name) => el("option", { value: name, text: name })));
  select.addEventListener("change", () => { if (select.value) act("priority", [job.id], `Set job ${job.id} to ${select.value} priority?`, select.value); });
  box.append(select);
  return box;
}

// -- actions --------------------------------------------------------------------------------
function confirmed(text) {
  const dialog = $("kue-confirm");
  $("kue-confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

async function act(action, ids, question, priority) {
  if (!(await confirmed(question))) return;
  try {
    const result = await request(config.action, { method: "POST", body: JSON.stringify({ action, ids, priority }) });
    for (const failure of result.errors) showError(`job ${failure.id}: ${failure.error}`);
    if (action !== "priority") for (const id of result.done) { dropRow(id); if (id === view.openId && action === "remove") closeDetail(); }
    await refreshDetail();
  } catch (error) {
    showError(error.message);
  }
}

function toggleSelect(id, on) {
  if (on) selected.add(id); else selected.delete(id);
  updateSelection();
}

function updateSelection() {
  const bulk = $("kue-bulk");
  if (!bulk) return;
  bulk.hidden = selected.size === 0;
  $("kue-selected").textContent = `${selected.size} selected`;
}

// -- workers panel: one row per live worker, from the poll ---------------------------------
function updateWorkers(workers) {
  const count = $("kue-workers-count");
  if (count.textContent !== String(workers.length)) count.textContent = workers.length;
  if (!$("kue-workers").open) return; // no DOM work for a closed panel (long lists stay fast)
  $("kue-workers-rows").replaceChildren(...workers.map((w) => el("tr", { "data-worker": w.id },
    el("td", { text: w.host }), el("td", { text: w.pid }),
    el("td", { text: Object.entries(w.types).map(([t, n]) => `${t}×${n}`).join(", ") }),
    el("td", { text: w.active, class: "kue-worker-active" }), el("td", { text: w.processed }),
    el("td", { text: `${ago(w.heartbeat_at) || "0s"} ago` }))));
}

// -- wiring ---------------------------------------------------------------------------------
for (const tab of document.querySelectorAll(".kue-state")) {
  tab.addEventListener("click", () => { view.state = tab.dataset.state; selected.clear(); updateSelection(); resetList(); });
}
$("kue-type").value = view.type;
$("kue-order").value = view.order;
$("kue-search").value = view.q;
$("kue-type").addEventListener("change", (e) => { view.type = e.target.value; resetList(); });
$("kue-order").addEventListener("change", (e) => { view.order = e.target.value; resetList(); });
let searchTimer;
$("kue-search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { view.q = e.target.value.trim(); resetList(); }, 200);
});
$("kue-reload").addEventListener("click", () => resetList(false));
$("kue-detail-close").addEventListener("click", closeDetail);
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("kue-confirm").open) closeDetail(); });
$("kue-check-all")?.addEventListener("change", (e) => { for (const id of rows.keys()) toggleSelect(id, e.target.checked); for (const tr of rows.values()) { const c = tr.querySelector("input"); if (c) c.checked = e.target.checked; } });
for (const button of document.querySelectorAll("[data-bulk]")) {
  button.addEventListener("click", () => act(button.dataset.bulk, [...selected], `${button.dataset.bulk} ${selected.size} job(s)?`));
}
document.querySelector("[data-bulk-priority]")?.addEventListener("change", (e) => {
  if (e.target.value) act("priority", [...selected], `Set ${selected.size} job(s) to ${e.target.value} priority?`, e.target.value);
  e.target.value = "";
});
window.addEventListener("popstate", (e) => { if (e.state) { Object.assign(view, e.state); resetList(false); } });
setInterval(refreshDetail, 1000);
resetList(false);
poll();
