package org.familiar.media;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Media generation, bound from {@code familiar.media.*}.
 *
 * @param maxImages the most images one request may ask for ({@code n})
 * @param maxVideoSeconds the longest video one job may ask for
 * @param defaultVideoSeconds a job's length when it asks for none
 * @param pollInterval how often a running video job asks its backend how far it is
 * @param urlLifetime how long a {@code response_format=url} link works
 * @param maxUploadBytes the largest file a person may upload or send to be verified
 * @param verifyPerMinute how many files one address may have verified per minute (without an account)
 */
@ConfigurationProperties("familiar.media")
public record MediaSettings(@DefaultValue("4") int maxImages, @DefaultValue("20") int maxVideoSeconds,
		@DefaultValue("4") int defaultVideoSeconds, @DefaultValue("PT2S") Duration pollInterval,
		@DefaultValue("PT1H") Duration urlLifetime, @DefaultValue("26214400") long maxUploadBytes,
		@DefaultValue("600") long verifyPerMinute) {
}
