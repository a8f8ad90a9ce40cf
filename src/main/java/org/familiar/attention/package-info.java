/**
 * Attention: the devices a person linked and what they report (activity, focus, screen, place,
 * audio), the person's rules (quiet hours, digest times, meetings, muted senders), notifications
 * from apps, from Familiar and from the person, and the policy that decides for each whether to
 * show it now and where, keep it for a digest, or drop it, and says why. Delivery is by
 * server-sent events per device (resumable) and the web app's Attention page; what the person
 * opens and dismisses becomes preferences they can see and edit (memories from {@code attention}).
 */
@NullMarked
@ApplicationModule(allowedDependencies = { "identity", "compute", "plans", "memory", "assistant", "research" })
package org.familiar.attention;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
