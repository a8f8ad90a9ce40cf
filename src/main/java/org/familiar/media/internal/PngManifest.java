package org.familiar.media.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * A manifest in a PNG: an {@code iTXt} chunk with the keyword {@value #KEYWORD} before
 * {@code IEND}, the JWS as its uncompressed text. Readers that do not know it skip it (an ancillary
 * chunk); the file without it is, byte for byte, the one that was signed.
 */
public final class PngManifest {

	public static final String KEYWORD = "familiar-manifest";

	private static final byte[] SIGNATURE = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	private PngManifest() {
	}

	public static boolean isPng(byte[] file) {
		if (file.length < SIGNATURE.length + 12) {
			return false;
		}
		for (int i = 0; i < SIGNATURE.length; i++) {
			if (file[i] != SIGNATURE[i]) {
				return false;
			}
		}
		return true;
	}

	/** The file with the manifest chunk added before {@code IEND}. */
	public static byte[] embed(byte[] png, String jws) {
		int iend = find(png, "IEND");
		if (iend < 0) {
			throw new IllegalArgumentException("The PNG has no IEND chunk");
		}
		var text = new ByteArrayOutputStream();
		text.writeBytes(KEYWORD.getBytes(StandardCharsets.ISO_8859_1));
		text.write(0); // end of keyword
		text.write(0); // not compressed
		text.write(0); // compression method
		text.write(0); // no language tag
		text.write(0); // no translated keyword
		text.writeBytes(jws.getBytes(StandardCharsets.UTF_8));
		var out = new ByteArrayOutputStream(png.length + text.size() + 12);
		out.write(png, 0, iend);
		out.writeBytes(chunk("iTXt", text.toByteArray()));
		out.write(png, iend, png.length - iend);
		return out.toByteArray();
	}

	/** The manifest's JWS and the file without it, or {@code null} if it has none. */
	public static Stripped strip(byte[] png) {
		int at = SIGNATURE.length;
		while (at + 12 <= png.length) {
			int length = ByteBuffer.wrap(png, at, 4).getInt();
			if (length < 0 || at + 12L + length > png.length) {
				break;
			}
			var type = new String(png, at + 4, 4, StandardCharsets.ISO_8859_1);
			if (type.equals("iTXt") && startsWithKeyword(png, at + 8, length)) {
				int textStart = at + 8 + KEYWORD.length() + 5;
				var jws = new String(png, textStart, at + 8 + length - textStart, StandardCharsets.UTF_8);
				var rest = new ByteArrayOutputStream(png.length);
				rest.write(png, 0, at);
				rest.write(png, at + 12 + length, png.length - at - 12 - length);
				return new Stripped(jws, rest.toByteArray());
			}
			at += 12 + length;
		}
		return new Stripped(null, png);
	}

	/** A file's manifest ({@code null} if none) and the file without it. */
	public record Stripped(@Nullable String jws, byte[] content) {
	}

	private static boolean startsWithKeyword(byte[] png, int data, int length) {
		var keyword = KEYWORD.getBytes(StandardCharsets.ISO_8859_1);
		if (length < keyword.length + 5) {
			return false;
		}
		for (int i = 0; i < keyword.length; i++) {
			if (png[data + i] != keyword[i]) {
				return false;
			}
		}
		return png[data + keyword.length] == 0 && png[data + keyword.length + 1] == 0;
	}

	private static int find(byte[] png, String wanted) {
		int at = SIGNATURE.length;
		while (at + 12 <= png.length) {
			int length = ByteBuffer.wrap(png, at, 4).getInt();
			if (length < 0 || at + 12L + length > png.length) {
				return -1;
			}
			if (new String(png, at + 4, 4, StandardCharsets.ISO_8859_1).equals(wanted)) {
				return at;
			}
			at += 12 + length;
		}
		return -1;
	}

	private static byte[] chunk(String type, byte[] data) {
		var typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
		var crc = new CRC32();
		crc.update(typeBytes);
		crc.update(data);
		return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue())
			.array();
	}
}
