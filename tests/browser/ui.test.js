// Browser tests of the web UI: a real `atiende serve` (fresh SQLite data directory),
// Debian's Chromium driven by playwright-core, a webhook receiver on loopback.
// Run by scripts/test.sh; alone: (cd tests/browser && npm test) after `cargo build -p atiende`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import http from "node:http";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = process.env.ATIENDE_BIN || join(ROOT, "target/debug/atiende");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = process.env.ATIENDE_SCREENSHOTS || "";
// The local identity provider the social login logs in at (atiende-testkit's fake-idp).
const IDP_BIN = process.env.FAKE_IDP_BIN || join(BIN, "../fake-idp");
// The local Graph API WhatsApp replies go to (atiende-testkit's fake-graph).
const GRAPH_BIN = process.env.FAKE_GRAPH_BIN || join(BIN, "../fake-graph");
const META_SECRET = "browser-meta-app-secret";
const WA_TOKEN = "EAAG-browser-test-token-000001";
const PASSWORD = "correct horse battery";

let dataDir, server, base, token, browser, sink, sinkUrl, idp, idpUrl, graph, graphUrl;
const received = [];
let serverLog = "";

function cli(args, input) {
  return execFileSync(BIN, [...args, "--data-dir", dataDir], { input, encoding: "utf8", env: { ...process.env, RUST_LOG: "warn" } });
}

async function api(method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: "Bearer " + token, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "atiende-ui-"));
  sink = http.createServer((req, res) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => { received.push(JSON.parse(b)); res.writeHead(200).end("ok"); });
  });
  await new Promise((r) => sink.listen(0, "127.0.0.1", r));
  sinkUrl = `http://127.0.0.1:${sink.address().port}/hook`;
  cli(["user", "create", "--org", "Acme", "--email", "ana@acme.test", "--role", "admin", "--password-stdin"], PASSWORD);
  cli(["user", "create", "--org", "Acme", "--email", "beto@acme.test", "--role", "agent", "--password-stdin"], PASSWORD);
  token = cli(["token", "create", "--email", "ana@acme.test"]).trim().split("\n").pop();
  idp = spawn(IDP_BIN, ["google", "browser-client", "browser-secret", "1101694844", "Camila Rojas Undurraga", "camila@gmail.example"]);
  idpUrl = await new Promise((ok, fail) => {
    let out = "";
    idp.stdout.on("data", (d) => { out += d; const m = out.match(/listening at (\S+)/); if (m) ok(m[1]); });
    idp.on("exit", (code) => fail(new Error("fake-idp exited " + code)));
  });
  graph = spawn(GRAPH_BIN, [WA_TOKEN]);
  graphUrl = await new Promise((ok, fail) => {
    let out = "";
    graph.stdout.on("data", (d) => { out += d; const m = out.match(/listening at (\S+)/); if (m) ok(m[1]); });
    graph.on("exit", (code) => fail(new Error("fake-graph exited " + code)));
  });
  const meta = { ATIENDE_META_APP_SECRET: META_SECRET, ATIENDE_META_GRAPH_URL: graphUrl };
  const google = { ATIENDE_GOOGLE_CLIENT_ID: "browser-client", ATIENDE_GOOGLE_CLIENT_SECRET: "browser-secret", ATIENDE_GOOGLE_ISSUER: idpUrl,
    ATIENDE_GOOGLE_AUTHORIZATION_URL: `${idpUrl}/authorize`, ATIENDE_GOOGLE_TOKEN_URL: `${idpUrl}/token`, ATIENDE_GOOGLE_JWKS_URL: `${idpUrl}/jwks` };
  server = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], { env: { ...process.env, RUST_LOG: "warn", ATIENDE_OUTBOUND_ALLOW: "127.0.0.0/8,::1,localhost", ...google, ...meta } });
  server.stderr.on("data", (d) => (serverLog += d));
  base = await new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/[^/\s]+)\//);
      if (m) ok(m[1]);
    });
    server.on("exit", (code) => fail(new Error("server exited " + code)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  idp?.kill("SIGTERM");
  graph?.kill("SIGTERM");
  sink?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function login(page, email, password = PASSWORD) {
  await page.goto(base + "/login");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit]")]);
}

async function waitUntil(cond, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function column(page, name) {
  return page.locator("section.column", { has: page.locator("h2", { hasText: new RegExp("^" + name + "$") }) });
}

async function noMissingTexts(page) {
  assert.ok(!(await page.content()).includes("⟦"), "every text of the page is translated");
}

test("log in, build the board, see a ticket arrive live, reply, deliver, close (Spanish)", async () => {
  const acc = await api("POST", "/api/v1/accounts", { kind: "api", name: "Web", settings: { webhook_url: sinkUrl, webhook_secret: "s3cret-s3cret-s3cret" } });
  assert.equal(acc.status, 201);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();

  // Wrong password: an error, still on the login page.
  await page.goto(base + "/login");
  await page.fill("#email", "ana@acme.test");
  await page.fill("#password", "wrong password");
  await page.click("button[type=submit]");
  assert.match(await page.textContent("#login-error"), /incorrectos/);

  await login(page, "ana@acme.test");
  assert.match(await page.textContent("h1"), /Tu mesón está vacío/);
  await noMissingTexts(page);

  // The recommended team flow creates the three columns.
  await Promise.all([page.waitForURL(base + "/"), page.click("text=Flujo recomendado: todo el equipo")]);
  assert.deepEqual(await page.locator("section.column h2").allTextContents(), ["Nuevos", "Abordados esperando respuesta", "Abordados respondidos"]);

  // A column with a bad date is refused next to the field, and nothing is stored.
  await page.goto(base + "/columns/new");
  await page.fill("#name", "Abiertos");
  await page.fill("input[name=created_from]", "2026-05-02");
  await page.fill("input[name=created_to]", "2026-05-01");
  await page.click("button[type=submit]");
  assert.match(await page.textContent('[data-field="created_to"]'), /no puede ser anterior al inicio/);
  const empty = await page.evaluate(() => document.querySelector("#name").value);
  assert.equal(empty, "Abiertos", "the form keeps what was typed");
  await page.fill("#name", "");
  await page.fill("input[name=created_from]", "");
  await page.fill("input[name=created_to]", "");
  await page.click("button[type=submit]");
  assert.match(await page.textContent('[data-field="name"]'), /no puede estar vacío/);
  await page.goto(base + "/");
  assert.equal(await page.locator("section.column").count(), 3, "no column was stored by the refused forms");

  // Build a column: every open ticket, newest first.
  await page.goto(base + "/columns/new");
  await page.fill("#name", "Abiertos");
  await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit]")]);
  assert.equal(await page.locator("section.column").count(), 4);
  await page.waitForSelector("#live.on");

  // A ticket posted through the API appears live, without reload.
  const r = await api("POST", `/api/v1/accounts/${acc.json.id}/inbound`, { external_id: "m-1", client: { external_id: "c-1", name: "Carla Pérez" }, text: "Hola, mi pedido no llegó" });
  assert.equal(r.status, 202);
  await column(page, "Nuevos").locator(".card", { hasText: "Carla Pérez" }).waitFor();
  await column(page, "Abiertos").locator(".card", { hasText: "Hola, mi pedido no llegó" }).waitFor();
  assert.equal(await column(page, "Nuevos").locator(".count").textContent(), "1");
  if (SHOTS) {
    for (let i = 2; i <= 6; i++) {
      await api("POST", `/api/v1/accounts/${acc.json.id}/inbound`, { external_id: "m-" + i, client: { external_id: "c-" + i, name: ["Diego Soto", "Elena Ruiz", "Fabián Mora", "Gabriela Díaz", "Hugo Lagos"][i - 2] }, text: ["¿Tienen despacho a regiones?", "Quiero cambiar mi dirección de envío", "La boleta salió con otro RUT", "¿Cuándo vuelve a haber stock?", "Necesito anular la compra #4411"][i - 2] });
    }
    await column(page, "Nuevos").locator(".card", { hasText: "Hugo Lagos" }).waitFor();
  }

  // Open it from the keyboard: j selects the first card, Enter opens it.
  await page.keyboard.press("j");
  assert.match(await page.textContent(".card.selected"), /Carla Pérez/, "j selects the longest-waiting new ticket");
  await page.keyboard.press("l");
  assert.ok((await page.textContent(".card.selected")).length > 0, "l moves to the next column with tickets");
  await page.keyboard.press("h");
  assert.match(await page.textContent(".card.selected"), /Carla Pérez/);
  await Promise.all([page.waitForURL(/\/tickets\/\d+$/), page.keyboard.press("Enter")]);
  await page.waitForSelector("#ticket");
  await noMissingTexts(page);
  assert.match(await page.textContent("#messages"), /mi pedido no llegó/);

  // Reply with Ctrl+Enter: the message shows, then its delivery turns to sent.
  await page.keyboard.press("r");
  await page.keyboard.type("Hola Carla, lo revisamos ahora mismo.");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Control+Enter")]);
  const out = page.locator(".msg.out", { hasText: "lo revisamos" });
  await out.waitFor();
  await out.locator('.delivery[data-delivery="sent"]').waitFor({ timeout: 15000 }).catch(async (e) => {
    console.error("DEBUG", await out.innerHTML(), JSON.stringify(received));
    throw e;
  });
  assert.equal(await out.locator(".delivery").textContent(), "Enviado");
  assert.equal(received.filter((m) => m.message.text === "Hola Carla, lo revisamos ahora mismo.").length, 1);

  // An empty reply is refused next to the box.
  await page.fill("#reply-text", "   ");
  await page.click("#send");
  assert.ok((await page.textContent('[data-field="text"]')).length > 0);

  // A new client message on the open ticket appears live in the conversation.
  await api("POST", `/api/v1/accounts/${acc.json.id}/inbound`, { external_id: "m-1b", client: { external_id: "c-1", name: "Carla Pérez" }, text: "Gracias, quedo atenta" });
  await page.locator(".msg.in", { hasText: "quedo atenta" }).waitFor();
  if (SHOTS) {
    await page.reload();
    await page.screenshot({ path: join(SHOTS, "ticket.png") });
  }

  // On the board it moved from "Nuevos" to "awaiting answer".
  await page.goto(base + "/");
  await column(page, "Abordados esperando respuesta").locator(".card", { hasText: "Carla Pérez" }).waitFor();
  assert.equal(await column(page, "Nuevos").locator(".card", { hasText: "Carla Pérez" }).count(), 0);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "board.png") });

  // Close it: it leaves the open columns, live in a second tab.
  const watcher = await ctx.newPage();
  await watcher.goto(base + "/");
  await watcher.waitForSelector("#live.on");
  await column(page, "Abordados esperando respuesta").locator(".card", { hasText: "Carla Pérez" }).click();
  await page.waitForSelector("#close-ticket");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("c")]);
  assert.equal(await page.textContent("#ticket-state"), "Cerrado");
  await column(watcher, "Abiertos").locator(".card", { hasText: "Carla Pérez" }).waitFor({ state: "detached" });
  assert.equal(await column(watcher, "Abordados esperando respuesta").locator(".card", { hasText: "Carla Pérez" }).count(), 0);
  await ctx.close();
});

