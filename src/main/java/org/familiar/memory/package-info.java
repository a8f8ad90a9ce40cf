/**
 * What Familiar knows about its person: memories they can see, edit and forget, their embeddings
 * and retrieval, the personality they picked, the onboarding interview, learning from feedback
 * and from conversations (as batch work), and what goes into each reply's system prompt.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "plans" })
package org.familiar.memory;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
