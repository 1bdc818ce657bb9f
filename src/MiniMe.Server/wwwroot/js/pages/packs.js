// Knowledge packs: installed packs with their versions, activate/deactivate/roll back, and upload a
// single-file pack (YAML) to install a version.
import { api, apiKey } from '../api.js';
import { h, errorBox } from '../dom.js';

export async function render(container) {
  const list = h('div', { 'data-testid': 'pack-list' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml', 'data-testid': 'pack-file', 'aria-label': 'Pack file' });
  const status = h('div', { 'data-testid': 'pack-upload-status' });
  const upload = h('form', { class: 'panel row' }, h('span', {}, 'Install a pack (a single .pack.yaml):'), file,
    h('button', { type: 'submit', 'data-testid': 'pack-upload' }, 'Install'), status);
  container.append(h('h1', {}, 'Knowledge packs'),
    h('p', { class: 'muted' }, 'An active pack whose topics match a task joins its context: its rules, facts and the passages of its documents that fit the task.'),
    upload, list);

  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const chosen = file.files[0];
    if (!chosen) return;
    try {
      const response = await fetch('/v1/packs', {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey.get()}`, 'Content-Type': 'application/yaml' },
        body: await chosen.text(),
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw Object.assign(new Error(problem.detail || response.statusText), { title: problem.title });
      }
      file.value = '';
      status.append(h('span', { class: 'muted' }, 'installed'));
      await load();
    } catch (error) {
      status.append(errorBox(error));
    }
  });

  async function load() {
    const packs = await api('/v1/packs');
    list.replaceChildren(...(packs.length === 0
      ? [h('p', { class: 'panel muted', 'data-testid': 'no-packs' }, 'No packs installed. `minime packs import packs/examples/...` installs the example one.')]
      : packs.map(card)));
  }

  function card(pack) {
    const problems = h('div');
    const act = async (path, body) => {
      problems.replaceChildren();
      try { await api(`/v1/packs/${encodeURIComponent(pack.name)}/${path}`, { method: 'POST', body }); await load(); } catch (error) { problems.append(errorBox(error)); }
    };
    const activeVersion = pack.active ?? pack.active_version ?? null;
    const active = Boolean(activeVersion);
    const versions = (pack.versions || []).map((v) => (typeof v === 'string' ? v : v.version));
    const choose = h('select', { 'data-testid': 'pack-version', 'aria-label': 'Version' }, versions.map((v) => h('option', { value: v, selected: v === activeVersion }, v)));
    return h('div', { class: 'panel', 'data-testid': 'pack', dataset: { name: pack.name } },
      h('div', { class: 'row' }, h('strong', {}, pack.name),
        h('span', { class: `badge ${active ? 'active' : ''}`, 'data-testid': 'pack-state' }, active ? `active ${activeVersion}` : 'inactive')),
      pack.description ? h('p', {}, pack.description) : null,
      (pack.topics || []).length > 0 ? h('p', { class: 'muted' }, `topics: ${pack.topics.join(', ')}`) : null,
      h('div', { class: 'row' }, choose,
        h('button', { type: 'button', 'data-testid': 'pack-activate', onclick: () => act('activate', { version: choose.value }) }, 'Activate'),
        active ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'pack-deactivate', onclick: () => act('deactivate', {}) }, 'Deactivate') : null,
        versions.length > 1 ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'pack-rollback', onclick: () => act('rollback', {}) }, 'Roll back') : null),
      problems);
  }

  await load();
}
