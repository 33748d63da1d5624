package dev.strata.image.layer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ISA-L gzip decoder must give exactly what {@link GZIPInputStream} gives, however its input arrives and however
 * its output is read, and refuse what GZIPInputStream refuses. In CI ISA-L must be there (it is installed by
 * {@code .ci/run}); elsewhere the tests skip without it.
 */
class IsalGzipInputStreamTest {

    @BeforeAll
    static void needIsal() {
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(IsalGzipInputStream.loaded(), "libisal.so.2 must load in CI (apt-get install libisal2)");
        }
        assumeTrue(IsalGzipInputStream.loaded(), "ISA-L (libisal.so.2, Debian package libisal2) is not installed");
    }

    /** Payloads × encoders: each case is a gzip stream and what it decodes to. */
    static Stream<Arguments> streams() throws IOException {
        Random r = new Random(42);
        byte[] random = new byte[700_000];
        r.nextBytes(random);
        StringBuilder text = new StringBuilder();
        while (text.length() < 2_000_000) {
            text.append("usr/share/doc/package-").append(r.nextInt(500)).append("/changelog.Debian.gz\n");
        }
        byte[] words = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] zeros = new byte[3_000_000];
        byte[] mixed = concat(Arrays.copyOf(random, 100_000), words, Arrays.copyOf(zeros, 500_000));
        List<Arguments> cases = new ArrayList<>();
        for (Object[] payload : new Object[][] {{"empty", new byte[0]}, {"one byte", new byte[] {7}},
                {"random", random}, {"text", words}, {"zeros", zeros}, {"mixed", mixed}}) {
            byte[] data = (byte[]) payload[1];
            String name = (String) payload[0];
            for (int level : new int[] {0, 1, 6, 9}) {
                cases.add(Arguments.of(name + ", level " + level, jdkGzip(data, level), data));
            }
            cases.add(Arguments.of(name + ", header with name, comment, extra and header CRC",
                    gzipWithHeaderFields(data), data));
            byte[] half = Arrays.copyOf(data, data.length / 2);
            byte[] rest = Arrays.copyOfRange(data, data.length / 2, data.length);
            cases.add(Arguments.of(name + ", two members", concat(jdkGzip(half, 6), jdkGzip(rest, 1)), data));
            cases.add(Arguments.of(name + ", member then empty member",
                    concat(jdkGzip(data, 6), jdkGzip(new byte[0], 6)), data));
            cases.add(Arguments.of(name + ", trailing bytes that are not a member",
                    concat(jdkGzip(data, 6), "not gzip".getBytes(StandardCharsets.US_ASCII)), data));
            cases.add(Arguments.of(name + ", trailing zeros", concat(jdkGzip(data, 6), new byte[512]), data));
            cases.add(Arguments.of(name + ", trailing bytes that start like a member",
                    concat(jdkGzip(data, 6), new byte[] {0x1f, (byte) 0x8b, 9, 0, 0}), data));
            for (String[] tool : new String[][] {{"gzip", "-c", "-6"}, {"pigz", "-c", "-6"}, {"pigz", "-c", "-1", "-b", "32"}}) {
                byte[] encoded = externalGzip(data, tool);
                if (encoded != null) {
                    cases.add(Arguments.of(name + ", " + String.join(" ", tool), encoded, data));
                }
            }
        }
        // many small members, as eStargz writes one per file
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 300; i++) {
            byte[] file = Arrays.copyOfRange(words, i * 100, i * 100 + i);
            many.write(jdkGzip(file, 6));
            all.write(file);
        }
        cases.add(Arguments.of("300 small members", many.toByteArray(), all.toByteArray()));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void decodesWhatGzipInputStreamDecodes(String name, byte[] gz, byte[] expected) throws IOException {
        assertArrayEquals(expected, decodeWithJdk(gz, 1 << 20, 1 << 20), "the JDK disagrees with the test data");
        // the fallback without ISA-L (GZIPInputStream behind MemberBoundaryInputStream) with socket-sized pieces
        assertArrayEquals(expected, decodeWithJdk(gz, 1460, 65_536), "the zlib fallback, input in 1460-byte pieces");
        // input arriving in pieces of every size that matters (ISA-L keeps up to 8 bytes in its bit buffer),
        // output read in small and large requests
        int[][] shapes = {{1 << 20, 1 << 20}, {1, 1 << 16}, {3, 7}, {8, 1}, {9, 100_000}, {100, 4096},
                {65_536, 1}, {1460, 65_536}, {131_072, 262_144}, {131_073, 333}};
        for (int[] shape : shapes) {
            if (shape[0] < 64 && gz.length > 100_000) {
                continue; // a call per few bytes of a large stream takes long; the small streams cover these cuts
            }
            assertArrayEquals(expected, decodeWithIsal(gz, shape[0], shape[1]),
                    name + ": input pieces of " + shape[0] + ", reads of " + shape[1]);
        }
    }

    @Test
    void everyCutOfTheInputIsHandled() throws IOException {
        // Every input piece size from 1 to 40 against a stream whose member ends near piece boundaries.
        byte[] data = "a short payload that compresses a little, a little, a little".repeat(50)
                .getBytes(StandardCharsets.US_ASCII);
        byte[] gz = concat(jdkGzip(data, 9), jdkGzip(data, 1), jdkGzip(new byte[0], 6), jdkGzip(data, 0));
        byte[] expected = concat(data, data, data);
        for (int piece = 1; piece <= 40; piece++) {
            for (int readSize : new int[] {1, 5, 4096}) {
                assertArrayEquals(expected, decodeWithIsal(gz, piece, readSize), "pieces of " + piece);
            }
        }
    }

    @Test
    void inputInPiecesOfChangingSizeIsHandled() throws IOException {
        // A big piece, then pieces of 1 to 3 bytes: the bytes ISA-L holds at the end of a member may come from
        // several earlier pieces.
        byte[] data = "pieces of changing size ".repeat(2000).getBytes(StandardCharsets.US_ASCII);
        byte[] gz = concat(jdkGzip(data, 9), jdkGzip(data, 1), gzipWithHeaderFields(data), jdkGzip(new byte[0], 6),
                jdkGzip(data, 0));
        byte[] expected = concat(data, data, data, data);
        for (long seed = 0; seed < 40; seed++) {
            Random r = new Random(seed);
            try (InputStream in = new IsalGzipInputStream(Pieces.varying(new ByteArrayInputStream(gz), r))) {
                assertArrayEquals(expected, readAll(in, 1 + r.nextInt(70_000)), "seed " + seed);
            }
        }
    }

    @Test
    @Timeout(120)
    void manyEmptyMembersCostLittleEach() throws IOException {
        // A hostile blob of nothing but empty members must not cost more per member than its own bytes.
        byte[] member = jdkGzip(new byte[0], 6);
        byte[] gz = new byte[member.length * 200_000];
        for (int i = 0; i < 200_000; i++) {
            System.arraycopy(member, 0, gz, i * member.length, member.length);
        }
        assertArrayEquals(new byte[0], decodeWithIsal(gz, 1 << 17, 1 << 16));
    }

    @Test
    void aWrongCrcIsRefused() throws IOException {
        byte[] gz = jdkGzip("payload".repeat(1000).getBytes(StandardCharsets.US_ASCII), 6);
        gz[gz.length - 8] ^= 1;
        assertThrows(ZipException.class, () -> decodeWithJdk(gz, 1 << 20, 1 << 20));
        ZipException e = assertThrows(ZipException.class, () -> decodeWithIsal(gz, 1 << 20, 1 << 20));
        assertTrue(e.getMessage().contains("CRC-32"), e.getMessage());
    }

    @Test
    void aWrongLengthIsRefused() throws IOException {
        byte[] gz = jdkGzip("payload".repeat(1000).getBytes(StandardCharsets.US_ASCII), 6);
        gz[gz.length - 1] ^= 1;
        ZipException e = assertThrows(ZipException.class, () -> decodeWithIsal(gz, 1 << 20, 1 << 20));
        assertTrue(e.getMessage().contains("length"), e.getMessage());
    }

    @Test
    void aTruncatedStreamIsRefusedWherever_itIsCut() throws IOException {
        byte[] data = new byte[200_000];
        new Random(1).nextBytes(data);
        byte[] gz = gzipWithHeaderFields(data);
        for (int cut : new int[] {1, 2, 5, 10, 20, 40, 100, gz.length / 2, gz.length - 9, gz.length - 8,
                gz.length - 4, gz.length - 1}) {
            byte[] cutShort = Arrays.copyOf(gz, cut);
            assertThrows(IOException.class, () -> decodeWithJdk(cutShort, 1 << 20, 1 << 20), "JDK, cut at " + cut);
            IOException e = assertThrows(IOException.class, () -> decodeWithIsal(cutShort, 4096, 8192),
                    "cut at " + cut);
            assertTrue(e instanceof EOFException || e instanceof ZipException, e.toString());
        }
    }

    @Test
    void corruptDeflateDataIsRefused() throws IOException {
        byte[] data = new byte[300_000];
        new Random(2).nextBytes(data);
        for (int i = 0; i < data.length; i += 3) {
            data[i] = 'x'; // compressible enough for Huffman blocks
        }
        byte[] gz = jdkGzip(data, 6);
        int refused = 0;
        for (int at = 20; at < gz.length - 8; at += gz.length / 37) {
            byte[] bad = gz.clone();
            bad[at] ^= (byte) 0x5a;
            boolean jdkRefuses = refuses(() -> decodeWithJdk(bad, 1 << 20, 1 << 20));
            assertEquals(jdkRefuses, refuses(() -> decodeWithIsal(bad, 65_536, 65_536)), "byte " + at + " changed");
            refused += jdkRefuses ? 1 : 0;
        }
        assertTrue(refused > 30, "most corruptions should be refused, were " + refused);
    }

    @Test
    void notGzipIsRefused() throws IOException {
        assertThrows(ZipException.class, () -> decodeWithIsal("plain text".getBytes(StandardCharsets.US_ASCII),
                1 << 20, 1 << 20));
        assertThrows(EOFException.class, () -> new IsalGzipInputStream(new ByteArrayInputStream(new byte[0])));
        byte[] method9 = jdkGzip(new byte[10], 6);
        method9[2] = 9;
        assertThrows(ZipException.class, () -> decodeWithIsal(method9, 1 << 20, 1 << 20));
    }

    @Test
    void compressionUsesIsalForGzip() throws IOException {
        try (InputStream in = Compression.GZIP.decompress(new ByteArrayInputStream(jdkGzip(new byte[1], 6)))) {
            assertTrue(in instanceof IsalGzipInputStream, in.getClass().getName());
        }
        assertEquals("ISA-L (libisal.so.2)", Compression.gzipDecoder());
    }

    private interface Decode {
        void run() throws IOException;
    }

    private static boolean refuses(Decode d) {
        try {
            d.run();
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    static byte[] decodeWithIsal(byte[] gz, int piece, int readSize) throws IOException {
        try (InputStream in = new IsalGzipInputStream(new Pieces(new ByteArrayInputStream(gz), piece))) {
            return readAll(in, readSize);
        }
    }

    static byte[] decodeWithJdk(byte[] gz, int piece, int readSize) throws IOException {
        try (InputStream in = new GZIPInputStream(new MemberBoundaryInputStream(
                new Pieces(new ByteArrayInputStream(gz), piece)))) {
            return readAll(in, readSize);
        }
    }

    private static byte[] readAll(InputStream in, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[readSize];
        int n;
        if (readSize == 1) {
            while ((n = in.read()) >= 0) {
                out.write(n);
            }
        } else {
            while ((n = in.read(buf, 0, buf.length)) >= 0) {
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    static byte[] jdkGzip(byte[] data, int level) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes) {
            {
                def.setLevel(level);
            }
        }) {
            gz.write(data);
        }
        return bytes.toByteArray();
    }

    /** A member with FEXTRA, FNAME, FCOMMENT and FHCRC set, deflated by the JDK. */
    static byte[] gzipWithHeaderFields(byte[] data) throws IOException {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(new byte[] {0x1f, (byte) 0x8b, 8, 2 | 4 | 8 | 16, 1, 2, 3, 4, 0, 3});
        h.write(new byte[] {5, 0, 'S', 'x', 2, 0, 'z'}); // XLEN 5, one subfield
        h.write("layer.tar\0".getBytes(StandardCharsets.ISO_8859_1));
        h.write("made in a test\0".getBytes(StandardCharsets.ISO_8859_1));
        CRC32 headerCrc = new CRC32();
        headerCrc.update(h.toByteArray());
        int hcrc = (int) headerCrc.getValue();
        h.write(new byte[] {(byte) hcrc, (byte) (hcrc >>> 8)});
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DeflaterOutputStream d = new DeflaterOutputStream(raw, new Deflater(6, true))) {
            d.write(data);
        }
        h.write(raw.toByteArray());
        CRC32 crc = new CRC32();
        crc.update(data);
        int c = (int) crc.getValue();
        int size = data.length;
        h.write(new byte[] {(byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24),
                (byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24)});
        return h.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** gzip bytes of {@code data} from an external encoder, or null when it is not installed. */
    static byte[] externalGzip(byte[] data, String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException notInstalled) {
            return null;
        }
        Thread feeder = new Thread(() -> {
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.write(data);
            } catch (IOException ignored) {
                // the process ended early; its exit code tells
            }
        });
        feeder.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            feeder.join();
            assertEquals(0, p.waitFor(), String.join(" ", command));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out;
    }

    /** Hands out at most the next piece size of bytes per read, as a socket between packets does. */
    static final class Pieces extends FilterInputStream {
        private final IntSupplier pieces;

        Pieces(InputStream in, int piece) {
            this(in, () -> piece);
        }

        Pieces(InputStream in, IntSupplier pieces) {
            super(in);
            this.pieces = pieces;
        }

        /** Pieces of a random size: mostly 1 to 3 bytes, now and then a large one. */
        static Pieces varying(InputStream in, Random random) {
            return new Pieces(in, () -> random.nextInt(10) == 0 ? 1 + random.nextInt(200_000) : 1 + random.nextInt(3));
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, pieces.getAsInt()));
        }

        @Override
        public int available() {
            return 0;
        }
    }
}
