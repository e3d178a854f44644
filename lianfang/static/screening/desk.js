/* Lianfang sampling desk: keyboard-wedge scanners and typed IDs, offline queue with idempotency keys.
 *
 * Every action becomes an event {key, kind, value, tube, at, ...} with a client-generated key, saved in
 * localStorage first and then sent in order; the server stores each key's outcome, so a retry (after a
 * dropped connection, a 503 or a reload) replays the outcome and never writes twice. Plain JS, no build.
 *
 * A tube is sealed only when the server confirms its close (2xx). Online, the scanned tube stays the
 * open one ("closing") until the answer comes; offline (or when the next person is scanned first) it
 * waits in state.pending and a new tube opens. A refused close (409/4xx: barcode used by another tube,
 * ...) shows the server's message and re-opens that tube with its people, the newer tube set aside in
 * state.parked until the re-opened one is closed with another barcode.
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
  function newTube() { return { key: uuid(), count: 0, people: [], closing: null }; }
  var state = load() || { tube: null, queue: [], synced: 0, log: [] };
  if (!state.tube) {
    state.tube = root.dataset.openKey
      ? { key: root.dataset.openKey, count: parseInt(root.dataset.openPeople || "0", 10), people: [], closing: null }
      : newTube();
  }
  state.pending = state.pending || [];  // tubes whose close is queued, the page having moved on
  state.parked = state.parked || [];  // tubes set aside while a refused tube is re-opened
  state.sealed = state.sealed || [];  // keys of tubes the server confirmed closed (latest first)
  function save() { localStorage.setItem(storeKey, JSON.stringify(state)); render(); }

  var el = function (id) { return document.getElementById(id); };
  var colon = root.dataset.colon || ": ";
  function isOffline() { return !navigator.onLine || !!state.offline; }
  // One clock for the log: the device's local time at which the line's event happened, as HH:MM:SS
  // in every language. An answer from the server is logged at its event's time (event.at, set on
  // this phone when the person was scanned or the tube closed), not when the answer arrived: a scan
  // queued offline and synced later keeps the time it was made. Lines of the page's own (tube full,
  // saved on this phone) happen now.
  function clock(moment) {
    var d = moment ? new Date(moment) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function log(text, cls, at) {
    state.log.unshift({ text: text, cls: cls || "", at: clock(at) });
    state.log = state.log.slice(0, 30);
  }
  function render() {
    el("tube-count").textContent = String(state.tube.count);
    el("tube-closing").textContent = state.tube.closing ? root.dataset.msgClosing + colon + state.tube.closing : "";
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
    var offline = isOffline();
    net.textContent = offline ? root.dataset.msgOffline : root.dataset.msgOnline;
    net.className = "tag" + (offline ? " offline" : "");
  }

  var ID_RE = /^(\d{17}[\dXx]|\d{15})$/;
  var BARCODE_RE = /^[A-Za-z0-9][A-Za-z0-9\-]{5,39}$/;
  // As the server's screening.services.scans.is_tube_barcode: a bare number of 15 digits or more is an ID
  // number mistyped or misread, never a barcode (sent as a scan, the server names what is wrong)
  var ID_LIKE_RE = /^\d{15,}$/;
  function isBarcode(text) {
    return !ID_RE.test(text) && !ID_LIKE_RE.test(text) && text.toUpperCase().indexOf("LFH:") !== 0 && BARCODE_RE.test(text);
  }

  // The tube with client key ``key`` wherever the page keeps it (open, pending its close, parked), or null
  function findTube(key) {
    var all = [state.tube].concat(state.pending, state.parked);
    for (var i = 0; i < all.length; i++) if (all[i].key === key) return all[i];
    return null;
  }
  function without(list, key) { return list.filter(function (t) { return t.key !== key; }); }

  // The open tube's close is queued but not confirmed: keep it in state.pending, go on with a new tube
  // (or the one set aside while a refused tube was re-opened)
  function moveOn() {
    state.pending.push(state.tube);
    state.tube = state.parked.pop() || newTube();
  }

  // Room for one more person: a tube still closing is left to the server and a new one opens
  function room() {
    if (state.tube.closing) moveOn();
    if (capacity !== null && state.tube.count >= capacity) { log(root.dataset.msgFull, "error"); save(); return false; }
    return true;
  }

  function enqueue(event, label) {
    event.key = uuid();
    event.tube = state.tube.key;
    event.at = new Date().toISOString();
    state.queue.push(event);
    if (event.kind === "close") {
      state.tube.closing = event.value;
      if (isOffline()) {
        log(root.dataset.msgQueued + colon + event.value, "warn", event.at);
        moveOn();
      }
    } else {
      state.tube.count += 1;
      state.tube.people.push(label);
      if (isOffline()) log(root.dataset.msgQueued + colon + label, "warn", event.at);
    }
    save();
    pump();
  }

  // The server sealed tube ``event.tube`` (2xx): only now is it closed in the page
  function closeConfirmed(event, body) {
    var key = event.tube;
    var tube = findTube(key);
    var shown = body.tube || {};
    state.sealed = [key].concat(state.sealed.filter(function (k) { return k !== key; })).slice(0, 50);
    log(body.message || (root.dataset.msgClosed + " " + event.value), "", event.at);
    var li = document.createElement("li");
    li.className = "pii";
    li.textContent = (shown.barcode || event.value) + " · " + (shown.people !== undefined ? shown.people : tube ? tube.count : "");
    el("closed").prepend(li);
    if (state.tube.key === key) state.tube = state.parked.pop() || newTube();
    state.pending = without(state.pending, key);
    state.parked = without(state.parked, key);
  }

  // The server refused to close tube ``event.tube`` (409/4xx): the tube is open there, so it is open
  // here again with its people, unless another barcode for it is still queued or it was sealed already
  function closeRefused(event) {
    var key = event.tube;
    if (state.sealed.indexOf(key) !== -1) return;
    if (state.queue.some(function (e) { return e.kind === "close" && e.tube === key; })) return;
    var tube = findTube(key);
    if (!tube) return;
    tube.closing = null;
    if (state.tube.key !== key) {
      state.pending = without(state.pending, key);
      state.parked = without(state.parked, key);
      if (state.tube.count > 0 || state.tube.closing) state.parked.push(state.tube);
      state.tube = tube;
    }
    log(root.dataset.msgReopened, "error", event.at);
  }

  function register(text, name) {
    text = (text || "").trim();
    if (!text) return;
    if (isBarcode(text)) {
      if (state.tube.count === 0) { log(root.dataset.msgEmpty, "error"); save(); return; }
      enqueue({ kind: "close", value: text.toUpperCase() }, text);
      return;
    }
    if (!room()) return;
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
      var ok = result.status >= 200 && result.status < 300;
      var tube = findTube(event.tube);
      if (event.kind === "close") {
        if (ok) closeConfirmed(event, body);
        else {
          log(body.message || ("HTTP " + result.status), "error", event.at);
          closeRefused(event);
        }
      } else if (ok && body.status === "ok") {
        (body.warnings || []).forEach(function (w) { log(w, "warn", event.at); });
        if (event.kind === "scan" && event.value.toUpperCase().indexOf("LFH:") === 0 && tube) {
          tube.count = body.tube.people;
        }
        log((body.people || []).map(function (p) { return p.name + " " + p.id; }).join(", "), "", event.at);
      } else if (ok && body.status === "closed") {  // a scanned barcode the server took as a close
        log(body.message, "", event.at);
      } else {
        log(body.message || ("HTTP " + result.status), "error", event.at);
        if (tube) {
          tube.count = Math.max(0, tube.count - 1);
          tube.people.pop();
        }
      }
      busy = false;
      save();
      pump();
    }).catch(function () {
      busy = false;
      state.offline = true;
      if (state.tube.closing) {  // the close waits on this phone: go on with a new tube
        log(root.dataset.msgQueued + colon + state.tube.closing, "warn");
        moveOn();
      }
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
    if (!room()) return;
    enqueue({ kind: "child", guardian: form.guardian.value.trim(), name: form.child.value.trim(), value: "" }, form.child.value.trim());
    form.reset();
  });
  document.getElementById("search-results").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-resident]");
    if (!button) return;
    if (!room()) return;
    enqueue({ kind: "resident", value: button.dataset.resident }, button.dataset.label);
  });
  window.addEventListener("online", function () { state.offline = false; render(); pump(); });
  window.addEventListener("offline", function () { state.offline = true; render(); });
  render();
  pump();
  setInterval(pump, 5000);
})();
