// The zrollup explorer: a static page over the executor's own JSON-RPC (same origin), no build step, no
// dependencies. Routes live in the URL's fragment (#/tx/<hash>, #/momentum/<height>, …) so every page has a
// link. Everything shown from the chain is escaped: transactions carry untrusted text.
"use strict";

const PAGE = 25;
const MOMENTUM_PAGE = 50;
const HEIGHTS = 20;
const page = document.getElementById("page");
const statusLine = document.getElementById("status");
let refresh = null; // the current page's live refresh, if any
let generation = 0; // bumps on every navigation: a late answer for an old page is dropped

// ---- JSON-RPC ----------------------------------------------------------------------------------------------

let nextId = 1;
async function rpc(method, params) {
  const response = await fetch("/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
  });
  if (!response.ok) throw new Error(`${method}: HTTP ${response.status}`);
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Calls that may fail (L1 down, a pruned height) without failing the page. */
async function maybe(method, params) {
  try { return await rpc(method, params); } catch (e) { return { failed: e.message }; }
}

// ---- Formatting --------------------------------------------------------------------------------------------

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const short = (text) => (text && text.length > 20 ? `${text.slice(0, 10)}…${text.slice(-8)}` : text || "");
const txLink = (hash) => `<a class="mono" href="#/tx/${esc(hash)}" title="${esc(hash)}">${esc(short(hash))}</a>`;
const addrLink = (address) =>
  address ? `<a class="mono" href="#/address/${esc(address)}" title="${esc(address)}">${esc(short(address))}</a>` : "";
const heightLink = (height) => `<a href="#/momentum/${esc(height)}">${esc(height)}</a>`;
const mono = (text) => `<span class="mono" title="${esc(text)}">${esc(short(text))}</span>`;
const full = (text) => `<span class="mono">${esc(text)}</span>`;

function when(seconds) {
  if (!seconds) return "";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
}
function whenMs(ms) {
  if (!ms) return "";
  return new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}
function ago(seconds) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
const TOKENS = { zts1znnxxxxxxxxxxxxx9z4ulx: "ZNN", zts1qsrxxxxxxxxxxxxxmrhjll: "QSR" };
function amount(value, token) {
  const text = String(value ?? "0");
  const name = TOKENS[token] || (token ? short(token) : "ZNN");
  const whole = text.length > 8 ? text.slice(0, -8) : "0";
  const frac = text.padStart(9, "0").slice(-8).replace(/0+$/, "");
  return `${esc(whole)}${frac ? "." + esc(frac) : ""} ${esc(name)}`;
}

