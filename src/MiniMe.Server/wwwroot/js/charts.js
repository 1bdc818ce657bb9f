// Chart.js (the UMD build on window.Chart) with the page's colours; charts are destroyed on page change.
const palette = ['#2f6f4f', '#c07a1a', '#3b6ea5', '#8c3b8c', '#6a737d', '#b3261e'];

export function chart(canvas, config) {
  const instance = new window.Chart(canvas, {
    ...config,
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
  });
  return () => instance.destroy();
}

export const colour = (i) => palette[i % palette.length];
