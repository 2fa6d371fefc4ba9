// licd's License Manager: the admin API (docs/ADMIN-API.md) in a browser. Every change carries
// the session's CSRF token; every text from the server goes into the page as text, never HTML.
'use strict';

const POLL_MS = 1000; // pages update live: a checkout shows within two seconds
const EVENT_KINDS = ['granted', 'renewed', 'released', 'expired', 'denied', 'started', 'stopped',
  'license_added', 'license_removed', 'disconnected', 'lease_ended', 'admin', 'license_state',
  'license_activated', 'license_deactivated', 'clock', 'seats_reduced', 'seats'];

const state = {
  csrf: null,
  role: null,
  page: null,
  timer: null,
  busy: false,
  log: { after: null, filter: '' },
  charts: {},
  activating: null,
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && state.csrf) opts.headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    throw new ApiError('UNREACHABLE', 'licd is not answering', 0);
  }
  let j = null;
  try {
    j = await r.json();
  } catch (e) {
    j = null;
  }
  if (!r.ok) {
    const err = j && j.error ? j.error : {};
    const ex = new ApiError(err.code || 'HTTP_' + r.status, err.message || 'HTTP ' + r.status,
      r.status);
    if (r.status === 401 && path !== '/api/v1/session') {
      showLogin('Your session has ended: log in again.');
    }
    throw ex;
  }
  return j;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c === null || c === undefined ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

function fillTable(table, rows) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...rows);
}

function facts(dl, pairs) {
  const items = [];
  for (const [k, v] of pairs) {
    items.push(el('dt', k));
    const dd = el('dd', v);
    dd.dataset.fact = k;
    items.push(dd);
  }
  $(dl).replaceChildren(...items);
}

function button(text, onClick, cls) {
  const b = el('button', text, cls);
  b.type = 'button';
  b.classList.add('changes');
  b.disabled = state.role !== 'admin';
  b.addEventListener('click', onClick);
  return b;
}

function say(id, text, bad) {
  const p = $(id);
  p.textContent = text;
  p.classList.toggle('error', !!bad);
  p.classList.toggle('ok', !bad && !!text);
}

function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

function localTime(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  return isNaN(t) ? iso : t.toLocaleString();
}

function confirmAction(text) {
  return new Promise((resolve) => {
    const dlg = $('confirm');
    $('confirm-text').textContent = text;
    const done = (answer) => {
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      dlg.close();
      resolve(answer);
    };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    dlg.showModal();
  });
}

// ---- logging in and out

function showLogin(message) {
  stopPolling();
  state.csrf = null;
  state.role = null;
  $('app').hidden = true;
  $('login').hidden = false;
  say('login-error', message || '', true);
  $('login-token').focus();
}

function showApp(session) {
  state.csrf = session.csrf;
  state.role = session.role;
  $('login').hidden = true;
  $('app').hidden = false;
  $('role').textContent = session.role === 'admin' ? 'admin' : 'read-only';
  document.body.classList.toggle('readonly', session.role !== 'admin');
  // The read-only role sees everything and changes nothing: licd refuses it anyway (403).
  for (const c of document.querySelectorAll('.changes button, .changes textarea, button.changes'))
    c.disabled = session.role !== 'admin';
  route();
}

async function login(ev) {
  ev.preventDefault();
  const token = $('login-token').value.trim();
  try {
    const s = await api('POST', '/api/v1/session', { token });
    $('login-token').value = '';
    say('login-error', '');
    showApp(s);
  } catch (e) {
    say('login-error', e.status === 401 ? 'Wrong token.' : e.message, true);
  }
}

async function logout() {
  try {
    await api('DELETE', '/api/v1/session');
  } finally {
    showLogin('');
  }
}

// ---- pages

const pages = {
  overview: { refresh: refreshOverview },
  licenses: { refresh: refreshLicenses },
  computers: { refresh: refreshComputers },
  usage: { enter: enterUsage },
  log: { enter: enterLog, refresh: followLog },
  server: { refresh: refreshServer },
};

function route() {
  const name = (location.hash || '#overview').slice(1);
  const page = pages[name] ? name : 'overview';
  state.page = page;
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== 'page-' + page;
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.page === page);
  stopPolling();
  const p = pages[page];
  (async () => {
    if (p.enter) await guard(p.enter);
    if (p.refresh) {
      await guard(p.refresh);
      state.timer = setInterval(() => tick(page), POLL_MS);
    }
  })();
}

