package org.familiar.plans.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import org.familiar.identity.CallerPrincipal;
import org.familiar.plans.PlansManagement;
import org.familiar.plans.UsageReport;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.familiar.identity.PersonId;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The usage page (a person's tokens, requests and energy in their plan's window, with charts),
 * its CSV export, and the administrators' view of everyone.
 */
@Controller
class UsagePages {

	private static final CsvMapper CSV = csvMapper();

	private final PlansManagement plans;

	private final ObjectMapper json;

	UsagePages(PlansManagement plans, ObjectMapper json) {
		this.plans = plans;
		this.json = json;
	}

	private static CsvMapper csvMapper() {
		var mapper = new CsvMapper();
		mapper.registerModule(new JavaTimeModule());
		mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
		return mapper;
	}

	@GetMapping("/usage")
	String usage(@AuthenticationPrincipal CallerPrincipal me, Model model) throws IOException {
		var report = plans.report(me.caller().person());
		model.addAttribute("report", report);
		model.addAttribute("usage", report.usage());
		var media = plans.mediaUsage(me.caller().person());
		model.addAttribute("media", media);
		model.addAttribute("mediaEnergy", String.format(java.util.Locale.ROOT, "%.2f", media.energyWh()));
		// Inside a <script> element: no "<" may end it early, whatever a model is called.
		model.addAttribute("days", json.writeValueAsString(report.days()).replace("<", "\\u003c"));
		model.addAttribute("recent", report.requests().stream().limit(50).toList());
		return "plans/usage";
	}

	@GetMapping(path = "/usage.csv")
	ResponseEntity<byte[]> csv(@AuthenticationPrincipal CallerPrincipal me) throws IOException {
		var report = plans.report(me.caller().person());
		CsvSchema schema = CSV.schemaFor(UsageReport.Request.class).withHeader();
		var rows = report.requests().stream().map(UsagePages::spreadsheetSafe).toList();
		var body = CSV.writer(schema).writeValueAsBytes(rows);
		return ResponseEntity.ok()
			.contentType(new MediaType("text", "csv"))
			.header(HttpHeaders.CONTENT_DISPOSITION, "attachment; filename=\"familiar-usage.csv\"")
			.body(body);
	}

	/**
	 * The row with every text cell safe to open in a spreadsheet: app and token names are chosen by
	 * others, and a cell starting with = + - @ (or a tab or carriage return) would run as a formula
	 * (OWASP's CSV injection advice: a leading apostrophe makes it text).
	 */
	static UsageReport.Request spreadsheetSafe(UsageReport.Request row) {
		return new UsageReport.Request(row.at(), cell(row.requestId()), cell(row.source()), cell(row.model()),
				cell(row.backend()), cell(row.workload()), row.promptTokens(), row.completionTokens(), row.chargedTokens(),
				row.energyWh(), cell(row.outcome()), row.energyMeasured(), row.co2Grams());
	}

	static String cell(String text) {
		return !text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0 ? "'" + text : text;
	}

	@PostMapping("/usage/caps")
	String cap(@AuthenticationPrincipal CallerPrincipal me, @RequestParam UUID app,
			@RequestParam(required = false) @Nullable Long tokens, RedirectAttributes redirect) {
		if (tokens != null && tokens < 0) {
			redirect.addFlashAttribute("error", "A cap is a number of tokens, 0 or more; leave it empty for no cap.");
			return "redirect:/usage";
		}
		plans.capApp(me.caller().person(), app, tokens);
		redirect.addFlashAttribute("notice", tokens == null ? "Cap lifted." : "Cap set.");
		return "redirect:/usage";
	}

	@PostMapping("/admin/usage/{person}/budget")
	String overrideBudget(@PathVariable UUID person, @RequestParam(required = false) @Nullable Long tokens,
			RedirectAttributes redirect) {
		if (tokens != null && tokens < 0) {
			redirect.addFlashAttribute("error", "A budget is a number of tokens, 0 (no limit) or more; leave it empty for the plan's.");
			return "redirect:/admin/usage";
		}
		plans.overrideBudget(new PersonId(person), tokens);
		redirect.addFlashAttribute("notice", tokens == null ? "Back on the plan's budget." : "Own budget set.");
		return "redirect:/admin/usage";
	}

	@GetMapping("/admin/usage")
	String everyone(Model model) {
		model.addAttribute("people", plans.everyone());
		return "plans/everyone";
	}
}
