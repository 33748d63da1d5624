package dev.strata.image.layer;

import dev.strata.image.digest.Digester;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Passes bytes through to a target while a {@link Digester} hashes and counts them. */
final class DigestingOutputStream extends FilterOutputStream {
    private final Digester digester;
    private final boolean closeTarget;

    /** @param closeTarget false to leave the caller's stream open (it is flushed instead) */
    DigestingOutputStream(OutputStream target, Digester digester, boolean closeTarget) {
        super(target);
        this.digester = digester;
        this.closeTarget = closeTarget;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        digester.update(new byte[] {(byte) b});
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digester.update(b, off, len);
    }

    @Override
    public void close() throws IOException {
        if (closeTarget) {
            out.close();
        } else {
            out.flush();
        }
    }
}
