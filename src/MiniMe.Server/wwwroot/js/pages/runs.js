// Runs: tokens and latency per run as charts, and the list; a run opens in the trace viewer.
import { api } from '../api.js';
import { h, fmt } from '../dom.js';
import { chart, colour } from '../charts.js';

export async function render(container) {
  const runs = await api('/v1/runs?limit=100');
  const tokens = h('canvas', { 'data-testid': 'tokens-chart' });
  const latency = h('canvas', { 'data-testid': 'latency-chart' });
  container.append(
    h('h1', {}, 'Runs'),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', {}, 'Tokens per run'), h('div', { class: 'chart' }, tokens)),
      h('div', { class: 'panel' }, h('h2', {}, 'Latency per run'), h('div', { class: 'chart' }, latency))),
    h('div', { class: 'panel' },
      runs.length === 0
        ? h('p', { class: 'muted' }, 'No runs yet: chat, or ask with `minime ask "TASK" --dry-run`.')
        : h('table', { 'data-testid': 'runs-table' },
          h('thead', {}, h('tr', {}, ['started', 'mode', 'status', 'domain', 'tokens', 'cost', 'latency', 'task'].map((c) => h('th', {}, c)))),
          h('tbody', {}, runs.map((r) => h('tr', { class: 'clickable', 'data-testid': 'run-row', onclick: () => { location.hash = `#/runs/${r.run_id}`; } },
            h('td', {}, fmt.time(r.started)), h('td', {}, r.mode || ''), h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
            h('td', {}, r.domain || ''), h('td', {}, fmt.number(r.total_tokens)), h('td', {}, fmt.cost(r.cost)),
            h('td', {}, fmt.ms(r.elapsed_ms)), h('td', {}, r.task.length > 80 ? `${r.task.slice(0, 80)}…` : r.task)))))));

  const ordered = [...runs].reverse();
  const labels = ordered.map((r) => r.run_id.slice(9, 15));
  const destroyers = [
    chart(tokens, {
      type: 'bar',
      data: { labels, datasets: [
        { label: 'prompt', data: ordered.map((r) => r.prompt_tokens ?? 0), backgroundColor: colour(0) },
        { label: 'completion', data: ordered.map((r) => r.completion_tokens ?? 0), backgroundColor: colour(1) },
      ] },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    }),
    chart(latency, {
      type: 'line',
      data: { labels, datasets: [{ label: 'elapsed ms', data: ordered.map((r) => r.elapsed_ms ?? 0), borderColor: colour(2), backgroundColor: colour(2) }] },
      options: { scales: { y: { beginAtZero: true } } },
    }),
  ];
  return () => destroyers.forEach((d) => d());
}
