package org.familiar.media.internal;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;

/**
 * A 64-bit difference hash (dHash) of an image: the picture scaled to 9×8 grey pixels, one bit per
 * pair of neighbours saying which is brighter. Re-encoding, resizing or a changed colour balance
 * keeps it within a few bits, so a reference image is recognised in another file; a different
 * picture differs in about half of them.
 */
public final class ImageHash {

	/** At most this many differing bits is the same picture. */
	public static final int SAME_PICTURE = 10;

	private ImageHash() {
	}

	/** The hash, or {@code null} if the bytes are no image the JDK can read (PNG, JPEG, GIF, BMP). */
	public static @Nullable Long of(byte[] bytes) {
		BufferedImage image;
		try {
			image = ImageIO.read(new ByteArrayInputStream(bytes));
		}
		catch (IOException | RuntimeException unreadable) {
			return null;
		}
		if (image == null) {
			return null;
		}
		var small = new BufferedImage(9, 8, BufferedImage.TYPE_BYTE_GRAY);
		var g = small.createGraphics();
		g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
		g.drawImage(image, 0, 0, 9, 8, null);
		g.dispose();
		long hash = 0;
		var raster = small.getRaster();
		for (int y = 0; y < 8; y++) {
			for (int x = 0; x < 8; x++) {
				hash <<= 1;
				if (raster.getSample(x, y, 0) < raster.getSample(x + 1, y, 0)) {
					hash |= 1;
				}
			}
		}
		return hash;
	}

	public static boolean samePicture(long a, long b) {
		return Long.bitCount(a ^ b) <= SAME_PICTURE;
	}
}
