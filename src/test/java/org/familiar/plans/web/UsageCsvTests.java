package org.familiar.plans.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.familiar.plans.UsageReport;
import org.junit.jupiter.api.Test;

class UsageCsvTests {

	@Test
	void cellsThatASpreadsheetWouldRunAsFormulasBecomeText() {
		assertThat(UsagePages.cell("=HYPERLINK(\"http://evil\",\"x\")")).isEqualTo("'=HYPERLINK(\"http://evil\",\"x\")");
		assertThat(UsagePages.cell("+1+1")).startsWith("'");
		assertThat(UsagePages.cell("-2+3")).startsWith("'");
		assertThat(UsagePages.cell("@SUM(A1)")).startsWith("'");
		assertThat(UsagePages.cell("\tcmd")).startsWith("'");
		assertThat(UsagePages.cell("Recipe Box")).isEqualTo("Recipe Box");
		assertThat(UsagePages.cell("")).isEmpty();
		var row = new UsageReport.Request(Instant.EPOCH, "chatcmpl-1", "=cmd|' /C calc'!A0", "fake-model", "fake", "app", -1, 2, 3,
				0.1, "completed", false, null);
		var safe = UsagePages.spreadsheetSafe(row);
		assertThat(safe.source()).isEqualTo("'=cmd|' /C calc'!A0");
		assertThat(safe.promptTokens()).as("numbers stay numbers").isEqualTo(-1);
		assertThat(safe.model()).isEqualTo("fake-model");
	}
}
