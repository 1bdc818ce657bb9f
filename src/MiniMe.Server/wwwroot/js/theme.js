// Light or dark: the system's choice (prefers-color-scheme) until the toggle picks one, kept in localStorage.
const KEY = 'minime.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

export function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  return chosen === 'dark' || chosen === 'light' ? chosen : (media.matches ? 'dark' : 'light');
}

export function initTheme(button) {
  const label = () => { button.title = `Theme: ${currentTheme()} (click for ${currentTheme() === 'dark' ? 'light' : 'dark'})`; };
  button.addEventListener('click', () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem(KEY, next); } catch { /* private mode: this page only */ }
    label();
    window.dispatchEvent(new CustomEvent('minime:theme', { detail: next }));
  });
  media.addEventListener('change', label);
  label();
}
