/**
 * Plans, quotas and the usage ledger: every request reserves its largest possible cost against the
 * person's plan before it runs and is settled with its real usage when it ends.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute" })
package org.familiar.plans;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
