package dev.strata.image.layer;

import dev.strata.image.UnsafeLayerException;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 17 point 8: malformed numbers in a layer's headers are an {@link UnsafeLayerException} naming the field, never
 * a NumberFormatException, DateTimeException or IllegalArgumentException escaping as exit 1; the refused entry leaves
 * nothing in the target.
 */
class HostileTarNumbersTest {
    @TempDir
    Path tmp;

    record Attack(String name, String field, Supplier<byte[]> layer) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static byte[] paxThenFile(String... records) {
        StringBuilder data = new StringBuilder();
        for (String r : records) {
            data.append(r);
        }
        return new TarBuilder().entry("PaxHeaders/f").type('x').data(data.toString()).add()
                .file("f", "content").end().bytes();
    }

    private static String record(String key, String value) {
        return new String(TarBuilder.paxRecord(key, value.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    static List<Attack> attacks() {
        byte[] base256Mtime = new byte[12];
        base256Mtime[0] = (byte) 0x80;
        for (int i = 1; i < 12; i++) {
            base256Mtime[i] = (byte) 0x7f; // about 2^87 seconds: far past Instant.MAX
        }
        return List.of(
                new Attack("pax record length of 10 digits", "pax record length",
                        () -> paxThenFile("1234567890 path=x\n")),
                new Attack("pax record length of 11 digits", "pax record length",
                        () -> paxThenFile("12345678901 path=x\n")),
                new Attack("pax record length of 19 digits", "pax record length",
                        () -> paxThenFile("9223372036854775807 path=x\n")),
                new Attack("pax size of 19 digits", "size",
                        () -> paxThenFile(record("size", "9999999999999999999"))),
                new Attack("pax uid of 19 digits", "uid",
                        () -> paxThenFile(record("uid", "9999999999999999999"))),
                new Attack("pax mtime beyond Instant's range", "mtime",
                        () -> paxThenFile(record("mtime", "99999999999999999"))),
                new Attack("pax atime beyond Instant's range", "atime",
                        () -> paxThenFile(record("atime", "99999999999999999.5"))),
                new Attack("base-256 mtime beyond Instant's range", "mtime",
                        () -> new TarBuilder().entry("f").data("x").rawField(136, base256Mtime).add().end().bytes()),
                new Attack("libarchive xattr with a bad %-escape", "%-escape",
                        () -> paxThenFile(record("LIBARCHIVE.xattr.user.%zz", "dmFsdWU="))),
                new Attack("GNU sparse realsize of 19 digits", "realsize",
                        () -> paxThenFile(record("GNU.sparse.major", "1"), record("GNU.sparse.minor", "0"),
                                record("GNU.sparse.name", "f"), record("GNU.sparse.realsize", "9999999999999999999"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void malformedNumbersAreRefusedNamingTheField(Attack attack) throws Exception {
        Path target = Files.createDirectory(tmp.resolve("target"));
        byte[] layer = attack.layer().get();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                assertThatThrownBy(() -> new LayerApplier().apply(new ByteArrayInputStream(layer), target))
                        .isInstanceOf(UnsafeLayerException.class)
                        .hasMessageContaining(attack.field()));
        try (var s = Files.list(target)) {
            assertThat(s.toList()).as("the refused entry left nothing").isEmpty();
        }
    }
}
