package org.familiar.identity;

/** A person disconnected an app: its tokens no longer work. */
public record AppRevoked(PersonId person, String clientId) {
}