test("two agents on one ticket see each other's replies; English profile", async () => {
  const accs = await api("GET", "/api/v1/accounts");
  const acc = accs.json.items[0];
  await api("POST", `/api/v1/accounts/${acc.id}/inbound`, { external_id: "x-1", client: { external_id: "c-9", name: "Iris Vega" }, text: "Need help with my invoice" });
  const list = await api("GET", "/api/v1/tickets?state=open");
  const t = list.json.items.find((x) => x.client_id && x.excerpt.includes("invoice"));
  assert.ok(t);

  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  await login(a, "ana@acme.test");
  await login(b, "beto@acme.test");

  // Beto switches his profile to English: the whole UI follows.
  await b.goto(base + "/profile");
  await b.selectOption("#language", "en");
  await Promise.all([b.waitForNavigation(), b.click("button[type=submit]")]);
  assert.equal(await b.textContent("h1"), "My profile");
  await b.fill("#new_password", "short");
  await b.fill("#current_password", PASSWORD);
  await b.click("button[type=submit]");
  assert.match(await b.textContent('[data-field="new_password"]'), /8 to 256/);
  await b.goto(base + "/");
  assert.equal(await b.textContent("h1"), "Your board is empty");
  await Promise.all([b.waitForURL(base + "/"), b.click("text=Recommended flow: my tickets")]);
  assert.deepEqual(await b.locator("section.column h2").allTextContents(), ["New", "Addressed, awaiting answer", "Addressed, answered"]);
  await noMissingTexts(b);
  assert.equal(await b.locator("section.column .card").count(), 0, "'my tickets' shows only Beto's");

  // Both open the ticket; Ana answers, Beto sees it without reloading, and back.
  await a.goto(`${base}/tickets/${t.id}`);
  await b.goto(`${base}/tickets/${t.id}`);
  await b.waitForSelector("#live.on");
  await a.waitForSelector("#live.on");
  await noMissingTexts(b);
  await a.fill("#reply-text", "Hi Iris, checking your invoice.");
  await Promise.all([a.waitForNavigation(), a.click("#send")]);
  await b.locator(".msg.out", { hasText: "checking your invoice" }).waitFor();
  await b.click("input[value=note]");
  await b.fill("#reply-text", "Internal: invoice 88 is duplicated");
  await Promise.all([b.waitForNavigation(), b.click("#send")]);
  await a.locator(".msg-note", { hasText: "invoice 88" }).waitFor();
  await waitUntil(() => received.some((m) => m.message.text.includes("checking your invoice")));
  assert.equal(received.filter((m) => m.message.text.includes("invoice 88")).length, 0, "notes are never sent");

  // Beto takes it; the history says who and why; his "New"… columns now show it.
  await Promise.all([b.waitForNavigation(), b.click("button[value=take]")]);
  assert.match(await b.textContent(".history"), /assigned to themself/);
  await b.goto(base + "/");
  await column(b, "Addressed, awaiting answer").locator(".card", { hasText: "Iris Vega" }).count();
  assert.equal(await b.locator("section.column .card", { hasText: "Iris Vega" }).count(), 1);

  // The status switcher is always there and switches.
  await Promise.all([b.waitForNavigation(), b.selectOption("#status-select", { label: "○ Lunch" })]);
  const me = await api("GET", "/api/v1/users");
  const beto = me.json.items.find((u) => u.email === "beto@acme.test");
  const statuses = await api("GET", "/api/v1/connection-statuses");
  assert.equal(statuses.json.items.find((s) => s.id === beto.connection_status_id).name, "Lunch");
  await ctxA.close();
  await ctxB.close();
});

test("pages need a session and forms need the CSRF field", async () => {
  const r = await fetch(base + "/", { redirect: "manual" });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/login");
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === "atiende_session").value;
  const forged = await fetch(base + "/columns", {
    method: "POST",
    headers: { cookie: "atiende_session=" + session, "content-type": "application/x-www-form-urlencoded" },
    body: "name=Forged&state=open&sort=updated_desc&assignee=any",
    redirect: "manual",
  });
  assert.equal(forged.status, 403);
  await page.goto(base + "/");
  assert.equal(await page.locator("section.column h2", { hasText: "Forged" }).count(), 0);
  await ctx.close();
});

test("admin screens: users, statuses, accounts, tokens — bad input refused next to the field", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 } });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  const count = async (path) => (await api("GET", path)).json.items.length;

  // Users: a bad email is refused next to the field and nothing is stored.
  const before = await count("/api/v1/users");
  await page.goto(base + "/admin/users");
  await noMissingTexts(page);
  await page.fill("#nu-first", "Dora");
  await page.fill("#nu-email", "not-an-email");
  await page.fill("#nu-password", PASSWORD);
  await page.click("form.grid-form button[type=submit]");
  assert.ok((await page.textContent('[data-field="email"]')).length > 0);
  assert.equal(await page.inputValue("#nu-first"), "Dora", "what was typed is kept");
  assert.equal(await count("/api/v1/users"), before);
  await page.fill("#nu-email", "dora@acme.test");
  await page.fill("#nu-password", PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click("form.grid-form button[type=submit]")]);
  assert.equal(await count("/api/v1/users"), before + 1);
  // The first user has no deactivate button; Dora can be deactivated and then cannot log in.
  const first = page.locator("tr", { hasText: "ana@acme.test" });
  assert.equal(await first.locator("button[value=deactivate]").count(), 0);
  const dora = page.locator("tr", { hasText: "dora@acme.test" });
  await Promise.all([page.waitForNavigation(), dora.locator("button[value=deactivate]").click()]);
  assert.equal(await page.locator("tr", { hasText: "dora@acme.test" }).locator("button[value=activate]").count(), 1);
  const denied = await fetch(base + "/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "dora@acme.test", password: PASSWORD }) });
  assert.equal(denied.status, 401);

  // Connection statuses: an empty name is refused; a new assignable one appears in the switcher.
  await page.goto(base + "/admin/statuses");
  await page.click("form.inline >> text=Crear");
  assert.ok((await page.textContent('[data-field="name"]')).length > 0);
  await page.fill("#new-status", "En terreno");
  await page.check("form[action='/admin/statuses'] input[name=assignable]");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/statuses'] button")]);
  assert.equal(await page.locator("#status-select option", { hasText: "En terreno" }).count(), 1);

  // Accounts: a short webhook secret is refused next to its field; a good account is created.
  const accounts = await count("/api/v1/accounts");
  await page.goto(base + "/admin/accounts");
  await page.fill("#new-acc-name", "Tienda");
  await page.fill("#new-acc-url", sinkUrl);
  await page.fill("#new-acc-secret", "short");
  await page.click("form[action='/admin/accounts'] button");
  assert.match(await page.textContent('form[action="/admin/accounts"] [data-field="webhook_secret"]'), /entre 16 y 256/);
  assert.equal(await count("/api/v1/accounts"), accounts);
  await page.fill("#new-acc-secret", "a-long-enough-secret");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/accounts'] button")]);
  assert.equal(await count("/api/v1/accounts"), accounts + 1);
  const created = (await api("GET", "/api/v1/accounts")).json.items.find((a) => a.name === "Tienda");
  assert.deepEqual(created.secrets_set, ["webhook_secret"]);
  assert.equal(created.settings.webhook_url, sinkUrl);

  // Tokens: shown once, work at once, revoked at once.
  await page.goto(base + "/tokens");
  await page.fill("#token-name", "zapier");
  await page.click("form[action='/tokens'] button");
  const mine = (await page.textContent("#new-token")).trim();
  const me = await fetch(base + "/api/v1/me", { headers: { authorization: "Bearer " + mine } });
  assert.equal(me.status, 200);
  await page.goto(base + "/tokens");
  assert.equal(await page.locator("#new-token").count(), 0, "never shown again");
  await Promise.all([page.waitForNavigation(), page.locator("tr", { hasText: "zapier" }).locator("button").click()]);
  const gone = await fetch(base + "/api/v1/me", { headers: { authorization: "Bearer " + mine } });
  assert.equal(gone.status, 401);
  if (SHOTS) {
    await page.goto(base + "/admin/users");
    await page.screenshot({ path: join(SHOTS, "admin-users.png") });
  }

  // An agent cannot open the admin screens.
  const agent = await (await browser.newContext()).newPage();
  await login(agent, "beto@acme.test");
  const r = await agent.goto(base + "/admin/users");
  assert.equal(r.status(), 403);
  await ctx.close();
});

