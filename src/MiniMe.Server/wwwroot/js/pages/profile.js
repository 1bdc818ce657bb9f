// Persona editor: the voice and tone MiniMe speaks with, its style rules and values, and the weighted
// principles it applies (identity.yaml); every save keeps the previous profile for undo.
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

export async function render(container) {
  const status = h('div', { 'data-testid': 'profile-status' });
  const form = h('form', { class: 'panel', 'data-testid': 'profile-form' });
  const historyList = h('ul', { 'data-testid': 'profile-history' });
  container.append(h('h1', {}, 'Profile'), form, status,
    h('div', { class: 'panel' }, h('h2', {}, 'Earlier versions'), historyList,
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'profile-undo', onclick: undo }, 'Undo the last change')));

  const voice = h('input', { required: true, 'data-testid': 'persona-voice' });
  const tone = h('input', { required: true, 'data-testid': 'persona-tone' });
  const style = h('textarea', { rows: 3, 'data-testid': 'persona-style' });
  const values = h('textarea', { rows: 2, 'data-testid': 'persona-values' });
  const principles = h('div', { class: 'stack', 'data-testid': 'principles' });

  function principleRow(p = {}) {
    const name = h('input', { value: p.name || '', placeholder: 'name', 'aria-label': 'Principle name', 'data-testid': 'principle-name' });
    const description = h('input', { value: p.description || '', placeholder: 'what it means in practice', size: 40, 'aria-label': 'Principle', 'data-testid': 'principle-description' });
    const magnitude = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: p.magnitude ?? 0.5, 'aria-label': 'Weight', 'data-testid': 'principle-magnitude' });
    const row = h('div', { class: 'row', 'data-testid': 'principle' }, name, description, magnitude,
      h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, 'remove'));
    row.read = () => ({ ...p, name: name.value.trim(), description: description.value.trim(), magnitude: Number(magnitude.value) });
    return row;
  }

  form.append(
    h('label', { class: 'field' }, 'Voice (who MiniMe is when it speaks, e.g. “senior backend engineer”)', voice),
    h('label', { class: 'field' }, 'Tone', tone),
    h('label', { class: 'field' }, 'Style rules (one per line)', style),
    h('label', { class: 'field' }, 'Values (one per line)', values),
    h('h2', {}, 'Principles (weight 0–1)'), principles,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'secondary', onclick: () => principles.append(principleRow()) }, 'Add principle'),
      h('button', { type: 'submit', 'data-testid': 'profile-save' }, 'Save')));

  function fill(profile) {
    voice.value = profile.persona.voice || '';
    tone.value = profile.persona.tone || '';
    style.value = (profile.persona.style_rules || []).join('\n');
    values.value = (profile.persona.values || []).join('\n');
    principles.replaceChildren(...profile.principles.map(principleRow));
  }

  async function loadHistory() {
    try {
      const entries = await api('/v1/profile/history');
      historyList.replaceChildren(...(entries.length === 0 ? [h('li', { class: 'muted' }, 'none yet')]
        : entries.map((e) => h('li', {}, fmt.time(e.replaced_at), e.voice ? ` — ${e.voice}` : ''))));
    } catch (error) {
      historyList.replaceChildren(h('li', {}, errorBox(error)));
    }
  }

  async function undo() {
    status.replaceChildren();
    try {
      fill(await api('/v1/profile/undo', { method: 'POST' }));
      status.append(h('p', { class: 'muted', 'data-testid': 'profile-saved' }, 'Restored the previous profile.'));
    } catch (error) {
      status.append(errorBox(error));
    }
    await loadHistory();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const saved = await api('/v1/profile', { method: 'PUT', body: {
        persona: { voice: voice.value.trim(), tone: tone.value.trim(), style_rules: lines(style.value), values: lines(values.value) },
        principles: [...principles.children].map((row) => row.read()),
      } });
      fill(saved);
      status.append(h('p', { class: 'muted', 'data-testid': 'profile-saved' }, 'Saved; the next answer uses it. The previous profile is kept (Undo).'));
    } catch (error) {
      status.append(errorBox(error));
    }
    await loadHistory();
  });

  fill(await api('/v1/profile'));
  await loadHistory();
}
