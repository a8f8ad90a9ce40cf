package org.familiar.assistant.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.text.PDFTextStripper;
import org.familiar.assistant.Attachment;
import org.familiar.assistant.InvalidChatException;
import org.jspecify.annotations.Nullable;

/**
 * Reads what a person attaches to a message: images as they are (PNG, JPEG, GIF, WebP: what
 * models that read images take), PDFs as their text (Apache PDFBox), and text files (UTF-8) as
 * text. Anything else, or anything too big, is refused with a message saying why.
 */
public final class AttachmentReader {

	/** The largest image or file a message takes, and how many. */
	public static final long MAX_BYTES = 10 * 1024 * 1024;

	public static final int MAX_ATTACHMENTS = 5;

	private static final Set<String> IMAGES = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

	private static final Set<String> TEXT_TYPES = Set.of("application/json", "application/xml", "application/x-yaml",
			"application/yaml", "application/javascript", "application/sql", "application/x-sh");

	private static final Set<String> TEXT_EXTENSIONS = Set.of("txt", "md", "markdown", "csv", "tsv", "json", "jsonl", "xml",
			"yaml", "yml", "html", "htm", "css", "js", "ts", "java", "py", "rb", "go", "rs", "c", "h", "cpp", "kt", "sql",
			"sh", "toml", "ini", "log", "tex");

	private AttachmentReader() {
	}

	/**
	 * @param mediaType what the browser said the file is (it may not know: then the name decides)
	 * @throws InvalidChatException if it is not an image, PDF or text file, is too big, or cannot be read
	 */
	public static Attachment read(@Nullable String name, @Nullable String mediaType, byte[] bytes) {
		var fileName = name == null || name.isBlank() ? "attachment" : clean(name);
		if (bytes.length == 0) {
			throw new InvalidChatException(fileName + " is empty.");
		}
		if (bytes.length > MAX_BYTES) {
			throw new InvalidChatException(fileName + " is " + megabytes(bytes.length) + "; a message takes files of up to "
					+ megabytes(MAX_BYTES) + ".");
		}
		var type = mediaType == null ? "" : mediaType.toLowerCase(Locale.ROOT).split(";")[0].strip();
		var sniffed = sniffImage(bytes);
		if (sniffed != null) {
			return new Attachment(UUID.randomUUID(), fileName, sniffed, bytes.length, bytes, null);
		}
		if (IMAGES.contains(type) || type.startsWith("image/")) {
			throw new InvalidChatException(fileName + " is not a PNG, JPEG, GIF or WebP image, the kinds models read.");
		}
		var extension = fileName.contains(".") ? fileName.substring(fileName.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
		if (type.equals("application/pdf") || extension.equals("pdf") || startsWith(bytes, "%PDF-")) {
			return new Attachment(UUID.randomUUID(), fileName, "application/pdf", bytes.length, null, pdfText(fileName, bytes));
		}
		if (type.startsWith("text/") || TEXT_TYPES.contains(type) || TEXT_EXTENSIONS.contains(extension)) {
			return new Attachment(UUID.randomUUID(), fileName, type.isEmpty() ? "text/plain" : type, bytes.length, null,
					utf8(fileName, bytes));
		}
		throw new InvalidChatException("Familiar reads images (PNG, JPEG, GIF, WebP), PDFs and text files; " + fileName
				+ " is none of those.");
	}

	private static String pdfText(String name, byte[] bytes) {
		try (var document = Loader.loadPDF(bytes)) {
			if (document.isEncrypted() && !document.getCurrentAccessPermission().canExtractContent()) {
				throw new InvalidChatException(name + " is protected: its text cannot be read.");
			}
			var text = new PDFTextStripper().getText(document).strip();
			if (text.isEmpty()) {
				throw new InvalidChatException(name + " has no text to read (a scan? attach its pages as images instead).");
			}
			return text;
		}
		catch (IOException ex) {
			throw new InvalidChatException(name + " could not be read as a PDF (" + ex.getMessage() + ").");
		}
	}

	private static String utf8(String name, byte[] bytes) {
		try {
			var text = StandardCharsets.UTF_8.newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(bytes))
				.toString();
			if (text.indexOf('\0') >= 0) {
				throw new InvalidChatException(name + " is not a text file.");
			}
			return text.startsWith("\uFEFF") ? text.substring(1) : text;
		}
		catch (CharacterCodingException ex) {
			throw new InvalidChatException(name + " is not UTF-8 text; save it as UTF-8, or attach it as a PDF.");
		}
	}

	/** The image type the bytes say, whatever the name or the browser said. */
	private static @Nullable String sniffImage(byte[] b) {
		if (b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
			return "image/png";
		}
		if (b.length > 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
			return "image/jpeg";
		}
		if (startsWith(b, "GIF87a") || startsWith(b, "GIF89a")) {
			return "image/gif";
		}
		if (b.length > 12 && startsWith(b, "RIFF") && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
			return "image/webp";
		}
		return null;
	}

	private static boolean startsWith(byte[] bytes, String prefix) {
		if (bytes.length < prefix.length()) {
			return false;
		}
		for (int i = 0; i < prefix.length(); i++) {
			if (bytes[i] != prefix.charAt(i)) {
				return false;
			}
		}
		return true;
	}

	/** A file name as the person sees it: no path, no control characters, at most 200 characters. */
	private static String clean(String name) {
		var base = name.replace('\\', '/');
		base = base.substring(base.lastIndexOf('/') + 1).replaceAll("\\p{Cntrl}", "").strip();
		if (base.isEmpty()) {
			return "attachment";
		}
		return base.length() > 200 ? base.substring(0, 200) : base;
	}

	private static String megabytes(long bytes) {
		return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0));
	}

	/**
	 * About how many tokens a text is to a model: four characters of Latin script a token, one
	 * token per character of other scripts (Chinese, Japanese, Thai… are about one a character).
	 */
	public static long tokens(String text) {
		long latin = 0;
		long other = 0;
		for (int i = 0; i < text.length(); ) {
			int cp = text.codePointAt(i);
			if (cp < 0x0250) {
				latin++;
			}
			else {
				other++;
			}
			i += Character.charCount(cp);
		}
		return (latin + 3) / 4 + other;
	}
}
