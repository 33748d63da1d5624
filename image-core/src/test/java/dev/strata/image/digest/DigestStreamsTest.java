package dev.strata.image.digest;

import dev.strata.image.DigestMismatchException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** VerifyingInputStream and DigestingInputStream: every byte hashed whichever way it is read, mismatches named. */
class DigestStreamsTest {
    private static final byte[] CONTENT = "the quick brown fox jumps over the lazy dog\n".repeat(500)
            .getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.sha256(CONTENT);

    /** How a consumer reads the stream to its end. */
    enum ReadStyle {
        BULK, SINGLE_BYTES, SKIP_THEN_BULK;

        void drain(InputStream in) throws IOException {
            byte[] buf = new byte[777];
            switch (this) {
                case BULK -> {
                    while (in.read(buf, 0, buf.length) >= 0) {
                        // drain
                    }
                }
                case SINGLE_BYTES -> {
                    while (in.read() >= 0) {
                        // drain
                    }
                }
                case SKIP_THEN_BULK -> {
                    assertThat(in.skip(1000)).isEqualTo(1000);
                    while (in.read(buf, 0, buf.length) >= 0) {
                        // drain
                    }
                }
            }
        }
    }

    static Stream<Arguments> verifyingCases() {
        byte[] shorter = Arrays.copyOf(CONTENT, CONTENT.length - 1);
        byte[] longer = Arrays.copyOf(CONTENT, CONTENT.length + 1);
        byte[] flipped = CONTENT.clone();
        flipped[100] ^= 1;
        return Stream.of(ReadStyle.values()).flatMap(style -> Stream.of(
                Arguments.of(style, "exact", CONTENT, CONTENT.length, null),
                Arguments.of(style, "size unknown", CONTENT, -1, null),
                Arguments.of(style, "one byte short", shorter, CONTENT.length, "bytes, expected"),
                Arguments.of(style, "one byte long", longer, CONTENT.length, "longer than the expected"),
                Arguments.of(style, "one bit flipped", flipped, CONTENT.length, "digest mismatch"),
                Arguments.of(style, "flipped, size unknown", flipped, -1, "digest mismatch")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("verifyingCases")
    void verifyingStreamAcceptsOnlyTheExactContent(ReadStyle style, String name, byte[] served, long size,
                                                   String error) throws IOException {
        VerifyingInputStream in = new VerifyingInputStream(new ByteArrayInputStream(served), DIGEST, size);
        if (error == null) {
            style.drain(in);
            assertThat(in.verified()).isTrue();
        } else {
            assertThatThrownBy(() -> style.drain(in)).isInstanceOf(DigestMismatchException.class)
                    .hasMessageContaining(error);
            assertThat(in.verified()).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("styles")
    void digestingStreamHashesEveryByteHoweverRead(ReadStyle style) throws IOException {
        DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(CONTENT), DigestAlgorithm.SHA256);
        style.drain(in);
        assertThat(in.atEof()).isTrue();
        assertThat(in.size()).isEqualTo(CONTENT.length);
        assertThat(in.digest()).isEqualTo(DIGEST);
    }

    static Stream<ReadStyle> styles() {
        return Stream.of(ReadStyle.values());
    }

    @Test
    void drainAndDigestCoversWhatWasNotRead() throws IOException {
        DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(CONTENT), DigestAlgorithm.SHA256);
        assertThat(in.read(new byte[10])).isEqualTo(10);
        assertThat(in.drainAndDigest()).isEqualTo(DIGEST);
    }

    @Test
    void markAndResetAreRefusedSoNoByteIsHashedTwice() {
        InputStream in = new VerifyingInputStream(new ByteArrayInputStream(CONTENT), DIGEST, CONTENT.length);
        assertThat(in.markSupported()).isFalse();
        in.mark(100);
        assertThatThrownBy(in::reset).isInstanceOf(IOException.class).hasMessageContaining("not supported");
    }
}
