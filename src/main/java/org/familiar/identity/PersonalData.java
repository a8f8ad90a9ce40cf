package org.familiar.identity;

/**
 * What another module keeps about a person. Identity gathers every implementation into the
 * person's data export and, when the account is deleted, erases them all in one transaction.
 */
public interface PersonalData {

	/** The section's name in the export ({@code "memory"}, {@code "conversations"}, …). */
	String section();

	/** The person's data as plain values (maps, lists, records) that serialise to JSON. */
	Object export(PersonId person);

	/** Erases all of the person's data; runs in the account deletion's transaction. */
	void erase(PersonId person);
}
