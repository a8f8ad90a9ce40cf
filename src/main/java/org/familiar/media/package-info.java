/**
 * Media: images ({@code /v1/images/generations}) and video jobs ({@code /v1/videos}) made on the
 * backends that serve them as batch work, metered on the plan in images and seconds of video; a
 * registry of characters and likenesses whose holders' rules are checked before any work; and a
 * signed manifest in every file (what made it, when, for whom, with which characters under which
 * grant) that anyone can verify.
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "plans" })
package org.familiar.media;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
