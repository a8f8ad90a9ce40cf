package org.familiar.attention;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code familiar.attention.*}.
 *
 * @param contextStaleAfter how long a device's context counts after it was reported
 * @param cooldown per sender: what comes within this of the last one shown is merged and shown at its end
 * @param zone the time zone of a person who set none (default: the server's)
 * @param tick how often due notifications, reminders and digests are looked for
 * @param heartbeat how often an open device stream gets a comment, so proxies keep it open
 * @param streamTimeout how long one stream stays open before the device is asked to reconnect
 * @param digestModel the model that writes digests; by default the person's default model, else the first that answers
 * @param learnAfter how many acknowledgements, all one way, make a preference
 * @param backlog how far back a device that reconnects without Last-Event-ID is sent what it missed
 */
@ConfigurationProperties("familiar.attention")
public record AttentionSettings(@DefaultValue("30m") Duration contextStaleAfter, @DefaultValue("2m") Duration cooldown,
		@Nullable String zone, @DefaultValue("15s") Duration tick, @DefaultValue("25s") Duration heartbeat,
		@DefaultValue("1h") Duration streamTimeout, @Nullable String digestModel, @DefaultValue("5") int learnAfter,
		@DefaultValue("1d") Duration backlog) {
}