test("password reset by a one-use link (logged while no mail sender is configured)", async () => {
  const ctx = await browser.newContext({ locale: "en-US" });
  const page = await ctx.newPage();
  await page.goto(base + "/login");
  await page.click("text=Forgot your password?");
  await page.fill("#email", "beto@acme.test");
  await page.click("button[type=submit]");
  await page.waitForSelector("#reset-sent");
  // An unknown address gets the same answer and no link.
  await page.goto(base + "/password/forgot");
  await page.fill("#email", "nobody@acme.test");
  await page.click("button[type=submit]");
  await page.waitForSelector("#reset-sent");
  await waitUntil(() => /password\/reset\?token=\w+/.test(serverLog));
  const links = serverLog.match(/http:\/\/[^\s]+\/password\/reset\?token=\w+/g);
  assert.equal(links.length, 1, "one link, for the real user only");
  const link = links[0];
  await page.goto(link);
  await page.fill("#password", "short");
  await page.click("button[type=submit]");
  assert.match(await page.textContent('[data-field="password"]'), /8 to 256/);
  await page.fill("#password", "a brand new password");
  await page.click("button[type=submit]");
  await page.waitForSelector("#reset-done");
  // The link works once.
  await page.goto(link);
  await page.fill("#password", "yet another password");
  await page.click("button[type=submit]");
  await page.waitForSelector("#reset-invalid");
  // The new password logs in; the old one does not.
  const tryLogin = (password) => fetch(base + "/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "beto@acme.test", password }) });
  assert.equal((await tryLogin(PASSWORD)).status, 401);
  assert.equal((await tryLogin("a brand new password")).status, 200);
  await ctx.close();
});

test("business hours: a schedule with bad times is refused next to the day; copy to every day", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  await page.goto(base + "/admin/schedules");
  await noMissingTexts(page);
  await page.fill("#sch-name", "Oficina Santiago");
  await page.fill("#day-tue", "09:00-25:00");
  await page.click("#schedule-form button[type=submit]");
  assert.match(await page.textContent('[data-field="day_tue"]'), /HH:MM/);
  assert.equal(await page.inputValue("#day-tue"), "09:00-25:00", "the form keeps what was typed");
  assert.equal((await api("GET", "/api/v1/schedules")).json.items.length, 0, "nothing stored");
  await page.fill("#day-mon", "09:00-13:00, 14:00-18:00");
  await page.check("#copy-monday");
  assert.equal(await page.inputValue("#day-sun"), "09:00-13:00, 14:00-18:00");
  await page.fill("#sch-holidays", "2026-12-25, 2027-01-01");
  await Promise.all([page.waitForNavigation(), page.click("#schedule-form button[type=submit]")]);
  const items = (await api("GET", "/api/v1/schedules")).json.items;
  assert.equal(items.length, 1);
  assert.deepEqual(items[0].days.sun, [["09:00", "13:00"], ["14:00", "18:00"]]);
  assert.deepEqual(items[0].holidays, ["2026-12-25", "2027-01-01"]);
  assert.equal(await page.locator("table.list tr", { hasText: "Oficina Santiago" }).count(), 1);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "admin-schedules.png"), fullPage: true });

  // SLA: a card past its account's SLA turns red on the board, and so does the ticket's timer.
  const acc = await api("POST", "/api/v1/accounts", { kind: "api", name: "Rápida", settings: { sla: { amount: 2, unit: "seconds" } } });
  assert.equal(acc.status, 201);
  await api("POST", `/api/v1/accounts/${acc.json.id}/inbound`, { external_id: "sla-1", client: { external_id: "sla-c", name: "Sofía Lagos" }, text: "¿Siguen ahí?" });
  await page.goto(base + "/columns/new");
  await page.fill("#name", "Atrasados");
  await page.check("#overdue");
  await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit]")]);
  const card = page.locator(".card", { hasText: "Sofía Lagos" }).first();
  await card.waitFor();
  await page.waitForSelector(".card.overdue >> text=Sofía Lagos", { timeout: 15000 });
  await page.reload();
  await column(page, "Atrasados").locator(".card", { hasText: "Sofía Lagos" }).waitFor();
  assert.equal(await column(page, "Atrasados").locator(".card").count(), 1, "only the overdue ticket (the other accounts have no SLA)");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "board-sla.png") });
  await Promise.all([page.waitForURL(/\/tickets\/\d+$/), card.locator("a").click()]);
  await page.waitForSelector("#sla-timer.overdue");
  await ctx.close();
});

test("assignment grid: bulk enabling, a bad cap refused, a queued ticket goes to the agent who connects", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  const users = (await api("GET", "/api/v1/users")).json.items;
  const statuses = (await api("GET", "/api/v1/connection-statuses")).json.items;
  const status = (name) => statuses.find((s) => s.name === name).id;
  const beto = users.find((u) => u.email === "beto@acme.test");
  for (const u of users.filter((u) => u.active)) await api("PATCH", `/api/v1/users/${u.id}`, { connection_status_id: status("Break") });
  const acc = (await api("POST", "/api/v1/accounts", { kind: "api", name: "Soporte", settings: {} })).json;
  const sent = (await api("POST", `/api/v1/accounts/${acc.id}/inbound`, { external_id: "q-1", client: { external_id: "q-c", name: "Quique Rojas" }, text: "¿Me atienden?" })).json;

  // No one is enabled on the account: the ticket says why it waits.
  await page.goto(base + "/tickets/" + sent.ticket_id);
  await page.waitForSelector(".queued-note");
  await page.reload();
  assert.match(await page.textContent(".queued-note"), /ningún ejecutivo tiene autoasignación/);

  // A bad cap is refused with nothing saved.
  await page.goto(base + "/admin/assignment");
  await noMissingTexts(page);
  await page.fill(`#cap-${beto.id}`, "0");
  await page.selectOption(`#col-${acc.id}`, "auto");
  assert.equal(await page.inputValue(`#m-${beto.id}-${acc.id}`), "auto", "the column's choice sets every cell");
  await page.click("#assign-grid button.primary");
  assert.match(await page.textContent('#assign-grid [data-field="max_open_tickets"]'), /de 1 a 1000/);
  assert.deepEqual((await api("GET", `/api/v1/accounts/${acc.id}/agents`)).json.items, [], "nothing saved");

  // Enabled with auto-assignment and a cap of 3; Beto is still on a break, so the ticket waits.
  await page.goto(base + "/admin/assignment");
  await page.fill(`#cap-${beto.id}`, "3");
  await page.selectOption(`#col-${acc.id}`, "auto");
  await Promise.all([page.waitForNavigation(), page.click("#assign-grid button.primary")]);
  assert.equal(await page.inputValue(`#m-${beto.id}-${acc.id}`), "auto");
  assert.equal((await api("GET", `/api/v1/users/${beto.id}`)).json.max_open_tickets, 3);
  assert.match(await page.textContent(`[data-queue="${acc.id}"]`), /: 1/);

  // Beto connects: the queued ticket is his at once, and the history says which rule gave it.
  const r = await api("PATCH", `/api/v1/users/${beto.id}`, { connection_status_id: status("Available") });
  assert.equal(r.status, 200);
  let t;
  for (let i = 0; i < 100; i++) {
    t = (await api("GET", `/api/v1/tickets/${sent.ticket_id}`)).json;
    if (t.assignee_id) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.equal(t.assignee_id, beto.id);
  await page.goto(base + "/tickets/" + sent.ticket_id);
  assert.equal(await page.locator(".queued-note").count(), 0);
  assert.match(await page.textContent("ol.history"), /orden de llegada/);
  if (SHOTS) {
    const rita = (await api("POST", `/api/v1/accounts/${acc.id}/inbound`, { external_id: "q-2", client: { external_id: "q-d", name: "Rita Soto" }, text: "Hola" })).json;
    for (let i = 0; i < 100 && !(await api("GET", `/api/v1/tickets/${rita.ticket_id}`)).json.assignee_id; i++) await new Promise((ok) => setTimeout(ok, 50));
    await api("PATCH", `/api/v1/users/${beto.id}`, { connection_status_id: status("Lunch") });
    await api("POST", `/api/v1/accounts/${acc.id}/inbound`, { external_id: "q-3", client: { external_id: "q-e", name: "Tomás Vidal" }, text: "Hola" });
    await page.goto(base + "/admin/assignment");
    await page.screenshot({ path: join(SHOTS, "admin-assignment.png") });
  }
  // Agents can neither see nor save the grid (Beto's password was reset by an earlier test).
  const agent = await (await browser.newContext()).newPage();
  await login(agent, "beto@acme.test", "a brand new password");
  assert.equal((await agent.goto(base + "/admin/assignment")).status(), 403);
  await ctx.close();
});

