// The MiniMe web UI: a hash router over a few pages, and the API key asked for once per tab.
import { api, apiKey } from './api.js';
import { errorBox } from './dom.js';
import * as chat from './pages/chat.js';
import * as memory from './pages/memory.js';
import * as runs from './pages/runs.js';
import * as trace from './pages/trace.js';
import * as proposals from './pages/proposals.js';
import * as ask from './pages/ask.js';
import * as goals from './pages/goals.js';
import * as packs from './pages/packs.js';
import * as profile from './pages/profile.js';
import * as reflect from './pages/reflect.js';
import { initTheme } from './theme.js';
import { showAlerts } from './alerts.js';

const routes = [
  { pattern: /^#\/chat(?:\/(c_[0-9a-f]+))?$/, nav: 'chat', page: chat },
  { pattern: /^#\/memory$/, nav: 'memory', page: memory },
  { pattern: /^#\/runs$/, nav: 'runs', page: runs },
  { pattern: /^#\/runs\/([A-Za-z0-9_-]+)$/, nav: 'runs', page: trace },
  { pattern: /^#\/proposals$/, nav: 'proposals', page: proposals },
  { pattern: /^#\/ask$/, nav: 'ask', page: ask },
  { pattern: /^#\/goals$/, nav: 'goals', page: goals },
  { pattern: /^#\/packs$/, nav: 'packs', page: packs },
  { pattern: /^#\/profile$/, nav: 'profile', page: profile },
  { pattern: /^#\/reflect(?:\/([A-Za-z0-9_-]+))?$/, nav: 'reflect', page: reflect },
];

const main = document.getElementById('page');
const dialog = document.getElementById('key-dialog');
let cleanup = null;

async function askForKey(message) {
  const input = document.getElementById('key-input');
  const error = document.getElementById('key-error');
  error.hidden = !message;
  error.textContent = message || '';
  input.value = '';
  if (!dialog.open) dialog.showModal();
  input.focus();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  apiKey.set(input.value.trim());
}

async function whoAmI() {
  for (;;) {
    if (!apiKey.get()) await askForKey();
    try {
      const me = await api('/v1/me');
      document.getElementById('who').textContent = `${me.user_id}${me.chat_model ? '' : ' · no chat model configured'}`;
      document.getElementById('forget-key').hidden = false;
      return me;
    } catch (error) {
      if (error.status !== 401) throw error;
      apiKey.clear();
      await askForKey(error.message);
    }
  }
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash || '#/chat';
  const match = routes.map((r) => ({ r, m: hash.match(r.pattern) })).find((x) => x.m);
  if (!match) { location.hash = '#/chat'; return; }
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.nav === match.r.nav);
  setMenu(false);
  main.replaceChildren();
  try {
    cleanup = (await match.r.page.render(main, match.m.slice(1))) || null;
  } catch (error) {
    main.append(errorBox(error));
  }
}

window.addEventListener('minime:unauthorized', async (event) => {
  apiKey.clear();
  await askForKey(event.detail);
  route();
});
document.getElementById('forget-key').addEventListener('click', () => { apiKey.clear(); location.reload(); });

// Phones: the nav is a menu opened by the ☰ button, closed again on navigation.
const top = document.getElementById('top');
const menuToggle = document.getElementById('menu-toggle');
function setMenu(open) {
  top.classList.toggle('open', open);
  menuToggle.setAttribute('aria-expanded', String(open));
}
menuToggle.addEventListener('click', () => setMenu(!top.classList.contains('open')));
initTheme(document.getElementById('theme-toggle'));
window.addEventListener('hashchange', route);

whoAmI().then(() => { showAlerts(document.getElementById('alerts')); return route(); }, (error) => main.append(errorBox(error)));
