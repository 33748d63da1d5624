package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.progress.ProgressEvent;
import dev.strata.image.progress.ProgressListener;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows pull progress on stderr. On a terminal: finished blobs as permanent lines and one status line for the blobs
 * in flight, redrawn in place with {@code \r} (at most every {@value #TTY_REDRAW_MS} ms). Elsewhere (logs, pipes):
 * plain lines, at most one per blob per second while downloading, plus one when a blob is done.
 */
final class ProgressPrinter implements ProgressListener {
    static final long TTY_REDRAW_MS = 100;
    static final long PLAIN_INTERVAL_MS = 1000;
    private static final int STATUS_WIDTH = 120;

    private final PrintStream out;
    private final boolean tty;
    private final LongSupplier nanoTime;
    /** Blobs in flight: digest → (bytes, total). */
    private final Map<Digest, long[]> active = new LinkedHashMap<>();
    private final Map<Digest, Long> lastPrinted = new LinkedHashMap<>();
    private long lastRedraw = Long.MIN_VALUE;
    private boolean statusShown;

    ProgressPrinter(PrintStream out, boolean tty, LongSupplier nanoTime) {
        this.out = out;
        this.tty = tty;
        this.nanoTime = nanoTime;
    }

    /** For stderr: terminal mode when the JVM has a console. */
    static ProgressPrinter forStderr() {
        return new ProgressPrinter(System.err, System.console() != null, System::nanoTime);
    }

    @Override
    public synchronized void onEvent(ProgressEvent event) {
        if (event instanceof ProgressEvent.Resolved r) {
            line("Resolved " + r.reference() + " to " + r.manifestDigest());
        } else if (event instanceof ProgressEvent.AlreadyExists a) {
            line("Blob " + a.digest().shortHex() + " already exists");
        } else if (event instanceof ProgressEvent.Downloading d) {
            transferring(d.digest(), d.bytes(), d.total());
        } else if (event instanceof ProgressEvent.Uploading u) {
            transferring(u.digest(), u.bytes(), u.total());
        } else if (event instanceof ProgressEvent.Done d) {
            long[] state = active.remove(d.digest());
            lastPrinted.remove(d.digest());
            line("Blob " + d.digest().shortHex() + " done" + (state != null ? " (" + bytes(state[1]) + ")" : ""));
        } else if (event instanceof ProgressEvent.Extracting e) {
            line("Extracting " + e.digest().shortHex());
        }
        // Verifying is brief and followed by Done: not worth a line.
    }

    /** Ends the status line, if one is shown: call once the pull is over, successful or not. */
    synchronized void finish() {
        if (tty && statusShown) {
            out.print("\r\033[K");
            statusShown = false;
        }
        out.flush();
    }

    private void transferring(Digest digest, long bytesDone, long total) {
        active.put(digest, new long[] {bytesDone, total});
        long now = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong());
        if (tty) {
            if (lastRedraw == Long.MIN_VALUE || now - lastRedraw >= TTY_REDRAW_MS) {
                lastRedraw = now;
                drawStatus();
            }
            return;
        }
        Long last = lastPrinted.get(digest);
        if (last == null || now - last >= PLAIN_INTERVAL_MS) {
            lastPrinted.put(digest, now);
            out.println("Blob " + digest.shortHex() + " " + bytes(bytesDone) + " / " + bytes(total));
        }
    }

    /** A permanent line; on a terminal the status line is cleared first and drawn again below it. */
    private void line(String text) {
        if (tty && statusShown) {
            out.print("\r\033[K");
        }
        out.println(text);
        statusShown = false;
        if (tty && !active.isEmpty()) {
            drawStatus();
        }
    }

    private void drawStatus() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Digest, long[]> e : active.entrySet()) {
            long[] s = e.getValue();
            int pct = s[1] > 0 ? (int) (100 * s[0] / s[1]) : 0;
            sb.append(sb.length() == 0 ? "" : "  ").append(e.getKey().shortHex()).append(' ').append(pct).append('%');
        }
        String status = sb.length() > STATUS_WIDTH ? sb.substring(0, STATUS_WIDTH - 1) + "…" : sb.toString();
        out.print("\r\033[K" + status);
        out.flush();
        statusShown = true;
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
