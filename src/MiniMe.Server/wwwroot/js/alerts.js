// Goals due soon or overdue, shown above every page: read once, then kept current by the server's
// notification stream (GET /v1/notifications, server-sent events; goal_due events).
import { api, events } from './api.js';
import { h } from './dom.js';

export async function showAlerts(container) {
  const due = new Map();
  const draw = () => container.replaceChildren(...[...due.values()].map((a) => h('div', { class: 'alert', 'data-testid': 'goal-alert' },
    h('a', { href: '#/goals' }, a.title), ` — ${describe(a)}`)));
  try {
    for (const a of alertList(await api('/v1/goals/alerts'))) due.set(a.goal_id ?? a.id, a);
    draw();
  } catch {
    return; // an older server without goals: no banner
  }
  // The goals page re-reads the alerts after every change and passes them on.
  window.addEventListener('minime:alerts', (event) => {
    due.clear();
    for (const a of event.detail) due.set(a.goal_id ?? a.id, a);
    draw();
  });
  (async () => {
    try {
      for await (const e of events('/v1/notifications')) {
        if (e.type !== 'goal_due') continue;
        const alert = e.alert ?? e;
        due.set(alert.goal_id ?? alert.id, alert);
        draw();
      }
    } catch { /* the stream ended (server stopped, key forgotten): the banner stays as it was */ }
  })();
}

export function describe(alert) {
  const days = alert.days_left ?? alert.days;
  if (days == null) return `due ${alert.deadline}`;
  if (days < 0) return `overdue by ${-days} day${days === -1 ? '' : 's'} (${alert.deadline})`;
  if (days === 0) return `due today`;
  return `due in ${days} day${days === 1 ? '' : 's'} (${alert.deadline})`;
}

/** GET /v1/goals/alerts answers {today, alert_days, alerts}. */
export const alertList = (response) => (Array.isArray(response) ? response : response?.alerts ?? []);
