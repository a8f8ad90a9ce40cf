package org.familiar.media.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * A manifest in an MP4 (ISO base media file): a top-level {@code uuid} box with Familiar's own
 * extended type, holding the JWS, appended at the end of the file. Players skip unknown boxes, and
 * appending moves no sample offset ({@code stco}), so the video plays as before; the file without
 * the box is, byte for byte, the one that was signed.
 */
public final class Mp4Manifest {

	/** The box's extended type: {@code UUID.nameUUIDFromBytes("familiar-manifest")}. */
	static final UUID EXTENDED_TYPE = UUID.nameUUIDFromBytes("familiar-manifest".getBytes(StandardCharsets.US_ASCII));

	private Mp4Manifest() {
	}

	/** Whether the file starts as an ISO base media file does (an {@code ftyp} box first). */
	public static boolean isMp4(byte[] file) {
		return file.length >= 12 && new String(file, 4, 4, StandardCharsets.ISO_8859_1).equals("ftyp");
	}

	public static byte[] embed(byte[] mp4, String jws) {
		var payload = jws.getBytes(StandardCharsets.UTF_8);
		var box = ByteBuffer.allocate(8 + 16 + payload.length)
			.putInt(8 + 16 + payload.length)
			.put("uuid".getBytes(StandardCharsets.ISO_8859_1))
			.putLong(EXTENDED_TYPE.getMostSignificantBits())
			.putLong(EXTENDED_TYPE.getLeastSignificantBits())
			.put(payload)
			.array();
		var out = new ByteArrayOutputStream(mp4.length + box.length);
		out.writeBytes(mp4);
		out.writeBytes(box);
		return out.toByteArray();
	}

	public static PngManifest.Stripped strip(byte[] mp4) {
		int at = 0;
		while (at + 8 <= mp4.length) {
			long size = Integer.toUnsignedLong(ByteBuffer.wrap(mp4, at, 4).getInt());
			int header = 8;
			if (size == 1) {
				if (at + 16 > mp4.length) {
					break;
				}
				size = ByteBuffer.wrap(mp4, at + 8, 8).getLong();
				header = 16;
			}
			else if (size == 0) {
				size = mp4.length - at;
			}
			if (size < header || at + size > mp4.length) {
				break;
			}
			var type = new String(mp4, at + 4, 4, StandardCharsets.ISO_8859_1);
			if (type.equals("uuid") && size >= header + 16) {
				var buffer = ByteBuffer.wrap(mp4, at + header, 16);
				var extended = new UUID(buffer.getLong(), buffer.getLong());
				if (extended.equals(EXTENDED_TYPE)) {
					int start = at + header + 16;
					var jws = new String(mp4, start, (int) (at + size - start), StandardCharsets.UTF_8);
					var rest = new ByteArrayOutputStream(mp4.length);
					rest.write(mp4, 0, at);
					rest.write(mp4, (int) (at + size), (int) (mp4.length - at - size));
					return new PngManifest.Stripped(jws, rest.toByteArray());
				}
			}
			at += (int) size;
		}
		return new PngManifest.Stripped(null, mp4);
	}
}