test("account settings: a bad delay is refused next to its field; an automatic reply set here answers a new ticket", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  const acc = (await api("POST", "/api/v1/accounts", { kind: "api", name: "Ventas", settings: { webhook_url: sinkUrl, webhook_secret: "0123456789abcdef" } })).json;
  await page.goto(base + "/admin/accounts");
  await Promise.all([page.waitForURL(/\/settings$/), page.click(`#settings-${acc.id}`)]);
  await noMissingTexts(page);

  // Quality of service: a 15-minute SLA.
  await page.fill("#sla-amount", "15");
  await page.selectOption("#sla-unit", "minutes");
  await Promise.all([page.waitForURL(/saved=quality/), page.click("#quality button.primary")]);
  assert.deepEqual((await api("GET", `/api/v1/accounts/${acc.id}`)).json.settings.sla, { amount: 15, unit: "minutes" });

  // Automatic actions: auto close after 0 minutes is refused, nothing stored, the form kept.
  await page.check("#close-enabled");
  await page.fill("#close-amount", "0");
  await page.check("#on_creation-enabled");
  await page.fill("#on_creation-text-0", "Hola {client_name}, recibimos tu mensaje. Ticket #{ticket_number}.");
  await page.click("#actions button.primary");
  assert.match(await page.textContent('#actions [data-field="close_if_no_reply"]'), /60/);
  assert.equal(await page.inputValue("#on_creation-text-0"), "Hola {client_name}, recibimos tu mensaje. Ticket #{ticket_number}.");
  assert.equal((await api("GET", `/api/v1/accounts/${acc.id}`)).json.settings.auto_actions, undefined, "nothing stored");
  // Two days, then saved.
  await page.fill("#close-amount", "2");
  await page.selectOption("#close-unit", "days");
  await Promise.all([page.waitForURL(/saved=actions/), page.click("#actions button.primary")]);
  const stored = (await api("GET", `/api/v1/accounts/${acc.id}`)).json.settings.auto_actions;
  assert.deepEqual(stored.close_if_no_reply, { enabled: true, after_seconds: 172800 });
  assert.equal(stored.on_creation.enabled, true);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "admin-account-settings.png"), fullPage: true });

  // A client writes: the ticket shows the automatic reply, placeholders filled, and it is delivered.
  const sent = (await api("POST", `/api/v1/accounts/${acc.id}/inbound`, { external_id: "v-1", client: { external_id: "v-c", name: "Valeria Paz" }, text: "Quiero cotizar" })).json;
  await page.goto(base + "/tickets/" + sent.ticket_id);
  const auto = page.locator(".msg-automatic").first();
  await auto.waitFor({ timeout: 15000 });
  const number = (await api("GET", `/api/v1/tickets/${sent.ticket_id}`)).json.number;
  assert.equal((await auto.locator(".msg-text").textContent()).trim(), `Hola Valeria Paz, recibimos tu mensaje. Ticket #${number}.`);
  await waitUntil(() => received.some((r) => r.message?.text?.startsWith("Hola Valeria Paz")), 15000);
  await ctx.close();
});

async function mime(accountId, raw) {
  const r = await fetch(`${base}/api/v1/accounts/${accountId}/inbound/mime`, {
    method: "POST",
    headers: { authorization: "Bearer " + token, "content-type": "message/rfc822" },
    body: raw,
  });
  return { status: r.status, json: await r.json() };
}

test("email: an account made in the admin screen, a bad signature refused, an HTML mail shown safely with its files", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  await page.goto(base + "/admin/accounts");
  // A bad address is refused next to its field; then a forwarding account is created.
  await page.fill("#new-email-name", "Soporte");
  await page.fill("#new-email-address", "soporte-at-acme");
  await page.check("#new-conn-forwarding");
  await page.click("#create-email");
  assert.ok((await page.textContent('#new-email-account [data-field="address"]')).length > 5);
  await page.fill("#new-email-address", "soporte@acme.test");
  await Promise.all([page.waitForURL(/\/settings#email$/), page.click("#create-email")]);
  await noMissingTexts(page);
  assert.match(await page.textContent("#forwarding-address"), /^soporte-[0-9a-f]{10}@/);
  assert.match(await page.textContent("#email-status"), /No validada/);
  // Channel options: an unknown signature placeholder is refused, nothing stored.
  await page.fill("#signature", "{agent_first_name} — {cargo}");
  await page.fill("#blocked", "spam@junk.test, @blocked.test");
  await page.check("#include-chain");
  await page.click("#email button.primary");
  assert.match(await page.textContent('#email [data-field="signature"]'), /\{cargo\}/);
  const id = Number(page.url().match(/accounts\/(\d+)\//)[1]);
  assert.equal((await api("GET", `/api/v1/accounts/${id}`)).json.settings.signature, undefined);
  await page.fill("#signature", "{agent_first_name} {agent_last_name}\n{agent_department}");
  await Promise.all([page.waitForURL(/saved=email/), page.click("#email button.primary")]);
  const s = (await api("GET", `/api/v1/accounts/${id}`)).json.settings;
  assert.deepEqual(s.blocked_senders, ["spam@junk.test", "@blocked.test"]);
  assert.equal(s.include_chain, true);
  // The connection test reports each server's answer (no default sender here).
  await page.click("#email-test");
  await page.locator("#email-test-result").waitFor();
  assert.match(await page.textContent("#email-test-result"), /email_relay_host|relay/);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "admin-email-account.png"), fullPage: true });

  // An HTML mail with a script, a remote image, an inline image, a file and quoted history.
  const raw = [
    "From: =?utf-8?q?Mar=C3=ADa_Jos=C3=A9?= <mj@cliente.test>",
    "To: soporte@acme.test",
    "Cc: jefe@cliente.test",
    "Subject: =?utf-8?q?Factura_n=C2=BA_1234?=",
    "Message-ID: <ui-1@cliente.test>",
    'Content-Type: multipart/mixed; boundary="mix"',
    "",
    "--mix",
    'Content-Type: multipart/alternative; boundary="alt"',
    "",
    "--alt",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hola, la factura viene con un cobro doble.",
    "",
    "El lun, 2 nov 2026, Soporte escribió:",
    "> ¿Nos envía la factura?",
    "--alt",
    "Content-Type: text/html; charset=utf-8",
    "",
    '<p>Hola, la factura viene con un <b>cobro doble</b>.</p><script>document.title="pwned"</script><img src="https://tracker.example/p.gif"><img src="cid:logo@x" alt="logo">',
    "--alt--",
    "--mix",
    "Content-Type: image/png",
    "Content-ID: <logo@x>",
    'Content-Disposition: inline; filename="logo.png"',
    "Content-Transfer-Encoding: base64",
    "",
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "--mix",
    "Content-Type: application/pdf",
    'Content-Disposition: attachment; filename="factura-1234.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    "JVBERi0xLjQKJcOkw7zDtsOfCg==",
    "--mix--",
    "",
  ].join("\r\n");
  const r = await mime(id, raw);
  assert.equal(r.status, 202);
  await page.goto(base + "/tickets/" + r.json.ticket_id);
  await noMissingTexts(page);
  const msg = page.locator(`#msg-${r.json.message_id}`);
  assert.equal((await msg.locator(".mail-subject").textContent()).trim(), "Factura nº 1234");
  assert.match(await msg.locator(".mail-head").textContent(), /María José <mj@cliente.test>[\s\S]*Cc: jefe@cliente.test/);
  assert.equal((await msg.locator(":scope > .msg-text").textContent()).trim(), "Hola, la factura viene con un cobro doble.");
  assert.equal(await msg.locator("details.quoted").getAttribute("open"), null, "quoted history folded");
  assert.match(await msg.locator("ul.files").textContent(), /factura-1234\.pdf/);
  // The original HTML: sandboxed, sanitized, no remote load until asked, inline image embedded.
  const remote = [];
  page.on("requestfinished", (req) => { if (req.url().includes("tracker.example")) remote.push(req.url()); });
  const blocked = [];
  page.on("requestfailed", (req) => { if (req.url().includes("tracker.example")) blocked.push(req.failure()?.errorText); });
  await msg.locator("details.mail-html summary").click();
  const frame = page.frameLocator(`iframe[name="mail-${r.json.message_id}"]`);
  await frame.locator("b").waitFor();
  assert.equal(await frame.locator("script").count(), 0);
  assert.match(await frame.locator('img[alt="logo"]').getAttribute("src"), /^data:image\/png;base64,/);
  assert.notEqual(await page.title(), "pwned");
  assert.equal(remote.length, 0, "no remote image before the agent's click");
  assert.deepEqual(blocked, ["csp"], "the frame's policy stopped the tracker");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "ticket-email.png"), fullPage: false });
  // The agent answers with a file from the composer: the reply lists it.
  await page.fill("#reply-text", "Le enviamos la nota de crédito.");
  await page.setInputFiles("#reply-files", { name: "nota-credito.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%nota\n") });
  await Promise.all([page.waitForURL(base + "/tickets/" + r.json.ticket_id), page.click("#send")]);
  const last = page.locator("#messages > li").last();
  assert.match(await last.locator(".msg-text").first().textContent(), /nota de crédito/);
  assert.match(await last.locator("ul.files").textContent(), /nota-credito\.pdf/);
  // A program is refused, next to the reply box, and the text kept.
  await page.fill("#reply-text", "otro");
  await page.setInputFiles("#reply-files", { name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") });
  await page.click("#send");
  assert.match(await page.textContent("#reply-error"), /\.exe/);
  assert.equal(await page.inputValue("#reply-text"), "otro");
  // A longer thread: the older emails start collapsed to one line; the latest stay open.
  for (const n of [2, 3, 4]) {
    const more = await mime(id, `From: mj@cliente.test\r\nSubject: Re: Factura nº 1234\r\nMessage-ID: <ui-${n}@cliente.test>\r\nIn-Reply-To: <ui-1@cliente.test>\r\n\r\nMensaje ${n} del hilo.\r\n`);
    assert.equal(more.json.ticket_id, r.json.ticket_id);
  }
  await page.goto(base + "/tickets/" + r.json.ticket_id);
  const firstMail = page.locator(`#msg-${r.json.message_id} details.mail-collapsed`);
  assert.equal(await firstMail.count(), 1);
  assert.equal(await firstMail.getAttribute("open"), null);
  assert.match(await firstMail.locator(":scope > summary").textContent(), /la factura viene con un cobro doble/);
  assert.equal(await page.locator("#messages > li").last().locator("details.mail-collapsed").count(), 0);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "ticket-email-thread.png"), fullPage: false });
  // The attachment downloads.
  const dl = await fetch(`${base}/api/v1/attachments/${(await api("GET", `/api/v1/tickets/${r.json.ticket_id}/messages`)).json.items[0].attachments.find((a) => a.filename === "factura-1234.pdf").id}`, { headers: { authorization: "Bearer " + token } });
  assert.equal(dl.status, 200);
  assert.match(dl.headers.get("content-disposition"), /attachment; filename="factura-1234.pdf"/);
  await ctx.close();
});

