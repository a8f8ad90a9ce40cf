package org.familiar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The web app's words: every key a template names is in {@code messages.properties}, the German
 * file has exactly the same keys, and every message with arguments is a valid MessageFormat.
 */
class MessagesTests {

	private static Properties load(String name) throws IOException {
		var properties = new Properties();
		try (var in = new InputStreamReader(MessagesTests.class.getResourceAsStream("/" + name), StandardCharsets.UTF_8)) {
			properties.load(in);
		}
		return properties;
	}

	@Test
	void everyWordTheTemplatesUseIsThereInEnglishAndGerman() throws IOException {
		var english = load("messages.properties");
		var german = load("messages_de.properties");
		assertThat(new TreeSet<>(german.stringPropertyNames())).as("the German keys")
			.isEqualTo(new TreeSet<>(english.stringPropertyNames()));

		var used = new TreeSet<String>();
		var key = Pattern.compile("#\\{([a-z][\\w.-]*[\\w])(?:\\(|\\})");
		try (var templates = Files.walk(Path.of("src/main/resources/templates"))) {
			for (var template : templates.filter(p -> p.toString().endsWith(".html")).toList()) {
				var matcher = key.matcher(Files.readString(template));
				while (matcher.find()) {
					used.add(matcher.group(1));
				}
			}
		}
		assertThat(used).isNotEmpty();
		assertThat(english.stringPropertyNames()).as("keys the templates name").containsAll(used);

		for (var properties : new Properties[] { english, german }) {
			for (var name : properties.stringPropertyNames()) {
				var message = properties.getProperty(name);
				if (message.contains("{0")) {
					assertThat(new MessageFormat(message, Locale.ENGLISH).format(new Object[] { 2, 3, 4 }))
						.as(name).doesNotContain("{");
				}
			}
		}
	}
}