function badge(text, kind) { return `<span class="badge ${kind || ""}">${esc(text)}</span>`; }
function txStatus(status) {
  if (!status) return badge("pruned");
  return badge(status, { executed: "ok", failed: "bad", dropped: "warn" }[status]);
}
function claimStatus(status) {
  switch (status.kind) {
    case "final": return badge("final", "ok");
    case "pending": return badge("pending", "warn");
    case "rejected": return badge("rejected", "bad");
    case "unfinalizable": return badge("never final", "bad");
    default: return badge(status.kind);
  }
}
function verdict(status) {
  switch (status.kind) {
    case "waiting": return badge("waiting", "warn");
    case "executorWrong": return badge("executor wrong", "bad");
    case "challengerWrong": return badge("challenger wrong", "ok");
    case "refunded": return badge("refunded");
    default: return badge(status.kind);
  }
}
function details(object, skip) {
  return Object.entries(object || {}).filter(([k]) => !(skip || []).includes(k))
    .map(([k, v]) => `${esc(k)}: ${typeof v === "object" ? esc(JSON.stringify(v)) : esc(v)}`).join("; ");
}
function table(headers, rows, empty) {
  if (!rows.length) return `<p class="muted">${esc(empty || "None.")}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}
function dl(pairs) {
  return `<dl>${pairs.filter(Boolean).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}
function action(tx) {
  const what = tx.action === "call" ? `call ${esc(tx.method)}` : esc(tx.action);
  const target = tx.target ? ` → ${addrLink(tx.target)}` : "";
  const moved = tx.amount && tx.amount !== "0" ? ` ${amount(tx.amount, tx.token)}` : "";
  return `${what}${target}${moved}`;
}
function txRows(transactions, withRole) {
  return transactions.map((tx) => [
    txLink(tx.hash), heightLink(tx.height) + `<span class="muted">:${esc(tx.index)}</span>`,
    addrLink(tx.sender), action(tx), txStatus(tx.status),
    esc(tx.gasUsed ?? ""), tx.fee != null ? amount(tx.fee) : "",
    ...(withRole ? [esc(tx.role || "")] : []),
  ]);
}
const TX_HEADERS = ["Hash", "Height", "From", "Action", "Status", "Gas", "Fee"];

function fail(message) {
  page.innerHTML = `<div class="error">${esc(message)}</div>`;
}

// ---- Pages -------------------------------------------------------------------------------------------------

// Whether a page's render still belongs to the current navigation: taken when the render starts (from `route`
// or a live refresh, both while their navigation is current) and asked after its calls, before it paints,
// fails or moves on. A render still waiting when the user has gone to another page must not paint over that
// page, nor make it follow the old one.
function started() {
  const mine = generation;
  return () => mine === generation;
}

async function home() {
  const current = started();
  const overview = await rpc("rollup.getMomentums", [null, 60]);
  const recent = overview.momentums;
  // One read of L1 for the frontier, the final root and the last ten heights' claims.
  const claims = await maybe("rollup.getSettlement",
    [Math.max(1, overview.head - 9), Math.min(10, Math.max(1, overview.head))]);
  const frontier = claims.failed ? "?" : claims.l1Frontier;
  const finalHeight = !claims.failed && claims.finalRoot ? claims.finalRoot.height : overview.finalHeight;
  const statusAt = {};
  if (!claims.failed) for (const c of claims.claims) (statusAt[c.height] ||= []).push(c.status);
  const rates = [];
  for (let i = recent.length - 1; i > 0; i--) {
    const span = Math.max(1, recent[i - 1].timestamp - recent[i].timestamp);
    rates.push([recent[i - 1].timestamp, recent[i - 1].transactions / span]);
  }
  const windowTxs = recent.slice(0, -1).reduce((n, m) => n + m.transactions, 0);
  const windowSpan = recent.length > 1 ? Math.max(1, recent[0].timestamp - recent[recent.length - 1].timestamp) : 1;
  if (!current()) return;
  page.innerHTML = `
    <h1>Rollup overview <span class="live" id="live"></span></h1>
    <div class="cards">
      <div class="card"><div class="label">L1 frontier</div><div class="value" id="l1-frontier">${esc(frontier)}</div></div>
      <div class="card"><div class="label">Rollup head</div><div class="value" id="rollup-head">${heightLink(overview.head)}</div></div>
      <div class="card"><div class="label">Final height</div><div class="value" id="final-height">${esc(finalHeight)}</div></div>
      <div class="card"><div class="label">Transactions / s</div><div class="value">${(windowTxs / windowSpan).toFixed(1)}</div>
        <div class="muted">over the last ${esc(windowSpan)} s</div></div>
    </div>
    <h2>Transactions a second, per momentum</h2>
    <div class="chart">${chart(rates)}</div>
    <h2>Latest momentums</h2>
    ${table(["Height", "L1 time", "Bundles", "Transactions", "Failed", "Gas", "Deposits", "Claims"],
      recent.slice(0, 20).map((m) => [heightLink(m.height), `${esc(when(m.timestamp))} <span class="muted">${esc(ago(m.timestamp))}</span>`,
        esc(m.bundles), esc(m.transactions), esc(m.failed), esc(m.gasUsed), esc(m.deposits),
        (statusAt[m.height] || []).map(claimStatus).join(" ") +
          ` <a href="#/claims/${esc(m.height)}" class="muted">claims</a>`]),
      "No momentum executed yet.")}`;
  markLive();
  follow(() => home());
}

function markLive() {
  const live = document.getElementById("live");
  if (live) live.textContent = socket && socket.readyState === 1 ? "● live" : "";
}

function chart(points) {
  if (points.length < 2) return `<p class="muted">Not enough momentums yet.</p>`;
  const w = 1000, h = 160, pad = 28;
  const t0 = points[0][0], t1 = points[points.length - 1][0];
  const top = Math.max(1, ...points.map((p) => p[1]));
  const x = (t) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (w - 2 * pad);
  const y = (v) => h - pad - (v / top) * (h - 2 * pad);
  const line = points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
  return `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="transactions per second">
    <line class="axis" x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}"/>
    <line class="axis" x1="${pad}" y1="${pad}" x2="${w - pad}" y2="${pad}"/>
    <text x="2" y="${pad + 4}">${top.toFixed(0)}</text><text x="2" y="${h - pad + 4}">0</text>
    <text x="${pad}" y="${h - 8}">${esc(when(t0))}</text>
    <text x="${w - pad}" y="${h - 8}" text-anchor="end">${esc(when(t1))}</text>
    <polyline points="${line}"/></svg>`;
}

async function momentum(height, offset) {
  const current = started();
  const view = await rpc("rollup.getMomentum", [height, offset, MOMENTUM_PAGE]);
  if (!current()) return;
  if (!view) return fail(`Momentum ${height} is not executed by this executor, or its records are pruned.`);
  const s = view.summary;
  const settlement = await maybe("rollup.getSettlement", [height, 1]);
  const pager = [];
  if (offset > 0) pager.push(`<a href="#/momentum/${height}?offset=${Math.max(0, offset - MOMENTUM_PAGE)}">← earlier</a>`);
  if (offset + view.transactions.length < s.transactions) {
    pager.push(`<a href="#/momentum/${height}?offset=${offset + MOMENTUM_PAGE}">later →</a>`);
  }
  if (!current()) return;
  page.innerHTML = `
    <h1>Momentum ${esc(height)}</h1>
    <div class="pager"><a href="#/momentum/${height - 1}">← ${height - 1}</a><a href="#/momentum/${height + 1}">${height + 1} →</a></div>
    ${dl([["L1 momentum", full(s.l1Hash)], ["L1 time", esc(when(s.timestamp))],
      ["Executed here", esc(whenMs(s.executedAtMs))], ["State root", full(s.stateRoot)],
      ["Transactions", `${esc(s.transactions)} (${esc(s.failed)} failed, ${esc(s.dropped)} dropped)`],
      ["Gas used", esc(s.gasUsed)]])}
    <h2>Claims</h2>${claimsTable(settlement, view.claim)}
    ${challengesSection(settlement)}
    <h2>Inbox blocks on L1</h2>
    ${table(["L1 block", "Kind", "From", "Bytes", "Amount", "Plasma", "PoW difficulty"],
      view.inbox.map((b) => [mono(b.l1Block), esc(b.kind), addrLink(b.sender), esc(b.bytes),
        b.amount !== "0" ? amount(b.amount, b.token) : "", esc(b.fusedPlasma), esc(b.difficulty)]), "No inbox traffic.")}
    <h2>Prelude deposits</h2>
    ${table(["Account", "Amount", "L1 block"], view.deposits.map((d) => [addrLink(d.account), amount(d.amount, d.token),
      mono(d.l1Block)]), "No deposits.")}
    ${view.skipped.length ? `<h2>Skipped bundles</h2>${table(["L1 block", "Why"],
      view.skipped.map((k) => [mono(k.l1Block), esc(k.reason)]))}` : ""}
    <h2>Transactions ${s.transactions ? `${offset + 1}–${offset + view.transactions.length} of ${esc(s.transactions)}` : ""}</h2>
    <div class="pager">${pager.join("")}</div>
    ${table([...TX_HEADERS, "Relay"], txRows(view.transactions).map((r, i) => [...r, addrLink(view.transactions[i].poster)]),
      "No transactions.")}
    <div class="pager">${pager.join("")}</div>`;
}

function claimsTable(settlement, own) {
  if (settlement.failed) return `<p class="error">L1's settlement cannot be read: ${esc(settlement.failed)}</p>`;
  const rows = settlement.claims.map((c) => {
    const left = c.includedAt + settlement.finalityWindow - settlement.l1Frontier;
    const window = c.status.kind === "pending"
      ? (left >= 0 ? `ends at L1 ${esc(c.includedAt + settlement.finalityWindow)} (${esc(left)} momentums left)` : "closed")
      : c.status.kind === "final" ? `final at L1 ${esc(c.status.at)}` : esc(details(c.status, ["kind"]));
    const ours = own && own.body.newStateRoot === c.newStateRoot ? " " + badge("same root as here", "ok")
      : own ? " " + badge("differs from here", "bad") : "";
    return [heightLink(c.height), mono(c.executor), mono(c.newStateRoot) + ours, claimStatus(c.status), window,
      mono(c.l1Block)];
  });
  return table(["Height", "Executor", "Root", "Status", "Window", "L1 block"], rows, "No claim recorded on L1 yet.");
}

function challengesSection(settlement) {
  if (settlement.failed) return "";
  const challenges = table(["Challenge", "Height", "Leaf", "Challenger", "Executor", "Parts complete at", "Verdict", "Details"],
    settlement.challenges.map((c) => [mono(c.id), heightLink(c.height), esc(c.index), addrLink(c.challenger),
      mono(c.executor), esc(c.completedAt), verdict(c.status), esc(details(c.status, ["kind"]))]), "No challenges.");
  const da = settlement.daChallenges.length ? `<h2>Data-availability challenges</h2>${table(
    ["Height", "Challenger", "Executor", "Opened at", "Deposit", "Status"],
    settlement.daChallenges.map((d) => [heightLink(d.height), addrLink(d.challenger), mono(d.executor), esc(d.openedAt),
      amount(d.deposit), badge(d.status.kind)]))}` : "";
  return `<h2>Challenges</h2>${challenges}${da}`;
}

async function claims(top, single) {
  const current = started();
  const overview = await rpc("rollup.getMomentums", [null, 1]);
  const head = overview.head;
  const last = Math.max(1, Math.min(top ?? head, head || 1));
  const from = single ? last : Math.max(1, last - HEIGHTS + 1);
  const settlement = await maybe("rollup.getSettlement", [from, last - from + 1]);
  if (!current()) return;
  if (settlement.failed) return fail(`L1's settlement cannot be read: ${settlement.failed}`);
  const own = single ? await maybe("rollup.getClaim", [last]) : null;
  const bonds = table(["Executor", "L1 address", "Bond", "Since", "Unbonding since"],
    settlement.bonds.map((b) => [mono(b.executor), addrLink(b.address), b.bond ? amount(b.bond.amount) : "none",
      esc(b.bond?.since ?? ""), esc(b.bond?.unbondingSince ?? "")]), "No executor claimed here.");
  const final = settlement.finalRoot ? `height ${esc(settlement.finalRoot.height)}, root ${mono(settlement.finalRoot.root)}` : "nothing yet";
  if (!current()) return;
  page.innerHTML = `
    <h1>${single ? `Claims at height ${esc(last)}` : `Claims at heights ${esc(from)}–${esc(last)}`}</h1>
    ${dl([["L1 frontier", esc(settlement.l1Frontier)], ["Final on L1", final],
      ["Challenge window", `${esc(settlement.finalityWindow)} momentums`]])}
    ${single ? `<div class="pager"><a href="#/claims/${last - 1}">← ${last - 1}</a><a href="#/claims/${last + 1}">${last + 1} →</a>
      <a href="#/momentum/${last}">momentum ${esc(last)}</a></div>` :
      `<div class="pager"><a href="#/claims?top=${from - 1}">← older</a>${last < head ? `<a href="#/claims?top=${last + HEIGHTS}">newer →</a>` : ""}</div>`}
    <h2>Claims</h2>${claimsTable(settlement, own && !own.failed ? own : null)}
    ${challengesSection(settlement)}
    <h2>Bonds</h2>${bonds}`;
  if (!single && (top == null)) follow(() => claims(null, false));
}

async function transaction(hash) {
  const current = started();
  const detail = await rpc("rollup.getTransactionDetail", [hash]);
  if (!current()) return;
  if (!detail) return fail(`No transaction ${hash} is known to this executor (it may still be held by a relay).`);
  const t = detail.transaction, s = detail.summary, m = detail.momentum;
  let finalStep = { state: "todo", text: "waiting for the claim" };
  if (t.height != null) {
    const settlement = await maybe("rollup.getSettlement", [t.height, 1]);
    if (!settlement.failed) {
      const final = settlement.claims.find((c) => c.status.kind === "final");
      const pending = settlement.claims.filter((c) => c.status.kind === "pending");
      if (final && t.final) {
        const at = await maybe("rollup.getMomentums", [final.status.at, 1]);
        const time = !at.failed && at.momentums[0] && at.momentums[0].height === final.status.at ? when(at.momentums[0].timestamp) : "";
        finalStep = { state: "done", text: `at L1 momentum ${final.status.at}`, time };
      } else if (pending.length) {
        const ends = Math.min(...pending.map((c) => c.includedAt + settlement.finalityWindow));
        finalStep = { state: "todo", text: `claimed; window ends at L1 ${ends} (${Math.max(0, ends - settlement.l1Frontier)} left)` };
      } else if (settlement.claims.length) {
        finalStep = { state: "bad", text: "no claim of this height can become final" };
      }
    }
  }
  const executed = t.status === "executed" || t.status === "failed";
  const steps = [
    { name: "Admitted", state: "done", text: s ? `by a relay` : "", time: "" },
    { name: "Bundled", state: m ? "done" : "todo", text: s ? `by relay ${short(s.poster)}` : "", time: m ? when(m.timestamp) : "" },
    { name: "Sequenced", state: t.height != null ? "done" : "todo", text: t.height != null ? `momentum ${t.height}, position ${t.index}` : "", time: m ? when(m.timestamp) : "" },
    { name: "Executed", state: executed ? (t.status === "failed" ? "bad" : "done") : (t.status === "dropped" ? "bad" : "todo"), text: t.status, time: m ? whenMs(m.executedAtMs) : "" },
    { name: "Final", ...finalStep },
  ];
  const receipt = t.receipt;
  const events = table(["Contract", "Event", "Fields"], detail.events.map((e) => [addrLink(e.contract), esc(e.topic),
    e.fields ? `<code>${esc(JSON.stringify(e.fields))}</code>` : `<code class="muted">${esc(e.data)}</code>`]), "No events.");
  if (!current()) return;
  page.innerHTML = `
    <h1>Transaction <span class="mono">${esc(hash)}</span></h1>
    <div class="steps" id="lifecycle">${steps.map((st) => `<div class="step ${st.state}" data-step="${esc(st.name.toLowerCase())}">
      <div class="name">${esc(st.name)}</div><div>${esc(st.text || "")}</div><div class="when">${esc(st.time || "")}</div></div>`).join("")}</div>
    ${dl([["Status", `${txStatus(t.status)}${t.final ? " " + badge("final", "ok") : ""}${t.reason ? ` <span class="muted">${esc(t.reason)}</span>` : ""}`],
      s && ["From", addrLink(s.sender) + ` <span class="muted">nonce ${esc(s.nonce)}</span>`],
      s && ["Action", action(s)],
      s && s.l1Recipient && ["L1 recipient", addrLink(s.l1Recipient)],
      t.height != null && ["Momentum", `${heightLink(t.height)} position ${esc(t.index)} · <a href="#/claims/${esc(t.height)}">its claims</a>`],
      s && ["Relay (bundle poster)", addrLink(s.poster)],
      receipt && ["Gas", `${esc(receipt.gasUsed)} of ${esc(s ? s.gasLimit : "?")}`],
      s && ["Fee", s.fee != null ? `${amount(s.fee)} <span class="muted">(${esc(s.feePerGas)} per gas)</span>` : ""],
      receipt && ["Post-state root", full(receipt.postStateRoot)],
      receipt && receipt.returnData && ["Return data", `<code>${esc(receipt.returnData)}</code>`],
      s && s.action === "withdraw" && ["Withdrawal", `<a href="#/withdrawal/${esc(hash)}">follow it to L1</a>`]])}
    <h2>Events</h2>${events}
    <h2>Witness</h2>
    <p><button class="action" id="witness">Fetch this transaction's witness from the executor</button> <span id="witness-size" class="muted"></span></p>`;
  const button = document.getElementById("witness");
  if (t.height == null) button.disabled = true;
  button.addEventListener("click", async () => {
    const out = document.getElementById("witness-size");
    out.textContent = "building…";
    const started = performance.now();
    try {
      const response = await fetch("/", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: "rollup.getWitness", params: [t.height, t.index + 1] }) });
      const text = await response.text();
      const body = JSON.parse(text);
      if (body.error) throw new Error(body.error.message);
      out.textContent = `leaf ${t.index + 1} of momentum ${t.height}: ${text.length.toLocaleString("en")} bytes of JSON, in ${Math.round(performance.now() - started)} ms`;
    } catch (e) {
      out.textContent = `no witness: ${e.message}`;
    }
  });
  if (finalStep.state !== "done" && t.status !== "dropped") follow(() => transaction(hash));
}

