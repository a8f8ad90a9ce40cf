// Behaviour every page may ask for in markup, so that no template needs inline script (the
// Content-Security-Policy allows none): data-confirm on a form or a submit button asks first;
// data-clear-scopes on a consent page's submit button unticks every scope (a refusal).
document.addEventListener('submit', (event) => {
  const asking = event.submitter?.closest('[data-confirm]') || event.target.closest('form[data-confirm]');
  if (asking && !window.confirm(asking.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
document.addEventListener('click', (event) => {
  const refuse = event.target.closest('[data-clear-scopes]');
  if (refuse) {
    refuse.form.querySelectorAll('input[name=scope]').forEach((box) => { box.checked = false; });
  }
});

// The menu button on narrow screens opens and closes the navigation; a menu (details.dropdown)
// closes when another opens, on a click elsewhere and on Escape.
document.addEventListener('click', (event) => {
  const toggle = event.target.closest('[data-toggle-nav]');
  if (toggle) {
    const open = toggle.closest('.topbar').classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  }
  document.querySelectorAll('details.dropdown[open]').forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
document.addEventListener('toggle', (event) => {
  const menu = event.target;
  if (menu.matches?.('details.dropdown') && menu.open) {
    document.querySelectorAll('details.dropdown[open]').forEach((other) => { if (other !== menu) other.open = false; });
  }
}, true);
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  document.querySelectorAll('details.dropdown[open]').forEach((menu) => {
    menu.open = false;
    menu.querySelector('summary').focus();
  });
});

// data-copy="#id" on a button copies that element's text, and says so.
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  await copyText(source.value ?? source.textContent, button);
});

/** Copies text to the clipboard and shows "Copied" on the button for a moment. */
async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (an insecure origin): select a hidden copy, as browsers allow.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  const label = button.querySelector('.label') || button;
  const was = label.textContent;
  button.classList.add('copied');
  label.textContent = button.dataset.copied || 'Copied';
  setTimeout(() => { label.textContent = was; button.classList.remove('copied'); }, 1500);
}
