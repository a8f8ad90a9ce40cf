package org.familiar.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a GPU host's exporters on one port: NVIDIA DCGM exporter's power gauge
 * ({@code DCGM_FI_DEV_POWER_USAGE}, watts, one series per GPU, with DCGM's labels) and node
 * exporter's RAPL counter ({@code node_rapl_package_joules_total}, one per package), beside
 * series whose names only start the same, as real exporters have. The test scripts the curve:
 * it sets each GPU's watts and adds to the packages' joules before Familiar scrapes.
 */
public final class PowerExporter implements AutoCloseable {

	private final HttpServer server;

	private volatile double[] watts = { 0, 0 };

	private volatile double[] joules = { 0, 0 };

	/** Scrapes answered. */
	public final AtomicInteger scrapes = new AtomicInteger();

	/** While set, every scrape gets a 503, as an exporter that is restarting. */
	public volatile boolean down;

	public PowerExporter() throws IOException {
		this(0);
	}

	public PowerExporter(int port) throws IOException {
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
		server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
		server.createContext("/metrics", exchange -> {
			byte[] body = down ? "exporter restarting".getBytes(StandardCharsets.UTF_8) : text().getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
			exchange.sendResponseHeaders(down ? 503 : 200, body.length);
			exchange.getResponseBody().write(body);
			exchange.close();
			scrapes.incrementAndGet();
		});
		server.start();
	}

	/** Each GPU's draw from now on. */
	public void watts(double... perGpu) {
		watts = perGpu.clone();
	}

	/** Adds to the packages' energy counters (split evenly between them). */
	public synchronized void addJoules(double total) {
		var next = joules.clone();
		for (int i = 0; i < next.length; i++) {
			next[i] += total / next.length;
		}
		joules = next;
	}

	/** Resets the counters to zero, as a reboot of the host does. */
	public synchronized void resetJoules() {
		joules = new double[joules.length];
	}

	public String url() {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/metrics";
	}

	private String text() {
		var out = new StringBuilder();
		out.append("# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n");
		var w = watts;
		for (int i = 0; i < w.length; i++) {
			out.append(String.format(Locale.ROOT,
					"DCGM_FI_DEV_POWER_USAGE{gpu=\"%d\",UUID=\"GPU-%08d\",device=\"nvidia%d\",modelName=\"NVIDIA H100 80GB HBM3\","
							+ "Hostname=\"gpu-1\",DCGM_FI_DRIVER_VERSION=\"550.54.15\",note=\"a } in quotes\"} %.3f%n",
					i, i, i, w[i]));
		}
		out.append("# HELP DCGM_FI_DEV_POWER_USAGE_INSTANT Current power draw (in W).\n");
		out.append("DCGM_FI_DEV_POWER_USAGE_INSTANT{gpu=\"0\"} 9999\n");
		out.append("# TYPE node_rapl_package_joules_total counter\n");
		var j = joules;
		for (int i = 0; i < j.length; i++) {
			out.append(String.format(Locale.ROOT,
					"node_rapl_package_joules_total{index=\"%d\",path=\"/sys/class/powercap/intel-rapl:%d\"} %.6f%n", i, i, j[i]));
		}
		out.append("node_rapl_dram_joules_total{index=\"0\"} 1234.5\n");
		return out.toString();
	}

	@Override
	public void close() {
		server.stop(0);
	}

	/** {@code PowerExporter PORT WATTS_PER_GPU}: two GPUs at a steady draw, for the benchmarks. */
	public static void main(String[] args) throws Exception {
		int port = args.length > 0 ? Integer.parseInt(args[0]) : 9400;
		double watts = args.length > 1 ? Double.parseDouble(args[1]) : 300;
		try (var exporter = new PowerExporter(port)) {
			exporter.watts(watts, watts);
			System.out.println("power exporter on " + exporter.url());
			Thread.currentThread().join();
		}
	}
}
