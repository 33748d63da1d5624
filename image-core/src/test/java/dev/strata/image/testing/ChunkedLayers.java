package dev.strata.image.testing;

import com.github.luben.zstd.Zstd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Layer blobs in the shapes lazy-pulling formats give them, which ordinary clients must still read as plain
 * compressed tars: eStargz (one gzip member per tar part, an empty member as footer) and zstd:chunked (one zstd frame
 * per part, skippable frames holding its manifest).
 */
public final class ChunkedLayers {
    private ChunkedLayers() {
    }

    /**
     * A tar in parts: {@code files} files {@code f0..} (file i holds "content of file i" and i % 7 newlines), then,
     * like eStargz, a TOC entry {@code stargz.index.json}, then the end-of-archive marker.
     */
    public static List<byte[]> sampleParts(int files) {
        List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            parts.add(new TarBuilder().file("f" + i, "content of file " + i + "\n".repeat(i % 7)).bytes());
        }
        parts.add(new TarBuilder().file("stargz.index.json", "{\"version\":1,\"entries\":[]}").bytes());
        parts.add(new byte[1024]);
        return parts;
    }

    /** One gzip member per part, then an empty member, as eStargz's footer is. */
    public static byte[] perMemberGzip(List<byte[]> parts) throws IOException {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            blob.write(gzipMember(p));
        }
        blob.write(gzipMember(new byte[0]));
        return blob.toByteArray();
    }

    /** One zstd frame per part, with a skippable frame after every tenth part (and the first). */
    public static byte[] perFrameZstd(List<byte[]> parts) {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        for (int i = 0; i < parts.size(); i++) {
            blob.writeBytes(Zstd.compress(parts.get(i), 3));
            if (i % 10 == 0) {
                byte[] payload = ("manifest chunk " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ByteBuffer skippable = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
                skippable.putInt(0x184D2A50 + (i % 16)).putInt(payload.length).put(payload);
                blob.writeBytes(skippable.array());
            }
        }
        return blob.toByteArray();
    }

    /** The parts joined: the uncompressed tar. */
    public static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static byte[] gzipMember(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
