/**
 * Model backends behind one port: OpenAI-compatible HTTP servers and the embedded in-JVM engine,
 * the model catalogue, health checks, routing with failover and circuit breakers, and the capacity
 * scheduler that shares each backend's slots between workload classes and people.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {})
package org.familiar.compute;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
