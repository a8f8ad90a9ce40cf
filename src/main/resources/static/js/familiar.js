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
