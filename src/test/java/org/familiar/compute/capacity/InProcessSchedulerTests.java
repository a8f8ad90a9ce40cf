package org.familiar.compute.capacity;

import java.util.Map;
import org.familiar.compute.WorkloadClass;
import org.familiar.compute.capacity.CapacityScheduler.Policy;

/** The scheduler's rules in this process. */
class InProcessSchedulerTests extends CapacitySchedulerTests {

	@Override
	protected CapacityScheduler scheduler(String backend, int slots, Map<WorkloadClass, Policy> policies) {
		return new InProcessScheduler(backend, slots, policies, clock);
	}
}
