// The Create page: each video under way shows its progress, read every second, and the page
// reloads once one is done so that it appears in the gallery.
(() => {
  const jobs = document.querySelectorAll('[data-job]');
  if (jobs.length === 0) {
    return;
  }
  const poll = async () => {
    let done = false;
    for (const job of jobs) {
      try {
        const response = await fetch(job.dataset.job, { headers: { Accept: 'application/json' } });
        if (!response.ok) {
          continue;
        }
        const state = await response.json();
        job.querySelector('progress').value = state.progress;
        job.querySelector('.job-status').textContent = state.status === 'failed' ? state.error : state.progress + ' %';
        done = done || state.status === 'completed' || state.status === 'failed';
      } catch (e) {
        // the next poll tries again
      }
    }
    if (done) {
      window.location.reload();
    } else {
      setTimeout(poll, 1000);
    }
  };
  setTimeout(poll, 1000);
})();
