// Start a task: the same run as `minime ask` (masks, memory, context, then the agent team), its
// proposed actions shown with their diffs for approval right here.
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';
import { proposalCard, decidedCard } from '../proposal.js';

export async function render(container) {
  const task = h('textarea', { rows: 4, placeholder: 'Describe the engineering task, e.g. “add retries with backoff to the HTTP client and test them”', 'data-testid': 'ask-input', 'aria-label': 'Task' });
  const domain = h('input', { placeholder: 'domain (optional)', size: 16, 'data-testid': 'ask-domain' });
  const dryRun = h('input', { type: 'checkbox', 'data-testid': 'ask-dry-run' });
  const start = h('button', { type: 'submit', 'data-testid': 'ask-start' }, 'Start');
  const result = h('div', { 'data-testid': 'ask-result' });
  const form = h('form', { class: 'panel stack' }, task,
    h('div', { class: 'row' }, domain, h('label', { class: 'row' }, dryRun, 'dry run (no model call, no proposals)'), start));
  container.append(h('h1', {}, 'Start a task'), form, result);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = task.value.trim();
    if (!text) return;
    start.disabled = true;
    result.replaceChildren(h('p', { class: 'muted', 'data-testid': 'ask-running' }, 'Planning… the agents are working on it.'));
    try {
      const body = { task: text, dry_run: dryRun.checked };
      if (domain.value.trim()) body.domain = domain.value.trim();
      const run = await api('/v1/ask', { method: 'POST', body });
      show(run);
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      start.disabled = false;
    }
  });

  function show(run) {
    const pending = h('div', { 'data-testid': 'ask-proposals' });
    // Decided proposals stay on the page under the pending ones, a command with what it printed.
    const decided = h('div', { 'data-testid': 'ask-decided' });
    const draw = async (decision) => {
      if (decision?.proposal) decided.prepend(decidedCard(decision));
      const open = (await api('/v1/proposals?status=pending')).filter((p) => p.run_id === run.run_id);
      pending.replaceChildren(...(open.length === 0
        ? [h('p', { class: 'muted', 'data-testid': 'ask-no-proposals' }, run.proposals.length === 0 ? 'No actions proposed.' : 'Every proposed action is decided.')]
        : open.map((p) => proposalCard(p, draw))));
    };
    result.replaceChildren(
      h('div', { class: 'panel' },
        h('div', { class: 'row' },
          h('span', { class: `badge ${run.status}`, 'data-testid': 'ask-status' }, run.status),
          h('span', { class: 'muted' }, [run.domain, `complexity ${run.complexity}`, `context ${fmt.number(run.context.total_tokens)} of ${fmt.number(run.context.budget_tokens)} tokens`].join(' · ')),
          h('a', { href: `#/runs/${run.run_id}`, 'data-testid': 'ask-trace' }, 'trace')),
        run.notice ? h('p', { class: 'muted', 'data-testid': 'ask-notice' }, run.notice) : null,
        run.retrieved.length > 0 ? h('details', { class: 'sources' }, h('summary', {}, `Memory used (${run.retrieved.length})`),
          h('ul', {}, run.retrieved.map((r) => h('li', {}, h('code', {}, r.source), r.heading ? ` § ${r.heading}` : '')))) : null),
      h('h2', {}, `Proposed actions (${run.proposals.length})`),
      pending,
      decided);
    if (run.proposals.length > 0) draw().catch((error) => pending.replaceChildren(errorBox(error)));
    else pending.replaceChildren(h('p', { class: 'muted', 'data-testid': 'ask-no-proposals' }, 'No actions proposed.'));
  }
  task.focus();
}
