// Approvals: actions the agent team proposed, each approved or rejected (with a reason kept as a correction).
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';

export async function render(container) {
  const pending = h('div', { 'data-testid': 'pending-proposals' });
  const decided = h('tbody');
  container.append(h('h1', {}, 'Approvals'), pending,
    h('div', { class: 'panel' }, h('h2', {}, 'Decided (and being decided)'),
      h('table', {}, h('thead', {}, h('tr', {}, ['decided', 'tool', 'status', 'outcome'].map((c) => h('th', {}, c)))), decided)));

  async function load() {
    const [open, deciding, approved, rejected, failed] = await Promise.all(
      ['pending', 'deciding', 'approved', 'rejected', 'failed'].map((s) => api(`/v1/proposals?status=${s}`)));
    pending.replaceChildren(...(open.length === 0
      ? [h('p', { class: 'panel muted', 'data-testid': 'no-proposals' }, 'Nothing waiting for approval.')]
      : open.map(card)));
    // Being decided (running now) first, then the decided ones, newest first; failed means it threw or the server stopped mid-way.
    const done = [...deciding, ...[...approved, ...rejected, ...failed].sort((a, b) => (b.decided_at || '').localeCompare(a.decided_at || ''))];
    decided.replaceChildren(...done.map((p) => h('tr', { 'data-testid': 'decided-proposal' },
      h('td', {}, p.decided_at ? fmt.time(p.decided_at) : 'now'), h('td', {}, h('code', {}, p.tool)),
      h('td', {}, h('span', { class: `badge ${p.status}` }, p.status)), h('td', {}, p.note || ''))));
  }

  function card(p) {
    const reason = h('input', { placeholder: 'why not? (kept as a correction)', size: 36, 'data-testid': 'reject-reason' });
    const status = h('div');
    const decide = async (verb, body) => {
      status.replaceChildren();
      try {
        await api(`/v1/proposals/${p.id}/${verb}`, { method: 'POST', body });
        await load();
      } catch (error) {
        status.append(errorBox(error));
      }
    };
    return h('div', { class: 'panel', 'data-testid': 'proposal' },
      h('div', { class: 'row' }, h('strong', {}, h('code', {}, p.tool)), h('span', { class: 'muted' }, `by ${p.proposed_by} · run `),
        h('a', { href: `#/runs/${p.run_id}` }, p.run_id)),
      h('p', {}, p.rationale),
      h('pre', {}, JSON.stringify(p.arguments, null, 2)),
      h('div', { class: 'row' },
        h('button', { type: 'button', 'data-testid': 'approve', onclick: () => decide('approve', {}) }, 'Approve'),
        reason,
        h('button', { type: 'button', class: 'danger', 'data-testid': 'reject', onclick: () => decide('reject', { reason: reason.value || null }) }, 'Reject')),
      status);
  }

  await load();
}
