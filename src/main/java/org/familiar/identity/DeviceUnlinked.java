package org.familiar.identity;

/** A device was unlinked (by the person, or with its app): its tokens no longer work. */
public record DeviceUnlinked(PersonId person, String device) {
}
