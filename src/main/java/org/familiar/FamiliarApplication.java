package org.familiar;

import org.familiar.cli.Cli;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.jackson.Jackson2ObjectMapperBuilderCustomizer;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * Familiar: one service that serves the web app, the OpenAI-compatible API and, when the first
 * argument names a command ({@code user}, {@code token}), the command line.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableAsync
public class FamiliarApplication {

	public static void main(String[] args) {
		if (Cli.isCommand(args)) {
			System.exit(Cli.run(args, FamiliarApplication.class));
		}
		SpringApplication.run(FamiliarApplication.class, args);
	}

	@Bean
	Clock clock() {
		return Clock.systemUTC();
	}

	/** Every JSON body bound to Familiar's types holds storable text ({@link WellFormedText}). */
	@Bean
	Jackson2ObjectMapperBuilderCustomizer wellFormedText() {
		return builder -> builder.modulesToInstall(modules -> modules.add(WellFormedText.module()));
	}
}
