package org.familiar.compute.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.familiar.compute.WorkloadClass.APP;
import static org.familiar.compute.WorkloadClass.BATCH;
import static org.familiar.compute.WorkloadClass.INTERACTIVE;
import static org.familiar.compute.WorkloadClass.RESEARCH;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.WorkloadClass;
import org.familiar.compute.capacity.CapacityScheduler.Policy;
import org.familiar.compute.capacity.CapacityScheduler.Ticket;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's rules, on a clock the test moves: every outcome here is exact and repeatable.
 * Each implementation runs them ({@link InProcessSchedulerTests}, {@link RedisSchedulerTests}).
 */
abstract class CapacitySchedulerTests {

	private Instant now = Instant.parse("2026-11-23T10:00:00Z");

	protected final InstantSource clock = () -> now;

	/** A scheduler of the implementation under test. */
	protected abstract CapacityScheduler scheduler(String backend, int slots, Map<WorkloadClass, Policy> policies);

	/** Moves the clock; an implementation whose tickets are leases renews them as its replica would. */
	protected void advance(Duration by) {
		now = now.plus(by);
	}

	protected static Map<WorkloadClass, Policy> policy(double interactive, int interactiveFloor, double app, double batch,
			double research, int maxQueue) {
		var policies = new EnumMap<WorkloadClass, Policy>(WorkloadClass.class);
		policies.put(INTERACTIVE, new Policy(interactive, interactiveFloor, maxQueue, Duration.ofSeconds(30)));
		policies.put(APP, new Policy(app, 0, maxQueue, Duration.ofSeconds(30)));
		policies.put(BATCH, new Policy(batch, 0, maxQueue, Duration.ofMinutes(5)));
		policies.put(RESEARCH, new Policy(research, 0, maxQueue, Duration.ofMinutes(10)));
		return policies;
	}

	@Test
	void grantsAtOnceWhileSlotsAreFreeAndQueuesAfter() {
		var scheduler = scheduler("b", 2, policy(3, 1, 2, 1, 4, 100));
		var first = scheduler.request(RESEARCH, "ann");
		var second = scheduler.request(RESEARCH, "ann");
		var third = scheduler.request(RESEARCH, "ann");

		assertThat(first.granted()).isTrue();
		assertThat(second.granted()).isTrue();
		assertThat(third.granted()).isFalse();
		assertThat(scheduler.load().waiting()).isEqualTo(1);

		advance(Duration.ofSeconds(3));
		first.release();
		assertThat(third.granted()).isTrue();
		assertThat(third.waited()).isEqualTo(Duration.ofSeconds(3));
	}

	@Test
	void sharesSlotTimeByWeightUnderSaturation() {
		var scheduler = scheduler("b", 4, policy(3, 1, 2, 1, 4, 10_000));
		// Research replies take twice as long as the others: shares are of slot-time, not requests.
		var durations = Map.of(INTERACTIVE, 1.0, APP, 1.0, BATCH, 1.0, RESEARCH, 2.0);
		var slotTime = simulateSaturation(scheduler, durations, Map.of(INTERACTIVE, List.of("ann", "bob"), APP,
				List.of("cat"), BATCH, List.of("dan"), RESEARCH, List.of("eve", "fay")), 2_000);

		double total = slotTime.values().stream().mapToDouble(Double::doubleValue).sum();
		assertThat(slotTime.get(RESEARCH) / total).isCloseTo(0.4, within(0.02));
		assertThat(slotTime.get(INTERACTIVE) / total).isCloseTo(0.3, within(0.02));
		assertThat(slotTime.get(APP) / total).isCloseTo(0.2, within(0.02));
		assertThat(slotTime.get(BATCH) / total).isCloseTo(0.1, within(0.02));
	}