function stopPolling() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

async function tick(page) {
  if (state.busy || state.page !== page) return;
  state.busy = true;
  try {
    await guard(pages[page].refresh);
  } finally {
    state.busy = false;
  }
}

async function guard(f) {
  try {
    await f();
    $('offline').hidden = true;
  } catch (e) {
    if (e.status === 401) return;
    $('offline').textContent = e.status === 0 ? 'licd is not answering.' : e.message;
    $('offline').hidden = false;
  }
}

// Overview: the server, the seats as bars, and what needs the admin's attention.
async function refreshOverview() {
  const [s, c, l] = await Promise.all([api('GET', '/api/v1/server'),
    api('GET', '/api/v1/computers'), api('GET', '/api/v1/licenses')]);
  $('server-title').textContent = 'licd ' + (s.server_name || '');
  const users = new Set();
  for (const comp of c.computers) for (const u of comp.users) users.add(u);
  facts('ov-info', [
    ['Server', s.server_name], ['Version', s.version], ['Up', duration(s.uptime_seconds)],
    ['Client port', s.ports.client_tcp + (s.tls.enabled ? ' (TLS)' : '')],
    ['Admin port', s.ports.admin_http + (s.admin_tls ? ' (HTTPS)' : '')],
    ['Discovery', s.ports.discovery_udp ? s.ports.discovery_udp + '/udp' : 'off'],
    ['Data dir', s.data_dir], ['Computers connected', s.connected_computers],
    ['Users', users.size],
  ]);
  const bars = [];
  for (const p of s.products) {
    const box = el('div', null, 'product');
    box.dataset.product = p.product;
    box.appendChild(el('span', p.product, 'name'));
    const bar = el('div', null, 'bar');
    const fill = el('div', null, 'fill');
    fill.style.width = (p.seats ? Math.min(100, (100 * p.used) / p.seats) : 0) + '%';
    if (p.seats && p.used >= p.seats) fill.classList.add('full');
    bar.appendChild(fill);
    box.appendChild(bar);
    box.appendChild(el('span', `${p.used} of ${p.seats} seats in use` +
      (p.waiting ? `, ${p.waiting} waiting` : ''), 'count'));
    bars.push(box);
  }
  if (!bars.length) bars.push(el('p', 'No products: add a license on the Licenses page.'));
  $('ov-products').replaceChildren(...bars);
  $('ov-alerts').replaceChildren(...alerts(s, l.licenses).map((a) => el('li', a, 'alert')));
}

function alerts(s, licenses) {
  const out = [];
  const soon = Date.now() + 30 * 86400 * 1000;
  for (const l of licenses) {
    if (l.state !== 'active')
      out.push(`License ${l.id} (${l.product}) is ${l.state}: ${l.advice}`);
    else if (l.expires && l.expires !== 'never' && Date.parse(l.expires) < soon)
      out.push(`License ${l.id} (${l.product}) expires on ${l.expires}.`);
  }
  for (const p of s.products)
    if (p.seats && p.used >= p.seats)
      out.push(`${p.product} is at full: all ${p.seats} seats are in use.`);
  if (s.clock.error)
    out.push(`Clock error: the clock reads ${s.clock.now} but licd has seen ` +
      `${s.clock.latest_seen}; licenses with an expiry date count no seats until it is right.`);
  for (const w of s.machine.warnings) out.push(w);
  const st = s.storage;
  if (st.disk_total_bytes && st.disk_free_bytes < Math.max(st.disk_total_bytes / 10, 256 << 20))
    out.push(`The data dir's disk is nearly full: ${Math.round(st.disk_free_bytes / 1048576)} ` +
      'MiB free.');
  const room = Math.max(st.map_bytes, st.max_map_bytes);
  if (room && st.used_bytes > 0.9 * room)
    out.push(`The data file uses ${Math.round((100 * st.used_bytes) / room)} % of its map ` +
      '(--map-size, --max-map-size).');
  return out;
}