// Stored XSS: script tags, event handlers, javascript: and data: URLs, SVG, CSS expressions,
// mutation-XSS shapes and template syntax, through every text field that reaches a page.
const XSS = [
  `<script>window.__xss="script"</script>`,
  `<img src=x onerror="window.__xss='img'">`,
  `"><svg onload="window.__xss='svg'">`,
  `javascript:window.__xss='js'`,
  `<a href="javascript:window.__xss='href'">x</a>`,
  `<iframe src="data:text/html,<script>parent.__xss='data'</script>">`,
  `<div style="width:expression(window.__xss='css')">`,
  `';window.__xss='quote';//`,
  `<math><mtext><table><mglyph><style><img src=x onerror="window.__xss='mxss'">`,
  `{{7*7}} \${7*7} <%= 7*7 %> {% raw %}`,
];

test("stored XSS: hostile text in every field that reaches a page runs nowhere", async () => {
  const x = (i) => XSS[i % XSS.length];
  const acc = await api("POST", "/api/v1/accounts", { kind: "api", name: "Cuenta " + x(0) });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const mail = await api("POST", "/api/v1/accounts", { kind: "email", name: "Correo " + x(1), settings: { address: "xss@acme.test", connection: "forwarding" } });
  assert.equal(mail.status, 201, JSON.stringify(mail.json));
  const u = await api("POST", "/api/v1/users", { email: "xss@acme.test", first_name: x(2), last_name: x(3), department: x(4), roles: ["agent"] });
  assert.equal(u.status, 201, JSON.stringify(u.json));
  const status = (await api("POST", "/api/v1/connection-statuses", { name: "P " + x(1), assignable: false }));
  assert.equal(status.status, 201, JSON.stringify(status.json));
  const schedule = (await api("POST", "/api/v1/schedules", { name: "Horario " + x(6), time_zone: "America/Santiago", days: { mon: [["09:00", "18:00"]] } }));
  assert.equal(schedule.status, 201, JSON.stringify(schedule.json));
  const token = (await api("POST", "/api/v1/tokens", { name: "Token " + x(7) }));
  assert.equal(token.status, 201, JSON.stringify(token.json));
  const t = await api("POST", `/api/v1/accounts/${acc.json.id}/inbound`, { external_id: "xss-1", client: { external_id: "xss-c", name: x(8) }, text: XSS.join("\n") });
  assert.equal(t.status, 202);
  const raw = [
    `From: "${x(1).replace(/"/g, "'")}" <hostil@cliente.test>`,
    `Subject: ${x(0)} ${x(9)}`,
    "Message-ID: <xss-mail@cliente.test>",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/html; charset=utf-8",
    "",
    XSS.join("<br>"),
    "--b",
    "Content-Type: text/plain",
    `Content-Disposition: attachment; filename="${x(2).replace(/"/g, "'")}.txt"`,
    "",
    "adjunto",
    "--b--",
    "",
  ].join("\r\n");
  const m = await mime(mail.json.id, raw);
  assert.equal(m.status, 202, JSON.stringify(m.json));

  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "es-CL" });
  const page = await ctx.newPage();
  const ran = [];
  page.on("dialog", (d) => { ran.push("dialog: " + d.message()); d.dismiss(); });
  await login(page, "ana@acme.test");
  // A column named with the payload too (through the column form).
  await page.goto(base + "/columns/new");
  await page.fill("#name", "Col " + x(1));
  await Promise.all([page.waitForURL(base + "/"), page.click("button[type=submit]")]);
  const pages = [
    "/", `/tickets/${t.json.ticket_id}`, `/tickets/${m.json.ticket_id}`, "/admin/users", "/admin/accounts",
    `/admin/accounts/${acc.json.id}/settings`, `/admin/accounts/${mail.json.id}/settings`, "/admin/statuses",
    "/admin/schedules", "/admin/assignment", "/tokens", "/profile", `/columns/new`,
  ];
  for (const p of pages) {
    await page.goto(base + p);
    await page.waitForLoadState("networkidle");
    // The sanitized HTML of the mail, opened in its frame, runs nothing either.
    if (p === `/tickets/${m.json.ticket_id}`) {
      await page.locator("details.mail-html summary").first().click();
      await page.waitForTimeout(300);
    }
    for (const f of page.frames()) {
      const flag = await f.evaluate(() => window.__xss ?? (window.parent && window.parent.__xss)).catch(() => undefined);
      if (flag !== undefined) ran.push(`${p}: ${flag}`);
      const injected = await f.evaluate(() => {
        const bad = [...document.querySelectorAll("*")].filter((el) =>
          [...el.attributes].some((a) => /^on/i.test(a.name) || /^\s*(javascript|data):/i.test(a.value) && /^(href|src|action|formaction|xlink:href)$/i.test(a.name) && !(a.name === "src" && /^data:image\//i.test(a.value))));
        const inline = [...document.querySelectorAll("script:not([src])")];
        return [...bad, ...inline].map((el) => el.outerHTML.slice(0, 120));
      }).catch(() => []);
      for (const i of injected) ran.push(`${p}: injected ${i}`);
    }
  }
  // The payloads are shown as text where they were typed.
  await page.goto(base + `/tickets/${t.json.ticket_id}`);
  assert.match(await page.locator("#messages").textContent(), /<script>window.__xss="script"<\/script>/);
  assert.match(await page.locator("#messages").textContent(), /\{\{7\*7\}\}/, "template syntax is not evaluated");
  assert.deepEqual(ran, [], "nothing ran and nothing was injected");
  await ctx.close();
});

// The chat widget on a company's page (another loopback origin embeds the snippet): a visitor
// and an agent converse live both ways; the conversation survives a reload; options shape it;
// another site's page gets nothing.
test("chat widget: a visitor and an agent converse live; reload keeps it; another site gets nothing", async () => {
  const site = http.createServer((req, res) => {
    const token = new URL(req.url, "http://x").searchParams.get("t");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><style>* { color: red !important; font-size: 40px !important; }</style></head>
      <body><h1>Tienda</h1><script src="${base}/widget/atiende.js" data-atiende-chat="${token}" async></script></body></html>`);
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  const siteOrigin = `http://127.0.0.1:${site.address().port}`;
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat tienda", settings: { domain: `127.0.0.1:${site.address().port}`, main_color: "#7c3aed", position_left: true, long_button: true, long_button_text: "¿Le ayudamos?", ask_rut: true, chat_name: "Tienda Sol" } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const token = acc.json.settings.token;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await page.goto(`${siteOrigin}/?t=${token}`);
  const bubble = page.locator("[data-atiende-widget] .bubble");
  await bubble.waitFor();
  assert.equal((await bubble.textContent()).trim(), "¿Le ayudamos?", "the long button with its text");
  const box = await bubble.boundingBox();
  assert.ok(box.x < 100, "on the left");
  assert.equal(await bubble.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(124, 58, 237)", "the main colour; the page's CSS does not reach it");
  await bubble.click();
  const panel = page.locator("[data-atiende-widget] .panel");
  assert.equal(await panel.getAttribute("role"), "dialog");
  assert.equal((await panel.locator("h2").textContent()).trim(), "Tienda Sol");
  // The RUT is asked and checked by its digit.
  await panel.locator("form.ident [name=rut]").fill("12.345.678-9");
  await panel.locator("form.ident button").click();
  await panel.locator('[data-field="rut"]:not(:empty)').waitFor();
  await panel.locator("form.ident [name=rut]").fill("12.345.678-5");
  await panel.locator("form.ident button").click();
  await panel.locator("textarea").waitFor();
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-open.png") });
  await panel.locator("textarea").fill("Hola, ¿tienen <b>taladros</b>?");
  await panel.locator("textarea").press("Enter");
  await panel.locator("li.client").waitFor();
  assert.equal(await panel.locator("li.client").textContent(), "Hola, ¿tienen <b>taladros</b>?", "text, never markup");
  // The agent sees it and answers; the visitor sees the answer live.
  let ticket;
  for (let i = 0; i < 100 && !ticket; i++) {
    const list = (await api("GET", `/api/v1/tickets?account_id=${acc.json.id}`)).json.items;
    ticket = list[0];
    if (!ticket) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ticket, "a ticket on the board");
  assert.equal((await api("POST", `/api/v1/tickets/${ticket.id}/messages`, { text: "Sí, de 500 W y 800 W." })).status, 201);
  await panel.locator("li.agent").waitFor({ timeout: 10000 });
  assert.equal(await panel.locator("li.agent").evaluate((li) => li.lastChild.textContent), "Sí, de 500 W y 800 W.");
  assert.equal(await panel.locator("li.agent .author").textContent(), "Tienda Sol", "an agent without a first name writes as the chat");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-conversation.png") });
  // A reload keeps the conversation (the visitor's token is kept in the browser).
  await page.reload();
  await page.locator("[data-atiende-widget] .bubble").click();
  await page.locator("[data-atiende-widget] li.agent").waitFor();
  assert.equal(await page.locator("[data-atiende-widget] li").count(), 2, "nothing lost or doubled");
  // Another site's page gets no widget at all.
  const other = http.createServer((req, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end(`<!doctype html><body><script src="${base}/widget/atiende.js" data-atiende-chat="${token}"></script></body>`); });
  await new Promise((r) => other.listen(0, "127.0.0.1", r));
  const page2 = await ctx.newPage();
  await page2.goto(`http://localhost:${other.address().port}/`);
  await page2.waitForTimeout(800);
  assert.equal(await page2.locator("[data-atiende-widget]").count(), 0);
  other.close();
  site.close();
  await ctx.close();
});

// A page of a company's site embedding the widget of `token` (another loopback origin).
async function chatSite(server = base) {
  const site = http.createServer((req, res) => {
    const q = new URL(req.url, "http://x").searchParams;
    const attrs = ["id", "email", "name", "signature"].filter((k) => q.get(k)).map((k) => ` data-identity-${k}="${q.get(k)}"`).join("");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><h1>Tienda</h1><script src="${server}/widget/atiende.js" data-atiende-chat="${q.get("t")}"${attrs} async></script></body></html>`);
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  return { site, origin: `http://127.0.0.1:${site.address().port}`, domain: `127.0.0.1:${site.address().port}` };
}

// Counts the widget's chimes: every oscillator it starts.
const countChimes = () => {
  window.__chimes = 0;
  const Base = window.AudioContext;
  window.AudioContext = class extends Base {
    createOscillator() {
      const o = super.createOscillator();
      const start = o.start.bind(o);
      o.start = (...a) => { window.__chimes++; return start(...a); };
      return o;
    }
  };
};

async function ticketOf(accountId) {
  for (let i = 0; i < 100; i++) {
    const t = (await api("GET", `/api/v1/tickets?account_id=${accountId}`)).json.items[0];
    if (t) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no ticket");
}

test("chat widget options: open on load by device, welcome message, header, sound, notification with reply, write as company", async () => {
  const { site, origin, domain } = await chatSite();
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat opciones", settings: {
    domain, chat_name: "Tienda Sol", write_as_company: true, sound: true, conversation_header: "Respondemos en minutos",
    open_on_load: true, open_on_load_delay: 1, open_on_load_devices: ["desktop"],
    welcome_message: true, welcome_text: "¡Hola! ¿En qué te ayudamos?", welcome_author: "Equipo Sol", welcome_delay: 0, welcome_repeat_minutes: 60,
    notification_messages: 2, reply_from_notification: true } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const token = acc.json.settings.token;

  // On a phone the panel stays closed (open on load is for desktops here).
  const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true, locale: "es-CL" });
  const p1 = await phone.newPage();
  await p1.goto(`${origin}/?t=${token}`);
  await p1.locator("[data-atiende-widget] .bubble").waitFor();
  await p1.waitForTimeout(1800);
  assert.equal(await p1.locator("[data-atiende-widget] .panel").isHidden(), true, "not opened on mobile");
  await phone.close();

  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "es-CL" });
  await ctx.addInitScript(countChimes);
  const page = await ctx.newPage();
  const started = Date.now();
  await page.goto(`${origin}/?t=${token}`);
  const w = page.locator("[data-atiende-widget]");
  await w.locator(".bubble").waitFor();
  assert.equal(await w.locator(".panel").isHidden(), true, "closed until its delay");
  await w.locator(".panel:not([hidden])").waitFor({ timeout: 5000 });
  assert.ok(Date.now() - started >= 900, "opened after about a second");
  assert.equal((await w.locator('[data-part="header"]').textContent()).trim(), "Respondemos en minutos");
  const welcome = w.locator('li[data-part="welcome"]');
  await welcome.waitFor();
  assert.equal(await welcome.locator(".author").textContent(), "Equipo Sol");
  assert.equal(await welcome.evaluate((li) => li.lastChild.textContent), "¡Hola! ¿En qué te ayudamos?");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-welcome.png") });

  // The visitor writes, then closes the panel; the agent answers three times.
  await w.locator("textarea").fill("Quiero cambiar una talla");
  await w.locator("textarea").press("Enter");
  await w.locator("li.client").waitFor();
  await w.locator("header button").click();
  const ticket = await ticketOf(acc.json.id);
  for (const text of ["Hola, soy Marta.", "¿Qué talla necesitas?", "Tenemos M y L."]) {
    assert.equal((await api("POST", `/api/v1/tickets/${ticket.id}/messages`, { text })).status, 201);
  }
  await w.locator(".badge", { hasText: "3" }).waitFor({ timeout: 10000 });
  const preview = w.locator(".preview:not([hidden])");
  await preview.waitFor();
  const items = await preview.locator(".item").allTextContents();
  assert.deepEqual(items, ["Tienda Sol¿Qué talla necesitas?", "Tienda SolTenemos M y L."], "the last two, as the company");
  assert.ok((await page.evaluate(() => window.__chimes)) >= 3, "a chime for each agent message");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-notification.png") });
  // A reply from the notification reaches the ticket without opening the chat.
  await preview.locator("input").fill("La L, por favor");
  await preview.locator("input").press("Enter");
  let texts = [];
  for (let i = 0; i < 100 && !texts.includes("La L, por favor"); i++) {
    texts = (await api("GET", `/api/v1/tickets/${ticket.id}/messages`)).json.items.map((m) => m.text);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(texts.includes("La L, por favor"), JSON.stringify(texts));
  assert.equal(await w.locator(".panel").isHidden(), true, "still closed");
  // A reload within the repeat period shows no welcome again, and the panel, closed by
  // hand, does not open by itself in this visit.
  await page.reload();
  await w.locator(".bubble").waitFor();
  await page.waitForTimeout(1800);
  assert.equal(await w.locator(".panel").isHidden(), true, "closed by hand: not reopened");
  assert.equal(await w.locator('li[data-part="welcome"]').count(), 0, "no welcome within its period");
  await ctx.close();
  site.close();
});

test("chat widget: the contact form while nobody is online arrives as an email ticket; hidden from the admin screen", async () => {
  const { site, origin, domain } = await chatSite();
  const mail = await api("POST", "/api/v1/accounts", { kind: "email", name: "Correo ventas", settings: { address: "ventas@acme.test", connection: "forwarding" } });
  assert.equal(mail.status, 201, JSON.stringify(mail.json));
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat contacto", settings: {
    domain, contact_form: true, contact_account_id: mail.json.id, contact_title: "Estamos fuera", contact_success: "¡Recibido! Te escribimos pronto." } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const token = acc.json.settings.token;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await page.goto(`${origin}/?t=${token}`);
  const w = page.locator("[data-atiende-widget]");
  await w.locator(".bubble").click();
  const form = w.locator("form.contact");
  await form.waitFor();
  assert.equal((await form.locator("h3").textContent()).trim(), "Estamos fuera");
  await form.locator("[name=name]").fill("Rosa");
  await form.locator("[name=email]").fill("rosa@");
  await form.locator("[name=text]").fill("¿Hacen envíos a Arica?");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-contact.png") });
  await form.locator("button").click();
  await form.locator('[data-field="email"]:not(:empty)').waitFor();
  await form.locator("[name=email]").fill("rosa@cliente.test");
  await form.locator("button").click();
  await w.locator('[data-part="contact-ok"]', { hasText: "¡Recibido! Te escribimos pronto." }).waitFor();
  const ticket = await ticketOf(mail.json.id);
  const client = (await api("GET", `/api/v1/clients/${ticket.client_id}`)).json;
  assert.equal(client.name, "Rosa");

  // The admin hides the chat from its settings screen: the site shows nothing after a reload.
  const admin = await ctx.newPage();
  await login(admin, "ana@acme.test");
  await admin.goto(`${base}/admin/accounts/${acc.json.id}/settings#chat`);
  await admin.locator("#chat-hide").check();
  await admin.locator("#chat-main_color").fill("#ffff00");
  await Promise.all([admin.waitForLoadState("load"), admin.locator("#chat button.primary").click()]);
  await admin.locator('[data-warning="contrast"]').waitFor();
  await noMissingTexts(admin);
  await page.reload();
  await page.waitForTimeout(1000);
  assert.equal(await page.locator("[data-atiende-widget]").count(), 0, "hidden");
  await ctx.close();
  site.close();
});

test("chat widget: a customer signed by the site is served without a form and finds their history on another device", async () => {
  const { site, origin, domain } = await chatSite();
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat clientes", settings: { domain, ask_rut: true, ask_email: true } });
  const secret = (await api("POST", `/api/v1/accounts/${acc.json.id}/identity-secret`)).json.secret;
  const { createHmac } = await import("node:crypto");
  const sig = createHmac("sha256", secret).update("cliente-7\nana@cliente.test").digest("hex");
  const url = `${origin}/?t=${acc.json.settings.token}&id=cliente-7&email=ana@cliente.test&name=Ana&signature=${sig}`;
  const laptop = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "es-CL" });
  const p1 = await laptop.newPage();
  await p1.goto(url);
  const w1 = p1.locator("[data-atiende-widget]");
  await w1.locator(".bubble").click();
  await w1.locator("textarea").waitFor();
  assert.equal(await w1.locator("form.ident").count(), 0, "no form for a signed customer");
  await w1.locator("textarea").fill("Mi pedido 1234 no llega");
  await w1.locator("textarea").press("Enter");
  await w1.locator("li.client").waitFor();
  const ticket = await ticketOf(acc.json.id);
  assert.equal((await api("GET", `/api/v1/clients/${ticket.client_id}`)).json.name, "Ana");
  // A forged signature: nothing starts; the visitor is told.
  const p2 = await laptop.newPage();
  await p2.goto(url.replace(sig, "0".repeat(64)).replace("cliente-7", "cliente-8"));
  await p2.locator("[data-atiende-widget] .bubble").click();
  await p2.locator("[data-atiende-widget] .status:not(:empty)").waitFor();
  await laptop.close();
  // Another device, same customer: the history is there.
  const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true, locale: "es-CL" });
  const p3 = await phone.newPage();
  await p3.goto(url);
  const w3 = p3.locator("[data-atiende-widget]");
  await w3.locator(".bubble").click();
  await w3.locator("li.client", { hasText: "Mi pedido 1234 no llega" }).waitFor({ timeout: 10000 });
  if (SHOTS) await p3.screenshot({ path: join(SHOTS, "chat-widget-mobile.png") });
  await phone.close();
  site.close();
});

