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
        name: "Nombre", email: "Email", rut: "RUT", phone: "Teléfono", start: "Comenzar", them: "Nosotros", with: "Continuar con", or: "o",
        error: "No se pudo enviar. Reintentando…", offline: "Sin conexión. Reconectando…", refused: "Este chat no está disponible en este sitio.",
        unread: "mensajes nuevos", attach: "Adjuntar un archivo", tooBig: "El archivo supera 1 MB.", dismiss: "Descartar", reply: "Responder…", message: "Mensaje",
        contactTitle: "Ahora no hay nadie en línea", contactText: "Déjanos tu mensaje y te responderemos por email.",
        contactOk: "¡Gracias! Te responderemos por email.", contactFail: "No se pudo enviar el formulario. Inténtalo de nuevo." }
    : { open: "Open the chat", close: "Close the chat", send: "Send", placeholder: "Write your message…", title: "Chat",
        name: "Name", email: "Email", rut: "RUT", phone: "Phone", start: "Start", them: "Us", with: "Continue with", or: "or",
        error: "Could not send. Retrying…", offline: "Offline. Reconnecting…", refused: "This chat is not available on this site.",
        unread: "new messages", attach: "Attach a file", tooBig: "The file is over 1 MB.", dismiss: "Dismiss", reply: "Reply…", message: "Message",
        contactTitle: "Nobody is online right now", contactText: "Leave us a message and we will answer by email.",
        contactOk: "Thank you! We will answer by email.", contactFail: "The form could not be sent. Please try again." };
  const mobile = matchMedia("(max-width: 768px), (pointer: coarse)").matches;
  const device = mobile ? "mobile" : "desktop";
  const closedKey = `atiende-chat-closed:${token}`;

  // A customer the site's backend signed (data-identity-*): served without a form.
  const who = ["id", "email", "name", "signature"].reduce((o, k) => {
    const v = script.getAttribute(`data-identity-${k}`);
    if (v) o[k] = v;
    return o;
  }, {});
  const identity = who.id && who.signature ? who : null;
  let keep = localStorage, state = {};
  const save = () => keep.setItem(store, JSON.stringify(state));
  function load() {
    state = JSON.parse(keep.getItem(store) || "{}");
    // A token made for another signed customer (or for one who logged out) is not reused.
    if ((state.identity || null) !== (identity ? identity.id : null)) state = {};
  }
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
    const company = cfg.chat_name || T.them;
    root.append(el("style", { text: `
      :host { all: initial; }
      * { box-sizing: border-box; font: 14px/1.4 system-ui, sans-serif; }
      .bubble { position: fixed; bottom: 20px; ${side}: 20px; z-index: 2147483000; border: 0; cursor: pointer;
        background: ${main}; color: ${fg}; border-radius: 28px; min-width: 56px; height: 56px; padding: 0 18px;
        box-shadow: 0 4px 14px rgba(0,0,0,.25); font-weight: 600; }
      .badge { position: absolute; top: -4px; ${side === "left" ? "right" : "left"}: -4px; min-width: 20px; height: 20px; padding: 0 5px;
        border-radius: 10px; background: #b91c1c; color: #fff; font-size: 12px; line-height: 20px; }
      .badge:empty { display: none; }
      .bubble:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
      .panel, .preview { position: fixed; ${side}: 20px; z-index: 2147483000; background: #fff; color: #1f2937; border-radius: 12px;
        box-shadow: 0 8px 30px rgba(0,0,0,.3); }
      .panel { bottom: 88px; width: min(360px, calc(100vw - 40px)); height: min(520px, calc(100vh - 120px));
        display: flex; flex-direction: column; overflow: hidden; }
      .preview { bottom: 88px; width: min(300px, calc(100vw - 40px)); padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; }
      .panel[hidden], .preview[hidden] { display: none; }
      .preview .item { cursor: pointer; overflow-wrap: anywhere; max-height: 5.6em; overflow: hidden; }
      .preview .x { align-self: flex-end; background: none; border: 0; cursor: pointer; color: #475569; font-size: 16px; padding: 0; }
      header { background: ${main}; color: ${fg}; padding: 12px 14px; display: flex; align-items: center; justify-content: space-between; gap: 8px; }
      header h2 { margin: 0; font-size: 15px; font-weight: 600; overflow-wrap: anywhere; }
      header button { background: transparent; color: ${fg}; border: 0; font-size: 20px; cursor: pointer; }
      .intro { margin: 0; padding: 8px 12px; font-size: 13px; color: #334155; background: #f8fafc; border-bottom: 1px solid #e5e7eb; overflow-wrap: anywhere; }
      .intro:empty { display: none; }
      ol { list-style: none; margin: 0; padding: 12px; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }
      li { max-width: 80%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; background: #f1f3f5; align-self: flex-start; }
      li.client { background: ${main}; color: ${fg}; align-self: flex-end; }
      .author { display: block; font-size: 11px; font-weight: 600; color: #475569; margin-bottom: 2px; }
      form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e5e7eb; }
      form.ident, form.contact { flex-direction: column; overflow-y: auto; flex: 1; }
      form.ident input, form.contact input, form.contact textarea { flex: none; }
      .panel.asking ol { display: none; }
      .bubble svg { display: block; margin: auto; }
      .bubble img { display: block; width: 56px; height: 56px; margin: 0 -18px; border-radius: 28px; object-fit: cover; }
      .bubble.long img { width: 32px; height: 32px; margin: 0 8px 0 -8px; display: inline-block; vertical-align: middle; }
      .social { display: flex; flex-direction: column; gap: 6px; }
      form .social button { background: #fff; color: #1f2937; border: 1px solid #cbd5e1; }
      .or { text-align: center; color: #475569; font-size: 12px; margin: 2px 0; }
      .preview form { padding: 0; border: 0; }
      textarea, input { flex: 1; border: 1px solid #cbd5e1; border-radius: 8px; padding: 8px; resize: none; color: #1f2937; background: #fff; }
      form button { background: ${main}; color: ${fg}; border: 0; border-radius: 8px; padding: 8px 12px; cursor: pointer; font-weight: 600; }
      .status { margin: 0; padding: 6px 12px; font-size: 12px; color: #92400e; background: #fffbeb; }
      .status:empty { display: none; }
      label { font-size: 12px; color: #475569; }
      h3 { margin: 0; font-size: 15px; }
      .muted { margin: 0; color: #475569; font-size: 13px; overflow-wrap: anywhere; }
      .err { color: #b91c1c; font-size: 12px; }
      form button.attach { background: transparent; color: #475569; padding: 8px 4px; }
      .file { display: block; margin-top: 4px; color: inherit; text-decoration: underline; cursor: pointer; background: none; border: 0; padding: 0; text-align: left; overflow-wrap: anywhere; }
      .file img { display: block; max-width: 100%; max-height: 160px; border-radius: 6px; margin-top: 4px; }
    ` }));
    const long = cfg.long_button && cfg.long_button_text;
    const badge = el("span", { class: "badge", "aria-hidden": "true" });
    const bubble = el("button", { class: long ? "bubble long" : "bubble", type: "button", "aria-label": T.open, "aria-expanded": "false" }, badge);
    if (cfg.logo_url) bubble.append(el("img", { src: cfg.logo_url, alt: "" }));
    if (long) bubble.append(cfg.long_button_text);
    else if (!cfg.logo_url) bubble.insertAdjacentHTML("beforeend", '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>');
    const list = el("ol", { "aria-live": "polite", "aria-label": cfg.chat_name || T.title, tabindex: "0" });
    const status = el("p", { class: "status", role: "status" });
    const closeBtn = el("button", { type: "button", "aria-label": T.close, text: "×" });
    const panel = el("section", { class: "panel", role: "dialog", "aria-label": cfg.chat_name || T.title, hidden: "" },
      el("header", {}, el("h2", { text: cfg.chat_name || T.title }), closeBtn), status,
      el("p", { class: "intro", "data-part": "header", text: cfg.conversation_header || "" }), list);
    const text = el("textarea", { rows: "2", "aria-label": T.placeholder, placeholder: T.placeholder, maxlength: "10000" });
    const picker = el("input", { type: "file", hidden: "" });
    const attach = el("button", { type: "button", class: "attach", "aria-label": T.attach, title: T.attach });
    attach.insertAdjacentHTML("beforeend", '<svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2"><path d="M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"/></svg>');
    const compose = el("form", { class: "compose" }, attach, picker, text, el("button", { type: "submit", text: T.send }));

    // The identification form: what the account asks for, under its identification message.
    // Log in with Google / Facebook (what the account offers), or only that with "social login
    // only": then the form asks just what the provider does not say (RUT, phone).
    const logins = identity || cfg.anonymous_visitors ? [] : cfg.login || [];
    const socialOnly = cfg.social_login_only && logins.length > 0;
    const asked = identity || cfg.anonymous_visitors ? [] : ["name", "email", "rut", "phone"].filter((k) =>
      (cfg[`ask_${k}`] || (k === "email" && cfg.email_as_identifier)) && !(socialOnly && (k === "name" || k === "email")));
    const field = (form, k, type, label) => {
      const attrs = { name: k, id: `atiende-${form.className}-${k}`, required: "" };
      const input = type === "textarea" ? el("textarea", Object.assign(attrs, { rows: "4", maxlength: "10000" })) : el("input", Object.assign(attrs, { type }));
      form.append(el("label", { for: input.id, text: label }), input, el("span", { class: "err", "data-field": k }));
    };
    const ident = el("form", { class: "ident", novalidate: "" });
    if (cfg.identification_message) ident.append(el("p", { class: "muted", "data-part": "identification", text: cfg.identification_message }));
    if (logins.length) {
      const names = { google: "Google", facebook: "Facebook" };
      ident.append(el("div", { class: "social" }, ...logins.map((p) =>
        el("button", { type: "button", "data-login": p, text: `${T.with} ${names[p] || p}` }))));
      ident.append(el("span", { class: "err", "data-field": "login" }));
      if (!socialOnly) ident.append(el("p", { class: "or", text: T.or }));
    }
    for (const k of asked) field(ident, k, k === "email" ? "email" : "text", T[k]);
    if (!socialOnly) ident.append(el("button", { type: "submit", text: T.start }));

    // The contact form, when nobody can answer now.
    const contact = el("form", { class: "contact", novalidate: "" },
      el("h3", { text: cfg.contact_title || T.contactTitle }), el("p", { class: "muted", text: cfg.contact_description || T.contactText }));
    field(contact, "name", "text", T.name); field(contact, "email", "email", T.email); field(contact, "text", "textarea", T.message);
    contact.append(el("button", { type: "submit", text: T.send }));
    contact.querySelector("[name=name]").removeAttribute("required");

    const useContact = cfg.contact_form && !cfg.online && !state.visitor;
    const first = useContact ? contact : state.visitor || (asked.length === 0 && logins.length === 0) ? compose : ident;
    panel.append(first);
    panel.classList.toggle("asking", first !== compose);

    // What arrives while the panel is closed: a badge and a preview of the last messages.
    const preview = el("div", { class: "preview", role: "status", hidden: "" });
    const previewX = el("button", { type: "button", class: "x", "aria-label": T.dismiss, text: "×" });
    const previewItems = el("div", {});
    preview.append(previewX, previewItems);
    const quick = el("input", { "aria-label": T.reply, placeholder: T.reply, maxlength: "10000" });
    const quickForm = el("form", {}, quick, el("button", { type: "submit", text: T.send }));
    if (cfg.reply_from_notification) preview.append(quickForm);
    let unread = [];
    root.append(bubble, preview, panel);
    document.body.append(host);

    const refreshUnread = () => {
      badge.textContent = unread.length ? String(unread.length) : "";
      bubble.setAttribute("aria-label", unread.length ? `${T.open} (${unread.length} ${T.unread})` : T.open);
      previewItems.replaceChildren(...unread.slice(-(cfg.notification_messages || 1)).map((m) =>
        el("p", { class: "item" }, el("span", { class: "author", text: m.author_name || company }), m.text)));
      preview.hidden = unread.length === 0 || !panel.hidden;
    };
    const toggle = (open, focus = true) => {
      panel.hidden = !open;
      bubble.setAttribute("aria-expanded", String(open));
      if (open) { unread = []; seenNow(); }
      refreshUnread();
      if (open) bubble.setAttribute("aria-label", T.close);
      if (!focus) return;
      if (open) (panel.querySelector("form textarea, form input") || closeBtn).focus(); else bubble.focus();
    };
    const closeByHand = () => { sessionStorage.setItem(closedKey, "1"); toggle(false); };
    bubble.addEventListener("click", () => (panel.hidden ? toggle(true) : closeByHand()));
    closeBtn.addEventListener("click", closeByHand);
    panel.addEventListener("keydown", (e) => { if (e.key === "Escape") closeByHand(); });
    previewX.addEventListener("click", () => { unread = []; refreshUnread(); });
    previewItems.addEventListener("click", () => toggle(true));
    text.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); } });

    const fieldErrors = (form, j) => {
      const f = form.querySelector(`[data-field="${j.error?.field}"]`);
      if (f) f.textContent = j.error.message; else status.textContent = j.error?.message || T.error;
    };
    const post = (path, body, auth) => fetch(`${api}/${path}`, { method: "POST",
      headers: Object.assign({ "content-type": "application/json" }, auth ? { authorization: `Bearer ${state.visitor}` } : {}),
      body: JSON.stringify(body) });
    const newId = () => `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

    ident.addEventListener("submit", async (e) => {
      e.preventDefault();
      for (const s of ident.querySelectorAll(".err")) s.textContent = "";
      const r = await post("visitors", Object.assign({ page_url: location.href }, Object.fromEntries(new FormData(ident)))).catch(() => null);
      const j = r ? await r.json().catch(() => ({})) : {};
      if (!r || r.status !== 201) return fieldErrors(ident, j);
      begun(j.visitor_token);
    });

    const begun = (visitorToken) => {
      state.visitor = visitorToken; state.identity = null; save();
      ident.replaceWith(compose); panel.classList.remove("asking"); text.focus(); connect();
    };
    // A login button opens the provider in a small window; its last page hands the visitor
    // token back here (postMessage from Atiende's origin only).
    ident.addEventListener("click", (e) => {
      const p = e.target.closest && e.target.closest("[data-login]");
      if (!p) return;
      for (const s of ident.querySelectorAll(".err")) s.textContent = "";
      const q = new URLSearchParams({ origin: location.origin, page_url: location.href });
      for (const k of ["rut", "phone"]) { const i = ident.querySelector(`[name=${k}]`); if (i && i.value) q.set(k, i.value); }
      const w = window.open(`${api}/login/${p.dataset.login}?${q}`, "atiende-login", "popup,width=480,height=640");
      if (!w) status.textContent = T.error;
    });
    window.addEventListener("message", (e) => {
      const d = e.data;
      if (e.origin !== origin || !d || d.type !== "atiende:login" || state.visitor) return;
      if (d.visitor_token) begun(d.visitor_token);
      else if (!d.cancelled) fieldErrors(ident, { error: { field: d.field || "login", message: d.error } });
    });

    contact.addEventListener("submit", async (e) => {
      e.preventDefault();
      for (const s of contact.querySelectorAll(".err")) s.textContent = "";
      contact.dataset.id = contact.dataset.id || newId();
      const body = Object.assign({ client_message_id: contact.dataset.id }, Object.fromEntries(new FormData(contact)));
      const r = await post("contact", body).catch(() => null);
      const j = r ? await r.json().catch(() => ({})) : {};
      if (r && r.status === 202) {
        contact.replaceChildren(el("p", { class: "muted", "data-part": "contact-ok", role: "status", text: cfg.contact_success || T.contactOk }));
        return;
      }
      if (r && r.status === 422) return fieldErrors(contact, j);
      status.textContent = cfg.contact_error || T.contactFail;
    });

    async function sendText(value) {
      if (!state.visitor && !(await startVisitor())) return;
      const id = newId();
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await post("messages", { client_message_id: id, text: value }, true).catch(() => null);
        if (r && r.status === 202) { status.textContent = ""; if (!socket) poll(); return; }
        if (r && r.status < 500 && r.status !== 429) { status.textContent = (await r.json().catch(() => ({}))).error?.message || T.error; return; }
        status.textContent = T.error;
        await new Promise((ok) => setTimeout(ok, 1000 * 2 ** attempt));
      }
    }
    compose.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (value) { text.value = ""; sendText(value); }
    });
    quickForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = quick.value.trim();
      if (value) { quick.value = ""; unread = []; refreshUnread(); sendText(value); }
    });

    async function startVisitor() {
      const r = await post("visitors", identity ? { page_url: location.href, identity } : { page_url: location.href }).catch(() => null);
      if (!r || r.status !== 201) { status.textContent = T.refused; return false; }
      state.visitor = (await r.json()).visitor_token; state.identity = identity ? identity.id : null; save(); connect();
      return true;
    }

    let audio = null;
    function chime() {
      try {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        const o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.08;
        o.connect(g).connect(audio.destination);
        o.start(); o.stop(audio.currentTime + 0.15);
      } catch (_) { /* no sound where the browser refuses it */ }
    }

    // A message from the company: heard (when asked) and, with the panel closed, previewed.
    function arrived(m) {
      if (cfg.sound) chime();
      if (panel.hidden) { unread.push(m); refreshUnread(); } else seenNow();
    }
    // Read receipts and typing go over the socket (signals, not messages).
    let lastAgentId = 0, seenSent = 0, typingSent = 0;
    const signal = (f) => { if (socket && socket.readyState === 1) { socket.send(JSON.stringify(f)); return true; } return false; };
    function seenNow() {
      if (lastAgentId > seenSent && !panel.hidden && document.visibilityState === "visible" && signal({ type: "seen", id: lastAgentId })) seenSent = lastAgentId;
    }
    document.addEventListener("visibilitychange", seenNow);
    text.addEventListener("input", () => {
      if (Date.now() - typingSent > 3000 && text.value.trim() && signal({ type: "typing" })) typingSent = Date.now();
    });

    function show(m, live) {
      if (m.id && seen.has(m.id)) return;
      if (m.id) { seen.add(m.id); lastId = Math.max(lastId, m.id); }
      if (m.id && m.author_kind !== "client") lastAgentId = Math.max(lastAgentId, m.id);
      const li = el("li", { class: m.author_kind === "client" ? "client" : "agent" });
      if (m.id) li.setAttribute("data-id", String(m.id)); else li.setAttribute("data-part", "welcome");
      if (m.author_kind !== "client") li.append(el("span", { class: "author", text: m.author_name || company }));
      if (m.text) li.append(m.text);
      for (const f of m.attachments || []) li.append(fileLink(f));
      list.append(li);
      list.scrollTop = list.scrollHeight;
      if (live && m.author_kind !== "client") arrived(m);
      else if (!panel.hidden) seenNow();
    }

    // Files are read with the visitor's token (never in a URL), then shown or saved.
    const blob = (f) => fetch(`${api}/attachments/${f.id}`, { headers: { authorization: `Bearer ${state.visitor}` } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))));
    function fileLink(f) {
      const b = el("button", { type: "button", class: "file", "data-file": String(f.id), text: `${f.filename} (${Math.max(1, Math.round(f.size / 1024))} KB)` });
      b.addEventListener("click", () => blob(f).then((data) => {
        const a = el("a", { href: URL.createObjectURL(data), download: f.filename });
        a.click(); setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      }).catch(() => { status.textContent = T.error; }));
      if (/^image\/(png|jpeg|gif|webp)$/.test(f.content_type)) {
        blob(f).then((data) => { b.append(el("img", { src: URL.createObjectURL(data), alt: f.filename })); }).catch(() => {});
      }
      return b;
    }
    attach.addEventListener("click", () => picker.click());
    picker.addEventListener("change", async () => {
      const f = picker.files[0];
      picker.value = "";
      if (!f) return;
      if (f.size > 1024 * 1024) { status.textContent = T.tooBig; return; }
      if (!state.visitor && !(await startVisitor())) return;
      const q = `client_message_id=${encodeURIComponent(newId())}&filename=${encodeURIComponent(f.name)}`;
      const r = await fetch(`${api}/files?${q}`, { method: "POST", body: f,
        headers: { "content-type": f.type || "application/octet-stream", authorization: `Bearer ${state.visitor}` } }).catch(() => null);
      if (r && r.status === 202) { status.textContent = ""; if (!socket) poll(); return; }
      status.textContent = (r && (await r.json().catch(() => ({}))).error?.message) || T.error;
    });

    async function poll(live = true, wait = 0) {
      const r = await fetch(`${api}/messages?after=${lastId}${wait ? `&wait=${wait}` : ""}`, { headers: { authorization: `Bearer ${state.visitor}` } }).catch(() => null);
      if (r && r.ok) (await r.json()).items.forEach((m) => show(m, live));
      return !!(r && r.ok);
    }
    // The long-poll, when WebSockets are blocked: each answer comes when there is news.
    async function longPoll() {
      for (;;) {
        const ok = await poll(true, 25);
        status.textContent = ok ? "" : T.offline;
        if (!ok) await new Promise((done) => setTimeout(done, 3000));
      }
    }

    // The conversation so far first (quietly), then the socket from the last message seen:
    // everything the socket brings is new.
    let loaded = false;
    async function connect() {
      if (!state.visitor) return;
      if (!loaded) { loaded = true; await poll(false); }
      if (wsFailures >= 2) {
        // WebSockets blocked (a proxy, a firewall): long-poll instead.
        if (!polling) { polling = true; longPoll(); }
        return;
      }
      const url = `${origin.replace(/^http/, "ws")}/public/v1/chat/${encodeURIComponent(token)}/ws?visitor_token=${encodeURIComponent(state.visitor)}&after=${lastId}`;
      let opened = false;
      socket = new WebSocket(url);
      socket.onopen = () => { opened = true; wsFailures = 0; status.textContent = ""; seenNow(); };
      socket.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === "message") show(m, true); };
      socket.onclose = () => {
        socket = null;
        if (!opened) wsFailures++;
        status.textContent = T.offline;
        setTimeout(connect, Math.min(10000, 500 * 2 ** Math.min(wsFailures, 4)));
      };
    }
    // A signed customer starts at once, and sees their history.
    if (identity && !state.visitor) startVisitor(); else connect();

    // The welcome message (shown by the widget, not stored): after its delay, on its
    // devices, in new conversations (and started ones when asked), at most once per period.
    const started = !!state.visitor;
    const repeat = (cfg.welcome_repeat_minutes || 0) * 60000;
    if (cfg.welcome_message && cfg.welcome_text && (cfg.welcome_devices || []).includes(device)
        && (!started || cfg.welcome_in_started) && Date.now() - (state.welcomed || 0) >= repeat && !useContact) {
      setTimeout(() => {
        state.welcomed = Date.now(); save();
        show({ author_kind: "automatic", author_name: cfg.welcome_author || company, text: cfg.welcome_text }, true);
      }, (cfg.welcome_delay || 0) * 1000);
    }
    // Open on load: after its delay, on its devices, unless the visitor closed it this visit.
    if (cfg.open_on_load && (cfg.open_on_load_devices || []).includes(device) && !sessionStorage.getItem(closedKey)) {
      setTimeout(() => { if (panel.hidden) toggle(true, false); }, (cfg.open_on_load_delay || 0) * 1000);
    }
  }

  fetch(`${api}/config`).then((r) => {
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }).then((c) => {
    cfg = c;
    if (cfg.hide) return;
    // Anonymous visitors: each visit a new client (the token lives only as long as the tab).
    if (cfg.anonymous_visitors && !identity) keep = sessionStorage;
    load();
    if (document.body) render(); else document.addEventListener("DOMContentLoaded", render);
  }).catch(() => { /* a chat that is not for this site shows nothing */ });
})();
