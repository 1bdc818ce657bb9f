// Chat: conversations on the left; the answer streams in token by token and renders as Markdown.
import { api, stream } from '../api.js';
import { h, fmt, errorBox } from '../dom.js';
import { renderMarkdown } from '../markdown.js';

export async function render(container, [conversationId]) {
  let current = conversationId || null;
  let busy = false;
  const controller = new AbortController();
  const list = h('ul', { 'data-testid': 'conversation-list' });
  const messages = h('div', { class: 'messages', 'data-testid': 'messages' });
  const input = h('textarea', { rows: 3, placeholder: 'Ask MiniMe… (Enter sends, Shift+Enter for a new line)', 'data-testid': 'chat-input' });
  const send = h('button', { type: 'submit', 'data-testid': 'chat-send' }, 'Send');
  const form = h('form', { class: 'composer' }, input, send);

  container.append(h('div', { class: 'chat' },
    h('aside', { class: 'conversations panel' },
      h('div', { class: 'row' }, h('button', { type: 'button', class: 'secondary', onclick: () => { location.hash = '#/chat'; } }, 'New chat')),
      h('h2', {}, 'Conversations'), list),
    h('section', { class: 'thread' }, messages, form)));

  function bubble(role, text, meta) {
    const body = h('div', { class: 'body' });
    if (role === 'assistant') renderMarkdown(body, text); else body.textContent = text;
    const element = h('div', { class: `message ${role}`, 'data-testid': `message-${role}` }, body, meta);
    messages.append(element);
    messages.scrollTop = messages.scrollHeight;
    return { element, body };
  }

  function metaFor(runId, usage) {
    if (!runId) return null;
    const tokens = usage ? `${fmt.number(usage.total_tokens)} tokens${usage.estimated ? ' (estimated)' : ''} · ${fmt.cost(usage.cost)} · ` : '';
    return h('div', { class: 'meta' }, tokens, h('a', { href: `#/runs/${runId}`, 'data-testid': 'trace-link' }, 'trace'));
  }

  async function loadConversations() {
    const conversations = await api('/v1/conversations');
    list.replaceChildren(...conversations.map((c) => h('li', {
      class: c.id === current ? 'active' : '',
      title: fmt.time(c.updated_at),
      onclick: () => { location.hash = `#/chat/${c.id}`; },
    }, c.title)));
  }

  async function loadMessages() {
    messages.replaceChildren();
    if (!current) {
      messages.append(h('p', { class: 'muted' }, 'Start a conversation. Answers use your persona, principles and memory.'));
      return;
    }
    const detail = await api(`/v1/conversations/${current}`);
    for (const m of detail.messages)
      bubble(m.role, m.content, m.role === 'assistant' ? metaFor(m.run_id, m.prompt_tokens == null ? null : {
        total_tokens: m.prompt_tokens + m.completion_tokens, cost: null, estimated: false }) : null);
  }

  async function submit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true; send.disabled = true; input.value = '';
    if (!current) messages.replaceChildren();
    bubble('user', text);
    const { element, body } = bubble('assistant', '');
    element.dataset.streaming = 'true';
    let answer = '', frame = 0;
    try {
      for await (const e of stream('/v1/chat/stream', { message: text, conversation_id: current }, controller.signal)) {
        if (e.type === 'start') {
          if (!current) { current = e.conversation_id; history.replaceState(null, '', `#/chat/${current}`); }
        } else if (e.type === 'delta') {
          answer += e.text;
          if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderMarkdown(body, answer); messages.scrollTop = messages.scrollHeight; });
        } else if (e.type === 'done') {
          cancelAnimationFrame(frame); frame = 0;
          renderMarkdown(body, answer);
          element.append(metaFor(e.run_id, e.usage));
        } else if (e.type === 'error') {
          element.append(errorBox({ title: e.title, message: e.detail }));
        }
      }
    } catch (error) {
      if (error.name !== 'AbortError') element.append(errorBox(error));
    } finally {
      delete element.dataset.streaming;
      busy = false; send.disabled = false; input.focus();
      loadConversations().catch(() => {});
    }
  }

  form.addEventListener('submit', submit);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  });
  await Promise.all([loadConversations(), loadMessages()]);
  input.focus();
  return () => controller.abort();
}
