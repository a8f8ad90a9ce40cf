package org.familiar.identity;

import java.util.List;

/**
 * The plans a person can be put on, for identity to check a plan's name against (the plans module
 * provides it; identity does not know plans otherwise).
 */
public interface PlanNames {

	/** Every configured plan's name, the default plan's among them. */
	List<String> names();

	/** The plan of people who have none (or one no longer configured). */
	String defaultPlan();
}
