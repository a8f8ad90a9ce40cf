/** The research pages: suites, runs with live progress, and comparing runs. */
@NullMarked
package org.familiar.research.web;

import org.jspecify.annotations.NullMarked;
