package dev.strata.image.fs;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** FileNames: the lossless bytes-to-String codec for names, its byte order and its one-line display. */
class FileNamesTest {

    static Stream<Arguments> names() {
        return Stream.of(
                Arguments.of("ascii", b("etc/passwd"), "etc/passwd", "etc/passwd"),
                Arguments.of("UTF-8", b("caf\u00e9"), "caf\u00e9", "caf\u00e9"),
                Arguments.of("Latin-1", new byte[] {'c', 'a', 'f', (byte) 0xe9}, "caf\udce9", "caf\\xe9"),
                Arguments.of("raw 0xff", new byte[] {(byte) 0xff}, "\udcff", "\\xff"),
                Arguments.of("newline", b("a\nb"), "a\nb", "a\\nb"),
                Arguments.of("backslash", b("a\\xffb"), "a\\xffb", "a\\\\xffb"),
                Arguments.of("trailing spaces", b("x y  "), "x y  ", "x y\\x20\\x20"),
                Arguments.of("tab, CR, DEL", b("\t\r\u007f"), "\t\r\u007f", "\\t\\r\\x7f"),
                Arguments.of("UTF-8 encoded surrogate", new byte[] {(byte) 0xed, (byte) 0xb3, (byte) 0xbf},
                        "\udced\udcb3\udcbf", "\\xed\\xb3\\xbf"),
                Arguments.of("overlong slash", new byte[] {(byte) 0xc0, (byte) 0xaf}, "\udcc0\udcaf", "\\xc0\\xaf"),
                Arguments.of("truncated sequence", new byte[] {'a', (byte) 0xe2, (byte) 0x82}, "a\udce2\udc82",
                        "a\\xe2\\x82"),
                Arguments.of("beyond U+10FFFF", new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                        "\udcf4\udc90\udc80\udc80", "\\xf4\\x90\\x80\\x80"),
                Arguments.of("emoji", b("\ud83d\ude00"), "\ud83d\ude00", "\ud83d\ude00"),
                Arguments.of("bidi override", b("a\u202eb"), "a\u202eb", "a\\u202eb"),
                Arguments.of("C1 control", b("a\u0085b"), "a\u0085b", "a\\u0085b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void decodesEncodesAndDisplays(String label, byte[] bytes, String decoded, String shown) {
        assertThat(FileNames.decode(bytes)).isEqualTo(decoded);
        assertThat(FileNames.encode(decoded)).isEqualTo(bytes);
        assertThat(FileNames.display(decoded)).isEqualTo(shown);
        assertThat(FileNames.isUtf8(bytes)).isEqualTo(!FileNames.hasEscapes(decoded));
        assertThat(FileNames.display(decoded)).doesNotContain("\n", "\r");
    }

    @Test
    void everyByteStringRoundTrips() {
        Random r = new Random(12);
        for (int n = 0; n < 200_000; n++) {
            byte[] b = new byte[r.nextInt(8)];
            for (int i = 0; i < b.length; i++) {
                // biased to the bytes UTF-8 is made of, so that valid and invalid sequences both occur
                int pick = r.nextInt(4);
                b[i] = (byte) (pick == 0 ? r.nextInt(0x80) : pick == 1 ? 0x80 + r.nextInt(0x40)
                        : pick == 2 ? 0xc0 + r.nextInt(0x38) : r.nextInt(256));
            }
            String s = FileNames.decode(b);
            assertThat(FileNames.encode(s)).as("bytes %s", java.util.HexFormat.of().formatHex(b)).isEqualTo(b);
            assertThat(FileNames.decode(FileNames.encode(s))).isEqualTo(s);
        }
    }

    @Test
    void ordersAsTheBytesDo() {
        Random r = new Random(4);
        List<byte[]> names = new ArrayList<>();
        for (int n = 0; n < 3000; n++) {
            byte[] b = new byte[1 + r.nextInt(4)];
            for (int i = 0; i < b.length; i++) {
                int pick = r.nextInt(4);
                b[i] = (byte) (pick == 0 ? '/' + r.nextInt(3) : pick == 1 ? 0x80 + r.nextInt(0x40)
                        : pick == 2 ? 0xc3 + r.nextInt(0x30) : 1 + r.nextInt(255));
            }
            names.add(b);
        }
        for (int i = 0; i + 1 < names.size(); i++) {
            byte[] a = names.get(i);
            byte[] b = names.get(i + 1);
            String sa = FileNames.decode(a);
            String sb = FileNames.decode(b);
            assertThat(Integer.signum(FileNames.compare(sa, sb, false)))
                    .as("%s vs %s", FileNames.display(sa), FileNames.display(sb))
                    .isEqualTo(Integer.signum(java.util.Arrays.compareUnsigned(a, b)));
            assertThat(Integer.signum(FileNames.compare(sa, sb, true)))
                    .isEqualTo(Integer.signum(java.util.Arrays.compareUnsigned(slashLowest(a), slashLowest(b))));
        }
    }

    @Test
    void aSurrogateThatStandsForNoByteIsRefused() {
        assertThatThrownBy(() -> FileNames.encode("a\ud800b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("U+D800");
        assertThatThrownBy(() -> FileNames.encode("\udc41")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nulIsStillRefusedOnTheWayToTheKernel() {
        assertThatThrownBy(() -> Native.cstr("a\0b")).hasMessageContaining("NUL");
        assertThat(Native.cstr("caf\udce9")).containsExactly('c', 'a', 'f', 0xe9, 0);
    }

    private static byte[] slashLowest(byte[] b) {
        byte[] c = b.clone();
        for (int i = 0; i < c.length; i++) {
            if (c[i] == '/') {
                c[i] = 0;
            }
        }
        return c;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
