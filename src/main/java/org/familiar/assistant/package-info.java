/**
 * Conversations, the streaming web chat and the OpenAI-compatible {@code /v1} API.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "plans", "memory", "media" })
package org.familiar.assistant;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
