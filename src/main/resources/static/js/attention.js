// The Attention page follows the person's event stream: each notification Familiar decides to show
// is announced (and, if the person allowed it, shown by the browser) and the list is refreshed.
(() => {
  const page = document.querySelector('main.attention');
  if (!page || !window.EventSource) return;
  const live = document.getElementById('attention-live');
  const list = document.getElementById('notifications');
  const zone = document.getElementById('zone');
  if (zone && zone.value === 'UTC' && Intl.DateTimeFormat().resolvedOptions().timeZone) {
    zone.placeholder = Intl.DateTimeFormat().resolvedOptions().timeZone;
  }
  const refresh = () => fetch(page.dataset.list, { headers: { Accept: 'text/html' } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('notifications');
      if (fresh) list.replaceChildren(...fresh.childNodes);
    })
    .catch(() => {});
  // "Notify me in this browser": permission, the service worker, a push subscription sent to Familiar.
  const push = document.getElementById('push-enable');
  const csrfToken = document.querySelector('meta[name=_csrf]')?.content;
  const csrfHeader = document.querySelector('meta[name=_csrf_header]')?.content;
  const pushStatus = document.getElementById('push-status');
  if (push && 'serviceWorker' in navigator && 'PushManager' in window) {
    push.hidden = false;
    push.addEventListener('click', async () => {
      try {
        if (await Notification.requestPermission() !== 'granted') throw new Error(push.dataset.denied);
        const key = await (await fetch('/api/attention/push/key')).json();
        const padded = key.public_key.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - key.public_key.length % 4) % 4);
        const registration = await navigator.serviceWorker.register('/sw.js');
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)),
        });
        const headers = { 'Content-Type': 'application/json' };
        if (csrfHeader) headers[csrfHeader] = csrfToken;
        const saved = await fetch('/api/attention/push/subscriptions', { method: 'POST', headers, body: JSON.stringify(subscription.toJSON()) });
        if (!saved.ok) throw new Error((await saved.json()).detail);
        pushStatus.textContent = push.dataset.done;
      } catch (error) {
        pushStatus.textContent = `${push.dataset.failed} ${error.message || ''}`;
      }
    });
  }
  const stream = new EventSource(page.dataset.stream);
  stream.addEventListener('notification', (event) => {
    let shown;
    try { shown = JSON.parse(event.data); } catch { return; }
    live.hidden = false;
    live.textContent = `${shown.title} — ${shown.reason}`;
    if (window.Notification && Notification.permission === 'granted' && document.hidden) {
      new Notification(shown.title, { body: shown.body || shown.reason, tag: shown.id });
    }
    refresh();
  });
})();
