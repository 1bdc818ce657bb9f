// Goals: progress, milestones and deadlines (alerts when due within goals.alertDays), suggestions of
// next actions from the model, and a form to add one.
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';
import { describe, alertList } from '../alerts.js';

export async function render(container) {
  const list = h('div', { 'data-testid': 'goal-list' });
  const showAll = h('input', { type: 'checkbox', 'data-testid': 'goals-all', onchange: () => load() });
  const title = h('input', { placeholder: 'New goal', required: true, 'data-testid': 'goal-title', 'aria-label': 'Goal title' });
  const deadline = h('input', { type: 'date', 'data-testid': 'goal-deadline', 'aria-label': 'Deadline' });
  const description = h('input', { placeholder: 'description (optional)', 'data-testid': 'goal-description', 'aria-label': 'Description' });
  const status = h('div');
  const form = h('form', { class: 'panel row', 'data-testid': 'goal-form' }, title, deadline, description, h('button', { type: 'submit', 'data-testid': 'goal-add' }, 'Add goal'), status);
  container.append(h('h1', {}, 'Goals'), form, h('label', { class: 'row muted' }, showAll, 'show done and archived'), list);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      await api('/v1/goals', { method: 'POST', body: { title: title.value.trim(), deadline: deadline.value || null, description: description.value.trim() || null } });
      title.value = ''; deadline.value = ''; description.value = '';
      await load();
    } catch (error) {
      status.append(errorBox(error));
    }
  });

  async function load() {
    const [goals, alerts] = await Promise.all([api(showAll.checked ? '/v1/goals?status=all' : '/v1/goals'), api('/v1/goals/alerts')]);
    window.dispatchEvent(new CustomEvent('minime:alerts', { detail: alertList(alerts) }));
    const due = new Map(alertList(alerts).map((a) => [a.goal_id ?? a.id, a]));
    list.replaceChildren(...(goals.length === 0
      ? [h('p', { class: 'panel muted', 'data-testid': 'no-goals' }, 'No goals yet. Add one above, or with `minime goals add TITLE --deadline YYYY-MM-DD`.')]
      : goals.map((g) => card(g, due.get(g.id)))));
  }

  function card(goal, alert) {
    const problems = h('div');
    const act = async (work) => {
      problems.replaceChildren();
      try { await work(); await load(); } catch (error) { problems.append(errorBox(error)); }
    };
    const progress = h('input', { type: 'range', min: 0, max: 100, step: 5, value: goal.progress, 'aria-label': 'Progress', 'data-testid': 'goal-progress-input',
      onchange: () => act(() => api(`/v1/goals/${goal.id}`, { method: 'PATCH', body: { progress: Number(progress.value) } })) });
    const milestone = h('input', { placeholder: 'new milestone', 'data-testid': 'milestone-title', 'aria-label': 'Milestone' });
    const suggestions = h('div', { 'data-testid': 'goal-suggestions' });
    const suggest = h('button', { type: 'button', class: 'secondary', 'data-testid': 'goal-suggest', onclick: async () => {
      suggest.disabled = true;
      suggestions.replaceChildren(h('p', { class: 'muted' }, 'Thinking about next steps…'));
      try {
        const answer = await api(`/v1/goals/${goal.id}/suggestions`, { method: 'POST', body: {} });
        const items = answer.suggestions ?? answer;
        suggestions.replaceChildren(h('ol', {}, items.map((s) => h('li', { 'data-testid': 'goal-suggestion' }, h('strong', {}, s.action), s.why ? ` — ${s.why}` : ''))));
      } catch (error) {
        suggestions.replaceChildren(errorBox(error));
      } finally {
        suggest.disabled = false;
      }
    } }, 'Suggest next actions');
    const milestones = goal.milestones || [];
    return h('div', { class: 'panel', 'data-testid': 'goal', dataset: { id: goal.id } },
      h('div', { class: 'row' },
        h('strong', { 'data-testid': 'goal-name' }, goal.title),
        h('span', { class: `badge ${goal.status}` }, goal.status),
        goal.deadline ? h('span', { class: `badge ${alert ? ((alert.days_left ?? 0) < 0 ? 'overdue' : 'due') : ''}`, 'data-testid': 'goal-deadline-badge' },
          alert ? describe(alert) : `due ${goal.deadline}`) : null),
      goal.description ? h('p', {}, goal.description) : null,
      h('div', { class: 'row' }, h('progress', { max: 100, value: goal.progress, 'data-testid': 'goal-progress' }), `${goal.progress}%`, progress),
      milestones.length > 0 ? h('ul', {}, milestones.map((m) => h('li', { 'data-testid': 'milestone' },
        h('label', { class: 'row' },
          h('input', { type: 'checkbox', checked: m.status === 'done', 'data-testid': 'milestone-done',
            onchange: (e) => act(() => api(`/v1/goals/${goal.id}/milestones/${m.id}`, { method: 'PATCH', body: { status: e.target.checked ? 'done' : 'open' } })) }),
          m.title, m.due ? h('span', { class: 'muted' }, ` (due ${m.due})`) : null)))) : null,
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); if (milestone.value.trim()) act(() => api(`/v1/goals/${goal.id}/milestones`, { method: 'POST', body: { title: milestone.value.trim() } })); } },
        milestone, h('button', { type: 'submit', class: 'secondary', 'data-testid': 'milestone-add' }, 'Add milestone')),
      h('div', { class: 'row' },
        suggest,
        goal.status === 'active' ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'goal-done', onclick: () => act(() => api(`/v1/goals/${goal.id}`, { method: 'PATCH', body: { status: 'done', progress: 100 } })) }, 'Mark done') : null,
        goal.status !== 'archived' ? h('button', { type: 'button', class: 'link', 'data-testid': 'goal-archive', onclick: () => act(() => api(`/v1/goals/${goal.id}`, { method: 'PATCH', body: { status: 'archived' } })) }, 'Archive') : null,
        h('span', { class: 'muted' }, `updated ${fmt.time(goal.updated_at)}`)),
      suggestions, problems);
  }

  await load();
}
