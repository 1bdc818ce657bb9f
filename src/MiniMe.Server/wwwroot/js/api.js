// The MiniMe HTTP API from the browser: bearer key from session storage, problem details as errors,
// and server-sent events read from a fetch stream (POST bodies and headers, which EventSource lacks).
const KEY = 'minime.apiKey';

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
  }
}

async function failure(response) {
  let title = response.statusText, detail = '';
  try {
    const problem = await response.json();
    title = problem.title || title;
    detail = problem.detail || '';
  } catch { /* not JSON */ }
  const error = new ApiError(response.status, title, detail);
  if (response.status === 401) window.dispatchEvent(new CustomEvent('minime:unauthorized', { detail: error.message }));
  return error;
}

function headers(extra = {}) {
  const key = apiKey.get();
  return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const response = await fetch(path, {
    method,
    signal,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

/** POSTs and yields each `data:` JSON event of the server-sent event stream as it arrives. */
export async function* stream(path, body, signal) {
  yield* sse(await fetch(path, {
    method: 'POST',
    signal,
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify(body),
  }));
}

/** GETs a server-sent event stream (notifications) and yields each `data:` JSON event. */
export async function* events(path, signal) {
  yield* sse(await fetch(path, { signal, headers: headers({ Accept: 'text/event-stream' }) }));
}

async function* sse(response) {
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (data) yield JSON.parse(data);
    }
  }
}
