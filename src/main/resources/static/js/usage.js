// Charts for /usage from the page's embedded JSON: tokens per day stacked by model, and requests
// and energy per day.
(function () {
  const days = JSON.parse(document.getElementById('usage-days').textContent);
  const labels = [...new Set(days.map(d => d.day))].sort();
  const models = [...new Set(days.map(d => d.model))];
  const palette = ['#5b5bd6', '#2f7d6d', '#b58b2a', '#9a4bb0', '#c62828', '#4a6fd1'];
  const sum = (day, field) => days.filter(d => d.day === day).reduce((s, d) => s + d[field], 0);

  new Chart(document.getElementById('tokens'), {
    type: 'bar',
    data: {
      labels,
      datasets: models.map((m, i) => ({
        label: m, backgroundColor: palette[i % palette.length],
        data: labels.map(day => days.filter(d => d.day === day && d.model === m).reduce((s, d) => s + d.tokens, 0))
      }))
    },
    options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });

  new Chart(document.getElementById('requests-energy'), {
    data: {
      labels,
      datasets: [
        { type: 'bar', label: 'requests', yAxisID: 'requests', backgroundColor: '#5b5bd688',
          data: labels.map(day => sum(day, 'requests')) },
        { type: 'line', label: 'Wh', yAxisID: 'energy', borderColor: '#2f7d6d', backgroundColor: '#2f7d6d',
          data: labels.map(day => sum(day, 'energyWh')) }
      ]
    },
    options: { animation: false, scales: {
      requests: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'requests' } },
      energy: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'Wh' } }
    } }
  });
})();