// Licenses: the installed codes, adding one, activation, deactivation, removal.
async function refreshLicenses() {
  const l = await api('GET', '/api/v1/licenses');
  fillTable('lic-table', l.licenses.map((lic) => {
    const actions = el('span');
    if (lic.activation_required && lic.state === 'not activated')
      actions.appendChild(button('Activate', () => startActivation(lic.id)));
    if (lic.activated_on)
      actions.appendChild(button('Deactivate', () => deactivate(lic.id)));
    actions.appendChild(button('Remove', () => removeLicense(lic), 'danger'));
    const tr = row([lic.id, lic.product, `Licensed for ${lic.seats} users`, lic.state,
      lic.expires, lic.customer, actions]);
    tr.dataset.license = lic.id;
    if (lic.state !== 'active') tr.title = lic.advice;
    return tr;
  }));
}

async function addLicense() {
  const code = $('lic-code').value;
  try {
    const l = await api('POST', '/api/v1/licenses', { code });
    say('lic-result', `Added license ${l.id}: ${l.seats} seats of ${l.product}, ${l.state}.`);
    $('lic-code').value = '';
  } catch (e) {
    say('lic-result', `Not added: ${e.message}`, true);
  }
  await guard(refreshLicenses);
}

async function startActivation(id) {
  try {
    const r = await api('POST', `/api/v1/licenses/${encodeURIComponent(id)}/activation`, {});
    state.activating = id;
    $('act-title').textContent = `Activate license ${id}`;
    $('act-request').value = r.request;
    $('act-response').value = '';
    say('act-result', '');
    $('act-panel').hidden = false;
  } catch (e) {
    say('lic-result', e.message, true);
  }
}

async function applyActivation() {
  const id = state.activating;
  try {
    const r = await api('POST', `/api/v1/licenses/${encodeURIComponent(id)}/activation`,
      { response: $('act-response').value });
    say('act-result', `License ${id} is ${r.license.state}.`);
  } catch (e) {
    say('act-result', `Not activated: ${e.message}`, true);
  }
  await guard(refreshLicenses);
}

async function deactivate(id) {
  if (!(await confirmAction(`Deactivate license ${id}? It counts no seats here afterwards.`)))
    return;
  try {
    const r = await api('DELETE', `/api/v1/licenses/${encodeURIComponent(id)}/activation`);
    $('receipt').value = r.receipt;
    $('receipt-panel').hidden = false;
  } catch (e) {
    say('lic-result', e.message, true);
  }
  await guard(refreshLicenses);
}

async function removeLicense(lic) {
  if (!(await confirmAction(`Remove license ${lic.id}? Its ${lic.seats} seats of ${lic.product} ` +
    'go at once.')))
    return;
  try {
    await api('DELETE', `/api/v1/licenses/${encodeURIComponent(lic.id)}`);
    say('lic-result', `Removed license ${lic.id}.`);
  } catch (e) {
    say('lic-result', e.message, true);
  }
  await guard(refreshLicenses);
}

// Computers: who holds what, and the Disconnect button.
async function refreshComputers() {
  const [c, q] = await Promise.all([api('GET', '/api/v1/computers'),
    api('GET', '/api/v1/queue')]);
  fillTable('queue-table', q.waiting.map((w) => {
    const tr = row([w.product, w.position, w.computer, w.user, w.address, w.priority,
      duration((Date.now() - w.since_ms) / 1000), duration(w.wait_left_ms / 1000)]);
    tr.dataset.computer = w.computer;
    return tr;
  }));
  $('queue-none').hidden = q.waiting.length > 0;
  fillTable('comp-table', c.computers.map((comp) => {
    const leases = el('ul', null, 'leases');
    for (const l of comp.leases) {
      const item = el('li', `${l.product} (${l.user}) `);
      item.dataset.lease = l.lease;
      item.title = `lease ${l.lease}, granted ${localTime(l.granted_at)}`;
      item.appendChild(button('End', () => endLease(l)));
      leases.appendChild(item);
    }
    const tr = row([comp.computer, comp.users.join(', '), comp.addresses.join(', '),
      comp.products.join(', '), localTime(comp.connected_since), localTime(comp.last_renewal),
      comp.lease_expires_in === null ? '' : duration(comp.lease_expires_in), leases,
      button('Disconnect', () => disconnect(comp.computer), 'danger')]);
    tr.dataset.computer = comp.computer;
    return tr;
  }));
  // licd's own list: one line per computer, the longest of its products' cooldowns.
  const left = new Map();
  for (const cd of c.cooldowns) left.set(cd.computer, Math.max(left.get(cd.computer) || 0, cd.seconds_left));
  $('comp-cooldowns').replaceChildren(...[...left].map(([name, s]) =>
    el('li', `${name}: may check out again in ${duration(s)}`)));
}

