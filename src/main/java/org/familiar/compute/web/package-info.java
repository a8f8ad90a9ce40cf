/**
 * The operator's view of compute: capacity by backend and workload class.
 */
@NullMarked
package org.familiar.compute.web;

import org.jspecify.annotations.NullMarked;
