package org.familiar.plans;

import java.util.ArrayList;
import java.util.List;
import org.familiar.identity.PlanNames;
import org.springframework.stereotype.Component;

/** The configured plans' names ({@code familiar.plans.*}), for identity to check a plan against. */
@Component
class ConfiguredPlanNames implements PlanNames {

	private final PlanSettings settings;

	ConfiguredPlanNames(PlanSettings settings) {
		this.settings = settings;
	}

	@Override
	public List<String> names() {
		var names = new ArrayList<>(settings.plans().keySet());
		if (!names.contains(settings.defaultPlan())) {
			names.addFirst(settings.defaultPlan());
		}
		return List.copyOf(names);
	}

	@Override
	public String defaultPlan() {
		return settings.defaultPlan();
	}
}
