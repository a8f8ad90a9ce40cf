package org.familiar.research;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code familiar.research.*}: how large a suite may be, so one upload cannot occupy the server
 * for minutes (10,000 items parse and store in about a second; MMLU's test set has 14,042).
 * @param maxSuiteItems items in one suite
 * @param maxSuiteSize bytes of one uploaded suite file
 */
@ConfigurationProperties("familiar.research")
public record ResearchSettings(@DefaultValue("20000") int maxSuiteItems, @DefaultValue("20MB") DataSize maxSuiteSize) {
}
