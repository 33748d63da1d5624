package dev.strata.cli;

import dev.strata.image.digest.Digest;
import dev.strata.image.progress.ProgressEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** ProgressPrinter: plain lines throttled per blob per second off a terminal, in-place redraws on one. */
class ProgressPrinterTest {
    private static final Digest A = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
    private static final Digest B = Digest.sha256("b".getBytes(StandardCharsets.UTF_8));

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicLong nanos = new AtomicLong();

    private ProgressPrinter printer(boolean tty) {
        return new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), tty, nanos::get);
    }

    private void advanceMillis(long ms) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainOutputPrintsAtMostOneLinePerBlobPerSecondAndADoneLine() {
        ProgressPrinter p = printer(false);
        p.onEvent(new ProgressEvent.Downloading(A, 0, 4096));
        p.onEvent(new ProgressEvent.Downloading(B, 0, 2048));
        advanceMillis(500);
        p.onEvent(new ProgressEvent.Downloading(A, 1024, 4096)); // too soon for A: dropped
        advanceMillis(600);
        p.onEvent(new ProgressEvent.Downloading(A, 2048, 4096));
        p.onEvent(new ProgressEvent.Done(A));
        p.onEvent(new ProgressEvent.AlreadyExists(B));
        p.finish();

        assertThat(text().lines().toList()).containsExactly(
                "Blob " + A.shortHex() + " 0 B / 4.0 KiB",
                "Blob " + B.shortHex() + " 0 B / 2.0 KiB",
                "Blob " + A.shortHex() + " 2.0 KiB / 4.0 KiB",
                "Blob " + A.shortHex() + " done (4.0 KiB)",
                "Blob " + B.shortHex() + " already exists");
        assertThat(text()).doesNotContain("\r");
    }

    @Test
    void terminalOutputRedrawsOneStatusLineAndClearsItAtTheEnd() {
        ProgressPrinter p = printer(true);
        p.onEvent(new ProgressEvent.Downloading(A, 0, 100));
        advanceMillis(ProgressPrinter.TTY_REDRAW_MS);
        p.onEvent(new ProgressEvent.Downloading(A, 50, 100));
        advanceMillis(1); // too soon: not drawn
        p.onEvent(new ProgressEvent.Downloading(A, 60, 100));
        p.onEvent(new ProgressEvent.Done(A));
        p.finish();

        String out = text();
        assertThat(out).contains("\r\033[K" + A.shortHex() + " 0%")
                .contains("\r\033[K" + A.shortHex() + " 50%")
                .doesNotContain(A.shortHex() + " 60%")
                .contains("\r\033[KBlob " + A.shortHex() + " done (100 B)\n");
        assertThat(out).endsWith("done (100 B)\n");
    }

    @Test
    void byteCountsAreHumanReadable() {
        assertThat(ProgressPrinter.bytes(1023)).isEqualTo("1023 B");
        assertThat(ProgressPrinter.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(ProgressPrinter.bytes(3L * 1024 * 1024)).isEqualTo("3.0 MiB");
        assertThat(ProgressPrinter.bytes(5L * 1024 * 1024 * 1024)).isEqualTo("5.00 GiB");
    }
}
