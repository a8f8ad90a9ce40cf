// Live capacity charts for /admin/capacity: polls the JSON view and redraws.
(function () {
  // The grid forecast: carbon intensity and price per hour.
  const forecastCanvas = document.getElementById('forecast');
  if (forecastCanvas) {
    const hours = JSON.parse(document.getElementById('grid-forecast').textContent);
    new Chart(forecastCanvas, {
      type: 'bar',
      data: {
        labels: hours.map(h => new Date(h.start).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })),
        datasets: [
          { label: 'gCO2/kWh', data: hours.map(h => h.carbon), backgroundColor: '#2f7d6d', yAxisID: 'carbon' },
          { label: 'price / kWh', data: hours.map(h => h.price), type: 'line', borderColor: '#b58b2a', yAxisID: 'price', pointRadius: 0 }
        ]
      },
      options: { animation: false, scales: { carbon: { position: 'left', beginAtZero: true }, price: { position: 'right', beginAtZero: true } } }
    });
  }
  const classes = ['interactive', 'app', 'batch', 'research'];
  const colours = { interactive: '#2f7d6d', app: '#4a6fd1', batch: '#b58b2a', research: '#9a4bb0' };
  const points = 60;

  const history = new Chart(document.getElementById('history'), {
    type: 'line',
    data: {
      labels: [],
      datasets: classes.map(c => ({ label: c, data: [], borderColor: colours[c], backgroundColor: colours[c] + '55',
        fill: true, tension: 0.2, pointRadius: 0 }))
    },
    options: { animation: false, scales: { y: { stacked: true, beginAtZero: true, title: { display: true, text: 'slots' } } } }
  });

  const now = new Chart(document.getElementById('now'), {
    type: 'bar',
    data: {
      labels: [],
      datasets: classes.flatMap(c => [
        { label: c + ' running', stack: 'running', data: [], backgroundColor: colours[c] },
        { label: c + ' waiting', stack: 'waiting', data: [], backgroundColor: colours[c] + '66' }
      ])
    },
    options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
  });

  function render(backends) {
    const label = new Date().toLocaleTimeString();
    history.data.labels.push(label);
    classes.forEach((c, i) => {
      const held = backends.reduce((sum, b) => sum + b.load.classes.find(x => x.workload.toLowerCase() === c).running, 0);
      history.data.datasets[i].data.push(held);
    });
    if (history.data.labels.length > points) {
      history.data.labels.shift();
      history.data.datasets.forEach(d => d.data.shift());
    }
    history.update();

    now.data.labels = backends.map(b => b.load.backend + ' (' + b.load.slots + ')');
    classes.forEach((c, i) => {
      now.data.datasets[2 * i].data = backends.map(b => b.load.classes.find(x => x.workload.toLowerCase() === c).running);
      now.data.datasets[2 * i + 1].data = backends.map(b => b.load.classes.find(x => x.workload.toLowerCase() === c).waiting);
    });
    now.update();

    backends.forEach(b => {
      const row = document.querySelector('tr[data-backend="' + CSS.escape(b.load.backend) + '"]');
      if (row) {
        row.querySelector('.breaker').textContent = b.breaker;
        row.querySelector('.running').textContent = b.load.running;
        row.querySelector('.waiting').textContent = b.load.waiting;
      }
    });
  }

  async function poll() {
    try {
      const response = await fetch('capacity/live', { headers: { Accept: 'application/json' } });
      if (response.ok) {
        render(await response.json());
      }
    } catch (e) {
      // the next poll tries again
    }
  }

  poll();
  setInterval(poll, 2000);
})();
