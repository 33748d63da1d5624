package dev.strata.bench;

import dev.strata.image.digest.Digester;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Prints {@code sha256:<hex>} of one file, computed with {@link Digester} over a 1 MiB buffer. Used by
 * {@code compare-peers.sh digest} to time Strata's digest path as a whole command next to sha256sum and OpenSSL.
 */
public final class DigestFile {
    private DigestFile() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: DigestFile FILE");
        }
        Digester digester = Digester.sha256();
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digester.update(buffer, 0, n);
            }
        }
        System.out.println(digester.digest());
    }
}
