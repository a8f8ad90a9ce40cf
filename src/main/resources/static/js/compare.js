// The accuracy chart on /research/compare, from the page's embedded JSON (runs in the table's order).
(() => {
  const runs = JSON.parse(document.getElementById('compare-runs').textContent);
  new Chart(document.getElementById('accuracy'), {
    type: 'bar',
    data: {
      labels: runs.map((r, i) => `Run ${i + 1}: ${r.model} · ${r.suiteName}`),
      datasets: [
        // The summary is serialised snake_case, as the command line prints it.
        { label: '95 % interval', data: runs.map((r) => [r.summary.ci_low * 100, r.summary.ci_high * 100]),
          backgroundColor: 'rgba(214, 120, 60, 0.35)', grouped: false, barPercentage: 0.25, order: 0 },
        { label: 'Accuracy %', data: runs.map((r) => r.summary.accuracy * 100), backgroundColor: '#5b5bd6',
          grouped: false, barPercentage: 0.6, order: 1 },
      ],
    },
    options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '%' } } } },
  });
})();
