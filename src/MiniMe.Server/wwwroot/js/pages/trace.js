// Trace viewer: the run's summary, mask weights and agent routing as charts, context blocks, the model
// calls (agent_call, with the agent's verdict from agent_output), every event.
import { api } from '../api.js';
import { h, fmt } from '../dom.js';
import { chart, colour } from '../charts.js';
import { commandOutput } from '../proposal.js';

export async function render(container, [runId]) {
  const detail = await api(`/v1/runs/${encodeURIComponent(runId)}`);
  const run = detail.run;
  const masks = detail.events.find((e) => e.event_type === 'mask_generation')?.data;
  const context = detail.events.find((e) => e.event_type === 'context_assembly')?.data;
  const calls = modelCalls(detail.events);
  const weightsCanvas = h('canvas', { 'data-testid': 'mask-chart' });
  const routingCanvas = h('canvas', { 'data-testid': 'routing-chart' });
  // Agent routing matters only where the team ran (ask); a chat turn is one call by "chat".
  const teamRan = detail.events.some((e) => e.event_type === 'agent_call' && !['chat', 'summarizer'].includes(e.data.agent));

  container.append(
    h('p', {}, h('a', { href: '#/runs' }, '← Runs')),
    h('h1', { 'data-testid': 'trace-title' }, `Run ${run.run_id}`),
    h('div', { class: 'panel' },
      h('p', { 'data-testid': 'trace-task' }, run.task),
      h('div', { class: 'row' },
        h('span', { class: `badge ${run.status}`, 'data-testid': 'trace-status' }, run.status),
        h('span', { class: 'muted' }, [run.mode, run.domain, `${fmt.number(run.total_tokens)} tokens`, fmt.cost(run.cost), fmt.ms(run.elapsed_ms), fmt.time(run.started)]
          .filter(Boolean).join(' · ')))),
    masks ? h('div', { class: teamRan ? 'grid2' : '' },
      h('div', { class: 'panel' }, h('h2', {}, `Mask weights (${masks.policy}${masks.policy_version ? ' ' + masks.policy_version : ''})`), h('div', { class: 'chart' }, weightsCanvas)),
      teamRan ? h('div', { class: 'panel' }, h('h2', {}, 'Agent routing'), h('div', { class: 'chart' }, routingCanvas)) : null) : null,
    context ? h('div', { class: 'panel' },
      h('h2', {}, `Context: ${context.total_tokens} of ${context.budget_tokens} tokens (${context.tokenizer})`),
      h('table', {}, h('thead', {}, h('tr', {}, ['block', 'kind', 'weight', 'tokens', 'kept', 'reason'].map((c) => h('th', {}, c)))),
        h('tbody', {}, context.blocks.map((b) => h('tr', {},
          h('td', {}, h('code', {}, b.id)), h('td', {}, b.kind), h('td', {}, b.weight), h('td', {}, b.tokens),
          h('td', {}, b.kept ? 'yes' : 'no'), h('td', {}, b.reason || '')))))) : null,
    calls.length > 0 ? h('div', { class: 'panel', 'data-testid': 'model-calls' },
      h('h2', {}, `Model calls (${calls.length})`),
      h('table', {}, h('thead', {}, h('tr', {}, ['agent', 'round', 're-ask', 'model', 'status', 'tokens', 'cost', 'latency', 'HTTP retries', 'output'].map((c) => h('th', {}, c)))),
        h('tbody', {}, calls.map(({ call, output }) => h('tr', { 'data-testid': 'model-call' },
          h('td', {}, call.agent), h('td', {}, call.iteration ?? ''), h('td', {}, call.retries ?? ''), h('td', {}, call.model || ''),
          h('td', {}, h('span', { class: `badge ${call.status || ''}` }, call.status || ''), call.error ? ` ${call.error}` : ''),
          h('td', {}, `${fmt.number(call.prompt_tokens)} + ${fmt.number(call.completion_tokens)}${call.usage_estimated ? ' (estimated)' : ''}`),
          h('td', {}, call.priced === false ? 'unpriced' : fmt.cost(call.cost)),
          h('td', {}, fmt.ms(call.latency_ms)), h('td', {}, call.http_retries ?? ''),
          h('td', {}, verdict(output))))))) : null,
    h('div', { class: 'panel', 'data-testid': 'trace-events' },
      h('h2', {}, `Events (${detail.events.length})`),
      detail.events.map((e) => h('details', { class: 'event', 'data-testid': 'trace-event' },
        h('summary', {}, h('span', { class: 'type' }, e.event_type), ' ', h('span', { class: 'muted' }, fmt.time(e.timestamp))),
        h('pre', {}, JSON.stringify(e.data, null, 2)),
        executedCommand(e)))));

  if (!masks) return null;
  const w = masks.weights;
  const weightNames = ['alpha', 'beta', 'gamma', 'retrieval_domain_weight', 'retrieval_recency_weight', 'temperature', 'rigor'];
  const routing = Object.entries(w.agent_routing || {});
  const destroyers = [
    chart(weightsCanvas, {
      type: 'bar',
      data: { labels: weightNames, datasets: [{ label: 'weight', data: weightNames.map((n) => w[n]), backgroundColor: weightNames.map((_, i) => colour(i)) }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { min: 0, max: 1 } } },
    }),
    teamRan && chart(routingCanvas, {
      type: 'bar',
      data: { labels: routing.map(([a]) => a), datasets: [{ label: 'routing weight', data: routing.map(([, v]) => v), backgroundColor: colour(2) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { min: 0, max: 1 } } },
    }),
  ];
  return () => destroyers.filter(Boolean).forEach((d) => d());
}

// Each agent_call with the agent_output that judged its answer (same agent, round and attempt), in order.
function modelCalls(events) {
  const outputs = events.filter((e) => e.event_type === 'agent_output').map((e) => e.data);
  return events.filter((e) => e.event_type === 'agent_call').map((e) => {
    const call = e.data;
    const index = outputs.findIndex((o) => o.agent === call.agent && o.iteration === call.iteration && o.attempt === call.retries);
    const output = index >= 0 ? outputs.splice(index, 1)[0] : null;
    return { call, output };
  });
}

function verdict(output) {
  if (!output) return '';
  const repaired = output.repaired ? ` (repaired: ${(output.repairs || []).join(', ')})` : '';
  return output.valid ? `valid${repaired}` : `invalid: ${(output.errors || []).slice(0, 3).join('; ')}${repaired}`;
}

/** An execution event of a command: what it printed, as the trace kept it (the end of each stream, redacted). */
function executedCommand(e) {
  const d = e.data;
  if (e.event_type !== 'execution' || typeof d.stdout !== 'string') return null;
  return commandOutput({ ...d, duration_ms: d.command_duration_ms ?? d.duration_ms },
    (name, bytes) => `${name}: only its end is kept here (${bytes} bytes printed; tools.traceOutputBytes, tools.maxOutputBytes)`);
}