async function disconnect(computer) {
  if (!(await confirmAction(`Disconnect ${computer}? Its leases end at once and it may not ` +
    'check out again until the cooldown is over.')))
    return;
  try {
    const r = await api('POST', `/api/v1/computers/${encodeURIComponent(computer)}/disconnect`);
    say('comp-result', `Disconnected ${computer}: ${r.leases_ended} leases ended; it may check ` +
      `out again in ${r.cooldown_seconds} s.`);
  } catch (e) {
    say('comp-result', e.message, true);
  }
  await guard(refreshComputers);
}

async function endLease(l) {
  if (!(await confirmAction(`End lease ${l.lease} (${l.product}, ${l.user} on this computer)? ` +
    'Its application loses the seat now.')))
    return;
  try {
    await api('DELETE', `/api/v1/leases/${encodeURIComponent(l.lease)}`);
    say('comp-result', `Lease ${l.lease} ended.`);
  } catch (e) {
    say('comp-result', e.message, true);
  }
  await guard(refreshComputers);
}

// Usage: the reports as charts, a table per user, and the CSV.
function isoDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

async function enterUsage() {
  const s = await api('GET', '/api/v1/server');
  const sel = $('use-product');
  const chosen = sel.value;
  sel.replaceChildren(...s.products.map((p) => el('option', p.product)));
  if (chosen && s.products.some((p) => p.product === chosen)) sel.value = chosen;
  if (!$('use-from').value) {
    const now = new Date();
    $('use-to').value = isoDate(now);
    $('use-from').value = isoDate(new Date(now.getTime() - 6 * 86400 * 1000));
  }
  await showUsage();
}

function usageQuery(extra) {
  const to = new Date($('use-to').value + 'T00:00:00');
  to.setDate(to.getDate() + 1); // the day chosen is in the range
  const q = new URLSearchParams({ product: $('use-product').value, from: $('use-from').value,
    to: isoDate(to), ...extra });
  return q.toString();
}

async function showUsage(ev) {
  if (ev) ev.preventDefault();
  say('use-error', '');
  if (!$('use-product').value) {
    say('use-error', 'No products yet.', true);
    return;
  }
  const by = $('use-by').value;
  $('use-csv').href = '/api/v1/reports/usage?' + usageQuery({ by, format: 'csv' });
  let rep, users, denied;
  try {
    [rep, users, denied] = await Promise.all([
      api('GET', '/api/v1/reports/usage?' + usageQuery({ by })),
      api('GET', '/api/v1/reports/usage?' + usageQuery({ by: 'user' })),
      api('GET', '/api/v1/reports/denials?' + usageQuery({}))]);
  } catch (e) {
    say('use-error', e.message, true);
    return;
  }
  const label = (iso) => (by === 'hour' ? iso.slice(5, 16).replace('T', ' ') : iso.slice(0, 10));
  const labels = rep.rows.map((r) => label(r.start));
  drawChart('use-chart', 'line', labels, [
    { label: 'installed', data: rep.rows.map((r) => r.installed), borderColor: '#555',
      stepped: true },
    { label: 'peak in use', data: rep.rows.map((r) => r.peak), borderColor: '#c0392b' },
    { label: 'average in use', data: rep.rows.map((r) => r.average), borderColor: '#2471a3' },
  ], 'seats');
  drawChart('use-denials', 'bar', labels, [
    { label: 'denials', data: rep.rows.map((r) => r.denials), backgroundColor: '#e67e22' },
  ], 'denials');
  fillTable('use-denied', denied.rows.slice(-200).reverse().map((r) => row([r.computer, r.user,
    r.reason, localTime(r.first), r.denials, r.outcome,
    r.waited_minutes === null || r.waited_minutes === undefined ? '' : r.waited_minutes])));
  fillTable('use-users', users.rows.map((r) => row([r.user, r.seat_hours.toFixed(2), r.sessions,
    r.longest_session_hours.toFixed(2), r.denials])));
}

function drawChart(id, type, labels, datasets, yTitle) {
  const canvas = $(id);
  if (state.charts[id]) state.charts[id].destroy();
  state.charts[id] = new Chart(canvas, {
    type,
    data: { labels, datasets: datasets.map((d) => ({ pointRadius: 2, ...d })) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
    },
  });
  canvas.dataset.points = String(labels.length);
}

