// Chat: conversations on the left (a drawer on phones); the answer streams in token by token and
// renders as Markdown, with its sources, and can be stopped, regenerated or copied. Conversations can
// be renamed and deleted; the rolling summary of older turns is shown above the thread.
import { api, stream } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';
import { renderMarkdown } from '../markdown.js';

export async function render(container, [conversationId]) {
  let current = conversationId || null;
  let busy = null;            // the AbortController of the answer streaming now
  let lastUserMessage = null;
  const pageController = new AbortController();
  const list = h('ul', { 'data-testid': 'conversation-list' });
  const summary = h('div', { 'data-testid': 'conversation-summary' });
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const input = h('textarea', { rows: 3, placeholder: 'Ask MiniMe… (Enter sends, Shift+Enter for a new line)', 'data-testid': 'chat-input', 'aria-label': 'Message' });
  const send = h('button', { type: 'submit', 'data-testid': 'chat-send' }, 'Send');
  const stop = h('button', { type: 'button', class: 'secondary', 'data-testid': 'chat-stop', hidden: true, onclick: () => busy?.abort() }, 'Stop');
  const form = h('form', { class: 'composer' }, input, send, stop);
  const layout = h('div', { class: 'chat' });
  const sidebarToggle = h('button', { type: 'button', class: 'secondary sidebar-toggle', 'data-testid': 'sidebar-toggle', 'aria-expanded': 'false',
    onclick: () => {
      const open = !layout.classList.contains('sidebar-open');
      layout.classList.toggle('sidebar-open', open);
      sidebarToggle.setAttribute('aria-expanded', String(open));
    } }, 'Conversations');

  layout.append(
    h('aside', { class: 'conversations panel', 'data-testid': 'conversations' },
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', 'data-testid': 'new-chat', onclick: () => { location.hash = '#/chat'; } }, 'New chat')),
      h('h2', {}, 'Conversations'), list),
    h('section', { class: 'thread' }, h('div', { class: 'row' }, sidebarToggle), summary, messages, form));
  container.append(layout);

  function metaFor(runId, usage) {
    if (!runId) return null;
    const parts = [];
    if (usage) {
      parts.push(`${fmt.number(usage.total_tokens)} tokens${usage.estimated ? ' (estimated)' : ''}`);
      if (usage.priced && usage.cost != null) parts.push(fmt.cost(usage.cost));
    }
    return h('div', { class: 'meta' }, parts.map((p) => `${p} · `), h('a', { href: `#/runs/${runId}`, 'data-testid': 'trace-link' }, 'trace'));
  }

  function sourcesList(sources) {
    return h('ul', {}, sources.map((s) => h('li', { 'data-testid': 'source' },
      s.kind === 'fact' ? ['fact: ', s.heading] : [h('code', { title: s.source }, shortPath(s.source)), s.heading ? ` § ${s.heading}` : ''],
      h('span', { class: 'muted' }, ` (${s.score})`))));
  }

  /** Sources given with a live answer, or read from the run's trace for an answer loaded later. */
  function sourcesFor(sources, runId) {
    if (sources) {
      if (sources.length === 0) return null;
      return h('details', { class: 'sources', 'data-testid': 'sources' }, h('summary', {}, `Sources (${sources.length})`), sourcesList(sources));
    }
    if (!runId) return null;
    const details = h('details', { class: 'sources', 'data-testid': 'sources' }, h('summary', {}, 'Sources'));
    details.addEventListener('toggle', async () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = 'true';
      try {
        details.append(sourcesList(await sourcesFromTrace(runId)));
      } catch (error) {
        details.append(errorBox(error));
      }
    });
    return details;
  }

  function bubble(role, text, { runId, usage, sources } = {}) {
    const body = h('div', { class: 'body' });
    if (role === 'assistant') renderMarkdown(body, text); else body.textContent = text;
    const element = h('div', { class: `message ${role}`, 'data-testid': `message-${role}` }, body);
    element.dataset.text = text;
    messages.append(element);
    messages.scrollTop = messages.scrollHeight;
    if (role === 'assistant' && runId) finish(element, runId, usage, sources);
    return { element, body };
  }

  function finish(element, runId, usage, sources) {
    const copy = h('button', { type: 'button', class: 'link', 'data-testid': 'copy', onclick: () => copyText(element.dataset.text, copy) }, 'Copy');
    const regenerate = h('button', { type: 'button', class: 'link', 'data-testid': 'regenerate', onclick: () => regenerateLast() }, 'Regenerate');
    element.append(...[sourcesFor(sources, runId), metaFor(runId, usage), h('div', { class: 'actions' }, copy, regenerate)].filter(Boolean));
  }

  async function regenerateLast() {
    if (busy) return;
    const text = lastUserMessage ?? [...messages.querySelectorAll('[data-testid=message-user]')].at(-1)?.dataset.text;
    if (text) await sendMessage(text);
  }

  async function loadConversations() {
    const conversations = await api('/v1/conversations', { signal: pageController.signal });
    list.replaceChildren(...conversations.map((c) => h('li', {
      class: c.id === current ? 'active' : '',
      title: fmt.time(c.updated_at),
      'data-testid': 'conversation',
      onclick: () => { location.hash = `#/chat/${c.id}`; },
    }, h('span', { class: 'title' }, c.title),
    h('span', { class: 'tools' },
      h('button', { type: 'button', class: 'secondary', title: 'Rename', 'aria-label': 'Rename', 'data-testid': 'rename-conversation', onclick: (e) => { e.stopPropagation(); rename(c); } }, '✎'),
      h('button', { type: 'button', class: 'secondary', title: 'Delete', 'aria-label': 'Delete', 'data-testid': 'delete-conversation', onclick: (e) => { e.stopPropagation(); remove(c); } }, '✕')))));
  }

  async function rename(conversation) {
    const title = window.prompt('Rename the conversation', conversation.title);
    if (title === null || title.trim() === '' || title.trim() === conversation.title) return;
    try {
      await api(`/v1/conversations/${conversation.id}`, { method: 'PATCH', body: { title: title.trim() } });
    } catch (error) {
      messages.prepend(errorBox(error));
    }
    await loadConversations();
  }

  async function remove(conversation) {
    if (!window.confirm(`Delete “${conversation.title}” and its messages? This cannot be undone.`)) return;
    try {
      await api(`/v1/conversations/${conversation.id}`, { method: 'DELETE' });
    } catch (error) {
      messages.prepend(errorBox(error));
      return;
    }
    if (conversation.id === current) location.hash = '#/chat';
    else await loadConversations();
  }

  async function loadMessages() {
    messages.replaceChildren();
    summary.replaceChildren();
    if (!current) {
      messages.append(h('p', { class: 'muted' }, 'Start a conversation. Answers use your persona, principles, goals and memory.'));
      return;
    }
    const detail = await api(`/v1/conversations/${current}`, { signal: pageController.signal });
    if (detail.summary)
      summary.append(h('details', { class: 'summary panel' }, h('summary', {}, 'Summary of earlier turns'), h('p', {}, detail.summary)));
    for (const m of detail.messages) {
      const usage = m.role === 'assistant' && m.prompt_tokens != null
        ? { total_tokens: m.prompt_tokens + m.completion_tokens, estimated: false, priced: false } : null;
      bubble(m.role, m.content, { runId: m.role === 'assistant' ? m.run_id : null, usage });
      if (m.role === 'user') lastUserMessage = m.content;
    }
  }

  async function sendMessage(text) {
    busy = new AbortController();
    const signal = AbortSignal.any([busy.signal, pageController.signal]);
    send.disabled = true; stop.hidden = false;
    lastUserMessage = text;
    if (!current) messages.replaceChildren();
    bubble('user', text);
    const { element, body } = bubble('assistant', '');
    element.dataset.streaming = 'true';
    let answer = '', frame = 0, sources = null;
    try {
      for await (const e of stream('/v1/chat/stream', { message: text, conversation_id: current }, signal)) {
        if (e.type === 'start') {
          sources = e.sources || [];
          if (!current) { current = e.conversation_id; history.replaceState(null, '', `#/chat/${current}`); }
        } else if (e.type === 'delta') {
          answer += e.text;
          element.dataset.text = answer;
          if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderMarkdown(body, answer); messages.scrollTop = messages.scrollHeight; });
        } else if (e.type === 'done') {
          cancelAnimationFrame(frame); frame = 0;
          renderMarkdown(body, answer);
          finish(element, e.run_id, e.usage, sources);
        } else if (e.type === 'error') {
          element.append(errorBox({ title: e.title, message: e.detail }));
        }
      }
    } catch (error) {
      cancelAnimationFrame(frame); frame = 0;
      if (error.name === 'AbortError') {
        renderMarkdown(body, answer);
        element.append(h('div', { class: 'meta', 'data-testid': 'stopped' }, 'stopped'));
      } else {
        element.append(errorBox(error));
      }
    } finally {
      delete element.dataset.streaming;
      busy = null; send.disabled = false; stop.hidden = true;
      if (!pageController.signal.aborted) { input.focus(); loadConversations().catch(() => {}); }
    }
  }

  async function submit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = '';
    await sendMessage(text);
  }

  form.addEventListener('submit', submit);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  });
  await Promise.all([loadConversations(), loadMessages()]);
  input.focus();
  return () => pageController.abort();
}