test("chat widget: files up to 1 MB from the visitor reach the agent; the agent's file reaches the visitor", async () => {
  const { site, origin, domain } = await chatSite();
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat archivos", settings: { domain } });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
  const page = await ctx.newPage();
  await page.goto(`${origin}/?t=${acc.json.settings.token}`);
  const w = page.locator("[data-atiende-widget]");
  await w.locator(".bubble").click();
  // A 1x1 PNG.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  await w.locator("input[type=file]").setInputFiles({ name: "foto.png", mimeType: "image/png", buffer: png });
  await w.locator("li.client .file img").waitFor({ timeout: 10000 });
  await w.locator("input[type=file]").setInputFiles({ name: "grande.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(1024 * 1024 + 10, 37) });
  await w.locator(".status", { hasText: "over 1 MB" }).waitFor();
  const ticket = await ticketOf(acc.json.id);
  const msgs = (await api("GET", `/api/v1/tickets/${ticket.id}/messages`)).json.items;
  assert.equal(msgs.length, 1, "the big file was not sent");
  assert.equal(msgs[0].attachments[0].filename, "foto.png");
  const pdf = Buffer.from("%PDF-1.4 factura");
  assert.equal((await api("POST", `/api/v1/tickets/${ticket.id}/messages`, { text: "Your invoice", attachments: [{ filename: "invoice.pdf", content_type: "application/pdf", data: pdf.toString("base64") }] })).status, 201);
  const link = w.locator("li.agent .file", { hasText: "invoice.pdf" });
  await link.waitFor({ timeout: 10000 });
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(download.suggestedFilename(), "invoice.pdf");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "chat-widget-files.png") });
  await ctx.close();
  site.close();
});