	@Test
	void oneFloodingPersonGetsNoMoreThanTheOthersInTheirClass() {
		var scheduler = scheduler("b", 1, policy(1, 0, 1, 1, 1, 10_000));
		var tickets = new ArrayList<Ticket>();
		var holder = scheduler.request(INTERACTIVE, "ann");
		for (int i = 0; i < 20; i++) {
			tickets.add(scheduler.request(INTERACTIVE, "ann"));
		}
		tickets.add(scheduler.request(INTERACTIVE, "bob"));
		tickets.add(scheduler.request(INTERACTIVE, "bob"));
		tickets.add(scheduler.request(INTERACTIVE, "cat"));

		var people = new ArrayList<String>();
		var current = holder;
		for (int i = 0; i < 6; i++) {
			advance(Duration.ofSeconds(1));
			current.release();
			current = tickets.stream().filter(Ticket::granted).findFirst().orElseThrow();
			tickets.remove(current);
			people.add(current.person());
		}
		// ann already held a slot, so bob and cat go first, then turns alternate until they run out.
		assertThat(people).containsExactly("bob", "cat", "ann", "bob", "ann", "ann");
	}

	@Test
	void aClassBelowItsFloorIsServedFirstWhateverItsShare() {
		var scheduler = scheduler("b", 2, policy(0.01, 1, 1, 1, 100, 100));
		var research = new ArrayList<Ticket>();
		for (int i = 0; i < 10; i++) {
			research.add(scheduler.request(RESEARCH, "eve"));
		}
		var chat = scheduler.request(INTERACTIVE, "ann");
		assertThat(chat.granted()).isFalse();

		advance(Duration.ofSeconds(1));
		research.get(0).release();

		assertThat(chat.granted()).isTrue();
		assertThat(research.get(2).granted()).isFalse();
	}

	@Test
	void lendsUnusedShareToWhoeverWaits() {
		var scheduler = scheduler("b", 4, policy(3, 1, 2, 1, 4, 100));
		var research = new ArrayList<Ticket>();
		for (int i = 0; i < 6; i++) {
			research.add(scheduler.request(RESEARCH, "eve"));
		}
		assertThat(research.stream().filter(Ticket::granted)).hasSize(4);
		assertThat(scheduler.load().running()).isEqualTo(4);
	}

	@Test
	void aClassLeavesItsHeadroomFreeSoOthersStartAtOnce() {
		var policies = policy(3, 1, 2, 1, 4, 100);
		policies.put(RESEARCH, new Policy(4, 0, 100, Duration.ofMinutes(10), 2));
		var scheduler = scheduler("b", 4, policies);
		var research = new ArrayList<Ticket>();
		for (int i = 0; i < 4; i++) {
			research.add(scheduler.request(RESEARCH, "eve"));
		}
		assertThat(research).filteredOn(Ticket::granted).hasSize(2);
		assertThat(scheduler.load().running()).isEqualTo(2);
		// Two chats start at once, with research waiting and the backend otherwise idle.
		assertThat(scheduler.request(INTERACTIVE, "ann").granted()).isTrue();
		assertThat(scheduler.request(INTERACTIVE, "bob").granted()).isTrue();
		// A research request finishing hands its slot to the next research request, never more than two.
		research.getFirst().release();
		assertThat(research).filteredOn(Ticket::granted).hasSize(3);
		assertThat(scheduler.load().classes()).filteredOn(c -> c.workload() == RESEARCH).singleElement()
			.satisfies(c -> assertThat(c.running()).isEqualTo(2));

		// On a one-slot backend the class may still take its one slot.
		var single = scheduler("e", 1, policies);
		assertThat(single.request(RESEARCH, "eve").granted()).isTrue();
	}

	@Test
	void aClassBackFromIdleDoesNotBankCredit() {
		var scheduler = scheduler("b", 2, policy(1, 0, 1, 1, 1, 10_000));
		// Research runs alone for a long time, then interactive work arrives with equal share.
		var running = new ArrayList<Ticket>();
		running.add(scheduler.request(RESEARCH, "eve"));
		running.add(scheduler.request(RESEARCH, "eve"));
		advance(Duration.ofSeconds(1_000));
		var slotTime = simulateSaturation(scheduler, Map.of(INTERACTIVE, 1.0, RESEARCH, 1.0),
				Map.of(INTERACTIVE, List.of("ann"), RESEARCH, List.of("eve")), 200, running);

		double total = slotTime.get(INTERACTIVE) + slotTime.get(RESEARCH);
		assertThat(slotTime.get(INTERACTIVE) / total).isCloseTo(0.5, within(0.03));
	}

