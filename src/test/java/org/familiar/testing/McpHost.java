package org.familiar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real MCP host for the tests: {@code src/test/mcp/host.mjs}, the official MCP TypeScript SDK
 * client (npm {@code @modelcontextprotocol/sdk}, pinned by its lock file), run under Node. Its
 * packages are installed once into {@code target/mcp-host} with {@code npm ci}. It prints one JSON
 * object per line; {@link #next} reads them.
 */
public final class McpHost implements AutoCloseable {

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final Path SOURCE = Path.of("src/test/mcp");

	private static final Path HOME = Path.of("target/mcp-host");

	private final Process process;

	private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();

	private final StringBuilder errors = new StringBuilder();

	private McpHost(Process process) {
		this.process = process;
		Thread.ofVirtual().start(() -> read(process.getInputStream(), true));
		Thread.ofVirtual().start(() -> read(process.getErrorStream(), false));
	}

	/** Starts the host against {@code mcpUrl}; it searches memory for {@code query} and asks {@code question}. */
	public static McpHost start(String mcpUrl, String query, String question) throws IOException, InterruptedException {
		install();
		var process = new ProcessBuilder("node", "host.mjs", mcpUrl, query, question).directory(HOME.toFile()).start();
		return new McpHost(process);
	}

	private static synchronized void install() throws IOException, InterruptedException {
		Files.createDirectories(HOME);
		for (var file : List.of("package.json", "package-lock.json", "host.mjs")) {
			Files.copy(SOURCE.resolve(file), HOME.resolve(file), StandardCopyOption.REPLACE_EXISTING);
		}
		if (Files.isDirectory(HOME.resolve("node_modules/@modelcontextprotocol/sdk"))) {
			return;
		}
		Process npm;
		try {
			npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(HOME.toFile()).redirectErrorStream(true).start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("The MCP host test needs Node.js and npm (apt-get install nodejs npm; .ci/run does)", ex);
		}
		var output = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
			throw new IllegalStateException("npm ci failed in " + HOME + ":\n" + output);
		}
	}

	private void read(java.io.InputStream stream, boolean out) {
		try (var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
			for (String line; (line = reader.readLine()) != null;) {
				if (!out) {
					synchronized (errors) {
						errors.append(line).append('\n');
					}
				}
				else if (line.startsWith("{")) {
					lines.add(JSON.readTree(line));
				}
			}
		}
		catch (IOException closed) {
			// The process ended.
		}
	}

	/** The next line that has {@code field}, within 60 s; fails on the host's {@code error} line. */
	public JsonNode next(String field) throws InterruptedException {
		while (true) {
			var line = lines.poll(60, TimeUnit.SECONDS);
			if (line == null) {
				throw new AssertionError("The MCP host printed no '" + field + "' within 60 s; its errors:\n" + errors());
			}
			if (line.has("error") && !"error".equals(field)) {
				throw new AssertionError("The MCP host failed: " + line.get("error").asText() + "\n" + errors());
			}
			if (line.has(field)) {
				return line;
			}
		}
	}

	private String errors() {
		synchronized (errors) {
			return errors.toString();
		}
	}

	@Override
	public void close() throws InterruptedException {
		if (!process.waitFor(10, TimeUnit.SECONDS)) {
			process.destroyForcibly();
		}
	}
}