async function address(addr, before) {
  const current = started();
  const [rollupAccount, l1, txs, contract] = await Promise.all([
    maybe("rollup.getBalance", [addr, null]),
    maybe("rollup.getL1Account", [addr]),
    rpc("rollup.getAddressTransactions", [addr, before, PAGE]),
    maybe("rollup.getContract", [addr, null]),
  ]);
  if (!current()) return;
  if (rollupAccount.failed && rollupAccount.failed.includes("invalid")) return fail(rollupAccount.failed);
  const isContract = contract && !contract.failed;
  const deployed = txs.transactions.filter((t) => t.action === "deploy" && t.role === "sender" && t.status === "executed");
  const next = txs.next ? `<a href="#/address/${esc(addr)}?before=${txs.next.height}:${txs.next.index}">older →</a>` : "";
  const methods = isContract && contract.abi ? table(["Method", "Inputs", "Output", "View"],
    contract.abi.methods.map((m) => [`<code>${esc(m.name)}</code>`,
      esc(m.inputs.map((i) => `${i.name}: ${i.type}`).join(", ")), esc(m.output ?? ""), m.view ? "yes" : ""]))
    : `<p class="muted">The contract's code carries no ABI.</p>`;
  if (!current()) return;
  page.innerHTML = `
    <h1>${isContract ? "Contract" : "Address"} <span class="mono">${esc(addr)}</span></h1>
    ${dl([["Rollup balance", rollupAccount.failed ? esc(rollupAccount.failed) : `${amount(rollupAccount.znn)} · ${amount(rollupAccount.qsr, "zts1qsrxxxxxxxxxxxxxmrhjll")}`],
      ["Rollup nonce", rollupAccount.failed ? "" : esc(rollupAccount.nonce)],
      ["L1 balance", l1.failed ? `<span class="muted">${esc(l1.failed)}</span>` : `${amount(l1.znn)} · ${amount(l1.qsr, "zts1qsrxxxxxxxxxxxxxmrhjll")}`],
      !l1.failed && l1.bond && ["L1 bond", `${amount(l1.bond.amount)} since L1 ${esc(l1.bond.since)}${l1.bond.unbondingSince ? `, unbonding since ${esc(l1.bond.unbondingSince)}` : ""}`],
      isContract && ["Code hash", full(contract.codeHash)],
      isContract && ["Code size", `${esc(contract.codeSize)} bytes, ${esc(contract.functions)} functions`]])}
    ${isContract ? `<h2>Methods</h2>${methods}` : ""}
    ${deployed.length ? `<h2>Contracts deployed (on this page)</h2>${table(["Contract", "Transaction"],
      deployed.map((t) => [addrLink(t.target), txLink(t.hash)]))}` : ""}
    <h2>${isContract ? "Recent calls and transactions" : "Transactions"}, newest first</h2>
    ${table([...TX_HEADERS, "Role"], txRows(txs.transactions, true), "No transactions kept for this address.")}
    <div class="pager">${before ? `<a href="#/address/${esc(addr)}">newest</a>` : ""}${next}</div>`;
}

