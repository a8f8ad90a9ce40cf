package org.familiar.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.familiar.testing.MediaModelServer;
import org.junit.jupiter.api.Test;

/** The manifest's places in a PNG and an MP4: in and out again byte for byte, and readers unbothered. */
class ManifestFormatsTests {

	static final String JWS = "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln";

	@Test
	void aPngKeepsItsPictureAndGivesBackTheSignedBytes() throws Exception {
		var png = MediaModelServer.png("a picture");
		var signed = PngManifest.embed(png, JWS);
		assertThat(PngManifest.isPng(signed)).isTrue();
		var before = ImageIO.read(new ByteArrayInputStream(png));
		var after = ImageIO.read(new ByteArrayInputStream(signed));
		assertThat(after.getRGB(5, 5)).isEqualTo(before.getRGB(5, 5));
		var stripped = PngManifest.strip(signed);
		assertThat(stripped.jws()).isEqualTo(JWS);
		assertThat(stripped.content()).isEqualTo(png);
		assertThat(PngManifest.strip(png).jws()).isNull();
		assertThat(PngManifest.strip(png).content()).isEqualTo(png);
	}

	@Test
	void aDamagedPngIsReadAsCarryingNoManifest() throws Exception {
		var signed = PngManifest.embed(MediaModelServer.png("x"), JWS);
		var truncated = java.util.Arrays.copyOf(signed, 40);
		assertThat(PngManifest.strip(truncated).jws()).isNull();
		var huge = signed.clone();
		huge[8] = 0x7f; // the first chunk claims 2 GB
		assertThat(PngManifest.strip(huge).jws()).isNull();
		assertThat(PngManifest.isPng(new byte[] { 1, 2, 3 })).isFalse();
	}

	@Test
	void anMp4GetsABoxAtItsEndAndGivesBackTheSignedBytes() {
		var mp4 = MediaModelServer.mp4(4);
		var signed = Mp4Manifest.embed(mp4, JWS);
		assertThat(java.util.Arrays.copyOf(signed, mp4.length)).as("nothing before it moves").isEqualTo(mp4);
		var stripped = Mp4Manifest.strip(signed);
		assertThat(stripped.jws()).isEqualTo(JWS);
		assertThat(stripped.content()).isEqualTo(mp4);
		assertThat(Mp4Manifest.strip(mp4).jws()).isNull();
		var damaged = signed.clone();
		damaged[0] = 0x7f;
		assertThat(Mp4Manifest.strip(damaged).jws()).isNull();
	}

	@Test
	void theDifferenceHashTellsTheSamePictureFromAnother() throws Exception {
		var picture = MediaModelServer.png("the same");
		long hash = ImageHash.of(picture);
		var image = ImageIO.read(new ByteArrayInputStream(picture));
		var larger = new java.awt.image.BufferedImage(128, 128, java.awt.image.BufferedImage.TYPE_INT_RGB);
		var g = larger.createGraphics();
		g.drawImage(image, 0, 0, 128, 128, null);
		g.dispose();
		var jpeg = new java.io.ByteArrayOutputStream();
		ImageIO.write(larger, "jpeg", jpeg);
		assertThat(ImageHash.samePicture(hash, ImageHash.of(jpeg.toByteArray()))).isTrue();
		int same = 0;
		for (int i = 0; i < 100; i++) {
			if (ImageHash.samePicture(hash, ImageHash.of(MediaModelServer.png("other " + i)))) {
				same++;
			}
		}
		assertThat(same).as("other pictures taken for it").isZero();
		assertThat(ImageHash.of("not an image".getBytes())).isNull();
	}
}