test("chat widget: the server is killed mid-conversation and restarts; nothing is lost or doubled", async () => {
  const dir = mkdtempSync(join(tmpdir(), "atiende-restart-"));
  const env = { ...process.env, RUST_LOG: "warn" };
  const run = (args, input) => execFileSync(BIN, [...args, "--data-dir", dir], { input, encoding: "utf8", env });
  run(["user", "create", "--org", "Acme", "--email", "ana@acme.test", "--role", "admin", "--password-stdin"], PASSWORD);
  const tok = run(["token", "create", "--email", "ana@acme.test"]).trim().split("\n").pop();
  const port = await new Promise((ok) => { const s = http.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  const start = () => new Promise((ok, fail) => {
    const p = spawn(BIN, ["serve", "--listen", `127.0.0.1:${port}`, "--data-dir", dir], { env });
    let out = "";
    p.stdout.on("data", (d) => { out += d; if (/running at/.test(out)) ok(p); });
    p.on("exit", (c) => fail(new Error("server exited " + c)));
  });
  let srv = await start();
  const b2 = `http://127.0.0.1:${port}`;
  const api2 = async (method, path, body) => {
    const r = await fetch(b2 + path, { method, headers: { authorization: "Bearer " + tok, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: await r.json().catch(() => null) };
  };
  const { site, origin, domain } = await chatSite(b2);
  const acc = await api2("POST", "/api/v1/accounts", { kind: "chat", name: "Chat", settings: { domain } });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await page.goto(`${origin}/?t=${acc.json.settings.token}`);
  const w = page.locator("[data-atiende-widget]");
  await w.locator(".bubble").click();
  await w.locator("textarea").fill("antes");
  await w.locator("textarea").press("Enter");
  await w.locator("li.client", { hasText: "antes" }).waitFor();
  // SIGKILL; the visitor writes while the server is down; it comes back on the same port.
  srv.kill("SIGKILL");
  await new Promise((r) => srv.once("exit", r));
  await w.locator("textarea").fill("durante");
  await w.locator("textarea").press("Enter");
  await w.locator(".status:not(:empty)").waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  srv = await start();
  await w.locator("li.client", { hasText: "durante" }).waitFor({ timeout: 30000 });
  let ticket;
  for (let i = 0; i < 100 && !ticket; i++) {
    ticket = (await api2("GET", `/api/v1/tickets?account_id=${acc.json.id}`)).json.items[0];
    if (!ticket) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await api2("POST", `/api/v1/tickets/${ticket.id}/messages`, { text: "después" })).status, 201);
  await w.locator("li.agent", { hasText: "después" }).waitFor({ timeout: 20000 });
  const texts = (await api2("GET", `/api/v1/tickets/${ticket.id}/messages`)).json.items.map((m) => m.text);
  assert.deepEqual(texts, ["antes", "durante", "después"], "stored once each, in order");
  assert.deepEqual(await w.locator("li").evaluateAll((ls) => ls.map((l) => l.lastChild.textContent)), ["antes", "durante", "después"], "shown once each");
  await ctx.close();
  site.close();
  srv.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

test("chat widget: a visitor logs in with Google in a small window (social login only), under the company's logo", async () => {
  const { site, origin, domain } = await chatSite();
  const acc = await api("POST", "/api/v1/accounts", { kind: "chat", name: "Chat con Google", settings: {
    domain, login_google: true, social_login_only: true, ask_phone: true, chat_name: "Tienda Ñandú — atención al cliente",
    identification_message: "Inicia sesión para que sepamos quién eres.", main_color: "#1a4d8f" } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  // The logo: a real 200×200 PNG, drawn by the browser.
  const pngPage = await browser.newPage();
  const png = Buffer.from(await pngPage.evaluate(() => {
    const c = document.createElement("canvas"); c.width = c.height = 200;
    const g = c.getContext("2d"); g.fillStyle = "#f5b400"; g.fillRect(0, 0, 200, 200);
    g.fillStyle = "#1a4d8f"; g.beginPath(); g.arc(100, 100, 70, 0, 7); g.fill();
    return c.toDataURL("image/png").split(",")[1];
  }), "base64");
  await pngPage.close();
  const up = await fetch(`${base}/api/v1/accounts/${acc.json.id}/chat/logo`, { method: "PUT", headers: { authorization: "Bearer " + token }, body: png });
  assert.equal(up.status, 200);
  assert.equal((await up.json()).logo.ideal, true);

  for (const [locale, button] of [["en-US", "Continue with Google"], ["es-CL", "Continuar con Google"]]) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale });
    const page = await ctx.newPage();
    await page.goto(`${origin}/?t=${acc.json.settings.token}`);
    const w = page.locator("[data-atiende-widget]");
    const logo = w.locator(".bubble img");
    await logo.waitFor();
    assert.equal(await logo.evaluate((i) => i.complete && i.naturalWidth), 200, "the bubble shows the uploaded image");
    await w.locator(".bubble").click();
    const google = w.getByRole("button", { name: button });
    await google.waitFor();
    // Social login only: no name or email to type, no "Start"; the phone the chat asks for stays.
    assert.equal(await w.locator("form.ident input[name=email], form.ident input[name=name]").count(), 0);
    assert.equal(await w.locator("form.ident button[type=submit]").count(), 0);
    await w.locator("form.ident input[name=phone]").fill("+56 9 8765 4321");
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `chat-social-login-${locale}.png`) });
    if (locale === "en-US") { await ctx.close(); continue; }
    const [popup] = await Promise.all([page.waitForEvent("popup"), google.click()]);
    // The window goes to the provider, comes back, hands the visitor over and closes.
    await popup.waitForEvent("close", { timeout: 15000 });
    const text = w.locator("textarea");
    await text.waitFor();
    await text.fill("Hola, ¿tienen envío a Punta Arenas?");
    await text.press("Enter");
    await w.locator("li.client", { hasText: "Punta Arenas" }).waitFor();
    const ticket = await ticketOf(acc.json.id);
    const client = (await api("GET", `/api/v1/clients/${ticket.client_id}`)).json;
    assert.equal(client.name, "Camila Rojas Undurraga");
    // The agent sees how the visitor is known.
    const agent = await ctx.newPage();
    await login(agent, "ana@acme.test");
    await agent.goto(`${base}/tickets/${ticket.id}`);
    await agent.getByText("Inició sesión con Google").waitFor();
    assert.match(await agent.locator("body").innerText(), /\+56987654321/);
    if (SHOTS) await agent.screenshot({ path: join(SHOTS, "chat-social-login-ticket.png") });
    await ctx.close();
  }
  site.close();
});

// A webhook body posted as Meta posts it: signed with the app secret over the exact bytes.
async function metaWebhook(body) {
  const raw = JSON.stringify(body);
  const { createHmac } = await import("node:crypto");
  const sig = "sha256=" + createHmac("sha256", META_SECRET).update(raw).digest("hex");
  const r = await fetch(base + "/webhooks/meta", { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sig }, body: raw });
  assert.equal(r.status, 200);
}

