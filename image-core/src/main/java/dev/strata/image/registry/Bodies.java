package dev.strata.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/** Bounded reads of response bodies: a body is never trusted to be as small as its Content-Length says. */
final class Bodies {
    private Bodies() {
    }

    /** Reads at most {@code cap} bytes; returns null when the body is longer (the stream is closed either way). */
    static byte[] readCapped(InputStream in, int cap) throws IOException {
        try (in) {
            byte[] data = in.readNBytes(cap + 1);
            return data.length > cap ? null : data;
        }
    }

    /** Reads up to {@code cap} bytes for an error message, discarding the rest. */
    static byte[] readForError(InputStream in, int cap) {
        try (in) {
            return in.readNBytes(cap);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    static void discard(InputStream in) {
        try (in) {
            // Drain a little so a keep-alive connection can be reused; give up on anything large.
            in.readNBytes(64 * 1024);
        } catch (IOException ignored) {
            // the connection is simply not reused
        }
    }

    static OptionalLong contentLength(java.net.http.HttpHeaders headers) {
        return headers.firstValueAsLong("Content-Length");
    }
}
