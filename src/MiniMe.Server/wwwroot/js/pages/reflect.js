// Reflect: the reflection panel (POST /v1/reflect) on a run, a fact or a text — each perspective's
// verdict, the synthesis, and the disagreement index computed from the verdicts.
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';

const PERSPECTIVES = ['engineer', 'librarian', 'philosopher', 'skeptic', 'ethicist'];
const DEFAULTS = ['engineer', 'librarian', 'philosopher', 'skeptic'];

export async function render(container, [runId]) {
  const kind = h('select', { 'data-testid': 'reflect-kind', 'aria-label': 'Subject' },
    h('option', { value: 'text' }, 'text'), h('option', { value: 'run' }, 'run id'), h('option', { value: 'fact' }, 'fact id'));
  const subject = h('textarea', { rows: 3, placeholder: 'What should the panel review? A decision, a plan, a claim…', 'data-testid': 'reflect-subject', 'aria-label': 'Subject text or id' });
  const boxes = PERSPECTIVES.map((name) => h('input', { type: 'checkbox', value: name, checked: DEFAULTS.includes(name), 'data-testid': `reflect-perspective-${name}` }));
  const start = h('button', { type: 'submit', 'data-testid': 'reflect-start' }, 'Reflect');
  const result = h('div', { 'data-testid': 'reflect-result' });
  const form = h('form', { class: 'panel stack' },
    h('div', { class: 'row' }, kind, h('span', { class: 'muted' }, 'perspectives:'), boxes.map((b) => h('label', { class: 'row' }, b, b.value))),
    subject, h('div', { class: 'row' }, start));
  container.append(h('h1', {}, 'Reflect'), form, result);
  if (runId) { kind.value = 'run'; subject.value = runId; }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = subject.value.trim();
    if (!value) return;
    const body = { perspectives: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (kind.value === 'run') body.run_id = value;
    else if (kind.value === 'fact') body.fact_id = Number(value.replace(/^#/, ''));
    else body.text = value;
    start.disabled = true;
    result.replaceChildren(h('p', { class: 'muted', 'data-testid': 'reflect-running' }, 'The panel is reviewing it…'));
    try {
      show(await api('/v1/reflect', { method: 'POST', body }));
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      start.disabled = false;
    }
  });

  function list(title, items, testid) {
    return items.length === 0 ? null : h('div', {}, h('h3', {}, title), h('ul', { 'data-testid': testid }, items.map((i) => h('li', {}, i))));
  }

  function show(r) {
    const parts = r.disagreement_parts;
    result.replaceChildren(
      h('div', { class: 'panel' },
        h('div', { class: 'row' },
          h('strong', {}, `Disagreement ${r.disagreement.toFixed(2)}`),
          h('meter', { min: 0, max: 1, value: r.disagreement, 'data-testid': 'reflect-disagreement', 'aria-label': 'Disagreement index' }),
          h('span', { class: 'muted' }, [`stances ${parts.stance_dispersion.toFixed(2)}`, `confidence spread ${parts.confidence_spread.toFixed(2)}`,
            parts.assessment_distance == null ? 'embeddings off' : `assessments ${parts.assessment_distance.toFixed(2)}`,
            r.totals ? `${fmt.number(r.totals.total_tokens)} tokens` : null].filter(Boolean).join(' · ')),
          h('a', { href: `#/runs/${r.run_id}`, 'data-testid': 'reflect-trace' }, 'trace')),
        h('p', { 'data-testid': 'reflect-summary' }, r.summary),
        list('Agreements', r.agreements, 'reflect-agreements'),
        list('Open concerns', r.open_concerns, 'reflect-open-concerns')),
      h('table', { class: 'panel', 'data-testid': 'reflect-verdicts' },
        h('thead', {}, h('tr', {}, ['perspective', 'stance', 'confidence', 'assessment', 'concerns'].map((c) => h('th', {}, c)))),
        h('tbody', {}, r.verdicts.map((v) => h('tr', { 'data-testid': 'reflect-verdict' },
          h('td', {}, v.perspective), h('td', {}, h('span', { class: `badge ${v.stance}` }, v.stance)), h('td', {}, v.confidence.toFixed(2)),
          h('td', {}, v.assessment), h('td', {}, v.concerns.length === 0 ? '' : h('ul', {}, v.concerns.map((c) => h('li', {}, c)))))))));
  }
  subject.focus();
}
