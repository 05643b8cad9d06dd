// The gt dashboard page: renders the town model pushed by the server (server-sent events on
// /api/events). Ledger text is only ever set as textContent, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'open') node.open = true;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

function when(iso) {
  return iso ? iso.replace('T', ' ').slice(0, 19) : '';
}

function bar(done, total) {
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  const outer = el('div', { class: `bar${total > 0 && done === total ? ' full' : ''}`, title: `${pct}%` });
  const inner = el('span');
  inner.style.width = `${pct}%`;
  outer.append(inner);
  return outer;
}

// Which convoys the reader expanded survive each redraw.
const expanded = new Set();
let seenFeed;

function renderConvoys(convoys) {
  $('convoy-count').textContent = `(${convoys.length} open)`;
  const box = $('convoys');
  box.replaceChildren();
  if (convoys.length === 0) box.append(el('p', { class: 'dim' }, 'no open convoys'));
  for (const c of convoys) {
    const details = el(
      'details',
      { class: 'convoy', 'data-convoy': c.id, open: expanded.has(c.id) },
      el('summary', {}, el('span', {}, el('span', { class: 'id' }, c.id), ' ', c.title, c.stranded ? el('span', { class: 'stranded' }, ' stranded') : null), bar(c.closed, c.total), el('span', { class: 'progress' }, `${c.closed}/${c.total}`)),
    );
    details.addEventListener('toggle', () => (details.open ? expanded.add(c.id) : expanded.delete(c.id)));
    const list = el('ul', { class: 'tracked' });
    for (const t of c.tracked) {
      list.append(
        el(
          'li',
          { 'data-bead': t.id, 'data-status': t.status },
          el('span', { class: 'id' }, t.id),
          ' ',
          el('span', { class: 'status' }, t.status),
          ' ',
          t.title || '(not on the ledger)',
          t.assignee ? el('span', { class: 'dim' }, ` @${t.assignee}`) : null,
          t.request ? el('span', { class: 'dim' }, ` [${t.request.id} ${t.request.status}]`) : null,
        ),
      );
    }
    details.append(list);
    box.append(details);
  }
}

function renderAgents(agents) {
  const box = $('agents');
  box.replaceChildren();
  if (agents.length === 0) box.append(el('p', { class: 'dim' }, 'no agents yet'));
  for (const a of agents) {
    box.append(
      el(
        'div',
        { class: 'agent', 'data-agent': a.name, 'data-activity': a.activity },
        el('span', { class: `dot ${a.activity}`, title: a.activity }),
        el('span', {}, a.name, el('span', { class: 'dim' }, ` ${a.role}`)),
        el('span', { class: `state-${a.state}` }, a.state),
        el('span', {}, a.bead ? el('span', { class: 'id' }, a.bead) : el('span', { class: 'dim' }, '-'), a.title ? ` ${a.title}` : '', a.last_activity ? el('span', { class: 'dim' }, ` · active ${when(a.last_activity)}`) : null),
      ),
    );
  }
}

function renderQueue(queue) {
  const counts = $('queue-counts');
  counts.replaceChildren();
  for (const status of ['queued', 'merging', 'conflict', 'failed', 'merged', 'rejected']) {
    const n = queue.counts[status] || 0;
    counts.append(el('span', { class: `count${n > 0 && (status === 'conflict' || status === 'failed') ? ' bad' : ''}`, 'data-mq': status }, `${n} ${status}`));
  }
  const list = $('queue');
  list.replaceChildren();
  for (const r of queue.requests) {
    list.append(el('li', { 'data-mr': r.id }, el('span', { class: 'id' }, r.id), ` ${r.status} · `, el('span', { class: 'id' }, r.bead), ` ${r.branch} → ${r.target} @${r.agent}`, r.waiting ? el('span', { class: 'dim' }, ` (waiting: ${r.waiting})`) : null));
  }
}

function renderFeed(town) {
  const items = [
    ...town.events.map((e) => ({ key: `e ${e.at} ${e.agent} ${e.text}`, at: e.at, who: e.agent, text: e.text })),
    ...town.commits.map((c) => ({ key: `c ${c.commit}`, at: c.at, who: c.author, text: c.subject })),
  ].sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : 0));
  const list = $('feed');
  list.replaceChildren();
  const first = seenFeed === undefined;
  seenFeed = seenFeed || new Set();
  for (const item of items.slice(0, 50)) {
    const fresh = !first && !seenFeed.has(item.key);
    seenFeed.add(item.key);
    list.append(el('li', { class: fresh ? 'new' : undefined }, el('span', { class: 'dim' }, when(item.at)), el('span', {}, item.who), el('span', {}, item.text)));
  }
}

function render(town) {
  $('head').textContent = `ledger ${town.head.slice(0, 10)} · ${when(town.now)}`;
  const loops = $('loops');
  loops.replaceChildren();
  for (const [name, loop] of Object.entries(town.loops)) loops.append(el('span', { class: `loop ${loop.running ? 'on' : 'off'}`, title: loop.running ? `${loop.command}, pid ${loop.pid}` : 'not running' }, name));
  const needs = $('needs');
  needs.replaceChildren();
  if (town.needs.length === 0) needs.append(el('li', { class: 'none' }, '✓ nothing needs you'));
  for (const n of town.needs) needs.append(el('li', { 'data-need': n.kind }, `⚠ ${n.text} `, el('code', { class: 'dim' }, n.hint)));
  renderConvoys(town.convoys);
  renderAgents(town.agents);
  renderQueue(town.merge_queue);
  $('mail-count').textContent = `(${town.mail.unread} unread${town.mail.escalations ? `, ${town.mail.escalations} escalations` : ''})`;
  const mail = $('mail');
  mail.replaceChildren();
  for (const m of town.mail.messages) mail.append(el('li', {}, m.escalation ? '⚠ ' : '✉ ', el('span', { class: 'id' }, m.id), ` ${m.from}: ${m.subject}`));
  renderFeed(town);
  document.body.dataset.head = town.head;
}

function connect() {
  const source = new EventSource('api/events');
  const state = $('connection');
  source.addEventListener('open', () => {
    state.dataset.state = 'live';
    state.textContent = 'live';
  });
  source.addEventListener('error', () => {
    state.dataset.state = 'lost';
    state.textContent = 'reconnecting…';
  });
  source.addEventListener('town', (event) => render(JSON.parse(event.data)));
}

connect();
