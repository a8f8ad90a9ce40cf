package org.familiar.memory.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.function.UnaryOperator;
import org.familiar.identity.PersonId;
import org.familiar.memory.MemorySettings;
import org.springframework.stereotype.Component;

/**
 * This replica's in-memory retrieval index: one {@link MemoryBook} a person, loaded from the
 * database on first use and kept current by the changes made here. A change made by another
 * replica shows as a newer version in {@code memory_book}, and the book is loaded again.
 */
@Component
public class MemoryBooks {

	private final Memories memories;

	private final Cache<PersonId, MemoryBook> books;

	MemoryBooks(Memories memories, MemorySettings settings) {
		this.memories = memories;
		this.books = Caffeine.newBuilder()
			.maximumWeight(settings.cachedMemories())
			.weigher((PersonId person, MemoryBook book) -> Math.max(1, book.size()))
			.build();
	}

	/** The person's book at {@code version}, loading it if this replica has an older one. */
	public MemoryBook current(PersonId person, long version) {
		var book = books.getIfPresent(person);
		if (book != null && book.version() == version) {
			return book;
		}
		var loaded = memories.load(person, version);
		books.asMap().merge(person, loaded, (old, fresh) -> old.version() >= fresh.version() ? old : fresh);
		return loaded;
	}

	/**
	 * Applies a committed change that took the person's memories to {@code version}; a book that is
	 * not exactly one version behind is dropped and loaded again when next needed.
	 */
	public void changed(PersonId person, long version, UnaryOperator<MemoryBook> change) {
		books.asMap().computeIfPresent(person, (id, book) -> book.version() == version - 1 ? change.apply(book) : null);
	}

	public void drop(PersonId person) {
		books.invalidate(person);
	}
}