// Log: the activity log with filters, following new events.
function logFilter() {
  const q = new URLSearchParams();
  for (const f of ['product', 'computer', 'user', 'kind']) {
    const v = $('log-' + f).value.trim();
    if (v) q.set(f, v);
  }
  return q.toString();
}

function logRow(e) {
  const tr = row([e.seq, localTime(e.time), e.kind, e.product, e.computer, e.user,
    e.detail || e.lease]);
  tr.dataset.kind = e.kind;
  return tr;
}

async function enterLog(ev) {
  if (ev) ev.preventDefault();
  const kinds = $('log-kind');
  if (kinds.options.length === 1) {
    for (const k of EVENT_KINDS) {
      const o = el('option', k);
      o.value = k;
      kinds.appendChild(o);
    }
  }
  state.log.filter = logFilter();
  say('log-error', '');
  let page;
  try {
    page = await api('GET', '/api/v1/log?lines=200&' + state.log.filter);
  } catch (e) {
    say('log-error', e.message, true);
    return;
  }
  fillTable('log-table', page.events.slice().reverse().map(logRow)); // newest first
  state.log.after = page.next - 1;
}

const LOG_ROWS = 1000;

async function followLog() {
  if (!$('log-follow').checked || state.log.after === null) return;
  const page = await api('GET', `/api/v1/log?lines=500&after=${state.log.after}&` +
    state.log.filter);
  state.log.after = page.after;
  if (!page.events.length) return;
  const body = $('log-table').tBodies[0];
  for (const e of page.events) body.insertBefore(logRow(e), body.firstChild);
  while (body.rows.length > LOG_ROWS) body.deleteRow(-1);
}

// Server: status, log level, stop, the options in force.
async function refreshServer() {
  const [s, o] = await Promise.all([api('GET', '/api/v1/server'),
    api('GET', '/api/v1/server/options')]);
  facts('srv-info', [
    ['Server', s.server_name], ['Version', s.version], ['Up', duration(s.uptime_seconds)],
    ['Client port', s.ports.client_tcp + (s.tls.enabled ? ' (TLS)' : '')],
    ['Admin port', s.ports.admin_http + (s.admin_tls ? ' (HTTPS)' : '')],
    ['Discovery', s.ports.discovery_udp ? s.ports.discovery_udp + '/udp' : 'off'],
    ['Data dir', s.data_dir], ['Sessions', s.sessions], ['Log level', s.log_level],
    ['Machine', s.machine.environment],
    ['Data file', `${Math.round(s.storage.used_bytes / 1048576)} MiB used of a ` +
      `${Math.round(s.storage.map_bytes / 1048576)} MiB map`],
    ['Disk free', `${Math.round(s.storage.disk_free_bytes / 1048576)} MiB`],
  ]);
  if (document.activeElement !== $('srv-level')) $('srv-level').value = s.log_level;
  fillTable('srv-options', o.options.map((x) => row([x.name, x.value === '' ? '(default)' :
    x.value])));
}

async function setLogLevel() {
  try {
    const r = await api('POST', '/api/v1/server/log-level', { level: $('srv-level').value });
    say('srv-result', `Log level ${r.log_level}.`);
  } catch (e) {
    say('srv-result', e.message, true);
  }
}

async function stopServer() {
  if (!(await confirmAction('Stop licd? Clients cannot check out until it is started again.')))
    return;
  try {
    await api('POST', '/api/v1/server/stop');
    stopPolling();
    say('srv-result', 'licd is stopping.');
  } catch (e) {
    say('srv-result', e.message, true);
  }
}

// ---- start

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('lic-add').addEventListener('click', addLicense);
  $('act-apply').addEventListener('click', applyActivation);
  $('act-close').addEventListener('click', () => { $('act-panel').hidden = true; });
  $('receipt-close').addEventListener('click', () => { $('receipt-panel').hidden = true; });
  $('use-form').addEventListener('submit', showUsage);
  $('log-form').addEventListener('submit', enterLog);
  $('srv-level-set').addEventListener('click', setLogLevel);
  $('srv-stop').addEventListener('click', stopServer);
  window.addEventListener('hashchange', () => { if (state.role) route(); });
  try {
    showApp(await api('GET', '/api/v1/session'));
  } catch (e) {
    showLogin('');
  }
});
