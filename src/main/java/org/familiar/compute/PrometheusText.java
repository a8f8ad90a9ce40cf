package org.familiar.compute;

import org.jspecify.annotations.Nullable;

/**
 * Reads one metric out of a Prometheus text exposition (format 0.0.4, which DCGM and node
 * exporter serve): the sum of every series of that name, or {@code null} if there is none. No
 * maintained Java library parses the text format (the Prometheus Java client only writes it), and
 * a sample line is {@code name{labels} value [timestamp]}, so this is the few lines it takes.
 */
final class PrometheusText {

	private PrometheusText() {
	}

	static @Nullable Double sum(String exposition, String metric) {
		Double total = null;
		for (var line : exposition.split("\n")) {
			if (line.isEmpty() || line.charAt(0) == '#' || !line.startsWith(metric)) {
				continue;
			}
			int at = metric.length();
			if (at >= line.length() || line.charAt(at) != '{' && line.charAt(at) != ' ') {
				continue;
			}
			if (line.charAt(at) == '{') {
				at = labelsEnd(line, at);
				if (at < 0) {
					continue;
				}
			}
			var rest = line.substring(at).strip().split("\\s+");
			if (rest.length == 0 || rest[0].isEmpty()) {
				continue;
			}
			double value;
			try {
				value = Double.parseDouble(rest[0]);
			}
			catch (NumberFormatException notANumber) {
				continue;
			}
			if (Double.isFinite(value)) {
				total = total == null ? value : total + value;
			}
		}
		return total;
	}

	/** The index after the closing brace of the labels that open at {@code open}, skipping quoted values. */
	private static int labelsEnd(String line, int open) {
		boolean quoted = false;
		for (int i = open + 1; i < line.length(); i++) {
			char c = line.charAt(i);
			if (quoted && c == '\\') {
				i++;
			}
			else if (c == '"') {
				quoted = !quoted;
			}
			else if (c == '}' && !quoted) {
				return i + 1;
			}
		}
		return -1;
	}
}
