package dev.strata.image.layer;

import dev.strata.image.InvalidImageException;
import dev.strata.image.UnsafeLayerException;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A tar file that holds images rather than a root file system: a {@code docker save} archive or an OCI layout packed
 * as an {@code oci-archive}. Such archives are never extracted: {@link #index} records where each regular file's data
 * starts, and {@link #open} reads it from there, so a multi-gigabyte archive is read once to index it and once per
 * blob copied, with nothing written to disk. The headers go through the same strict {@link TarReader} as layers.
 *
 * <p>Public for the transport package only; not API.
 */
public final class TarArchive {
    /** Files in an image archive: more than any image has, few enough that the index stays small. */
    public static final int MAX_MEMBERS = 100_000;

    private final Path file;
    private final Map<String, Member> members;

    /** A regular file in the archive: where its data starts and how long it is. */
    public record Member(String name, long offset, long size) {
    }

    private TarArchive(Path file, Map<String, Member> members) {
        this.file = file;
        this.members = members;
    }

    /**
     * Indexes the regular files of the uncompressed tar {@code file} by their cleaned names ({@code ./a/b} is
     * {@code a/b}); a name stored twice means its last copy, as tar extraction would.
     *
     * @throws InvalidImageException if the archive is not a tar, is compressed, or holds too many files
     */
    public static TarArchive index(Path file) throws IOException {
        Map<String, Member> members = new HashMap<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             CountingInputStream in = new CountingInputStream(Channels.newInputStream(ch))) {
            byte[] head = in.readNBytes(4);
            Compression c = Compression.detect(head, head.length);
            if (c != Compression.NONE) {
                throw new InvalidImageException(file + " is " + c.name().toLowerCase(java.util.Locale.ROOT)
                        + "-compressed; decompress it first (image archives are read in place)");
            }
            ch.position(0);
            in.count = 0;
            TarReader reader = new TarReader(in, TarLimits.DEFAULT);
            TarEntry e;
            while ((e = reader.next()) != null) {
                if (e.type() != TarType.REGULAR || e.isSparse()) {
                    continue;
                }
                if (members.size() >= MAX_MEMBERS) {
                    throw new InvalidImageException(file + " holds more than " + MAX_MEMBERS + " files");
                }
                String name = clean(e.name());
                members.put(name, new Member(name, in.count, e.size()));
            }
        } catch (UnsafeLayerException e) {
            throw new InvalidImageException(file + " is not a valid tar archive: " + e.getMessage(), e);
        }
        return new TarArchive(file, Collections.unmodifiableMap(members));
    }

    private static String clean(String name) {
        String n = name;
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        while (n.startsWith("/")) {
            n = n.substring(1);
        }
        return n;
    }

    /** The archive's file. */
    public Path file() {
        return file;
    }

    /** Every regular file, by cleaned name. */
    public Map<String, Member> members() {
        return members;
    }

    /** The member named {@code name} ({@code ./} prefixes ignored), or null. */
    public Member member(String name) {
        return members.get(clean(name));
    }

    /** The data of {@code m}: exactly {@code m.size()} bytes. */
    public InputStream open(Member m) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        if (ch.size() < m.offset() + m.size()) {
            ch.close();
            throw new InvalidImageException(file + " is truncated in " + m.name());
        }
        ch.position(m.offset());
        InputStream whole = Channels.newInputStream(ch);
        return new FilterInputStream(whole) {
            private long left = m.size();

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long s = Math.min(n, left);
                ch.position(ch.position() + s);
                left -= s;
                return s;
            }
        };
    }

    /** Writes an image archive: directories and regular files only, root-owned, time stamps as given. */
    public static final class Writer implements Closeable {
        private final TarWriter tar;
        private final long mtime;

        /** A writer onto {@code out}; every entry gets {@code mtimeSeconds}. */
        public Writer(OutputStream out, long mtimeSeconds) {
            this.tar = new TarWriter(out);
            this.mtime = mtimeSeconds;
        }

        public void directory(String name) throws IOException {
            tar.putEntry(entry(name.endsWith("/") ? name : name + "/", TarType.DIRECTORY, 0755, 0));
        }

        public void file(String name, byte[] data) throws IOException {
            tar.putEntry(entry(name, TarType.REGULAR, 0644, data.length));
            tar.write(data, 0, data.length);
        }

        /** A file of exactly {@code size} bytes read from {@code in}. */
        public void file(String name, long size, InputStream in) throws IOException {
            tar.putEntry(entry(name, TarType.REGULAR, 0644, size));
            byte[] buf = new byte[128 * 1024];
            long left = size;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException(name + ": content ended " + left + " bytes short of " + size);
                }
                tar.write(buf, 0, n);
                left -= n;
            }
        }

        private TarEntry entry(String name, TarType type, int mode, long size) {
            return new TarEntry(name, type, mode, 0, 0, size, size, mtime, 0, 0, 0, false, "", 0, 0, Map.of(),
                    java.util.List.of());
        }

        /** Writes the end-of-archive marker and closes the stream. */
        @Override
        public void close() throws IOException {
            tar.close();
        }
    }

    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }
}