async function withdrawal(hash) {
  const current = started();
  const w = await rpc("rollup.getWithdrawal", [hash]);
  const s = w.summary;
  const burned = w.status === "executed";
  const steps = [
    ["Executed", burned ? "done" : w.status === "failed" || w.status === "dropped" ? "bad" : "todo",
      burned ? `momentum ${w.height}` : w.height != null ? `${w.status} at momentum ${w.height}: nothing to pay` : "not yet"],
    ["Final", w.final && burned ? "done" : "todo", w.final ? "its claim is final on L1" : "waiting for the claim's window"],
    ["Proven and paid on L1", w.paidL1Block ? "done" : "todo",
      w.paidL1Block ? `paid by L1 block ${short(w.paidL1Block)}` : "not yet (zr withdraw posts the proof)"],
  ];
  if (!current()) return;
  page.innerHTML = `
    <h1>Withdrawal <span class="mono">${esc(hash)}</span></h1>
    <div class="steps" id="withdrawal-steps">${steps.map(([name, state, text]) =>
      `<div class="step ${state}" data-step="${esc(name.split(" ")[0].toLowerCase())}"><div class="name">${esc(name)}</div><div>${esc(text)}</div></div>`).join("")}</div>
    ${dl([["Transaction", txLink(hash)],
      s && ["From", addrLink(s.sender)],
      s && ["Amount", amount(s.amount, s.token)],
      s && ["L1 recipient", addrLink(s.l1Recipient)],
      w.height != null && ["Momentum", heightLink(w.height)],
      ["Paying L1 block", w.paidL1Block ? full(w.paidL1Block) : "—"]])}`;
  if (!w.paidL1Block && burned) follow(() => withdrawal(hash));
}

