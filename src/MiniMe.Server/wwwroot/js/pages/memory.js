// Memory: what is stored (documents, chunks by domain), search, facts, and importing a document.
import { api } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';

export async function render(container) {
  const stats = h('div', { 'data-testid': 'memory-stats' });
  const results = h('div', { 'data-testid': 'search-results' });
  const query = h('input', { type: 'search', placeholder: 'Search your memory', 'data-testid': 'search-input', size: 40 });
  const facts = h('tbody', { 'data-testid': 'facts' });
  const factText = h('input', { placeholder: 'A fact about you, e.g. "prefers small pull requests"', size: 50, 'data-testid': 'fact-input' });
  const factCategory = h('input', { placeholder: 'category', size: 12, value: 'preference' });
  const importName = h('input', { placeholder: 'notes.md', size: 20, 'data-testid': 'import-name' });
  const importContent = h('textarea', { rows: 5, placeholder: 'Markdown or text to remember', 'data-testid': 'import-content' });
  const importResult = h('p', { class: 'muted' });

  container.append(
    h('h1', {}, 'Memory'),
    h('div', { class: 'panel' }, stats),
    h('div', { class: 'panel' },
      h('form', { class: 'row', onsubmit: search }, query, h('button', { type: 'submit', 'data-testid': 'search-button' }, 'Search')),
      results),
    h('div', { class: 'grid2' },
      h('div', { class: 'panel' }, h('h2', {}, 'Facts'),
        h('form', { class: 'row', onsubmit: addFact }, factText, factCategory, h('button', { type: 'submit' }, 'Remember')),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'fact'), h('th', {}, 'category'), h('th', {}, 'seen'), h('th', {}))), facts)),
      h('div', { class: 'panel' }, h('h2', {}, 'Import a document'),
        h('form', { onsubmit: importDocument }, h('div', { class: 'row' }, importName), importContent,
          h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'import-button' }, 'Import'))),
        importResult)));

  async function loadStats() {
    const overview = await api('/v1/memory');
    const domains = Object.entries(overview.stats.chunks_by_domain || {}).map(([d, n]) => `${d} ${n}`).join(' · ');
    stats.replaceChildren(
      h('p', {}, `${fmt.number(overview.stats.documents)} documents, ${fmt.number(overview.stats.chunks)} chunks, ${fmt.number(overview.stats.embeddings)} embeddings`),
      domains ? h('p', { class: 'muted' }, domains) : null,
      overview.documents.length
        ? h('details', {}, h('summary', {}, `Documents (${overview.document_count})`),
            h('ul', {}, overview.documents.map((d) => h('li', {}, h('code', {}, d.source)))))
        : h('p', { class: 'muted' }, 'Nothing imported yet: use the form below or `minime import PATH`.'));
  }

  async function search(event) {
    event.preventDefault();
    results.replaceChildren();
    if (!query.value.trim()) return;
    try {
      const response = await api(`/v1/memory/search?q=${encodeURIComponent(query.value)}&k=10`);
      results.append(h('p', { class: 'muted' }, `${response.hits.length} hits · ${response.mode} · ${fmt.ms(response.elapsed_ms)}`));
      for (const hit of response.hits)
        results.append(h('div', { class: 'panel', 'data-testid': 'search-hit' },
          h('div', { class: 'row' }, h('strong', {}, hit.heading || hit.source.split('/').pop()), h('span', { class: 'badge' }, hit.domain),
            h('span', { class: 'muted' }, `score ${hit.score.toFixed(3)}`)),
          h('div', { class: 'muted' }, h('code', {}, `${hit.source}:${hit.start_offset}-${hit.end_offset}`)),
          h('pre', {}, hit.text)));
    } catch (error) {
      results.append(errorBox(error));
    }
  }

  async function loadFacts() {
    const list = await api('/v1/memory/facts');
    facts.replaceChildren(...list.map((f) => h('tr', { 'data-testid': 'fact' },
      h('td', {}, f.text), h('td', {}, f.category), h('td', {}, f.seen_count),
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: async () => { await api(`/v1/memory/facts/${f.id}`, { method: 'DELETE' }); loadFacts(); } }, 'forget')))));
    if (!list.length) facts.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No facts yet.')));
  }

  async function addFact(event) {
    event.preventDefault();
    if (!factText.value.trim()) return;
    await api('/v1/memory/facts', { method: 'POST', body: { text: factText.value, category: factCategory.value || null } });
    factText.value = '';
    loadFacts();
  }

  async function importDocument(event) {
    event.preventDefault();
    importResult.replaceChildren();
    try {
      const report = await api('/v1/memory/import', { method: 'POST', body: { documents: [{ name: importName.value.trim(), content: importContent.value }] } });
      importResult.textContent = `${report.files_imported} imported, ${report.files_unchanged} unchanged, ${report.chunks_added} chunks added`;
      loadStats();
    } catch (error) {
      importResult.append(errorBox(error));
    }
  }

  await Promise.all([loadStats(), loadFacts()]);
}
