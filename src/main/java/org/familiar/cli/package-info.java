/**
 * The command line on the server's jar: commands run against {@code familiar.home} with the
 * server's own configuration, whether the server is running or not.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "research" })
package org.familiar.cli;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