/** The file's last two path segments (the whole path is its title). */
function shortPath(path) {
  const parts = String(path).split(/[\\/]/).filter(Boolean);
  return parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`;
}

/** The memory chunks and facts a past answer's context kept, from its run's trace. */
async function sourcesFromTrace(runId) {
  const detail = await api(`/v1/runs/${encodeURIComponent(runId)}`);
  const retrieval = detail.events.find((e) => e.event_type === 'retrieval')?.data;
  const context = detail.events.find((e) => e.event_type === 'context_assembly')?.data;
  const kept = new Set((context?.blocks || []).filter((b) => b.kept).map((b) => b.id));
  return [
    ...(retrieval?.hits || []).filter((hit) => kept.has(`memory:${hit.id}`)).map((hit) => ({ kind: 'memory', source: hit.source, heading: null, score: hit.score })),
    ...(retrieval?.facts || []).filter((f) => kept.has(`fact:${f.id}`)).map((f) => ({ kind: 'fact', heading: `${f.category} #${f.id}`, score: f.score })),
  ];
}

/** The clipboard API needs a secure context; loopback http is one, but fall back to a selection copy. */
async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { style: 'position:fixed;opacity:0' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  const label = button.textContent;
  button.textContent = 'Copied';
  button.dataset.copied = 'true';
  setTimeout(() => { button.textContent = label; }, 1500);
}
