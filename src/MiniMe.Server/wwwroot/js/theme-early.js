// Before the first paint (a classic script in <head>, as the content security policy allows no inline
// script), so a theme chosen with the toggle never flashes the other one.
try {
  const chosen = localStorage.getItem('minime.theme');
  if (chosen === 'dark' || chosen === 'light') document.documentElement.dataset.theme = chosen;
} catch { /* storage disabled: follow the system */ }
