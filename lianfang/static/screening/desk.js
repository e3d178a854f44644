/* Lianfang sampling desk: keyboard-wedge scanners and typed IDs, offline queue with idempotency keys.
 *
 * Every action becomes an event {key, kind, value, tube, at, ...} with a client-generated key, saved in
 * localStorage first and then sent in order; the server stores each key's outcome, so a retry (after a
 * dropped connection, a 503 or a reload) replays the outcome and never writes twice. Plain JS, no build.
 */
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;
  var url = root.dataset.submit;
  var storeKey = root.dataset.store;
  var capacity = root.dataset.capacity ? parseInt(root.dataset.capacity, 10) : null;
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { csrf = ""; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var s = "", hex = "0123456789abcdef";
    for (var i = 0; i < 32; i++) s += hex[Math.floor(Math.random() * 16)];
    return s.slice(0, 8) + "-" + s.slice(8, 12) + "-" + s.slice(12, 16) + "-" + s.slice(16, 20) + "-" + s.slice(20);
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || null; } catch (e) { return null; }
  }
  var state = load() || { tube: null, queue: [], synced: 0, log: [] };
  if (!state.tube) {
    state.tube = root.dataset.openKey
      ? { key: root.dataset.openKey, count: parseInt(root.dataset.openPeople || "0", 10), people: [] }
      : { key: uuid(), count: 0, people: [] };
  }
  function save() { localStorage.setItem(storeKey, JSON.stringify(state)); render(); }

  var el = function (id) { return document.getElementById(id); };
  function log(text, cls) {
    state.log.unshift({ text: text, cls: cls || "", at: new Date().toLocaleTimeString() });
    state.log = state.log.slice(0, 30);
  }
  function render() {
    el("tube-count").textContent = String(state.tube.count);
    el("queue").textContent = String(state.queue.length);
    el("synced").textContent = String(state.synced);
    var ol = el("tube-people");
    ol.innerHTML = "";
    state.tube.people.forEach(function (p) { var li = document.createElement("li"); li.textContent = p; ol.appendChild(li); });
    var ul = el("log");
    ul.innerHTML = "";
    state.log.forEach(function (m) {
      var li = document.createElement("li");
      li.className = m.cls;
      li.textContent = m.at + " " + m.text;
      ul.appendChild(li);
    });
    var net = el("net");
    var offline = !navigator.onLine || state.offline;
    net.textContent = offline ? root.dataset.msgOffline : root.dataset.msgOnline;
    net.className = "tag" + (offline ? " offline" : "");
  }

  var ID_RE = /^(\d{17}[\dXx]|\d{15})$/;
  var BARCODE_RE = /^[A-Za-z0-9][A-Za-z0-9\-]{5,39}$/;
  // As the server's screening.services.is_tube_barcode: a bare number of 15 digits or more is an ID
  // number mistyped or misread, never a barcode (sent as a scan, the server names what is wrong)
  var ID_LIKE_RE = /^\d{15,}$/;
  function isBarcode(text) {
    return !ID_RE.test(text) && !ID_LIKE_RE.test(text) && text.toUpperCase().indexOf("LFH:") !== 0 && BARCODE_RE.test(text);
  }

  function enqueue(event, label) {
    event.key = uuid();
    event.tube = state.tube.key;
    event.at = new Date().toISOString();
    state.queue.push(event);
    if (event.kind === "close") {
      log(root.dataset.msgClosed + " " + event.value);
      var li = document.createElement("li");
      li.className = "pii";
      li.textContent = event.value + " · " + state.tube.count;
      el("closed").prepend(li);
      state.tube = { key: uuid(), count: 0, people: [] };
    } else {
      state.tube.count += 1;
      state.tube.people.push(label);
      if (!navigator.onLine || state.offline) log(root.dataset.msgQueued + ": " + label, "warn");
    }
    save();
    pump();
  }

  function register(text, name) {
    text = (text || "").trim();
    if (!text) return;
    if (isBarcode(text)) {
      if (state.tube.count === 0) { log(root.dataset.msgEmpty, "error"); save(); return; }
      enqueue({ kind: "close", value: text.toUpperCase() }, text);
      return;
    }
    if (capacity !== null && state.tube.count >= capacity) { log(root.dataset.msgFull, "error"); save(); return; }
    var masked = ID_RE.test(text) ? text.slice(0, 4) + "**********" + text.slice(-4) : text.slice(0, 12);
    enqueue({ kind: "scan", value: text, name: name || "" }, masked);
  }

  var busy = false;
  function pump() {
    if (busy || state.queue.length === 0) return;
    busy = true;
    var event = state.queue[0];
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(event),
    }).then(function (response) {
      if (response.status === 503 || response.status === 429) {
        var wait = parseInt(response.headers.get("Retry-After") || "2", 10) * 1000;
        busy = false;
        setTimeout(pump, wait);
        return null;
      }
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (result === null) return;
      state.offline = false;
      state.queue.shift();
      state.synced += 1;
      var body = result.body || {};
      if (body.status === "ok") {
        (body.warnings || []).forEach(function (w) { log(w, "warn"); });
        if (event.kind === "scan" && event.value.toUpperCase().indexOf("LFH:") === 0 && event.tube === state.tube.key) {
          state.tube.count = body.tube.people;
        }
        log((body.people || []).map(function (p) { return p.name + " " + p.id; }).join(", "));
      } else if (body.status === "closed") {
        log(body.message);
      } else {
        log(body.message || ("HTTP " + result.status), "error");
        if (event.kind !== "close" && event.tube === state.tube.key) {
          state.tube.count = Math.max(0, state.tube.count - 1);
          state.tube.people.pop();
        }
      }
      busy = false;
      save();
      pump();
    }).catch(function () {
      busy = false;
      state.offline = true;
      save();
      setTimeout(pump, 3000);
    });
  }

  el("scan-form").addEventListener("submit", function (e) {
    e.preventDefault();
    register(el("scan").value, el("unreg-name").value);
    el("scan").value = "";
    el("unreg-name").value = "";
    el("scan").focus();
  });
  el("child-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    if (capacity !== null && state.tube.count >= capacity) { log(root.dataset.msgFull, "error"); save(); return; }
    enqueue({ kind: "child", guardian: form.guardian.value.trim(), name: form.child.value.trim(), value: "" }, form.child.value.trim());
    form.reset();
  });
  document.getElementById("search-results").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-resident]");
    if (!button) return;
    if (capacity !== null && state.tube.count >= capacity) { log(root.dataset.msgFull, "error"); save(); return; }
    enqueue({ kind: "resident", value: button.dataset.resident }, button.dataset.label);
  });
  window.addEventListener("online", function () { state.offline = false; render(); pump(); });
  window.addEventListener("offline", function () { state.offline = true; render(); });
  render();
  pump();
  setInterval(pump, 5000);
})();
