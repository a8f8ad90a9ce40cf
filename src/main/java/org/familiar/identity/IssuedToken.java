package org.familiar.identity;

/** A token just issued: {@code secret} is shown to its owner once and stored only as a hash. */
public record IssuedToken(AccessToken token, String secret) {
}
