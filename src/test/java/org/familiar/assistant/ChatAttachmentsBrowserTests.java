package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.testing.Chromium;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Images and files in the chat, in Chromium: picked, pasted and dropped; an image reaches the model
 * server as an image part and is shown in the conversation; a PDF's and a text file's text reach
 * it with the message; a file too big for the model's context, and an image for a model that cannot
 * read images, are refused with a message and nothing saved.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChatAttachmentsBrowserTests {

	static FakeModelServer backend;

	static ChromeDriver browser;

	static Path files;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 5);
		registry.add("familiar.backends.fake.context-length", () -> "8192");
	}

	@BeforeAll
	static void openBrowser() throws IOException {
		browser = Chromium.open();
		files = Files.createTempDirectory("attachments");
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.quit();
		}
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Autowired
	AssistantManagement assistant;

	private WebDriverWait waiting(int seconds) {
		return Chromium.waiting(browser, seconds);
	}

	private Object js(String script, Object... arguments) {
		return ((JavascriptExecutor) browser).executeScript(script, arguments);
	}

	private WebElement lastReply() {
		return browser.findElements(By.cssSelector("#messages article.message.assistant")).getLast();
	}

	private void send(String text) {
		int before = browser.findElements(By.cssSelector("#messages article.assistant")).size();
		browser.findElement(By.id("prompt")).sendKeys(text, Keys.ENTER);
		waiting(20).until(b -> b.findElements(By.cssSelector("#messages article.assistant")).size() > before
				&& b.findElements(By.cssSelector(".message.streaming")).isEmpty());
	}

	/** The latest chat request whose last message starts with {@code text} (memory's own requests aside). */
	private JsonNode requestFor(String text) {
		var requests = new ArrayList<>(backend.requests);
		for (int i = requests.size() - 1; i >= 0; i--) {
			var messages = requests.get(i).path("messages");
			var last = messages.path(messages.size() - 1).path("content");
			var said = last.isArray() ? last.path(0).path("text").asText() : last.asText();
			if (said.startsWith(text)) {
				return requests.get(i);
			}
		}
		throw new AssertionError("The model server was never asked '" + text + "'");
	}

	private boolean asked(String text) {
		try {
			requestFor(text);
			return true;
		}
		catch (AssertionError never) {
			return false;
		}
	}

	private JsonNode lastUserMessage(String text) {
		var messages = requestFor(text).path("messages");
		return messages.path(messages.size() - 1);
	}

	private static byte[] png(Color color) throws IOException {
		var image = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
		var graphics = image.createGraphics();
		graphics.setColor(color);
		graphics.fillRect(0, 0, 24, 16);
		graphics.dispose();
		var out = new ByteArrayOutputStream();
		ImageIO.write(image, "png", out);
		return out.toByteArray();
	}

	/** A file the page gets as if pasted or dropped: its bytes, built in the page. */
	private static final String FILE_IN_PAGE = """
			const [base64, name, type] = arguments;
			const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
			const transfer = new DataTransfer();
			transfer.items.add(new File([bytes], name, { type }));
			""";

	private Caller ada() {
		return new Caller(identity.person("ada").id(), "ada", null, WorkloadClass.INTERACTIVE);
	}

	@Test
	@Order(1)
	void anImagePickedPastedOrDroppedReachesTheModelAsAnImagePart() throws Exception {
		identity.addPerson("ada", "analytical engine", false, null);
		browser.get("http://localhost:" + port + "/login");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine", Keys.ENTER);
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/chat"));

		var red = png(Color.RED);
		var picked = files.resolve("red.png");
		Files.write(picked, red);
		browser.findElement(By.id("attach-input")).sendKeys(picked.toString());
		waiting(5).until(b -> b.findElements(By.cssSelector("#pending li.image img")).size() == 1);
		send("what colour is this");
		var content = lastUserMessage("what colour is this").path("content");
		assertThat(content.isArray()).isTrue();
		assertThat(content.get(0).path("text").asText()).isEqualTo("what colour is this");
		assertThat(content.get(1).path("type").asText()).isEqualTo("image_url");
		assertThat(content.get(1).path("image_url").path("url").asText())
			.isEqualTo("data:image/png;base64," + Base64.getEncoder().encodeToString(red));
		assertThat(lastReply().getText()).contains("(and sent 1 attachment)");
		assertThat(browser.findElements(By.cssSelector("#pending li"))).as("the composer is empty again").isEmpty();

		// Pasted into the message box.
		var blue = png(Color.BLUE);
		js(FILE_IN_PAGE + """
				document.getElementById('prompt').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }));""",
				Base64.getEncoder().encodeToString(blue), "pasted.png", "image/png");
		waiting(5).until(b -> b.findElements(By.cssSelector("#pending li.image")).size() == 1);
		// Dropped onto the conversation.
		var green = png(Color.GREEN);
		js(FILE_IN_PAGE + """
				document.getElementById('messages').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));""",
				Base64.getEncoder().encodeToString(green), "dropped.png", "image/png");
		waiting(5).until(b -> b.findElements(By.cssSelector("#pending li.image")).size() == 2);
		// One taken back before sending.
		browser.findElements(By.cssSelector("#pending .remove")).get(1).click();
		waiting(5).until(b -> b.findElements(By.cssSelector("#pending li.image")).size() == 1);
		send("and this one");
		content = lastUserMessage("and this one").path("content");
		assertThat(content).hasSize(2);
		assertThat(content.get(1).path("image_url").path("url").asText()).endsWith(Base64.getEncoder().encodeToString(blue));
		// The history keeps the first image for the model too.
		assertThat(requestFor("and this one").path("messages").toString()).contains(Base64.getEncoder().encodeToString(red));

		// After a reload the conversation shows the images, served to their owner only.
		browser.navigate().refresh();
		var images = browser.findElements(By.cssSelector("#messages article.user .attachments img"));
		assertThat(images).hasSize(2);
		waiting(5).until(b -> images.stream().allMatch(i -> ((Number) js("return arguments[0].naturalWidth", i)).intValue() == 24));
		assertThat(images.get(0).getDomAttribute("alt")).isEqualTo("red.png");
		var src = images.get(0).getDomAttribute("src");
		var stranger = identity.addPerson("eve", "evil password", false, null);
		var eve = new org.familiar.testing.WebSession(port);
		eve.signIn("eve", "evil password");
		assertThat(eve.get(src).statusCode()).as("another person's image").isEqualTo(404);
		assertThat(stranger).isNotNull();
	}

	@Test
	@Order(2)
	void aPdfsAndATextFilesTextGoWithTheMessage() throws Exception {
		browser.get("http://localhost:" + port + "/chat");
		var pdf = files.resolve("report.pdf");
		try (var document = new PDDocument()) {
			var page = new PDPage();
			document.addPage(page);
			try (var text = new PDPageContentStream(document, page)) {
				text.beginText();
				text.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
				text.newLineAtOffset(72, 700);
				text.showText("Quarterly numbers are up by a third.");
				text.endText();
			}
			document.save(pdf.toFile());
		}
		browser.findElement(By.id("attach-input")).sendKeys(pdf.toString());
		js(FILE_IN_PAGE + """
				document.getElementById('composer').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));""",
				Base64.getEncoder().encodeToString("The secret word is pineapple.".getBytes()), "notes.txt", "text/plain");
		waiting(5).until(b -> b.findElements(By.cssSelector("#pending li.file")).size() == 2);
		send("summarise these");
		var content = lastUserMessage("summarise these").path("content").asText();
		assertThat(content).startsWith("summarise these")
			.contains("[Attached file: report.pdf]\nQuarterly numbers are up by a third.")
			.contains("[Attached file: notes.txt]\nThe secret word is pineapple.");
		assertThat(browser.findElements(By.cssSelector("#messages article.user .attachments .file-chip")))
			.extracting(WebElement::getText).containsExactly("report.pdf", "notes.txt");
		browser.navigate().refresh();
		assertThat(browser.findElements(By.cssSelector("#messages article.user .attachments .file-chip")))
			.extracting(WebElement::getText).containsExactly("report.pdf", "notes.txt");
		// What the person wrote is shown as written: the file's text goes to the model, not into the bubble.
		assertThat(browser.findElements(By.cssSelector("#messages article.user .content")).getLast().getText())
			.isEqualTo("summarise these");
	}

	@Test
	@Order(3)
	void aFileTooBigForTheModelOrAnImageForAModelThatCannotSeeIsRefusedAndNothingSaved() throws Exception {
		browser.get("http://localhost:" + port + "/chat");
		int conversations = assistant.conversations(ada()).size();
		var big = files.resolve("novel.txt");
		Files.writeString(big, "word ".repeat(40_000));
		browser.findElement(By.id("attach-input")).sendKeys(big.toString());
		send("read my novel");
		assertThat(lastReply().getText()).contains("about 50,").contains("tokens").contains("'fake-model' reads about 8,192");
		assertThat(asked("read my novel")).as("nothing reached the model").isFalse();
		assertThat(assistant.conversations(ada())).as("no empty conversation left behind").hasSize(conversations);

		// A file that is neither an image, a PDF nor text.
		var binary = files.resolve("program.exe");
		Files.write(binary, new byte[] { 'M', 'Z', 0, 1, 2, 3 });
		browser.get("http://localhost:" + port + "/chat");
		browser.findElement(By.id("attach-input")).sendKeys(binary.toString());
		send("run this");
		assertThat(lastReply().getText()).contains("program.exe is none of those");
		assertThat(assistant.conversations(ada())).hasSize(conversations);

		// The embedded engine reads text only.
		var embedded = browser.findElements(By.cssSelector("#model option")).stream()
			.map(o -> o.getDomAttribute("value")).filter(v -> !v.equals(FakeModelServer.MODEL)).findFirst();
		if (embedded.isPresent()) {
			browser.get("http://localhost:" + port + "/chat");
			new Select(browser.findElement(By.id("model"))).selectByValue(embedded.get());
			var picture = files.resolve("red.png");
			browser.findElement(By.id("attach-input")).sendKeys(picture.toString());
			send("what is this");
			assertThat(lastReply().getText()).contains("cannot read images");
			assertThat(assistant.conversations(ada())).hasSize(conversations);
		}
		assertThat(embedded).as("the embedded engine's model is offered").isPresent();
		assertThat(asked("run this")).isFalse();
		assertThat(asked("what is this")).isFalse();
	}
}
