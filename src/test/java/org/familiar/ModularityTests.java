package org.familiar;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

import static org.assertj.core.api.Assertions.assertThat;

class ModularityTests {

	private final ApplicationModules modules = ApplicationModules.of(FamiliarApplication.class);

	@Test
	void modulesOnlyUseWhatTheyDeclare() {
		modules.verify();
	}

	@Test
	void everyArchitectureModuleBuiltSoFarExists() {
		assertThat(modules.stream().map(m -> m.getIdentifier().toString()))
			.contains("identity", "compute", "plans", "memory", "assistant", "research", "cli");
	}

	@Test
	void writesModuleDocumentation() {
		new Documenter(modules, Documenter.Options.defaults().withOutputFolder("docs/modules"))
			.writeModulesAsPlantUml()
			.writeIndividualModulesAsPlantUml()
			.writeModuleCanvases();
		assertThat(java.nio.file.Path.of("docs/modules/components.puml")).isNotEmptyFile();
		assertThat(java.nio.file.Path.of("docs/modules/module-assistant.adoc")).isNotEmptyFile();
	}
}
