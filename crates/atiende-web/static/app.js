// Atiende: live updates and keyboard shortcuts on top of server-rendered pages.
// Everything works without this script, only less live.
(function () {
  "use strict";
  const $ = (s, el) => (el || document).querySelector(s);
  const $$ = (s, el) => Array.from((el || document).querySelectorAll(s));
  const board = $("#board");
  const ticket = $("#ticket");
  const lang = document.body.dataset.lang || "es";

  // The status switcher submits on change and comes back here.
  $$("[data-autosubmit]").forEach((sel) => sel.addEventListener("change", () => {
    const back = sel.form.querySelector(".back-here");
    if (back) back.value = location.pathname;
    sel.form.submit();
  }));

  // Business hours: "copy Monday to every day" fills the other days at once.
  const copy = $("#copy-monday");
  if (copy) copy.addEventListener("change", () => {
    if (!copy.checked) return;
    const mon = $("#day-mon").value;
    ["tue", "wed", "thu", "fri", "sat", "sun"].forEach((d) => { $("#day-" + d).value = mon; });
  });

  // Assignment grid: a cell shows its mode's colour; a row's or column's bulk choice sets every cell in it.
  const grid = $("#assign-grid");
  if (grid) {
    const paint = (sel) => { sel.className = "mode mode-" + sel.value; };
    $$("select.mode", grid).forEach((sel) => sel.addEventListener("change", () => paint(sel)));
    $$("select.bulk", grid).forEach((bulk) => bulk.addEventListener("change", () => {
      if (!bulk.value) return;
      const key = bulk.dataset.col ? '[data-col="' + bulk.dataset.col + '"]' : '[data-row="' + bulk.dataset.row + '"]';
      $$("select.mode" + key, grid).forEach((sel) => { sel.value = bulk.value; paint(sel); });
      bulk.value = "";
    }));
  }

  // Waiting times count on without a reload.
  function elapsed(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return lang === "en" ? "now" : "ahora";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h";
    return Math.floor(s / 86400) + " d";
  }
  function tick() {
    $$(".wait[data-since]").forEach((el) => {
      const waited = Date.now() - Number(el.dataset.since);
      el.textContent = elapsed(waited);
      // Past the account's SLA the ticket is overdue: the card turns red.
      const sla = Number(el.dataset.sla || 0);
      const target = el.closest(".card") || el;
      if (sla > 0) target.classList.toggle("overdue", waited > sla);
    });
  }
  setInterval(tick, 5000);

  // ---- Live updates from the event stream ----
  const live = $("#live");
  function setLive(on) {
    if (!live) return;
    live.className = "live " + (on ? "on" : "off");
    live.textContent = on ? document.body.dataset.liveOn : document.body.dataset.liveOff;
  }
  let pending = null;
  function schedule(fn) {
    if (pending) return;
    pending = setTimeout(() => { pending = null; fn(); }, 150);
  }
  let selectedId = null;

  async function refreshColumn(section) {
    const loaded = $$(".card", section).length;
    const limit = Math.min(500, Math.max(50, loaded));
    const r = await fetch("/board/columns/" + section.dataset.columnId + "?limit=" + limit, { credentials: "same-origin" });
    if (!r.ok) return;
    const html = await r.text();
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    const fresh = tpl.content.firstElementChild;
    if (!fresh) return;
    const scroll = $(".cards", section).scrollTop;
    const focused = section.classList.contains("focused");
    const menuOpen = $("details[open]", section);
    if (menuOpen) return; // do not close a menu under the user's pointer
    section.replaceWith(fresh);
    $(".cards", fresh).scrollTop = scroll;
    if (focused) fresh.classList.add("focused");
    if (selectedId) select($('.card[data-ticket-id="' + selectedId + '"]'), false);
  }
  function refreshBoard() { $$(".column", board).forEach(refreshColumn); }

  async function refreshTicket() {
    const r = await fetch("/tickets/" + ticket.dataset.ticketId, { credentials: "same-origin" });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const msgs = $("#messages");
    const atBottom = msgs.scrollHeight - msgs.scrollTop - msgs.clientHeight < 40;
    ["#messages", "#ticket-side", ".ticket-head"].forEach((sel) => {
      const fresh = $(sel, doc), old = $(sel);
      if (fresh && old) old.replaceWith(fresh);
    });
    if (atBottom) { const m = $("#messages"); m.scrollTop = m.scrollHeight; }
  }

  if ((board || ticket) && window.EventSource) {
    const es = new EventSource("/api/v1/events?since=" + (document.body.dataset.eventId || 0));
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    const onEvent = (e) => {
      if (board) schedule(refreshBoard);
      if (ticket) {
        try {
          const d = JSON.parse(e.data);
          if (String(d.ticket_id) === ticket.dataset.ticketId) schedule(refreshTicket);
        } catch (_) { /* ignore malformed events */ }
      }
    };
    ["ticket.created", "ticket.closed", "ticket.reopened", "ticket.assigned", "ticket.updated", "ticket.ignored",
     "message.created", "message.delivery", "message.updated", "chat.seen", "lagged"].forEach((k) => es.addEventListener(k, onEvent));
    // A chat visitor typing on this ticket: shown for a few seconds after each signal.
    let typingTimer = null;
    es.addEventListener("chat.typing", (e) => {
      const t = $("#typing");
      if (!ticket || !t) return;
      try { if (String(JSON.parse(e.data).ticket_id) !== ticket.dataset.ticketId) return; } catch (_) { return; }
      t.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { t.hidden = true; }, 6000);
    });
    es.addEventListener("message.created", () => { const t = $("#typing"); if (t) t.hidden = true; });
  }

  // ---- Paging: "load more" appends the next page of a column ----
  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button.more");
    if (!btn) return;
    const section = btn.closest(".column");
    btn.disabled = true;
    const r = await fetch("/board/columns/" + section.dataset.columnId + "?cursor=" + encodeURIComponent(btn.dataset.cursor), { credentials: "same-origin" });
    if (!r.ok) { btn.disabled = false; return; }
    const tpl = document.createElement("template");
    tpl.innerHTML = (await r.text()).trim();
    const next = tpl.content.querySelector(".next-cursor");
    if (next) next.remove();
    $(".cards", section).append(tpl.content);
    if (next && next.dataset.cursor) { btn.dataset.cursor = next.dataset.cursor; btn.disabled = false; } else btn.remove();
  });

  // ---- Keyboard ----
  function select(card, scroll) {
    $$(".card.selected").forEach((c) => c.classList.remove("selected"));
    $$(".column.focused").forEach((c) => c.classList.remove("focused"));
    if (!card) return;
    card.classList.add("selected");
    card.closest(".column").classList.add("focused");
    selectedId = card.dataset.ticketId;
    if (scroll !== false) { card.scrollIntoView({ block: "nearest" }); $("a", card).focus({ preventScroll: true }); }
  }
  function moveCard(step) {
    const cur = $(".card.selected");
    if (!cur) return select($(".card"));
    const cards = $$(".card", cur.closest(".column"));
    const i = cards.indexOf(cur) + step;
    if (i >= 0 && i < cards.length) select(cards[i]);
  }
  function moveColumn(step) {
    const cols = $$(".column").filter((c) => $(".card", c));
    if (!cols.length) return;
    const cur = $(".card.selected");
    const i = cur ? cols.indexOf(cur.closest(".column")) + step : 0;
    if (i >= 0 && i < cols.length) select($(".card", cols[i]));
  }
  const help = $("#help");
  $("#help-open") && $("#help-open").addEventListener("click", () => help.showModal());

  document.addEventListener("keydown", (e) => {
    const typing = e.target.matches("input, textarea, select");
    if (e.target.matches("textarea") && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      e.target.form.requestSubmit();
      return;
    }
    if (typing) { if (e.key === "Escape") e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { e.preventDefault(); help.open ? help.close() : help.showModal(); return; }
    if (board) {
      if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); moveCard(1); }
      else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); moveCard(-1); }
      else if (e.key === "l" || e.key === "ArrowRight") { e.preventDefault(); moveColumn(1); }
      else if (e.key === "h" || e.key === "ArrowLeft") { e.preventDefault(); moveColumn(-1); }
      else if (e.key === "o" || e.key === "Enter") { const c = $(".card.selected"); if (c) location.href = $("a", c).href; }
    }
    if (ticket) {
      if (e.key === "r") { const t = $("#reply-text"); if (t) { e.preventDefault(); t.focus(); } }
      else if (e.key === "c") { const b = $("#close-ticket"); if (b) b.click(); }
      else if (e.key === "u" || e.key === "Escape") location.href = "/";
    }
  });

  if (ticket) {
    const m = $("#messages");
    if (m) m.scrollTop = m.scrollHeight;
    // A form answered with its errors leaves the address on the form's action: put it back.
    const home = "/tickets/" + ticket.dataset.ticketId;
    if (location.pathname !== home) history.replaceState(null, "", home);
  }
  // "Copy" buttons: data-copy names the element whose text goes to the clipboard (no inline
  // handlers: the pages' Content-Security-Policy runs only this script).
  document.addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest("[data-copy]");
    if (!b) return;
    const el = document.getElementById(b.dataset.copy);
    if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
  });
})();
