// Atiende web chat widget: paste
//   <script src="https://ATIENDE/widget/atiende.js" data-atiende-chat="TOKEN" async></script>
// on the site. Hand-written, no framework; lives in a shadow root so the page's CSS cannot
// reach it. Talks to the public chat client API (/public/v1/chat/TOKEN/…): a visitor token
// kept in localStorage, messages by POST, the conversation live over a WebSocket that resumes
// after the last message seen (long-polling when WebSockets are blocked).
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.__atiendeChat) return;
  window.__atiendeChat = true;
  const token = script.getAttribute("data-atiende-chat") || "";
  const origin = new URL(script.src).origin;
  const api = `${origin}/public/v1/chat/${encodeURIComponent(token)}`;
  const store = `atiende-chat:${token}`;
  const es = !(navigator.language || "es").toLowerCase().startsWith("en");
  const T = es
    ? { open: "Abrir el chat", close: "Cerrar el chat", send: "Enviar", placeholder: "Escribe tu mensaje…", title: "Chat",
        name: "Nombre", email: "Email", rut: "RUT", phone: "Teléfono", start: "Comenzar", you: "Tú", them: "Nosotros",
        error: "No se pudo enviar. Reintentando…", offline: "Sin conexión. Reconectando…", refused: "Este chat no está disponible en este sitio." }
    : { open: "Open the chat", close: "Close the chat", send: "Send", placeholder: "Write your message…", title: "Chat",
        name: "Name", email: "Email", rut: "RUT", phone: "Phone", start: "Start", you: "You", them: "Us",
        error: "Could not send. Retrying…", offline: "Offline. Reconnecting…", refused: "This chat is not available on this site." };

  const state = JSON.parse(localStorage.getItem(store) || "{}");
  const save = () => localStorage.setItem(store, JSON.stringify(state));
  let cfg = null, socket = null, polling = null, wsFailures = 0, lastId = 0;
  const seen = new Set();

  const host = document.createElement("div");
  host.setAttribute("data-atiende-widget", "");
  const root = host.attachShadow({ mode: "open" });
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  };

  function render() {
    const main = cfg.main_color || "#0b6e4f", fg = cfg.text_color || "#ffffff";
    const side = cfg.position_left ? "left" : "right";
    root.append(el("style", { text: `
      :host { all: initial; }
      * { box-sizing: border-box; font: 14px/1.4 system-ui, sans-serif; }
      .bubble { position: fixed; bottom: 20px; ${side}: 20px; z-index: 2147483000; border: 0; cursor: pointer;
        background: ${main}; color: ${fg}; border-radius: 28px; min-width: 56px; height: 56px; padding: 0 18px;
        box-shadow: 0 4px 14px rgba(0,0,0,.25); font-weight: 600; }
      .bubble:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
      .panel { position: fixed; bottom: 88px; ${side}: 20px; z-index: 2147483000; width: min(360px, calc(100vw - 40px));
        height: min(520px, calc(100vh - 120px)); background: #fff; color: #1f2937; border-radius: 12px;
        box-shadow: 0 8px 30px rgba(0,0,0,.3); display: flex; flex-direction: column; overflow: hidden; }
      .panel[hidden] { display: none; }
      header { background: ${main}; color: ${fg}; padding: 12px 14px; display: flex; align-items: center; justify-content: space-between; }
      header h2 { margin: 0; font-size: 15px; font-weight: 600; }
      header button { background: transparent; color: ${fg}; border: 0; font-size: 20px; cursor: pointer; }
      ol { list-style: none; margin: 0; padding: 12px; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }
      li { max-width: 80%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; background: #f1f3f5; align-self: flex-start; }
      li.client { background: ${main}; color: ${fg}; align-self: flex-end; }
      form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e5e7eb; }
      form.ident { flex-direction: column; }
      textarea, input { flex: 1; border: 1px solid #cbd5e1; border-radius: 8px; padding: 8px; resize: none; color: #1f2937; background: #fff; }
      form button { background: ${main}; color: ${fg}; border: 0; border-radius: 8px; padding: 8px 12px; cursor: pointer; font-weight: 600; }
      .status { padding: 6px 12px; font-size: 12px; color: #92400e; background: #fffbeb; }
      .status:empty { display: none; }
      label { font-size: 12px; color: #475569; }
      .err { color: #b91c1c; font-size: 12px; }
    ` }));
    const long = cfg.long_button && cfg.long_button_text;
    const bubble = el("button", { class: "bubble", type: "button", "aria-label": T.open, "aria-expanded": "false", text: long ? cfg.long_button_text : "💬" });
    const list = el("ol", { "aria-live": "polite", "aria-label": cfg.chat_name || T.title });
    const status = el("p", { class: "status", role: "status" });
    const closeBtn = el("button", { type: "button", "aria-label": T.close, text: "×" });
    const panel = el("section", { class: "panel", role: "dialog", "aria-label": cfg.chat_name || T.title, hidden: "" },
      el("header", {}, el("h2", { text: cfg.chat_name || T.title }), closeBtn), status, list);
    const text = el("textarea", { rows: "2", "aria-label": T.placeholder, placeholder: T.placeholder, maxlength: "10000" });
    const compose = el("form", { class: "compose" }, text, el("button", { type: "submit", text: T.send }));
    const asked = ["name", "email", "rut", "phone"].filter((k) => cfg[`ask_${k}`] || (k === "email" && cfg.email_as_identifier));
    const ident = el("form", { class: "ident" });
    for (const k of asked) {
      const input = el("input", { name: k, id: `atiende-${k}`, required: "", type: k === "email" ? "email" : "text" });
      ident.append(el("label", { for: `atiende-${k}`, text: T[k] }), input, el("span", { class: "err", "data-field": k }));
    }
    ident.append(el("button", { type: "submit", text: T.start }));
    panel.append(state.visitor || asked.length === 0 ? compose : ident);
    root.append(bubble, panel);
    document.body.append(host);

    const toggle = (open) => {
      panel.hidden = !open;
      bubble.setAttribute("aria-expanded", String(open));
      bubble.setAttribute("aria-label", open ? T.close : T.open);
      if (open) (panel.querySelector("textarea, input") || closeBtn).focus(); else bubble.focus();
    };
    bubble.addEventListener("click", () => toggle(panel.hidden));
    closeBtn.addEventListener("click", () => toggle(false));
    panel.addEventListener("keydown", (e) => { if (e.key === "Escape") toggle(false); });
    text.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); } });

    ident.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = Object.fromEntries(new FormData(ident));
      for (const s of ident.querySelectorAll(".err")) s.textContent = "";
      const r = await fetch(`${api}/visitors`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const j = await r.json().catch(() => ({}));
      if (r.status !== 201) {
        const f = ident.querySelector(`[data-field="${j.error?.field}"]`);
        if (f) f.textContent = j.error.message; else status.textContent = j.error?.message || T.error;
        return;
      }
      state.visitor = j.visitor_token; save();
      ident.replaceWith(compose); text.focus(); connect();
    });

    compose.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      if (!state.visitor && !(await startVisitor())) return;
      const id = `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      text.value = "";
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await fetch(`${api}/messages`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${state.visitor}` },
          body: JSON.stringify({ client_message_id: id, text: value }) }).catch(() => null);
        if (r && r.status === 202) { status.textContent = ""; if (!socket) poll(); return; }
        if (r && r.status < 500 && r.status !== 429) { status.textContent = (await r.json().catch(() => ({}))).error?.message || T.error; return; }
        status.textContent = T.error;
        await new Promise((ok) => setTimeout(ok, 1000 * 2 ** attempt));
      }
    });

    async function startVisitor() {
      const r = await fetch(`${api}/visitors`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      if (r.status !== 201) { status.textContent = T.refused; return false; }
      state.visitor = (await r.json()).visitor_token; save(); connect();
      return true;
    }

    function show(m) {
      if (seen.has(m.id)) return;
      seen.add(m.id);
      lastId = Math.max(lastId, m.id);
      const li = el("li", { class: m.author_kind === "client" ? "client" : "agent", "data-id": String(m.id) });
      li.textContent = m.text;
      list.append(li);
      list.scrollTop = list.scrollHeight;
    }

    async function poll() {
      const r = await fetch(`${api}/messages?after=${lastId}`, { headers: { authorization: `Bearer ${state.visitor}` } }).catch(() => null);
      if (r && r.ok) (await r.json()).items.forEach(show);
    }

    function connect() {
      if (!state.visitor) return;
      if (wsFailures >= 2) {
        // WebSockets blocked (a proxy, a firewall): long-poll instead.
        if (!polling) polling = setInterval(poll, 3000);
        poll();
        return;
      }
      const url = `${origin.replace(/^http/, "ws")}/public/v1/chat/${encodeURIComponent(token)}/ws?visitor_token=${encodeURIComponent(state.visitor)}&after=${lastId}`;
      let opened = false;
      socket = new WebSocket(url);
      socket.onopen = () => { opened = true; wsFailures = 0; status.textContent = ""; };
      socket.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === "message") show(m); };
      socket.onclose = () => {
        socket = null;
        if (!opened) wsFailures++;
        status.textContent = T.offline;
        setTimeout(connect, Math.min(10000, 500 * 2 ** Math.min(wsFailures, 4)));
      };
    }
    connect();
  }

  fetch(`${api}/config`).then((r) => {
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }).then((c) => {
    cfg = c;
    if (cfg.hide) return;
    if (document.body) render(); else document.addEventListener("DOMContentLoaded", render);
  }).catch(() => { /* a chat that is not for this site shows nothing */ });
})();
