// One proposed action as a card: what it would do (the diff for file edits, the exact argv for
// commands, the arguments otherwise), approve, or reject with a reason kept as a correction.
import { api } from './api.js';
import { h, errorBox } from './dom.js';

/** The unified diff the server computed for a file edit, lines coloured by kind. */
export function diffView(text) {
  return h('pre', { class: 'diff', 'data-testid': 'proposal-diff' }, text.split('\n').map((line) => {
    const kind = line.startsWith('@@') ? 'hunk'
      : line.startsWith('+') && !line.startsWith('+++') ? 'add'
        : line.startsWith('-') && !line.startsWith('---') ? 'del' : null;
    return kind ? h('span', { class: kind }, line) : `${line}\n`;
  }));
}

function preview(p) {
  const diff = typeof p.diff === 'string' ? p.diff : p.preview?.diff;
  if (diff) return diffView(diff);
  const argv = p.preview?.argv ?? (p.tool === 'run_command' ? [p.arguments.program, ...(p.arguments.args || [])] : null);
  if (argv) return h('pre', { 'data-testid': 'proposal-argv' }, argv.map((a) => (/^[\w./:=@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' '));
  return h('pre', {}, JSON.stringify(p.arguments, null, 2));
}

/** @param onDecided called after a decision went through (to reload the list). */
export function proposalCard(p, onDecided) {
  const reason = h('input', { placeholder: 'why not? (kept as a correction)', size: 30, 'data-testid': 'reject-reason' });
  const status = h('div', { 'data-testid': 'decision-status' });
  const buttons = [];
  const decide = async (verb, body) => {
    status.replaceChildren();
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const decision = await api(`/v1/proposals/${p.id}/${verb}`, { method: 'POST', body });
      status.append(h('p', { class: 'muted' }, decision.message));
      await onDecided?.(decision);
    } catch (error) {
      status.append(errorBox(error));
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  const approve = h('button', { type: 'button', 'data-testid': 'approve', onclick: () => decide('approve', {}) }, 'Approve');
  const reject = h('button', { type: 'button', class: 'danger', 'data-testid': 'reject', onclick: () => decide('reject', { reason: reason.value || null }) }, 'Reject');
  buttons.push(approve, reject);
  return h('div', { class: 'panel', 'data-testid': 'proposal' },
    h('div', { class: 'row' }, h('strong', {}, h('code', {}, p.tool)), h('span', { class: 'muted' }, `by ${p.proposed_by} · run `),
      h('a', { href: `#/runs/${p.run_id}` }, p.run_id)),
    h('p', {}, p.rationale),
    preview(p),
    p.preview?.problem ? h('p', { class: 'muted', 'data-testid': 'proposal-problem' }, p.preview.problem) : null,
    (p.preview?.warnings || []).length > 0 ? h('ul', { class: 'error', 'data-testid': 'proposal-warnings' }, p.preview.warnings.map((w) => h('li', {}, w))) : null,
    h('div', { class: 'row' }, approve, reason, reject),
    status);
}
