// The Duplex operations console: polls the CLI process's JSON endpoints and renders them.
// Plain JavaScript, no build step; everything it shows comes from /api/*.
const token = document.querySelector('meta[name="duplex-console-token"]').content;
const $ = (selector) => document.querySelector(selector);
const state = { view: "overview", dlq: undefined, openGroups: new Set() };

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, init) {
  const response = await fetch(path, init);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function ago(iso) {
  if (!iso) return "";
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function until(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  return seconds >= 0 ? `${seconds} s` : `${-seconds} s late`;
}

function fill(table, rows, empty) {
  const body = $(`${table} tbody`);
  body.replaceChildren(
    ...(rows.length > 0 ? rows : [el("tr", {}, el("td", { colspan: "6", class: "muted" }, empty))]),
  );
}

async function overview() {
  const [throughput, lag, sagas] = await Promise.all([
    api("/api/throughput"),
    api("/api/lag"),
    api("/api/sagas"),
  ]);
  const max = Math.max(1, ...throughput.topics.map((t) => t.eventsPerSecond));
  fill(
    "#throughput",
    throughput.topics.map((t) =>
      el(
        "tr",
        {},
        el("td", {}, t.topic),
        el("td", { class: "num" }, t.eventsPerSecond.toFixed(1)),
        el("td", { class: "num" }, t.records),
        el(
          "td",
          { style: "width:30%" },
          el("div", { class: "bar", style: `width:${(100 * t.eventsPerSecond) / max}%` }),
        ),
      ),
    ),
    "sampling…",
  );
  const rows = [];
  for (const g of lag.groups) {
    const open = state.openGroups.has(g.groupId);
    rows.push(
      el(
        "tr",
        {
          class: "clickable",
          "data-group": g.groupId,
          onclick: () => {
            if (open) state.openGroups.delete(g.groupId);
            else state.openGroups.add(g.groupId);
            refresh();
          },
        },
        el("td", {}, `${open ? "▾" : "▸"} ${g.groupId}`),
        el("td", { class: g.state === "Stable" ? "" : "muted" }, `${g.state} (${g.members})`),
        el("td", { class: `num lag ${g.lag > 0 ? "warn" : "ok"}` }, g.lag),
        el("td", { class: "num" }, g.oldestUnprocessedAt ? ago(g.oldestUnprocessedAt) : ""),
      ),
    );
    if (open) {
      for (const p of g.partitions) {
        rows.push(
          el(
            "tr",
            { class: "sub" },
            el("td", {}, `partition ${p.partition}: committed ${p.committed ?? "—"}, end ${p.end}`),
            el("td", {}),
            el("td", { class: "num" }, p.lag),
            el("td", { class: "num" }, p.oldestUnprocessedAt ? ago(p.oldestUnprocessedAt) : ""),
          ),
        );
      }
    }
  }
  fill("#lag", rows, "no consumer group");
  fill(
    "#sagas",
    sagas.sagas.map((s) =>
      el(
        "tr",
        {},
        el("td", { class: "mono" }, s.orderId),
        el("td", {}, s.status),
        el("td", { class: "mono" }, s.deadlineAt),
        el(
          "td",
          { class: `num ${Date.parse(s.deadlineAt) < Date.now() ? "bad" : ""}` },
          until(s.deadlineAt),
        ),
        el("td", {}, s.deadlineKind ?? ""),
        el(
          "td",
          {},
          s.correlationId
            ? el("a", { class: "flow", onclick: () => showFlow(s.correlationId) }, "trace")
            : "",
        ),
      ),
    ),
    "no saga in flight",
  );
}

async function deadLetters() {
  const { destinations } = await api("/api/dlq");
  fill(
    "#dlq",
    destinations.map((d) =>
      el(
        "tr",
        {
          class: `clickable ${state.dlq === d.name ? "selected" : ""}`,
          "data-dlq": d.name,
          onclick: () => selectDlq(d.name),
        },
        el("td", {}, d.name),
        el("td", { class: "muted" }, d.kind),
        el("td", { class: `num count ${d.count > 0 ? "warn" : ""}` }, d.count ?? "missing"),
        el("td", { class: "num" }, d.oldest ? ago(d.oldest) : ""),
        el("td", {}, d.count > 0 ? "›" : ""),
      ),
    ),
    "no destination",
  );
  if (state.dlq) await letters();
}

async function selectDlq(name) {
  state.dlq = name;
  $("#redrive-result").textContent = "";
  await deadLetters();
}

async function letters() {
  const { destination, letters } = await api(
    `/api/dlq/letters?name=${encodeURIComponent(state.dlq)}`,
  );
  $("#letters-title").textContent = `Letters in ${destination} (${letters.length})`;
  $("#dry-run").disabled = letters.length === 0;
  $("#redrive").disabled = letters.length === 0;
  $("#letters").replaceChildren(
    ...(letters.length === 0
      ? [el("p", { class: "ok" }, "Empty.")]
      : letters.map((l) =>
          el(
            "div",
            { class: "letter" },
            el(
              "dl",
              {},
              el("dt", {}, "event"),
              el(
                "dd",
                {},
                `${l.eventType ?? "?"} `,
                el("span", { class: "mono muted" }, l.eventId ?? ""),
              ),
              el("dt", {}, "aggregate"),
              el("dd", {}, l.aggregate ?? "?"),
              el("dt", {}, "failed"),
              el(
                "dd",
                {},
                `${l.since ?? "?"} (${ago(l.since)} ago)${l.receiveCount ? `, ${l.receiveCount} receives` : ""}`,
              ),
              el("dt", {}, "reason"),
              el("dd", { class: "bad" }, `${l.code ? `${l.code}: ` : ""}${l.reason}`),
              el("dt", {}, "function"),
              el("dd", {}, l.functionName ?? "?"),
              el("dt", {}, "flow"),
              el(
                "dd",
                {},
                l.correlationId
                  ? el(
                      "a",
                      { class: "flow", onclick: () => showFlow(l.correlationId) },
                      l.correlationId,
                    )
                  : "?",
              ),
            ),
            el("pre", {}, JSON.stringify(l.body, null, 1).slice(0, 1200)),
          ),
        )),
  );
}

async function redrive(dryRun) {
  if (!state.dlq) return;
  $("#redrive-result").textContent = dryRun ? "dry run…" : "redriving…";
  try {
    const result = await api("/api/dlq/redrive", {
      method: "POST",
      headers: { "content-type": "application/json", "x-duplex-console-token": token },
      body: JSON.stringify({ name: state.dlq, dryRun }),
    });
    $("#redrive-result").textContent = dryRun
      ? `dry run: would redrive ${result.matched} letter(s); nothing moved`
      : `redrove ${result.settled} of ${result.matched} letter(s)`;
    $("#redrive-result").className = dryRun ? "muted" : "ok";
  } catch (error) {
    $("#redrive-result").textContent = `failed: ${error.message}`;
    $("#redrive-result").className = "bad";
  }
  await deadLetters();
}

async function showFlow(id) {
  $("#flow-id").value = id;
  location.hash = "flow";
  show("flow");
  $("#flow").textContent = "reading the log…";
  try {
    const { events } = await api(`/api/flow?id=${encodeURIComponent(id)}`);
    const start = Date.parse(events[0]?.occurredAt ?? "");
    $("#flow").replaceChildren(
      el(
        "table",
        { id: "flow-table" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", { class: "num" }, "+ms"),
            el("th", {}, "event"),
            el("th", {}, "aggregate"),
            el("th", {}, "topic"),
            el("th", { class: "num" }, "seq"),
          ),
        ),
        el(
          "tbody",
          {},
          events.map((e) =>
            el(
              "tr",
              { class: "event" },
              el("td", { class: "num" }, Date.parse(e.occurredAt) - start),
              el(
                "td",
                {
                  class: e.eventType.endsWith("Requested") ? "cmd" : "",
                  style: `padding-left:${8 + 18 * e.depth}px`,
                },
                `${e.depth > 0 ? "└ " : ""}${e.eventType}`,
              ),
              el("td", {}, `${e.aggregateType} ${e.aggregateId}`),
              el("td", { class: e.topic === "dead-letters" ? "bad" : "muted" }, e.topic),
              el("td", { class: "num" }, e.sequence ?? ""),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    $("#flow").textContent = error.message;
  }
}

async function rebuilds() {
  const { projections } = await api("/api/rebuilds");
  fill(
    "#rebuilds",
    projections.map((p) => {
      const last = p.rebuilds[0];
      const progress = last?.progress ?? {};
      const total =
        Number(progress.total ?? progress.events ?? 0) + Number(progress.remaining ?? 0);
      const done = Number(progress.events ?? progress.done ?? 0);
      const share =
        total > 0
          ? Math.min(1, done / total)
          : progress.state === "building" || progress.state === "switched"
            ? 1
            : 0;
      return el(
        "tr",
        {},
        el("td", {}, p.name),
        el("td", { class: "num" }, `v${p.liveVersion}`),
        el("td", { class: "num" }, p.buildingVersion ? `v${p.buildingVersion}` : ""),
        el(
          "td",
          {},
          last
            ? `v${last.version} ${progress.state ?? ""}`
            : el("span", { class: "muted" }, "never rebuilt"),
        ),
        el(
          "td",
          {},
          last
            ? [
                el(
                  "span",
                  { class: "progress" },
                  el("div", { style: `width:${Math.round(share * 100)}%` }),
                ),
                ` ${done} events${progress.eventsPerSecond ? `, ${Number(progress.eventsPerSecond).toFixed(0)}/s` : ""}${progress.etaSeconds ? `, ETA ${progress.etaSeconds} s` : ""}`,
              ]
            : "",
        ),
      );
    }),
    "no projection",
  );
}

function show(view) {
  state.view = view;
  for (const section of document.querySelectorAll(".view"))
    section.hidden = section.id !== `view-${view}`;
  for (const link of document.querySelectorAll("nav a"))
    link.classList.toggle("active", link.dataset.view === view);
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const info = await api("/api/overview");
    $("#target").textContent = `${info.target}${info.apiUrl ? ` · API ${info.apiUrl}` : ""}`;
    if (state.view === "overview") await overview();
    if (state.view === "dlq") await deadLetters();
    if (state.view === "rebuilds") await rebuilds();
    $("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    $("#updated").textContent = `error: ${error.message}`;
  } finally {
    refreshing = false;
  }
}

for (const link of document.querySelectorAll("nav a")) {
  link.addEventListener("click", () => {
    show(link.dataset.view);
    refresh();
  });
}
$("#dry-run").addEventListener("click", () => redrive(true));
$("#redrive").addEventListener("click", () => redrive(false));
$("#flow-form").addEventListener("submit", (event) => {
  event.preventDefault();
  showFlow($("#flow-id").value.trim());
});
show(location.hash.replace("#", "") || "overview");
refresh();
setInterval(refresh, 2000);
