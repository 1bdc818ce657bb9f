// Approvals: actions the agent team proposed, each approved or rejected (with a reason kept as a correction).
import { api } from '../api.js';
import { h, fmt } from '../dom.js';
import { proposalCard, decidedCard } from '../proposal.js';

export async function render(container) {
  const pending = h('div', { 'data-testid': 'pending-proposals' });
  // What was decided on this page, a command with what it printed (the table below has every decision).
  const justDecided = h('div', { 'data-testid': 'just-decided' });
  const decided = h('tbody');
  container.append(h('h1', {}, 'Approvals'), pending, justDecided,
    h('div', { class: 'panel' }, h('h2', {}, 'Decided (and being decided)'),
      h('table', {}, h('thead', {}, h('tr', {}, ['decided', 'tool', 'status', 'outcome'].map((c) => h('th', {}, c)))), decided)));

  async function load(decision) {
    if (decision?.proposal) justDecided.prepend(decidedCard(decision));
    const [open, deciding, approved, rejected, failed] = await Promise.all(
      ['pending', 'deciding', 'approved', 'rejected', 'failed'].map((s) => api(`/v1/proposals?status=${s}`)));
    pending.replaceChildren(...(open.length === 0
      ? [h('p', { class: 'panel muted', 'data-testid': 'no-proposals' }, 'Nothing waiting for approval.')]
      : open.map((p) => proposalCard(p, load))));
    // Being decided (running now) first, then the decided ones, newest first; failed means it threw or the server stopped mid-way.
    const done = [...deciding, ...[...approved, ...rejected, ...failed].sort((a, b) => (b.decided_at || '').localeCompare(a.decided_at || ''))];
    decided.replaceChildren(...done.map((p) => h('tr', { 'data-testid': 'decided-proposal' },
      h('td', {}, p.decided_at ? fmt.time(p.decided_at) : 'now'), h('td', {}, h('code', {}, p.tool)),
      h('td', {}, h('span', { class: `badge ${p.status}` }, p.status)), h('td', {}, p.note || ''))));
  }

  await load();
}
