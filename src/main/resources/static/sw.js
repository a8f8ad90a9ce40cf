// Familiar's service worker: shows what Familiar pushes (a notification the attention policy
// decided to show in the web app) and opens the Attention page when it is clicked.
self.addEventListener('push', (event) => {
  let shown = {};
  try { shown = event.data ? event.data.json() : {}; } catch { shown = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(shown.title || 'Familiar', {
    body: shown.body || shown.reason || '', tag: shown.id, icon: '/img/favicon.svg', data: { id: shown.id },
  }));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(`/attention#n-${event.notification.data?.id || ''}`));
});
