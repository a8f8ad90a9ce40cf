package org.familiar.memory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.identity.Scopes;
import org.familiar.memory.internal.Embeddings;
import org.familiar.memory.internal.ExchangeToLearnFrom;
import org.familiar.memory.internal.Memories;
import org.familiar.memory.internal.MemoryBook;
import org.familiar.memory.internal.MemoryBooks;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The memory module's entry point: what Familiar knows about a person, changing it, and turning it
 * into each reply's system prompt.
 *
 * <p>Every method is scoped to the caller's person; an app's caller sees and changes only the
 * memories shared with that app. Writes bump the person's memory version in the same transaction,
 * so every replica's retrieval index notices them.
 */
@Service
public class MemoryManagement implements PersonalData, DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(MemoryManagement.class);

	public static final int MAX_LENGTH = 1000;

	/** "remember that …", "please remember: …" at the start of a chat message. */
	private static final Pattern REMEMBER = Pattern.compile(
			"^\\s*(?:please\\s+)?(?:remember|note|keep in mind)(?:\\s+that)?\\s*[:,]?\\s+(.+)$",
			Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

	/** Words that mark a statement about how to answer rather than a fact. */
	private static final Pattern PREFERENCE = Pattern.compile(
			"\\b(prefer|prefers|explain|explanations?|answer|answers|reply|replies|call me|always|never|don't|do not|"
					+ "like i'?m|in (?:english|german|french|spanish)|tone|short|brief|detailed)\\b",
			Pattern.CASE_INSENSITIVE);

	private final Memories memories;

	private final MemoryBooks books;

	private final Embeddings embeddings;

	private final MemorySettings settings;

	private final TransactionTemplate transaction;

	private final ApplicationEventPublisher events;

	private final Clock clock;

	/** Use counts waiting to be written, by person and memory. */
	private final java.util.concurrent.ConcurrentHashMap<Use, Pending> pendingUse = new java.util.concurrent.ConcurrentHashMap<>();

	private final java.util.concurrent.ScheduledExecutorService flusher = Executors
		.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("memory-use").factory());

	MemoryManagement(Memories memories, MemoryBooks books, Embeddings embeddings, MemorySettings settings,
			PlatformTransactionManager transactions, ApplicationEventPublisher events, Clock clock) {
		this.memories = memories;
		this.books = books;
		this.embeddings = embeddings;
		this.settings = settings;
		this.transaction = new TransactionTemplate(transactions);
		this.events = events;
		this.clock = clock;
		flusher.scheduleWithFixedDelay(this::flushUse, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
	}

	// ---- reading

	/** The caller's memories, newest first; {@code text} narrows to those containing it. */
	public List<Memory> memories(Caller caller, @Nullable String text, int limit) {
		var query = text == null || text.isBlank() ? null : text.strip();
		return memories.list(caller.person(), query, caller.app() == null ? limit : Math.max(limit, 1000))
			.stream()
			.filter(m -> m.visibleTo(caller.app()))
			.limit(limit)
			.toList();
	}

	/** The memories most related in meaning to {@code query}, best first, with their similarity. */
	public List<MemoryBook.Scored> related(Caller caller, String query, int k, double threshold) {
		var book = book(caller.person());
		if (book.size() == 0 || query.isBlank()) {
			return List.of();
		}
		return book.search(embeddings.query(query), k, threshold, m -> m.visibleTo(caller.app()),
				settings.exactScanLimit(), settings.candidates());
	}

	/**
	 * What a person (or an app, within what it may see) finds for {@code query}: memories close in
	 * meaning first (similarity at least 0.55), then any others containing the words, at most {@code limit}.
	 */
	public List<Memory> search(Caller caller, String query, int limit) {
		var found = new LinkedHashMap<MemoryId, Memory>();
		related(caller, query, limit, 0.55).forEach(s -> found.put(s.memory().id(), s.memory()));
		memories(caller, query, limit).forEach(m -> found.putIfAbsent(m.id(), m));
		return found.values().stream().limit(limit).toList();
	}

	/** @throws MemoryNotFoundException unless the memory is the caller's and visible to the caller's app */
	public Memory memory(Caller caller, MemoryId id) {
		return memories.find(caller.person(), id)
			.filter(m -> m.visibleTo(caller.app()))
			.orElseThrow(MemoryNotFoundException::new);
	}

	/** Those of {@code ids} that still exist and the caller may see, by id; forgotten ones are absent. */
	public Map<String, Memory> byIds(Caller caller, java.util.Collection<String> ids) {
		if (ids.isEmpty()) {
			return Map.of();
		}
		var wanted = Set.copyOf(ids);
		var found = new LinkedHashMap<String, Memory>();
		for (var memory : book(caller.person()).memories()) {
			if (wanted.contains(memory.id().toString()) && memory.visibleTo(caller.app())) {
				found.put(memory.id().toString(), memory);
			}
		}
		return found;
	}

	public MemoryProfile profile(PersonId person) {
		var book = memories.book(person);
		return new MemoryProfile(book.paused(), book.personality(), book.interviewedAt(), memories.count(person));
	}

	// ---- writing

	/**
	 * Remembers {@code content} about the caller's person. Something that means nearly the same as
	 * an existing memory (similarity at least {@code familiar.memory.merge-similarity}) replaces
	 * that memory's wording instead of adding a second one.
	 *
	 * @param kind {@code null} to guess from the wording
	 * @param apps {@code null} for the default: every app for Familiar's own callers, the writing
	 * app alone for an app
	 * @throws InvalidMemoryException if the content is empty or too long
	 */
	public Remembered remember(Caller caller, String content, @Nullable MemoryKind kind, MemorySource source,
			@Nullable String sourceRef, @Nullable List<String> apps) {
		var text = clean(content);
		var person = caller.person();
		var vector = embeddings.passage(text);
		var sharing = apps != null ? cleanApps(apps)
				: caller.app() != null ? List.of(caller.app()) : List.of(Memory.EVERY_APP);
		var resolvedKind = kind != null ? kind : guessKind(text);
		var now = clock.instant();
		memories.open(person);
		var twin = book(person).search(vector, 1, settings.mergeSimilarity(), m -> m.visibleTo(caller.app()),
				settings.exactScanLimit(), settings.candidates());
		if (!twin.isEmpty()) {
			var merged = twin.getFirst().memory().withContent(text, kind != null ? kind : twin.getFirst().memory().kind(),
					apps != null ? sharing : twin.getFirst().memory().apps(), now);
			write(person, merged, vector, false);
			return new Remembered(merged, true);
		}
		var memory = new Memory(MemoryId.random(), person, text, resolvedKind,
				caller.app() != null ? MemorySource.APP : source, caller.app() != null ? caller.app() : sourceRef, sharing,
				now, now, null, 0);
		write(person, memory, vector, true);
		return new Remembered(memory, false);
	}

	/**
	 * Changes a memory's wording, kind or sharing; {@code null} leaves that part as it is.
	 * @throws MemoryNotFoundException unless the caller may see it
	 */
	public Memory edit(Caller caller, MemoryId id, @Nullable String content, @Nullable MemoryKind kind,
			@Nullable List<String> apps) {
		var existing = memory(caller, id);
		var text = content == null ? existing.content() : clean(content);
		var vector = embeddings.passage(text);
		var edited = existing.withContent(text, kind == null ? existing.kind() : kind,
				apps == null ? existing.apps() : cleanApps(apps), clock.instant());
		memories.open(caller.person());
		write(caller.person(), edited, vector, false);
		return edited;
	}

	/**
	 * Forgets a memory for good: its row and embedding are deleted and it leaves every index.
	 * @throws MemoryNotFoundException unless the caller may see it
	 */
	public void forget(Caller caller, MemoryId id) {
		memory(caller, id);
		var person = caller.person();
		memories.open(person);
		long version = transaction.execute(status -> {
			long v = memories.bump(person);
			memories.delete(person, List.of(id));
			return v;
		});
		books.changed(person, version, book -> book.without(version, Set.of(id)));
	}

	/** Forgets every memory of the person. */
	public int forgetAll(PersonId person) {
		memories.open(person);
		int forgotten = transaction.execute(status -> {
			memories.bump(person);
			return memories.deleteAll(person);
		});
		books.drop(person);
		return forgotten;
	}

	/** While paused, replies use no memories and nothing new is learned; the personality still applies. */
	public void pause(PersonId person, boolean paused) {
		memories.open(person);
		memories.pause(person, paused);
	}

	public void personality(PersonId person, Personality personality) {
		memories.open(person);
		memories.personality(person, personality);
	}

	// ---- using

	/**
	 * What memory adds to a request: the personality (for Familiar's own callers), every preference
	 * and the facts relevant to the last user message, within the prompt budget. Batch and research
	 * work is never personalised.
	 */
	public Recall recall(Caller caller, List<ChatMessage> messages) {
		if (!settings.enabled()
				|| (caller.workload() != WorkloadClass.INTERACTIVE && caller.workload() != WorkloadClass.APP)) {
			return Recall.NONE;
		}
		var person = caller.person();
		var state = memories.book(person);
		var app = caller.app();
		var sections = new ArrayList<String>();
		int budget = settings.promptBudget() * 4;
		if (app == null && !state.personality().equals(Personality.DEFAULT)) {
			var personality = state.personality().instructions();
			sections.add(personality);
			budget -= personality.length();
		}
		var used = new ArrayList<Memory>();
		if (!state.paused() && state.version() > 0 && caller.allows(Scopes.MEMORY_READ)) {
			var book = books.current(person, state.version());
			var preferences = new ArrayList<String>();
			var facts = new ArrayList<String>();
			for (var memory : book.preferences()) {
				if (memory.visibleTo(app) && budget - memory.content().length() > 0) {
					preferences.add("- " + memory.content());
					used.add(memory);
					budget -= memory.content().length() + 3;
				}
			}
			var query = lastUserMessage(messages);
			if (!query.isBlank() && book.size() > book.preferences().size()) {
				for (var scored : book.search(embeddings.query(query), settings.topK(), settings.threshold(),
						m -> m.kind() == MemoryKind.FACT && m.visibleTo(app), settings.exactScanLimit(),
						settings.candidates())) {
					var memory = scored.memory();
					if (budget - memory.content().length() <= 0) {
						break;
					}
					facts.add("- " + memory.content());
					used.add(memory);
					budget -= memory.content().length() + 3;
				}
			}
			if (!preferences.isEmpty() || !facts.isEmpty()) {
				var known = new StringBuilder("What you know about the person from Familiar's memory; use it where it "
						+ "helps, and don't recite it unprompted.");
				if (!preferences.isEmpty()) {
					known.append("\nHow they like to be answered (always follow):\n").append(String.join("\n", preferences));
				}
				if (!facts.isEmpty()) {
					known.append("\nFacts about them that may be relevant:\n").append(String.join("\n", facts));
				}
				sections.add(known.toString());
			}
		}
		if (sections.isEmpty()) {
			return Recall.NONE;
		}
		return new Recall(ChatMessage.system(String.join("\n\n", sections)), used);
	}

	/**
	 * Counts the recalled memories as used. Counts gather in memory and are written once a second
	 * in one transaction, so popular memories do not turn every request into row-lock traffic.
	 */
	public void used(Caller caller, Recall recall) {
		var at = clock.instant();
		for (var memory : recall.used()) {
			pendingUse.merge(new Use(caller.person(), memory.id()), new Pending(1, at),
					(a, b) -> new Pending(a.count() + b.count(), b.at()));
		}
	}

	private record Use(PersonId person, MemoryId memory) {
	}

	private record Pending(int count, java.time.Instant at) {
	}

	private void flushUse() {
		if (pendingUse.isEmpty()) {
			return;
		}
		var batch = new java.util.HashMap<Use, Pending>();
		for (var use : List.copyOf(pendingUse.keySet())) {
			var pending = pendingUse.remove(use);
			if (pending != null) {
				batch.put(use, pending);
			}
		}
		try {
			transaction.executeWithoutResult(status -> batch.forEach(
					(use, pending) -> memories.markUsed(use.person(), use.memory(), pending.count(), pending.at())));
		}
		catch (RuntimeException ex) {
			log.warn("Could not count the use of {} memories: {}", batch.size(), ex.getMessage());
		}
	}

	/**
	 * Handles "remember that …" in a chat message at once, so the reply can already use it.
	 * @return the memory written, if the message asked for one
	 */
	public @Nullable Remembered rememberIfAsked(Caller caller, String message, String conversationRef) {
		var matcher = REMEMBER.matcher(message);
		if (!matcher.matches() || memories.book(caller.person()).paused()) {
			return null;
		}
		var content = matcher.group(1).strip();
		if (content.isEmpty() || content.length() > MAX_LENGTH) {
			return null;
		}
		return remember(caller, Character.toUpperCase(content.charAt(0)) + content.substring(1), null,
				MemorySource.CONVERSATION, conversationRef, null);
	}

	/**
	 * Queues an exchange for learning: a model reads it, as {@code batch} work after the reply, and
	 * its extractions are remembered, merged or used to replace contradicted memories. The queue is
	 * the event publication registry, so a restart does not lose it.
	 */
	public void learnFrom(Caller caller, String model, String conversationRef, String userText, String replyText) {
		if (!settings.enabled() || !settings.extraction().enabled() || caller.app() != null
				|| memories.book(caller.person()).paused()) {
			return;
		}
		var extractionModel = settings.extraction().model() != null ? settings.extraction().model() : model;
		transaction.executeWithoutResult(status -> events.publishEvent(new ExchangeToLearnFrom(caller.person().value(),
				caller.username(), extractionModel, conversationRef, userText, replyText)));
	}

	/**
	 * Records a thumbs up ({@code rating > 0}) or down on a reply; a reason becomes a preference
	 * memory so later replies follow it.
	 */
	public @Nullable Remembered feedback(Caller caller, String replyRef, int rating, @Nullable String reason) {
		var why = reason == null ? "" : reason.strip();
		if (why.length() > 500) {
			throw new InvalidMemoryException("Keep the reason under 500 characters.");
		}
		Remembered remembered = null;
		if (!why.isEmpty() && !memories.book(caller.person()).paused()) {
			remembered = remember(caller, (rating > 0 ? "Liked in a reply: " : "Disliked in a reply: ") + why,
					MemoryKind.PREFERENCE, MemorySource.FEEDBACK, replyRef, null);
		}
		memories.feedback(caller.person(), replyRef, rating > 0 ? 1 : -1, why.isEmpty() ? null : why,
				remembered == null ? null : remembered.memory().id(), clock.instant());
		return remembered;
	}

	// ---- the onboarding interview

	/**
	 * Writes the answer to interview question {@code step} as a memory (unless skipped) and returns
	 * the next question, or {@code null} after the last, when the interview counts as done.
	 */
	public @Nullable String answerInterview(Caller caller, int step, String answer, String conversationRef,
			@Nullable String model) {
		if (step < 0 || step >= Interview.QUESTIONS.size()) {
			return null;
		}
		var question = Interview.QUESTIONS.get(step);
		if (!Interview.skipped(answer) && answer.strip().length() < 300) {
			// Kept as said at once; a model then writes it down as a memory (batch work), if one is up.
			var said = remember(caller, question.asSaid(answer), question.kind(), MemorySource.ONBOARDING, conversationRef, null);
			if (model != null && caller.app() == null && !said.merged()) {
				transaction.executeWithoutResult(status -> events.publishEvent(new org.familiar.memory.internal.InterviewAnswer(
						caller.person().value(), caller.username(), model, said.memory().id().value(), step, answer.strip())));
			}
		}
		var next = Interview.next(step);
		if (next == null) {
			memories.open(caller.person());
			memories.interviewed(caller.person(), clock.instant());
		}
		return next;
	}

	// ---- personal data

	@Override
	public String section() {
		return "memory";
	}

	@Override
	public Object export(PersonId person) {
		var book = memories.book(person);
		var data = new LinkedHashMap<String, Object>();
		data.put("paused", book.paused());
		data.put("personality", Map.of("preset", book.personality().preset().id(), "verbosity",
				book.personality().verbosity(), "warmth", book.personality().warmth(), "humour", book.personality().humour()));
		data.put("memories", memories.list(person, null, Integer.MAX_VALUE).stream().map(MemoryManagement::exported).toList());
		data.put("feedback", memories.feedback(person));
		return data;
	}

	@Override
	public void erase(PersonId person) {
		memories.erase(person);
		books.drop(person);
	}

	private static Map<String, Object> exported(Memory m) {
		var data = new LinkedHashMap<String, Object>();
		data.put("id", m.id().toString());
		data.put("content", m.content());
		data.put("kind", m.kind().id());
		data.put("source", m.source().id());
		data.put("source_ref", m.sourceRef());
		data.put("apps", m.apps());
		data.put("created_at", m.createdAt().toString());
		data.put("updated_at", m.updatedAt().toString());
		return data;
	}

	@Override
	public void destroy() {
		flusher.shutdownNow();
		flushUse();
	}

	// ---- helpers

	private MemoryBook book(PersonId person) {
		return books.current(person, memories.book(person).version());
	}

	private void write(PersonId person, Memory memory, float[] vector, boolean insert) {
		long version = transaction.execute(status -> {
			long v = memories.bump(person);
			if (insert) {
				memories.insert(memory, vector);
			}
			else {
				memories.update(memory, vector);
			}
			return v;
		});
		books.changed(person, version, book -> book.with(version, memory, vector));
	}

	private static String clean(String content) {
		if (content.indexOf('\0') >= 0 || !java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(content)) {
			throw new InvalidMemoryException("A memory is text: no NUL characters or unpaired surrogates.");
		}
		var text = content.strip().replaceAll("\\s+", " ");
		if (text.codePoints().noneMatch(MemoryManagement::visible)) {
			throw new InvalidMemoryException("A memory needs some content.");
		}
		if (text.length() > MAX_LENGTH) {
			throw new InvalidMemoryException("Keep a memory under " + MAX_LENGTH + " characters; this one has "
					+ text.length() + ".");
		}
		return text;
	}

	/** A character that shows: not a space, nor a control or formatting one (such as U+202E alone). */
	private static boolean visible(int codePoint) {
		int type = Character.getType(codePoint);
		return !Character.isWhitespace(codePoint) && !Character.isSpaceChar(codePoint) && type != Character.CONTROL
				&& type != Character.FORMAT && type != Character.UNASSIGNED;
	}

	private static List<String> cleanApps(List<@Nullable String> apps) {
		// Not apps.contains(null): immutable lists throw on it.
		if (apps.stream().anyMatch(java.util.Objects::isNull)) {
			throw new InvalidMemoryException("'apps' lists app ids; null is not one.");
		}
		var clean = apps.stream().map(String::strip).filter(a -> !a.isEmpty()).distinct().toList();
		for (var app : clean) {
			if (app.contains(",") || app.length() > 100) {
				throw new InvalidMemoryException("'" + app + "' is not an app id.");
			}
		}
		return clean;
	}

	static MemoryKind guessKind(String text) {
		return PREFERENCE.matcher(text).find() ? MemoryKind.PREFERENCE : MemoryKind.FACT;
	}

	private static String lastUserMessage(List<ChatMessage> messages) {
		for (int i = messages.size() - 1; i >= 0; i--) {
			if (messages.get(i).role() == ChatMessage.Role.USER) {
				var text = messages.get(i).content();
				return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
			}
		}
		return "";
	}
}
