/**
 * People, passwords, sessions and personal access tokens: who is calling Familiar and in which
 * workload class.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "compute" })
package org.familiar.identity;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
