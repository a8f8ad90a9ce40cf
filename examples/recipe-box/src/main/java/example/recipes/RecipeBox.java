package example.recipes;

import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.annotation.RegisteredOAuth2AuthorizedClient;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;
import org.springframework.web.util.HtmlUtils;

/**
 * Recipe Box: people sign in with Familiar (Spring Security's OAuth 2.0 login, configured in
 * application.yml) and ask for a recipe; the app asks the person's own AI, with the person's
 * memories (so a vegetarian gets vegetarian recipes), billed to their Familiar plan.
 */
@SpringBootApplication
@RestController
public class RecipeBox {

	public static void main(String[] args) {
		SpringApplication.run(RecipeBox.class, args);
	}

	private final RestClient familiar;

	private final String model;

	RecipeBox(@Value("${familiar.url}") String url, @Value("${familiar.model}") String model) {
		this.familiar = RestClient.create(url);
		this.model = model;
	}

	@GetMapping(path = "/", produces = MediaType.TEXT_HTML_VALUE)
	String home(@AuthenticationPrincipal OidcUser person) {
		return page("<p>Signed in with Familiar as <b>" + HtmlUtils.htmlEscape(person.getPreferredUsername()) + "</b>.</p>"
				+ "<form action='/recipe'><input name='dish' placeholder='What would you like to cook?' size='40'>"
				+ " <button>Ask my Familiar</button></form>");
	}

	@GetMapping(path = "/recipe", produces = MediaType.TEXT_HTML_VALUE)
	String recipe(@RequestParam String dish, @RegisteredOAuth2AuthorizedClient("familiar") OAuth2AuthorizedClient client) {
		var body = Map.of("model", model, "messages", List.of(
				Map.of("role", "system", "content", "You are Recipe Box. Suggest one recipe, briefly."),
				Map.of("role", "user", "content", "A recipe for: " + dish)));
		var response = familiar.post()
			.uri("/v1/chat/completions")
			.headers(headers -> headers.setBearerAuth(client.getAccessToken().getTokenValue()))
			.contentType(MediaType.APPLICATION_JSON)
			.body(body)
			.retrieve()
			.toEntity(Map.class);
		var choices = (List<?>) response.getBody().get("choices");
		var message = (Map<?, ?>) ((Map<?, ?>) choices.getFirst()).get("message");
		var memories = response.getHeaders().getFirst("X-Familiar-Memories");
		return page("<h2>" + HtmlUtils.htmlEscape(dish) + "</h2><pre style='white-space:pre-wrap'>"
				+ HtmlUtils.htmlEscape(String.valueOf(message.get("content"))) + "</pre><p><small>Your Familiar used "
				+ (memories == null || memories.isEmpty() ? "no memories" : memories.split(",").length + " of your memories")
				+ ".</small></p><p><a href='/'>Another</a></p>");
	}

	private static String page(String body) {
		return "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Recipe Box</title></head>"
				+ "<body style='font-family:system-ui;max-width:40rem;margin:2rem auto'><h1>Recipe Box</h1>" + body + "</body></html>";
	}
}
