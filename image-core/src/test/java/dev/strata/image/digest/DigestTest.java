package dev.strata.image.digest;

import dev.strata.image.InvalidDigestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers the strict digest grammar and digest computation. */
class DigestTest {
    static final String EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void parsesSha256AndSha512() {
        Digest d = Digest.parse(EMPTY_SHA256);
        assertThat(d.algorithm()).isEqualTo(DigestAlgorithm.SHA256);
        assertThat(d.toString()).isEqualTo(EMPTY_SHA256);
        String sha512 = "sha512:" + "ab".repeat(64);
        assertThat(Digest.parse(sha512).algorithm()).isEqualTo(DigestAlgorithm.SHA512);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "sha256",
            "sha256:",
            ":abc",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
            "sha256:../../../../etc/passwd/e3b0c44298fc1c149afbf4c8996fb92427ae41e4",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
            "SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            " sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha512:abcd",
    })
    void rejectsInvalidDigestsNamingTheInput(String input) {
        assertThatThrownBy(() -> Digest.parse(input))
                .isInstanceOf(InvalidDigestException.class)
                .hasMessageContaining("'" + input.substring(0, Math.min(input.length(), 100)));
    }

    @Test
    void uppercaseIsCalledOut() {
        assertThatThrownBy(() -> Digest.parse(EMPTY_SHA256.toUpperCase().replace("SHA256", "sha256")))
                .hasMessageContaining("uppercase");
    }

    @Test
    void computesKnownVectors() {
        assertThat(Digest.sha256(new byte[0]).toString()).isEqualTo(EMPTY_SHA256);
        assertThat(Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).encoded())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        Digester d = Digester.sha256();
        d.update("a".getBytes(StandardCharsets.US_ASCII));
        d.update("bc".getBytes(StandardCharsets.US_ASCII));
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.digest()).isEqualTo(Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> Digest.parse(null)).isInstanceOf(InvalidDigestException.class);
    }
}
