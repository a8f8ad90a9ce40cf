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