	@Test
	void refusesWhenTheClassQueueIsFullAndSaysWhenToRetry() {
		var scheduler = scheduler("b", 1, policy(3, 1, 2, 1, 4, 2));
		scheduler.request(APP, "ann");
		scheduler.request(APP, "ann");
		scheduler.request(APP, "bob");

		assertThatThrownBy(() -> scheduler.request(APP, "cat")).isInstanceOfSatisfying(CapacityExceededException.class,
				ex -> {
					assertThat(ex.workload()).isEqualTo(APP);
					assertThat(ex.retryAfter()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
					assertThat(ex.getMessage()).contains("queue holds 2");
				});
		// Another class still has room.
		assertThat(scheduler.request(RESEARCH, "eve").granted()).isFalse();
	}

	@Test
	void aCancelledTicketLeavesTheQueueAndIsNeverGranted() {
		var scheduler = scheduler("b", 1, policy(3, 1, 2, 1, 4, 100));
		var holder = scheduler.request(BATCH, "ann");
		var gone = scheduler.request(BATCH, "bob");
		var next = scheduler.request(BATCH, "cat");

		gone.release();
		assertThat(scheduler.load().waiting()).isEqualTo(1);
		holder.release();
		holder.release();

		assertThat(gone.granted()).isFalse();
		assertThat(next.granted()).isTrue();
		assertThat(scheduler.load().running()).isEqualTo(1);
		next.release();
		assertThat(scheduler.load().running()).isZero();
		assertThat(scheduler.load().waiting()).isZero();
	}

	private Map<WorkloadClass, Double> simulateSaturation(CapacityScheduler scheduler, Map<WorkloadClass, Double> durations,
			Map<WorkloadClass, List<String>> people, int completions) {
		return simulateSaturation(scheduler, durations, people, completions, List.of());
	}

	/**
	 * Keeps every class's queue full and lets granted work run for its class's duration, for the
	 * given number of completions; returns the slot-seconds each class received.
	 */
	private Map<WorkloadClass, Double> simulateSaturation(CapacityScheduler scheduler, Map<WorkloadClass, Double> durations,
			Map<WorkloadClass, List<String>> people, int completions, List<Ticket> alreadyRunning) {
		record Running(Ticket ticket, Instant end) {
		}
		var queue = new PriorityQueue<Running>((a, b) -> a.end().compareTo(b.end()));
		alreadyRunning.forEach(t -> queue.add(new Running(t, now)));
		var waiting = new ArrayList<Ticket>();
		var slotTime = new HashMap<WorkloadClass, Double>();
		durations.keySet().forEach(w -> slotTime.put(w, 0.0));
		Runnable refill = () -> people.forEach((workload, names) -> names.forEach(name -> {
			while (waiting.stream().filter(t -> t.person().equals(name) && !t.granted()).count() < 4) {
				waiting.add(scheduler.request(workload, name));
			}
		}));
		refill.run();
		for (int i = 0; i < completions; i++) {
			for (var it = waiting.iterator(); it.hasNext();) {
				var ticket = it.next();
				if (ticket.granted()) {
					it.remove();
					var duration = Duration.ofMillis((long) (durations.get(ticket.workload()) * 1000));
					queue.add(new Running(ticket, now.plus(duration)));
					slotTime.merge(ticket.workload(), durations.get(ticket.workload()), Double::sum);
				}
			}
			var done = queue.poll();
			advance(Duration.between(now, done.end()));
			done.ticket().release();
			refill.run();
		}
		return slotTime;
	}
}