async function search(query) {
  const current = started();
  const q = query.trim();
  if (/^\d+$/.test(q)) { location.hash = `#/momentum/${q}`; return; }
  if (/^z1[0-9a-z]{30,}$/.test(q)) { location.hash = `#/address/${q}`; return; }
  const hex = q.replace(/^0x/, "").toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) {
    const detail = await maybe("rollup.getTransactionDetail", [hex]);
    if (!current()) return;
    if (detail && !detail.failed) { location.hash = `#/tx/${hex}`; return; }
    const overview = await rpc("rollup.getMomentums", [null, 1]);
    const from = Math.max(1, overview.head - 99);
    const settlement = await maybe("rollup.getSettlement", [from, Math.max(1, overview.head - from + 1)]);
    const challenge = !settlement.failed && settlement.challenges.find((c) => c.id === hex);
    if (!current()) return;
    if (challenge) { location.hash = `#/claims/${challenge.height}`; return; }
    return fail(`Nothing is known here by ${hex}: not a transaction this executor ran, nor a challenge of the last 100 heights.`);
  }
  fail(`"${q}" is not a transaction hash, an address (z1…), a height or a challenge id.`);
}

// ---- Live updates ------------------------------------------------------------------------------------------

let socket = null;
let claimListeners = [];
function follow(render) {
  const mine = generation;
  let busy = false;
  let last = 0;
  refresh = async () => {
    // At most one render a second, however fast momentums come.
    if (busy || mine !== generation || performance.now() - last < 1000) return;
    busy = true;
    last = performance.now();
    try { await render(); } catch (e) { statusLine.textContent = e.message; } finally { busy = false; }
  };
  claimListeners = [refresh];
  openSocket();
  // A claim is signed every momentum; without a socket (a proxy that drops it) poll instead.
  clearInterval(follow.timer);
  follow.timer = setInterval(() => { if (!socket || socket.readyState !== 1) refresh && refresh(); }, 3000);
}
function openSocket() {
  if (socket && socket.readyState <= 1) return;
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`);
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ jsonrpc: "2.0", id: nextId++, method: "rollup.subscribe", params: ["claims"] }));
    markLive();
  });
  socket.addEventListener("message", (message) => {
    const body = JSON.parse(message.data);
    if (body.method === "rollup.subscription") for (const listener of claimListeners) listener();
  });
  socket.addEventListener("close", () => { socket = null; markLive(); });
}

// ---- Routing -----------------------------------------------------------------------------------------------

let firstRoute = true;
async function route() {
  const mine = ++generation;
  const hash = location.hash;
  refresh = null;
  claimListeners = [];
  clearInterval(follow.timer);
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  const started = performance.now();
  try {
    switch (parts[0]) {
      case undefined: await home(); break;
      case "momentum": await momentum(Number(parts[1]), Number(params.get("offset") || 0)); break;
      case "tx": await transaction(parts[1]); break;
      case "address": case "contract": {
        const before = params.get("before");
        await address(parts[1], before ? { height: Number(before.split(":")[0]), index: Number(before.split(":")[1]) } : null);
        break;
      }
      case "claims": await (parts[1] ? claims(Number(parts[1]), true) : claims(params.get("top") ? Number(params.get("top")) : null, false)); break;
      case "withdrawal": await withdrawal(parts[1]); break;
      case "search": await search(decodeURIComponent(parts.slice(1).join("/"))); break;
      default: fail(`No page ${path}.`);
    }
  } catch (e) {
    if (mine === generation) fail(e.message);
  }
  // A search that moved on to its result's page leaves the marking to that page's route.
  if (mine !== generation || location.hash !== hash) return;
  // The first page's time counts from the navigation (the HTML, the script and the calls), later ones from the click.
  const took = Math.round(firstRoute ? performance.now() : performance.now() - started);
  firstRoute = false;
  statusLine.textContent = `Loaded in ${took} ms.`;
  document.body.dataset.loadMs = String(took);
  document.body.dataset.loaded = location.hash || "#/";
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("query").value;
  if (q.trim()) location.hash = `#/search/${encodeURIComponent(q.trim())}`;
});
window.addEventListener("hashchange", route);
route();
