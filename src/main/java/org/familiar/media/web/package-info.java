/** The Create, Characters and Verify pages and {@code /api/media}. */
@NullMarked
package org.familiar.media.web;

import org.jspecify.annotations.NullMarked;
