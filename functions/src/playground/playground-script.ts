/** What the page's script needs from the server's configuration. */
export interface PlaygroundSettings {
  /** Images above this go through `POST /v1/uploads` instead of the multipart body. */
  readonly maxInlineImageBytes: number;
  /** Gap between two reads of a running edit. */
  readonly pollIntervalMs: number;
}

/**
 * The page's script: plain ES2020 for any current browser, no dependencies. It calls the API on
 * the page's own origin, under the page's own base path (an API Gateway stage URL has one), with
 * the pasted key (`Authorization: Bearer`), sends the image as a
 * multipart part (or through an upload above the inline limit), polls the edit and shows its
 * queue position, its denoising steps, and the before/after. Written without template literals so
 * that it can live in this TypeScript string.
 */
export function playgroundScript(settings: PlaygroundSettings): string {
  return `(function () {
'use strict';
var SETTINGS = ${JSON.stringify(settings)};
var TERMINAL = ['succeeded', 'failed', 'canceled', 'expired'];
// The API's root as this page sees it: '' locally, '/prod' under an API Gateway stage URL.
var BASE = location.pathname.replace(/[/]playground[/]?$/, '');
function $(id) { return document.getElementById(id); }
var keyInput = $('api-key');
var current = { file: null, jobId: null, timer: null, beforeUrl: null };

keyInput.value = sessionStorage.getItem('vibe-api-key') || '';
keyInput.addEventListener('input', function () { sessionStorage.setItem('vibe-api-key', keyInput.value.trim()); });

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return String(Date.now()) + '-' + String(Math.random()).slice(2);
}

function authHeaders(extra) {
  var headers = extra || {};
  var key = keyInput.value.trim();
  if (key !== '') headers['Authorization'] = 'Bearer ' + key;
  return headers;
}

/** Calls the API; rejects with an Error carrying the API's code, message and request id. */
function api(method, path, body, headers) {
  return fetch(BASE + path, { method: method, headers: authHeaders(headers), body: body }).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text === '' ? null : JSON.parse(text); } catch (e) { data = null; }
      if (res.ok) return data;
      var err = new Error(data && data.error ? data.error.message : 'HTTP ' + res.status);
      err.code = data && data.error ? data.error.code : 'HTTP_' + res.status;
      err.requestId = data && data.error ? data.error.requestId : res.headers.get('x-request-id');
      err.retryAfter = res.headers.get('retry-after');
      throw err;
    });
  });
}

function show(el, visible) { el.classList.toggle('hidden', !visible); }

function setState(state, detail) {
  var el = $('state');
  el.textContent = state;
  el.className = 'state ' + state;
  $('detail').textContent = detail || '';
}

function showError(err) {
  var text = (err.code ? err.code + ': ' : '') + err.message;
  if (err.retryAfter) text += ' (retry after ' + err.retryAfter + ' s)';
  if (err.requestId) text += '\\nrequest id ' + err.requestId;
  $('error').textContent = text;
  show($('error'), true);
}

function setProgress(step, steps) {
  show($('bar'), true);
  $('bar-fill').style.width = (steps > 0 ? Math.round((100 * step) / steps) : 0) + '%';
}

function queueText(edit) {
  var q = edit.queue || null;
  var position = q && typeof q.position === 'number' ? q.position : edit.queuePosition;
  if (typeof position === 'number' && position > 0) {
    return 'position ' + position + ' in the ' + edit.lane + ' queue' + (q && q.waiting ? ' (' + q.waiting + ' waiting)' : '');
  }
  return 'waiting for a worker';
}

function render(edit) {
  $('job-id').textContent = edit.id;
  if (edit.status === 'queued') {
    setState('queued', queueText(edit));
    setProgress(0, 1);
  } else if (edit.status === 'running') {
    var p = edit.progress;
    setState('running', p ? 'step ' + p.step + ' of ' + p.steps : 'starting');
    if (p) setProgress(p.step, p.steps);
  } else if (edit.status === 'succeeded') {
    var t = edit.timings || {};
    setState('succeeded', edit.output.width + '×' + edit.output.height + ' ' + edit.output.format +
      (t.totalMs != null ? ' in ' + (t.totalMs / 1000).toFixed(1) + ' s' : '') +
      (edit.model && edit.model.synthetic ? ' (synthetic test model: not a real edit)' : ''));
    setProgress(1, 1);
    $('after').src = edit.output.url;
    $('download').href = edit.output.url;
    show($('download'), true);
  } else {
    setState(edit.status, '');
    if (edit.error) showError({ code: edit.error.code, message: edit.error.message });
  }
}

function stopPolling() {
  if (current.timer !== null) clearTimeout(current.timer);
  current.timer = null;
  $('cancel').disabled = true;
  $('submit').disabled = false;
}

function poll(id) {
  api('GET', '/v1/edits/' + encodeURIComponent(id)).then(function (edit) {
    if (current.jobId !== id) return;
    render(edit);
    if (TERMINAL.indexOf(edit.status) >= 0) { stopPolling(); return; }
    current.timer = setTimeout(function () { poll(id); }, SETTINGS.pollIntervalMs);
  }, function (err) {
    if (current.jobId !== id) return;
    if (err.code === 'RATE_LIMITED' || err.code === 'DEPENDENCY_UNAVAILABLE') {
      current.timer = setTimeout(function () { poll(id); }, 1000 * Number(err.retryAfter || 2));
      return;
    }
    setState('error', 'could not read the edit');
    showError(err);
    stopPolling();
  });
}

function setFile(file) {
  if (!file) return;
  current.file = file;
  if (current.beforeUrl) URL.revokeObjectURL(current.beforeUrl);
  current.beforeUrl = URL.createObjectURL(file);
  $('before').src = current.beforeUrl;
  $('after').removeAttribute('src');
  show($('download'), false);
}

function fields() {
  var format = $('format').value;
  var out = {
    instruction: $('instruction').value,
    steps: $('steps').value,
    guidanceScale: $('guidance').value,
    imageGuidanceScale: $('image-guidance').value,
    seed: $('seed').value,
    sizeMode: $('size-mode').value,
    lane: $('lane').value,
    'output.format': format
  };
  if (format !== 'png') out['output.quality'] = $('quality').value;
  return out;
}

/** The request body: multipart with the file, or JSON naming an upload for a large file. */
function body(file, values) {
  if (file.size <= SETTINGS.maxInlineImageBytes) {
    var form = new FormData();
    form.append('image', file, file.name || 'image');
    Object.keys(values).forEach(function (k) { form.append(k, values[k]); });
    return Promise.resolve({ body: form, headers: {} });
  }
  var ticketBody = JSON.stringify({ contentType: file.type, contentLength: file.size });
  return api('POST', '/v1/uploads', ticketBody, { 'content-type': 'application/json', 'idempotency-key': uuid() })
    .then(function (ticket) {
      return fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: file }).then(function (res) {
        if (!res.ok) throw new Error('the upload PUT answered ' + res.status);
        var json = { image: { uploadId: ticket.uploadId }, output: { format: values['output.format'] } };
        ['instruction', 'sizeMode', 'lane'].forEach(function (k) { json[k] = values[k]; });
        ['steps', 'guidanceScale', 'imageGuidanceScale', 'seed'].forEach(function (k) { json[k] = Number(values[k]); });
        if (values['output.quality']) json.output.quality = Number(values['output.quality']);
        return { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } };
      });
    });
}

$('image').addEventListener('change', function (e) { setFile(e.target.files[0]); });
var drop = $('drop');
drop.addEventListener('click', function () { $('image').click(); });
drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
drop.addEventListener('drop', function (e) {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files.length > 0) setFile(e.dataTransfer.files[0]);
});
$('format').addEventListener('change', function () { show($('quality-label'), $('format').value !== 'png'); });
$('random-seed').addEventListener('click', function () { $('seed').value = String(Math.floor(Math.random() * 4294967296)); });

$('edit-form').addEventListener('submit', function (e) {
  e.preventDefault();
  if (!current.file) { setState('error', 'pick an image first'); return; }
  stopPolling();
  show($('error'), false);
  $('after').removeAttribute('src');
  show($('download'), false);
  $('submit').disabled = true;
  $('job-id').textContent = '';
  setState('sending', 'sending the image');
  body(current.file, fields()).then(function (req) {
    req.headers['idempotency-key'] = uuid();
    return api('POST', '/v1/edits', req.body, req.headers);
  }).then(function (accepted) {
    current.jobId = accepted.id;
    $('cancel').disabled = false;
    render(accepted.progress === undefined ? { id: accepted.id, status: accepted.status, lane: $('lane').value } : accepted);
    poll(accepted.id);
  }, function (err) {
    setState('error', 'the edit was not accepted');
    showError(err);
    $('submit').disabled = false;
  });
});

$('cancel').addEventListener('click', function () {
  if (!current.jobId) return;
  api('POST', '/v1/edits/' + encodeURIComponent(current.jobId) + '/cancel').catch(showError);
});

fetch(BASE + '/healthz').then(function (res) { return res.json(); }).then(function (h) {
  $('health').textContent = 'API ' + h.status + ' · ' + location.host;
}, function () { $('health').textContent = 'API unreachable'; });
})();
`;
}
