/**
 * Pieces the assistant's web pages and API share.
 */
@NullMarked
package org.familiar.assistant.internal;

import org.jspecify.annotations.NullMarked;
