// /memory: "Edit" opens the memory's inline form; a highlighted memory (linked from a chat reply) is scrolled to.
(() => {
  document.querySelectorAll('.edit-memory').forEach((details) => details.addEventListener('toggle', () => {
    details.closest('li').querySelector('form.edit').hidden = !details.open;
  }));
  document.querySelector('.memories li.highlight')?.scrollIntoView({ block: 'center' });
})();