test("whatsapp: a conversation with delivery ticks, live", async () => {
  const acc = await api("POST", "/api/v1/accounts", { kind: "whatsapp", name: "WhatsApp Tienda Ñandú",
    settings: { phone_number_id: "106540352242922", business_account_id: "102290129340398", access_token: WA_TOKEN } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const change = (value) => ({ object: "whatsapp_business_account", entry: [{ id: "102290129340398", changes: [{ field: "messages", value: {
    messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" }, ...value } }] }] });
  await metaWebhook(change({ contacts: [{ profile: { name: "Valentina Andrea Hernández-Sepúlveda" }, wa_id: "56987654321" }],
    messages: [{ from: "56987654321", id: "wamid.BROWSER1", timestamp: String(Math.floor(Date.now() / 1000)), type: "text",
      text: { body: "Hola, ¿me confirman si el pedido https://tienda.example/pedidos/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ya salió?" } }] }));
  const ticket = await ticketOf(acc.json.id);
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  await page.goto(`${base}/tickets/${ticket.id}`);
  await page.getByText("ya salió?").waitFor();
  await page.fill("#reply-text", "¡Hola Valentina! Sí, salió hoy en la mañana 🚚");
  await page.click("#send");
  const mine = page.locator(".msg.out", { hasText: "salió hoy" });
  await mine.locator("[data-delivery=sent]").waitFor({ timeout: 15000 });
  const sent = (await api("GET", `/api/v1/tickets/${ticket.id}/messages`)).json.items.find((m) => m.text.includes("salió hoy"));
  assert.match(sent.external_id, /^wamid\./);
  // WhatsApp says delivered, then read: the ticks move on the open page, without a reload.
  const status = (s) => change({ statuses: [{ id: sent.external_id, status: s, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: "56987654321" }] });
  await metaWebhook(status("delivered"));
  await mine.locator("[data-delivery=delivered]").waitFor({ timeout: 15000 });
  await metaWebhook(status("read"));
  await mine.locator("[data-delivery=read]").waitFor({ timeout: 15000 });
  assert.match(await mine.locator(".delivery").innerText(), /Leído/);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "whatsapp-ticket-ticks.png") });
  await ctx.close();
});

test("facebook: a comment thread on a ticket, its context, a comment removed on the network", async () => {
  const acc = await api("POST", "/api/v1/accounts", { kind: "facebook", name: "Página Tienda",
    settings: { page_id: "682498302938465", page_access_token: WA_TOKEN } });
  assert.equal(acc.status, 201, JSON.stringify(acc.json));
  const comment = (verb, id, parent, text) => ({ object: "page", entry: [{ id: "682498302938465", time: 1, changes: [{ field: "feed", value: {
    from: { id: "2220987654", name: "Jane Ñandú" }, item: "comment", verb, comment_id: id, post_id: "682498302938465_111",
    parent_id: parent, created_time: Math.floor(Date.now() / 1000), message: text } }] }] });
  await metaWebhook(comment("add", "111_900", "682498302938465_111", "¿Precio de las zapatillas?"));
  await metaWebhook(comment("add", "111_901", "111_900", "¿Y envían a Arica?"));
  const ticket = await ticketOf(acc.json.id);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 1024 }, locale: "es-CL" });
  const page = await ctx.newPage();
  await login(page, "ana@acme.test");
  await page.goto(`${base}/tickets/${ticket.id}`);
  await page.getByText("¿Y envían a Arica?").waitFor();
  assert.equal(await page.locator("[data-mark='social.public_comment']").count(), 2);
  // Removed on Facebook: the mark appears on the open page.
  await metaWebhook(comment("remove", "111_901", "111_900", ""));
  await page.locator("[data-mark='social.deleted']").waitFor({ timeout: 15000 });
  // The first comment's context: the thread, its own comment highlighted.
  await page.locator(".msg", { hasText: "zapatillas" }).locator("[data-context]").click();
  await page.locator(".context-comments li[aria-current=true]", { hasText: "zapatillas" }).waitFor();
  assert.equal(await page.locator(".context-comments li").count(), 2);
  assert.equal(await page.locator(".context-comments li.reply", { hasText: "Arica" }).count(), 1, "the answer shows under its comment");
  if (SHOTS) await page.screenshot({ path: join(SHOTS, "facebook-context.png") });
  await ctx.close();
});
