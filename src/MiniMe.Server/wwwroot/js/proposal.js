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

/**
 * What an executed command printed (the decision answer's `output`): exit code and duration, then stdout
 * and stderr (stderr in red) in <pre>s, each with a note when it was cut (`capNote` words it).
 */
export function commandOutput(output, capNote = (name, bytes) => `${name} capped at tools.maxOutputBytes (${bytes} bytes printed); the run trace keeps its end`) {
  const ended = output.timed_out ? 'killed at the timeout' : `exit ${output.exit_code}`;
  const ok = output.exit_code === 0 && !output.timed_out;
  const stream = (name, text, truncated, bytes) => (text || truncated ? [
    h('div', { class: 'muted' }, name),
    h('pre', { class: name, 'data-testid': `command-${name}` }, text),
    truncated ? h('p', { class: 'muted' }, capNote(name, bytes)) : null,
  ] : []);
  return h('div', { class: 'command-output', 'data-testid': 'command-output' },
    h('p', {}, h('span', { class: `badge ${ok ? 'approved' : 'failed'}`, 'data-testid': 'command-exit' }, ended),
      h('span', { class: 'muted' }, ` · ${(output.duration_ms / 1000).toFixed(2)} s`)),
    ...stream('stdout', output.stdout, output.stdout_truncated, output.stdout_bytes),
    ...stream('stderr', output.stderr, output.stderr_truncated, output.stderr_bytes));
}

/** A decided proposal as it stays on the page: the tool, the decision's message and, for a command, its output. */
export function decidedCard(decision) {
  const p = decision.proposal;
  return h('div', { class: 'panel', 'data-testid': 'decided' },
    h('div', { class: 'row' }, h('strong', {}, h('code', {}, p.tool)), h('span', { class: `badge ${p.status}` }, p.status),
      h('span', { class: 'muted' }, 'run '), h('a', { href: `#/runs/${p.run_id}` }, p.run_id)),
    h('p', { class: 'muted' }, decision.message),
    decision.output ? commandOutput(decision.output) : null);
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
      if (decision.output) status.append(commandOutput(decision.output));
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
