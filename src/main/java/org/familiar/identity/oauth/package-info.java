/**
 * The OpenID Connect provider behind "Sign in with Familiar": Spring Authorization Server's
 * configuration, token storage (hashed), signing keys and public device clients.
 */
@NullMarked
package org.familiar.identity.oauth;

import org.jspecify.annotations.NullMarked;
