package dev.strata.image.model;

import dev.strata.image.ErrorKind;
import dev.strata.image.InvalidPlatformException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Covers platform parsing, normalization of architecture spellings, compatibility ranking and the host platform. */
class PlatformTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "linux/amd64,        linux/amd64",
            "linux/x86_64,       linux/amd64",
            "linux/x86-64,       linux/amd64",
            "Linux/AMD64,        linux/amd64",
            "linux/amd64/v1,     linux/amd64",
            "linux/amd64/v3,     linux/amd64/v3",
            "linux/aarch64,      linux/arm64",
            "linux/arm64,        linux/arm64",
            "linux/arm64/v8,     linux/arm64",
            "linux/arm64/8,      linux/arm64",
            "linux/aarch64/v8,   linux/arm64",
            "linux/arm,          linux/arm/v7",
            "linux/arm/7,        linux/arm/v7",
            "linux/arm/v6,       linux/arm/v6",
            "linux/arm/v5,       linux/arm/v5",
            "linux/armhf,        linux/arm/v7",
            "linux/armel,        linux/arm/v6",
            "linux/i686,         linux/386",
            "linux/s390x,        linux/s390x",
            "linux/ppc64le,      linux/ppc64le",
            "windows/amd64,      windows/amd64",
    })
    void parsesAndNormalizes(String input, String expected) {
        Platform p = Platform.parse(input);
        assertThat(p.toString()).isEqualTo(expected);
        assertThat(Platform.parse(expected)).isEqualTo(p);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"linux", "linux/", "/amd64", "linux//amd64", "linux/amd64/", "linux/amd64/v8/extra",
            "linux/amd 64", "linux/../etc", "linux/.hidden", "linux/amd64;rm", "lin\u00fcx/amd64"})
    void rejectsMalformed(String input) {
        assertThatThrownBy(() -> Platform.parse(input))
                .isInstanceOf(InvalidPlatformException.class)
                .hasMessageContaining("invalid platform '" + (input == null ? "" : input) + "'")
                .satisfies(e -> assertThat(((InvalidPlatformException) e).kind()).isEqualTo(ErrorKind.INVALID_ARGUMENT));
    }

    @Test
    void rejectsOverlongComponentWithAbbreviatedMessage() {
        String input = "linux/" + "a".repeat(5000);
        assertThatThrownBy(() -> Platform.parse(input)).isInstanceOf(InvalidPlatformException.class)
                .hasMessageContaining("5006 chars").satisfies(e -> assertThat(e.getMessage().length()).isLessThan(400));
    }

    @Test
    void arm64AndArm64v8AreEqualBothWays() {
        Platform plain = new Platform("linux", "arm64", null).normalized();
        Platform v8 = new Platform("linux", "aarch64", "v8").normalized();
        assertThat(plain).isEqualTo(v8);
        assertThat(v8).isEqualTo(plain);
        assertThat(plain.matches(new Platform("linux", "arm64", "v8"))).isTrue();
        assertThat(new Platform("linux", "arm64", "v8").matches(new Platform("linux", "aarch64", null))).isTrue();
    }

    @Test
    void constructorKeepsValuesButDropsEmptyVariant() {
        Platform p = new Platform("Linux", "aarch64", "", "", null);
        assertThat(p.os()).isEqualTo("Linux");
        assertThat(p.architecture()).isEqualTo("aarch64");
        assertThat(p.variant()).isNull();
        assertThat(p.osVersion()).isNull();
        assertThat(p.osFeatures()).isEmpty();
    }

    @ParameterizedTest(name = "{0} runs {1}: {2} (rank {3})")
    @CsvSource({
            "linux/amd64,    linux/amd64,    true,  0",
            "linux/amd64,    linux/x86_64,   true,  0",
            "linux/amd64,    linux/386,      false, -1",
            "linux/amd64,    windows/amd64,  false, -1",
            "linux/arm64,    linux/arm64/v8, true,  0",
            "linux/arm64,    linux/aarch64,  true,  0",
            "linux/arm64,    linux/arm/v7,   false, -1",
            "linux/arm64,    linux/arm/v8,   false, -1",
            "linux/arm/v8,   linux/arm/v8,   true,  0",
            "linux/arm/v8,   linux/arm/v7,   true,  1",
            "linux/arm/v8,   linux/arm/v6,   true,  2",
            "linux/arm/v8,   linux/arm/v5,   true,  3",
            "linux/arm/v7,   linux/arm,      true,  0",
            "linux/arm/v7,   linux/armhf,    true,  0",
            "linux/arm/v7,   linux/armel,    true,  1",
            "linux/arm/v7,   linux/arm/v8,   false, -1",
            "linux/arm/v6,   linux/arm/v7,   false, -1",
            "linux/arm/v5,   linux/arm/v6,   false, -1",
            "linux/amd64/v3, linux/amd64,    false, -1",
            "linux/s390x,    linux/s390x,    true,  0",
    })
    void matchesAndRanks(String host, String image, boolean matches, int rank) {
        Platform wanted = Platform.parse(host);
        Platform candidate = Platform.parse(image);
        assertThat(wanted.matches(candidate)).isEqualTo(matches);
        assertThat(wanted.rank(candidate)).isEqualTo(rank);
    }

    @Test
    void matchingNormalizesUnnormalizedRecords() {
        Platform wanted = new Platform("LINUX", "armhf", null);
        assertThat(wanted.matches(new Platform("linux", "arm", "6"))).isTrue();
        assertThat(wanted.rank(new Platform("linux", "arm", "6"))).isEqualTo(1);
    }

    @Test
    void hostAgreesWithUname() throws IOException, InterruptedException {
        Platform host = Platform.host();
        assertThat(host).isEqualTo(host.normalized());
        if (System.getProperty("os.name").equals("Linux")) {
            Process uname = new ProcessBuilder("uname", "-m").redirectErrorStream(true).start();
            String machine = new String(uname.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(uname.waitFor()).isZero();
            assertThat(host.os()).isEqualTo("linux");
            assertThat(host.architecture()).isEqualTo(new Platform("linux", machine).normalized().architecture());
            assertThat(List.of("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"))
                    .contains(host.architecture());
        }
    }
}
