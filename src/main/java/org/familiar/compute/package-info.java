/**
 * Model backends behind one port: OpenAI-compatible HTTP servers and the embedded in-JVM engine,
 * the model catalogue, health checks and per-backend concurrency limits.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {})
package org.familiar.compute;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
