/** The media module's storage, its rights check and its provenance format (PNG chunk, MP4 box, JWS). */
@NullMarked
package org.familiar.media.internal;

import org.jspecify.annotations.NullMarked;
