// Small DOM helpers: build elements without innerHTML for anything user- or model-supplied.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const fmt = {
  time: (iso) => (iso ? new Date(iso).toLocaleString() : ''),
  ms: (value) => (value == null ? '' : `${Math.round(value)} ms`),
  number: (value) => (value == null ? '' : Number(value).toLocaleString()),
  cost: (value) => (value == null ? '' : `$${Number(value).toFixed(4)}`),
};

export function errorBox(error) {
  return h('p', { class: 'error', 'data-testid': 'error' }, error.title ? `${error.title}: ${error.message}` : error.message);
}
